#include "xlsx_zip.h"

#include <expat.h>
#include <minizip/unzip.h>

#include <cstring>

#include "fast_xml.h"
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

Status ZipArchive::reopenEntry() {
  const std::string entry = entry_;
  closeEntry();
  total_ -= produced_;
  produced_ = 0;
  return openEntry(entry);
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
  if (handler_.restart) fast_ = std::make_unique<FastXml>(handler_);
}

XmlStream::~XmlStream() { XML_ParserFree(static_cast<XML_Parser>(parser_)); }

void XmlStream::fail(std::string message) {
  if (failure_.empty()) failure_ = std::move(message);
  // Not while FastXml reads: expat has not started, and stopping it now would finish it.
  if (!fast_) XML_StopParser(static_cast<XML_Parser>(parser_), XML_FALSE);
}

int64_t XmlStream::line() const {
  return static_cast<int64_t>(XML_GetCurrentLineNumber(static_cast<XML_Parser>(parser_)));
}

Result<bool> XmlStream::step(const std::function<std::string()>& context_of) {
  if (done_) return false;
  if (fast_) {
    auto n = zip_.read(buf_.data(), buf_.size());
    if (!n.ok()) return n.takeError();
    auto outcome = fast_->feed(std::string_view(buf_.data(), *n), *n == 0, failure_);
    if (outcome == FastXml::Outcome::kNeedMore) return true;
    if (outcome == FastXml::Outcome::kDone) {
      done_ = true;
      return false;
    }
    // Outside FastXml's subset (or wrong): expat reads it all again and has the last word.
    fast_.reset();
    failure_.clear();
    QIAO_RETURN_IF_ERROR(zip_.reopenEntry());
    handler_.restart();
    return true;
  }
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

// ---- FastXml (fast_xml.h) ----

namespace qiao::excel::detail {
namespace {

constexpr size_t kMaxPending = 4u << 20;  // a token this long is left to expat

bool nameStart(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool nameChar(unsigned char c) {
  return nameStart(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
}
bool space(char c) { return c == ' ' || c == '\t' || c == '\n'; }

std::string_view localOf(std::string_view qname) {
  auto colon = qname.find_last_of(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

bool xmlChar(uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
         (cp >= 0x10000 && cp <= 0x10FFFF);
}

void appendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Length of the well-formed UTF-8 sequence at s[i] that is an XML character, or 0.
size_t utf8Length(std::string_view s, size_t i) {
  auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  auto cont = [](unsigned c) { return c >= 0x80 && c <= 0xBF; };
  unsigned c = at(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(at(1)) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    if (at(1) < lo || at(1) > hi || !cont(at(2))) return 0;
    if (c == 0xEF && at(1) == 0xBF && (at(2) == 0xBE || at(2) == 0xBF)) return 0;  // U+FFFE, U+FFFF
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    if (at(1) < lo || at(1) > hi || !cont(at(2)) || !cont(at(3))) return 0;
    return 4;
  }
  return 0;
}

// "&...;" at s[i]: the character it stands for and its length, or false.
bool entity(std::string_view s, size_t i, uint32_t* cp, size_t* len) {
  size_t semi = s.find(';', i);
  if (semi == std::string_view::npos || semi - i > 12) return false;
  std::string_view e = s.substr(i + 1, semi - i - 1);
  *len = semi - i + 1;
  if (e == "lt") *cp = '<';
  else if (e == "gt") *cp = '>';
  else if (e == "amp") *cp = '&';
  else if (e == "quot") *cp = '"';
  else if (e == "apos") *cp = '\'';
  else if (e.size() >= 2 && e[0] == '#') {
    bool hex = e[1] == 'x';
    std::string_view digits = e.substr(hex ? 2 : 1);
    if (digits.empty() || digits.size() > 8) return false;
    uint32_t v = 0;
    for (char d : digits) {
      int x = d >= '0' && d <= '9' ? d - '0' : hex && d >= 'a' && d <= 'f' ? d - 'a' + 10
                                         : hex && d >= 'A' && d <= 'F' ? d - 'A' + 10 : -1;
      if (x < 0) return false;
      v = v * (hex ? 16 : 10) + static_cast<uint32_t>(x);
    }
    if (!xmlChar(v)) return false;
    *cp = v;
  } else {
    return false;
  }
  return true;
}

}  // namespace

// Text or an attribute value with its references resolved; false for anything expat might
// read differently (CR, a tab or newline in an attribute, "]]>") or refuse.
bool FastXml::decode(std::string_view in, std::string* out, bool attribute) const {
  out->clear();
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    size_t run = i;
    while (run < n) {
      unsigned char c = static_cast<unsigned char>(in[run]);
      if (c < 0x20 || c >= 0x80 || c == '&' || c == '<' || c == '>') break;
      ++run;
    }
    out->append(in.data() + i, run - i);
    i = run;
    if (i >= n) break;
    unsigned char c = static_cast<unsigned char>(in[i]);
    if (c == '&') {
      uint32_t cp = 0;
      size_t len = 0;
      if (!entity(in, i, &cp, &len)) return false;
      appendUtf8(cp, out);
      i += len;
    } else if (c >= 0x80) {
      size_t len = utf8Length(in, i);
      if (len == 0) return false;
      out->append(in.data() + i, len);
      i += len;
    } else if (c == '>') {
      if (!attribute && i >= 2 && in[i - 1] == ']' && in[i - 2] == ']') return false;
      out->push_back('>');
      ++i;
    } else if (!attribute && (c == '\n' || c == '\t')) {
      out->push_back(static_cast<char>(c));
      ++i;
    } else {
      return false;  // '<', CR, other control characters, tab/newline in an attribute
    }
  }
  return true;
}

FastXml::Step FastXml::text(size_t* pos, bool final, const std::string& failed) {
  const char* b = pending_.data() + *pos;
  const size_t avail = pending_.size() - *pos;
  const void* lt = std::memchr(b, '<', avail);
  if (lt == nullptr && !final) return Step::kIncomplete;
  const size_t len = lt == nullptr ? avail : static_cast<size_t>(static_cast<const char*>(lt) - b);
  std::string_view t(b, len);
  if (open_.empty()) {  // before or after the root element: whitespace only
    for (char c : t) {
      if (!space(c)) return Step::kBail;
    }
  } else {
    if (!decode(t, &text_, false)) return Step::kBail;
    if (handler_.text && !text_.empty()) handler_.text(text_);
    if (!failed.empty()) return Step::kBail;
  }
  *pos += len;
  return Step::kOk;
}

FastXml::Step FastXml::tag(size_t* pos, const std::string& failed) {
  const char* b = pending_.data();
  const size_t n = pending_.size();
  size_t j = *pos + 1;
  if (j >= n) return Step::kIncomplete;
  auto name = [&](size_t* k) -> bool {  // [k, end of name); false when it is no plain name
    if (*k >= n || !nameStart(static_cast<unsigned char>(b[*k]))) return false;
    while (*k < n && nameChar(static_cast<unsigned char>(b[*k]))) ++(*k);
    return true;
  };
  if (b[j] == '?') {  // only the XML declaration, first in the entry, in its usual shape
    if (started_ || *pos != 0) return Step::kBail;
    const char* end = static_cast<const char*>(memmem(b + j, n - j, "?>", 2));
    if (end == nullptr) return Step::kIncomplete;
    std::string_view decl(b + j + 1, static_cast<size_t>(end - (b + j + 1)));
    static const std::string_view kForms[] = {
        "xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"", "xml version=\"1.0\" encoding=\"UTF-8\"",
        "xml version=\"1.0\" encoding=\"utf-8\"", "xml version=\"1.0\"", "xml version='1.0' encoding='UTF-8'",
        "xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\""};
    bool known = false;
    for (auto f : kForms) known = known || decl == f || (decl.size() == f.size() + 1 && decl.substr(0, f.size()) == f && decl.back() == ' ');
    if (!known) return Step::kBail;
    *pos = static_cast<size_t>(end - b) + 2;
    return Step::kOk;
  }
  if (b[j] == '!') return Step::kBail;  // comment, CDATA, DOCTYPE
  if (b[j] == '/') {
    size_t k = j + 1;
    size_t start = k;
    if (!name(&k)) return k >= n ? Step::kIncomplete : Step::kBail;
    std::string_view qname(b + start, k - start);
    while (k < n && space(b[k])) ++k;
    if (k >= n) return Step::kIncomplete;
    if (b[k] != '>' || open_.empty() || open_.back() != qname) return Step::kBail;
    open_.pop_back();
    if (handler_.end) handler_.end(localOf(qname));
    if (!failed.empty()) return Step::kBail;
    *pos = k + 1;
    return Step::kOk;
  }
  size_t k = j;
  if (!name(&k)) return k >= n ? Step::kIncomplete : Step::kBail;
  const size_t name_end = k;
  attr_text_.clear();
  attr_offsets_.clear();
  bool self_closing = false;
  for (;;) {
    size_t ws = k;
    while (k < n && space(b[k])) ++k;
    if (k >= n) return Step::kIncomplete;
    if (b[k] == '>') { ++k; break; }
    if (b[k] == '/') {
      if (k + 1 >= n) return Step::kIncomplete;
      if (b[k + 1] != '>') return Step::kBail;
      self_closing = true;
      k += 2;
      break;
    }
    if (ws == k) return Step::kBail;  // attributes are separated by white space
    size_t an = k;
    if (!name(&k)) return k >= n ? Step::kIncomplete : Step::kBail;
    std::string_view aname(b + an, k - an);
    while (k < n && space(b[k])) ++k;
    if (k >= n) return Step::kIncomplete;
    if (b[k] != '=') return Step::kBail;
    ++k;
    while (k < n && space(b[k])) ++k;
    if (k >= n) return Step::kIncomplete;
    const char quote = b[k];
    if (quote != '"' && quote != '\'') return Step::kBail;
    const void* close = std::memchr(b + k + 1, quote, n - k - 1);
    if (close == nullptr) return Step::kIncomplete;
    size_t vend = static_cast<size_t>(static_cast<const char*>(close) - b);
    for (size_t o = 0; o < attr_offsets_.size(); o += 2) {  // a repeated attribute is an error
      if (std::string_view(attr_text_.c_str() + attr_offsets_[o]) == aname) return Step::kBail;
    }
    if (!decode(std::string_view(b + k + 1, vend - k - 1), &text_, true)) return Step::kBail;
    attr_offsets_.push_back(attr_text_.size());
    attr_text_.append(aname).push_back('\0');
    attr_offsets_.push_back(attr_text_.size());
    attr_text_.append(text_).push_back('\0');
    k = vend + 1;
  }
  if (open_.empty()) {
    if (root_seen_) return Step::kBail;  // a second root element
    root_seen_ = true;
  }
  attrs_.clear();
  for (size_t off : attr_offsets_) attrs_.push_back(attr_text_.c_str() + off);
  attrs_.push_back(nullptr);
  std::string_view qname(b + j, name_end - j);
  if (handler_.start) handler_.start(localOf(qname), attrs_.data());
  if (!failed.empty()) return Step::kBail;
  if (self_closing) {
    if (handler_.end) handler_.end(localOf(qname));
    if (!failed.empty()) return Step::kBail;
  } else {
    open_.emplace_back(qname);
  }
  *pos = k;
  return Step::kOk;
}

FastXml::Outcome FastXml::feed(std::string_view chunk, bool final, const std::string& failed) {
  pending_.append(chunk);
  size_t pos = 0;
  while (pos < pending_.size()) {
    Step s = pending_[pos] == '<' ? tag(&pos, failed) : text(&pos, final, failed);
    if (s == Step::kBail) return Outcome::kBail;
    if (s == Step::kIncomplete) break;
    started_ = true;
  }
  pending_.erase(0, pos);
  if (pending_.size() > kMaxPending) return Outcome::kBail;
  if (!final) return Outcome::kNeedMore;
  return pending_.empty() && open_.empty() && root_seen_ ? Outcome::kDone : Outcome::kBail;
}

}  // namespace qiao::excel::detail
