// The zip container of an .xlsx (minizip) with limits against zip bombs, and a streaming
// expat parse of one entry. DOCTYPE and entity declarations are refused (XXE, billion laughs).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/excel/sheet.h"

namespace qiao::excel::detail {

class ZipArchive {
 public:
  ~ZipArchive();
  static Result<std::unique_ptr<ZipArchive>> open(const std::string& path, const Limits& limits);
  const std::string& name() const { return name_; }
  // Case-insensitive, as OPC part names are.
  bool has(const std::string& entry);
  // Opens an entry for reading (one at a time); then read() until it returns 0.
  Status openEntry(const std::string& entry);
  // Bytes read into buf (0 at the end of the entry); checks the limits and the CRC.
  Result<size_t> read(char* buf, size_t size);
  void closeEntry();
  // Opens the current entry again from its start (its bytes no longer count twice).
  Status reopenEntry();
  const std::string& currentEntry() const { return entry_; }

 private:
  ZipArchive() = default;
  void* zf_ = nullptr;
  std::string name_;
  Limits limits_;
  std::string entry_;
  bool open_ = false;
  uint64_t produced_ = 0;
  uint64_t compressed_ = 0;
  uint64_t total_ = 0;
};

// SAX callbacks; names are local names (any "x:" prefix removed).
struct XmlHandler {
  std::function<void(std::string_view name, const char** attrs)> start;
  std::function<void(std::string_view name)> end;
  std::function<void(std::string_view text)> text;
  // Set: the entry is first read with FastXml; if that gives up, restart() is called (forget
  // everything delivered so far) and expat reads the entry again from its start.
  std::function<void()> restart;
};
class FastXml;
std::string_view localName(const char* qname);
// Attribute by local name, or nullptr.
const char* attr(const char** attrs, std::string_view name);

// Incremental parser over the current zip entry.
class XmlStream {
 public:
  XmlStream(ZipArchive& zip, XmlHandler handler);
  ~XmlStream();
  XmlStream(const XmlStream&) = delete;
  XmlStream& operator=(const XmlStream&) = delete;
  // Feeds one chunk; false once the entry is finished. `context` (asked only on failure,
  // so it can name the row reached) is added to errors.
  Result<bool> step(const std::function<std::string()>& context);
  // Handlers may call this to stop with an error.
  void fail(std::string message);
  int64_t line() const;

 private:
  ZipArchive& zip_;
  XmlHandler handler_;
  void* parser_ = nullptr;
  std::unique_ptr<FastXml> fast_;
  std::string failure_;
  bool done_ = false;
  std::vector<char> buf_;
  friend struct XmlThunks;
};

// Parses a whole entry with the handler.
Status parseEntry(ZipArchive& zip, const std::string& entry, XmlHandler handler);

// Decodes the _xHHHH_ escapes of OOXML strings.
std::string decodeOoxmlEscapes(std::string s);

}  // namespace qiao::excel::detail
