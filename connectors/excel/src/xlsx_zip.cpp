#include "xlsx_zip.h"

#include <expat.h>
#include <minizip/unzip.h>

#include <cstring>

#include "internal.h"

namespace qiao::excel::detail {

namespace {
constexpr uint64_t kRatioFloor = 1u << 20;  // small entries may compress arbitrarily well
}

ZipArchive::~ZipArchive() {
  if (zf_ != nullptr) {
    if (open_) unzCloseCurrentFile(zf_);
    unzClose(zf_);
  }
}

Result<std::unique_ptr<ZipArchive>> ZipArchive::open(const std::string& path, const Limits& limits) {
  std::unique_ptr<ZipArchive> z(new ZipArchive());
  z->name_ = baseName(path);
  z->limits_ = limits;
  z->zf_ = unzOpen64(path.c_str());
  if (z->zf_ == nullptr) {
    return readError(z->name_ + ": not a readable .xlsx: the zip structure is corrupt or the file "
                                "is truncated");
  }
  return z;
}

bool ZipArchive::has(const std::string& entry) {
  return unzLocateFile(zf_, entry.c_str(), 2) == UNZ_OK;
}

Status ZipArchive::openEntry(const std::string& entry) {
  closeEntry();
  if (unzLocateFile(zf_, entry.c_str(), 2) != UNZ_OK) {
    return readError(name_ + ": the workbook has no part " + entry + " (not an Excel .xlsx?)");
  }
  unz_file_info64 info{};
  if (unzGetCurrentFileInfo64(zf_, &info, nullptr, 0, nullptr, 0, nullptr, 0) != UNZ_OK) {
    return readError(name_ + ": " + entry + ": corrupt zip entry");
  }
  if ((info.flag & 1u) != 0) return readError(name_ + ": " + entry + ": the zip entry is encrypted");
  if (info.compression_method != 0 && info.compression_method != Z_DEFLATED) {
    return readError(name_ + ": " + entry + ": unsupported zip compression method " +
                     std::to_string(info.compression_method));
  }
  if (info.uncompressed_size > limits_.max_entry_bytes) {
    return readError(name_ + ": " + entry + " declares " + std::to_string(info.uncompressed_size) +
                     " bytes uncompressed, over the limit of " +
                     std::to_string(limits_.max_entry_bytes) + " (zip bomb?)");
  }
  if (unzOpenCurrentFile(zf_) != UNZ_OK) {
    return readError(name_ + ": " + entry + ": cannot open the zip entry (corrupt file)");
  }
  open_ = true;
  entry_ = entry;
  produced_ = 0;
  compressed_ = info.compressed_size == 0 ? 1 : info.compressed_size;
  return Status();
}

Result<size_t> ZipArchive::read(char* buf, size_t size) {
  if (!open_) return size_t{0};
  int n = unzReadCurrentFile(zf_, buf, static_cast<unsigned>(size));
  if (n < 0) {
    return readError(name_ + ": " + entry_ + ": corrupt compressed data (zip error " +
                     std::to_string(n) + "); the file may be truncated");
  }
  if (n == 0) {
    int rc = unzCloseCurrentFile(zf_);
    open_ = false;
    if (rc == UNZ_CRCERROR) return readError(name_ + ": " + entry_ + ": CRC mismatch (corrupt file)");
    return size_t{0};
  }
  produced_ += static_cast<uint64_t>(n);
  total_ += static_cast<uint64_t>(n);
  if (produced_ > limits_.max_entry_bytes || total_ > limits_.max_total_bytes) {
    return readError(name_ + ": " + entry_ + ": more than " +
                     std::to_string(produced_ > limits_.max_entry_bytes ? limits_.max_entry_bytes
                                                                        : limits_.max_total_bytes) +
                     " bytes uncompressed, over the limit (zip bomb?)");
  }
  if (produced_ > kRatioFloor && produced_ / compressed_ > limits_.max_ratio) {
    return readError(name_ + ": " + entry_ + ": compression ratio over " +
                     std::to_string(limits_.max_ratio) + ":1, refused as a zip bomb");
  }
  return static_cast<size_t>(n);
}

void ZipArchive::closeEntry() {
  if (open_) unzCloseCurrentFile(zf_);
  open_ = false;
}

std::string_view localName(const char* qname) {
  std::string_view n(qname);
  auto colon = n.find_last_of(':');
  return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

const char* attr(const char** attrs, std::string_view name) {
  for (int i = 0; attrs[i] != nullptr; i += 2) {
    if (localName(attrs[i]) == name) return attrs[i + 1];
  }
  return nullptr;
}

// After fail(), expat may still deliver a few events (XML_StopParser: "some call-backs may
// still follow", e.g. the end of the self-closing element that failed); the handlers never
// see them, so they never act on the state they refused.
struct XmlThunks {
  static void start(void* ud, const XML_Char* name, const XML_Char** attrs) {
    auto* s = static_cast<XmlStream*>(ud);
    if (s->failure_.empty() && s->handler_.start) s->handler_.start(localName(name), attrs);
  }
  static void end(void* ud, const XML_Char* name) {
    auto* s = static_cast<XmlStream*>(ud);
    if (s->failure_.empty() && s->handler_.end) s->handler_.end(localName(name));
  }
  static void text(void* ud, const XML_Char* t, int len) {
    auto* s = static_cast<XmlStream*>(ud);
    if (s->failure_.empty() && s->handler_.text) s->handler_.text(std::string_view(t, static_cast<size_t>(len)));
  }
  static void doctype(void* ud, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    static_cast<XmlStream*>(ud)->fail("a DOCTYPE is not allowed in a workbook part");
  }
  static void entity(void* ud, const XML_Char*, int, const XML_Char*, int, const XML_Char*,
                     const XML_Char*, const XML_Char*, const XML_Char*) {
    static_cast<XmlStream*>(ud)->fail("entity declarations are not allowed in a workbook part");
  }
};

XmlStream::XmlStream(ZipArchive& zip, XmlHandler handler)
    : zip_(zip), handler_(std::move(handler)), buf_(64 * 1024) {
  auto* p = XML_ParserCreate("UTF-8");
  parser_ = p;
  XML_SetUserData(p, this);
  XML_SetElementHandler(p, &XmlThunks::start, &XmlThunks::end);
  XML_SetCharacterDataHandler(p, &XmlThunks::text);
  XML_SetStartDoctypeDeclHandler(p, &XmlThunks::doctype);
  XML_SetEntityDeclHandler(p, &XmlThunks::entity);
}

XmlStream::~XmlStream() { XML_ParserFree(static_cast<XML_Parser>(parser_)); }

void XmlStream::fail(std::string message) {
  if (failure_.empty()) failure_ = std::move(message);
  XML_StopParser(static_cast<XML_Parser>(parser_), XML_FALSE);
}

int64_t XmlStream::line() const {
  return static_cast<int64_t>(XML_GetCurrentLineNumber(static_cast<XML_Parser>(parser_)));
}

Result<bool> XmlStream::step(const std::function<std::string()>& context_of) {
  if (done_) return false;
  auto* p = static_cast<XML_Parser>(parser_);
  auto n = zip_.read(buf_.data(), buf_.size());
  if (!n.ok()) return n.takeError();
  const bool final = *n == 0;
  if (XML_Parse(p, buf_.data(), static_cast<int>(*n), final ? 1 : 0) != XML_STATUS_OK) {
    const std::string context = context_of();
    const std::string where = zip_.name() + ": " + zip_.currentEntry() + " line " +
                              std::to_string(XML_GetCurrentLineNumber(p)) + (context.empty() ? "" : ", ") + context;
    if (!failure_.empty()) return readError(where + ": " + failure_);
    return readError(where + ": malformed XML: " + XML_ErrorString(XML_GetErrorCode(p)));
  }
  if (!failure_.empty()) {
    const std::string context = context_of();
    return readError(zip_.name() + ": " + zip_.currentEntry() + (context.empty() ? "" : ", ") +
                     context + ": " + failure_);
  }
  if (final) done_ = true;
  return !final;
}

Status parseEntry(ZipArchive& zip, const std::string& entry, XmlHandler handler) {
  QIAO_RETURN_IF_ERROR(zip.openEntry(entry));
  XmlStream s(zip, std::move(handler));
  for (;;) {
    auto more = s.step([] { return std::string(); });
    if (!more.ok()) return more.takeError();
    if (!*more) return Status();
  }
}

namespace {

// The code unit of an "_xHHHH_" escape at s[i], or -1.
int escapeAt(const std::string& s, size_t i) {
  if (i + 6 >= s.size() || s[i] != '_' || s[i + 1] != 'x' || s[i + 6] != '_') return -1;
  int cp = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    char ch = s[k];
    cp <<= 4;
    if (ch >= '0' && ch <= '9') cp |= ch - '0';
    else if (ch >= 'a' && ch <= 'f') cp |= ch - 'a' + 10;
    else if (ch >= 'A' && ch <= 'F') cp |= ch - 'A' + 10;
    else return -1;
  }
  return cp;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string decodeOoxmlEscapes(std::string s) {
  if (s.find("_x") == std::string::npos) return s;
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int cp = escapeAt(s, i);
    if (cp < 0) {
      out += s[i];
      continue;
    }
    i += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      // UTF-16 escapes: a surrogate pair is one character; a lone surrogate is no character
      // and becomes U+FFFD (never CESU-8 bytes, which are not UTF-8).
      int low = escapeAt(s, i + 1);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        appendUtf8(out, 0x10000u + ((static_cast<uint32_t>(cp) - 0xD800u) << 10) + (static_cast<uint32_t>(low) - 0xDC00u));
        i += 7;
        continue;
      }
      cp = 0xFFFD;
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    appendUtf8(out, static_cast<uint32_t>(cp));
  }
  return out;
}

}  // namespace qiao::excel::detail
