#include "qiao/mapping/ndjson.h"

#include <cstring>

namespace qiao::mapping {

namespace {
constexpr size_t kChunk = 64 * 1024;
}

NdjsonReader::NdjsonReader(std::istream& in, size_t max_line_bytes)
    : in_(&in), max_line_(max_line_bytes) {}

Result<std::unique_ptr<NdjsonReader>> NdjsonReader::openFile(const std::string& path,
                                                            size_t max_line_bytes) {
  auto f = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*f) return Error::permanent(ErrorCode::kNotFound, "cannot open " + path);
  auto r = std::make_unique<NdjsonReader>(*f, max_line_bytes);
  r->owned_ = std::move(f);
  return r;
}

// Moves unread bytes to the front and reads one more chunk; false when nothing more came.
bool NdjsonReader::fill() {
  if (eof_) return false;
  if (pos_) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  size_t old = buf_.size();
  buf_.resize(old + kChunk);
  in_->read(buf_.data() + old, kChunk);
  size_t got = static_cast<size_t>(in_->gcount());
  buf_.resize(old + got);
  if (got == 0) eof_ = true;
  return got > 0;
}

bool NdjsonReader::next(Document& doc, Status& status) {
  for (;;) {
    // Find a complete line in the buffer, reading more (bounded by max_line_) as needed.
    const char* nl = nullptr;
    size_t scanned = 0;
    bool too_long = false;
    for (;;) {
      size_t avail = buf_.size() - pos_;
      nl = static_cast<const char*>(
          std::memchr(buf_.data() + pos_ + scanned, '\n', avail - scanned));
      if (nl) break;
      scanned = avail;
      if (avail > max_line_) {
        too_long = true;
        break;
      }
      if (!fill()) break;
    }
    size_t avail = buf_.size() - pos_;
    if (!nl && !too_long && avail == 0) return false;
    if (nl && static_cast<size_t>(nl - (buf_.data() + pos_)) > max_line_) too_long = true;
    ++line_no_;
    if (too_long) {
      // Skip the rest of the long line without keeping it.
      for (;;) {
        const char* e = static_cast<const char*>(
            std::memchr(buf_.data() + pos_, '\n', buf_.size() - pos_));
        if (e) {
          pos_ = static_cast<size_t>(e - buf_.data()) + 1;
          break;
        }
        pos_ = buf_.size();
        if (!fill()) break;
      }
      doc.clear();
      status = Error::permanent(ErrorCode::kPayloadTooLarge,
                                "line " + std::to_string(line_no_) + " is longer than " +
                                    std::to_string(max_line_) + " bytes");
      return true;
    }
    size_t len = nl ? static_cast<size_t>(nl - (buf_.data() + pos_)) : avail;
    std::string_view line(buf_.data() + pos_, len);
    pos_ += nl ? len + 1 : len;
    if (line_no_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank line
    Status s = parser_.parse(line, doc);
    if (s.ok()) {
      status = Status::okStatus();
    } else {
      const ParseError& e = parser_.lastError();
      status = Error::permanent(ErrorCode::kMalformedJson,
                                "malformed JSON at line " + std::to_string(line_no_) + ", column " +
                                    std::to_string(e.column) + ": " + e.reason);
    }
    return true;
  }
}

}  // namespace qiao::mapping
