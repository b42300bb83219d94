// Streaming NDJSON: one document per line, read through a bounded buffer so memory stays flat
// however many records a file holds. A bad line is reported with its number and skipped.
#pragma once

#include <cstddef>
#include <fstream>
#include <istream>
#include <memory>
#include <string>

#include "qiao/core/result.h"
#include "qiao/mapping/document.h"
#include "qiao/mapping/json.h"

namespace qiao::mapping {

class NdjsonReader {
 public:
  // Reads from in (not owned; must outlive the reader). Lines longer than max_line_bytes are
  // errors (and skipped).
  explicit NdjsonReader(std::istream& in, size_t max_line_bytes = 16 * 1024 * 1024);
  static Result<std::unique_ptr<NdjsonReader>> openFile(const std::string& path,
                                                       size_t max_line_bytes = 16 * 1024 * 1024);

  // The next non-blank line: false at end of input. Otherwise status tells whether doc holds the
  // parsed line or the line was bad (kMalformedJson / kPayloadTooLarge naming the line); either
  // way the following call continues with the next line.
  bool next(Document& doc, Status& status);
  // 1-based number of the line last returned by next().
  size_t lineNumber() const { return line_no_; }

 private:
  bool fill();
  std::unique_ptr<std::ifstream> owned_;
  std::istream* in_;
  size_t max_line_;
  std::string buf_;
  size_t pos_ = 0;
  size_t line_no_ = 0;
  bool eof_ = false;
  JsonParser parser_;
};

}  // namespace qiao::mapping
