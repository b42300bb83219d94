// The CSV reader: encoding detection (BOM, valid UTF-8, else GB18030 through iconv), a quoted
// field state machine (RFC 4180 plus Excel's leniency), delimiter detection, bounded records.
#include <fcntl.h>
#include <iconv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "internal.h"

namespace qiao::excel::detail {
namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kSniff = 1024 * 1024;

// Length of the longest prefix of s that is valid UTF-8; *incomplete is set when the rest is
// only the start of a multi-byte sequence (more bytes may complete it).
size_t validUtf8Prefix(std::string_view s, bool* incomplete) {
  size_t i = 0;
  *incomplete = false;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3
               : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    if (len == 0) return i;
    if (i + len > s.size()) {
      for (size_t k = i + 1; k < s.size(); ++k) {
        if ((static_cast<unsigned char>(s[k]) & 0xC0) != 0x80) return i;
      }
      *incomplete = true;
      return i;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i;
    }
    if (len == 3) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0)) return i;
    } else if (len == 4) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90)) return i;
    }
    i += len;
  }
  return i;
}

class CsvSheetReader final : public SheetReader {
 public:
  CsvSheetReader(std::string file, std::string sheet, const ReadOptions& o)
      : file_(std::move(file)), sheet_(std::move(sheet)), delim_(o.delimiter), encoding_(o.encoding),
        limits_(o.limits) {}
  ~CsvSheetReader() override {
    if (fd_ >= 0) ::close(fd_);
    if (cd_ != reinterpret_cast<iconv_t>(-1)) iconv_close(cd_);
  }

