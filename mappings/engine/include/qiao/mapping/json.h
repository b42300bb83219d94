// Reading (simdjson) and writing (direct, exact numbers) JSON text for the document model.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "qiao/core/result.h"
#include "qiao/mapping/document.h"

namespace qiao::mapping {

struct ParseOptions {
  // Deeper [ / { nesting is an error (guards recursion; records are shallow).
  uint32_t max_depth = 128;
};

// Where and why a parse failed. line and column are 1-based; column counts UTF-8 characters.
struct ParseError {
  size_t offset = 0;
  size_t line = 1;
  size_t column = 1;
  std::string reason;
};

// A reusable parser (keep one per thread; not thread-safe). Duplicate keys: the LAST occurrence
// wins and keeps the position of the first (as JSON.parse and nlohmann do for the value).
// Rejects invalid UTF-8, unescaped control characters, bad numbers and trailing content.
class JsonParser {
 public:
  explicit JsonParser(ParseOptions options = {});
  ~JsonParser();
  JsonParser(JsonParser&&) noexcept;
  JsonParser& operator=(JsonParser&&) noexcept;

  // Clears out, then parses text into it. Errors are kMalformedJson with "line L, column C
  // (byte B): reason"; the same facts are in lastError().
  Status parse(std::string_view text, Document& out);
  const ParseError& lastError() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses with a thread-local JsonParser (default options).
Status parseJson(std::string_view text, Document& out);

struct WriteOptions {
  bool pretty = false;
  int indent = 2;
};

// Appends v as JSON to out (reuse out across records). Numbers are written as their exact text;
// ", \ and control characters are escaped; other UTF-8 passes through unescaped. A missing
// Value writes null.
void writeJson(Value v, std::string& out, const WriteOptions& options = {});
std::string toJson(Value v, const WriteOptions& options = {});

}  // namespace qiao::mapping
