// Identity of files and rows, so that dropping the same file again imports nothing twice.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::excel {

// SHA-256 of the file's bytes, lower-case hex (64 characters). Streams the file.
Result<std::string> sha256File(const std::string& path);
std::string sha256Hex(std::string_view bytes);

// A key for one row that does not depend on where the row sits: SHA-256 (first 32 hex
// characters) of the values, each trimmed, joined with a unit separator. Same values ->
// same key, whichever file or row they come in.
std::string rowContentKey(const std::vector<std::string>& values);
// A key for a row position in one file version: "<file sha first 16>:<sheet>:<row>".
std::string rowPositionKey(std::string_view file_sha256, std::string_view sheet, int64_t row);

// For names that come from outside (uploads, patterns): kInvalidArgument unless `name` is a
// plain file name — not empty, at most 255 bytes, no '/', '\\', NUL or other control
// characters, not starting with '.' (hidden, "..", our temporary files), valid UTF-8.
Status validateFileName(std::string_view name);

}  // namespace qiao::excel