  Status open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return readError(file_ + ": cannot open the file");
    QIAO_RETURN_IF_ERROR(readRaw(kSniff));
    if (raw_.starts_with("\xEF\xBB\xBF")) {
      raw_.erase(0, 3);
      encoding_ = Encoding::kUtf8;
    } else if (raw_.starts_with("\xFF\xFE") || raw_.starts_with("\xFE\xFF")) {
      return readError(file_ + ": UTF-16 text is not supported; save it as \"CSV UTF-8\"");
    } else if (encoding_ == Encoding::kAuto) {
      bool incomplete = false;
      size_t ok = validUtf8Prefix(raw_, &incomplete);
      encoding_ = ok == raw_.size() || (incomplete && raw_eof_ == false) ? Encoding::kUtf8 : Encoding::kGb18030;
    }
    if (encoding_ == Encoding::kGb18030) {
      cd_ = iconv_open("UTF-8", "GB18030");
      if (cd_ == reinterpret_cast<iconv_t>(-1)) return readError(file_ + ": GB18030 decoding is not available (iconv)");
    }
    return decode();
  }

  Result<bool> next(Row& row) override {
    for (;;) {
      std::vector<std::string> fields;
      auto st = parseRecord(&fields);
      if (st == kNeedMore) {
        if (!decode_error_.empty()) return rowError(decode_error_);
        if (raw_eof_ && raw_.empty()) { final_ = true; continue; }
        if (buf_.size() - pos_ > limits_.max_csv_record_bytes) {
          return rowError("record longer than " + std::to_string(limits_.max_csv_record_bytes) +
                          " bytes (an unclosed quote?)");
        }
        auto s = fill();
        if (!s.ok()) return s.error();
        continue;
      }
      if (st == kEnd) return false;
      if (st == kUnclosed) return rowError("a quoted field is not closed before the end of the file");
      if (st == kTooLong) {
        return rowError("record longer than " + std::to_string(limits_.max_csv_record_bytes) + " bytes");
      }
      ++record_;
      if (fields.size() > limits_.max_columns) return rowError("more than " + std::to_string(limits_.max_columns) + " fields");
      row = Row{sheet_, record_, {}};
      row.cells.reserve(fields.size());
      for (auto& f : fields) row.cells.push_back(f.empty() ? Cell{} : Cell::string(std::move(f)));
      return true;
    }
  }
  const std::string& sheetName() const override { return sheet_; }
  char delimiter() const { return delim_; }

 private:
  enum ParseState { kRecord, kNeedMore, kEnd, kUnclosed, kTooLong };

  Error rowError(const std::string& what) const {
    return readError(file_ + ": row " + std::to_string(record_ + 1) + ": " + what);
  }

  // Appends up to `want` bytes to raw_ through a chunk buffer sized to the file, so a small
  // file costs a small allocation (not the 1 MiB sniff window).
  Status readRaw(size_t want) {
    if (io_.empty()) {
      struct stat st{};
      size_t size = ::fstat(fd_, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : kChunk;
      io_.resize(std::min(kChunk, size + 1));  // +1: the read that sees the end
    }
    size_t got = 0;
    while (got < want) {
      ssize_t n = ::read(fd_, io_.data(), std::min(io_.size(), want - got));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return readError(file_ + ": read error");
      if (n == 0) { raw_eof_ = true; break; }
      raw_.append(io_.data(), static_cast<size_t>(n));
      got += static_cast<size_t>(n);
    }
    return Status();
  }

  // Moves decodable bytes from raw_ into buf_ as UTF-8.
  Status decode() {
    if (!decode_error_.empty()) return Status();
    if (encoding_ == Encoding::kGb18030) {
      std::string out(raw_.size() * 2 + 16, '\0');
      char* in = raw_.data();
      size_t in_left = raw_.size();
      char* o = out.data();
      size_t o_left = out.size();
      size_t rc = iconv(cd_, &in, &in_left, &o, &o_left);
      out.resize(out.size() - o_left);
      buf_ += out;
      if (rc == static_cast<size_t>(-1) && errno == EILSEQ) {
        decode_error_ = "bytes that are neither UTF-8 nor GB18030 (check the file's encoding)";
      } else if (rc == static_cast<size_t>(-1) && errno == EINVAL && raw_eof_) {
        decode_error_ = "the file ends inside a GB18030 character (truncated file?)";
      }
      raw_.erase(0, raw_.size() - in_left);
      if (!decode_error_.empty()) raw_.clear();
      return Status();
    }
    bool incomplete = false;
    size_t ok = validUtf8Prefix(raw_, &incomplete);
    buf_.append(raw_, 0, ok);
    if (ok < raw_.size() && (!incomplete || raw_eof_)) {
      decode_error_ = "invalid UTF-8 (if the file is GBK, set encoding: gb18030)";
      raw_.clear();
      return Status();
    }
    raw_.erase(0, ok);
    return Status();
  }

  Status fill() {
    buf_.erase(0, pos_);
    pos_ = 0;
    if (raw_eof_) {
      if (!raw_.empty()) { QIAO_RETURN_IF_ERROR(decode()); }
      // A decode error is reported when the parser reaches it, never taken for the end.
      if (raw_.empty() && decode_error_.empty()) final_ = true;
      return Status();
    }
    QIAO_RETURN_IF_ERROR(readRaw(kChunk));
    return decode();
  }

  // The first line's most frequent candidate outside quotes; comma when none.
  void detectDelimiter() {
    size_t counts[3] = {0, 0, 0};
    const char cand[3] = {',', ';', '\t'};
    bool inq = false;
    for (size_t i = pos_; i < buf_.size(); ++i) {
      char c = buf_[i];
      if (c == '"') inq = !inq;
      if (inq) continue;
      if (c == '\n' || c == '\r') break;
      for (int k = 0; k < 3; ++k) counts[k] += c == cand[k];
    }
    delim_ = ',';
    size_t best = counts[0];
    for (int k = 1; k < 3; ++k) {
      if (counts[k] > best) { best = counts[k]; delim_ = cand[k]; }
    }
  }

  ParseState parseRecord(std::vector<std::string>* fields) {
    if (delim_ == 0) {
      bool have_line = buf_.find('\n', pos_) != std::string::npos;
      if (!have_line && !final_ && buf_.size() - pos_ <= limits_.max_csv_record_bytes) return kNeedMore;
      detectDelimiter();
    }
    const size_t start = pos_;
    size_t i = start;
    const size_t n = buf_.size();
    if (i >= n) return final_ ? kEnd : kNeedMore;
    std::string field;
    bool inq = false, quoted = false;
    while (true) {
      if (i >= n) {
        if (!final_) return kNeedMore;
        if (inq) return kUnclosed;
        fields->push_back(std::move(field));
        if (i - start > limits_.max_csv_record_bytes) return kTooLong;
        pos_ = i;
        return kRecord;
      }
      char c = buf_[i];
      if (inq) {
        if (c == '"') {
          if (i + 1 >= n && !final_) return kNeedMore;
          if (i + 1 < n && buf_[i + 1] == '"') { field += '"'; i += 2; }
          else { inq = false; ++i; }
        } else {
          field += c;
          ++i;
        }
        continue;
      }
      if (c == delim_) {
        fields->push_back(std::move(field));
        field.clear();
        quoted = false;
        ++i;
      } else if (c == '\n' || c == '\r') {
        if (c == '\r' && i + 1 >= n && !final_) return kNeedMore;
        fields->push_back(std::move(field));
        i += (c == '\r' && i + 1 < n && buf_[i + 1] == '\n') ? 2 : 1;
        if (i - start > limits_.max_csv_record_bytes) return kTooLong;
        pos_ = i;
        return kRecord;
      } else if (c == '"' && field.empty() && !quoted) {
        inq = quoted = true;
        ++i;
      } else {
        field += c;  // a stray quote inside an unquoted field is kept, as Excel does
        ++i;
      }
    }
  }

  std::string file_, sheet_;
  char delim_;
  Encoding encoding_;
  Limits limits_;
  int fd_ = -1;
  iconv_t cd_ = reinterpret_cast<iconv_t>(-1);
  std::string raw_, buf_, io_;
  size_t pos_ = 0;
  bool raw_eof_ = false, final_ = false;
  std::string decode_error_;
  int64_t record_ = 0;
};

}  // namespace

Result<std::unique_ptr<SheetReader>> openCsvSheet(const std::string& path, const ReadOptions& o) {
  auto r = std::make_unique<CsvSheetReader>(baseName(path), stemOf(path), o);
  QIAO_RETURN_IF_ERROR(r->open(path));
  return std::unique_ptr<SheetReader>(std::move(r));
}

}  // namespace qiao::excel::detail
