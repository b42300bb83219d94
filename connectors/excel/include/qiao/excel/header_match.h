// Matching a file's header row against the columns a job expects: any order, aliases
// (客户名称 / 客户 / Customer Name), full-width and half-width forms, spaces and case ignored.
// Every missing required column is reported at once, before any data row is read.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::excel {

// How a column's cells become JSON values (see row_json.h).
enum class ValueKind : uint8_t {
  kAuto,      // string -> string, number -> exact decimal string, date -> "YYYY-MM-DD", bool
  kText,      // always a string (numbers as their exact text)
  kDecimal,   // exact decimal string ("1234.50"); text cells parsed (¥1,234.50, full-width)
  kInteger,   // decimal without fraction
  kDate,      // "YYYY-MM-DD"; date cells, Excel serial numbers, or text (2026/11/26, 2026年11月26日)
  kDateTime,  // "YYYY-MM-DDTHH:MM:SS"
  kBool,      // true/false from TRUE/FALSE, 1/0, 是/否, yes/no, Y/N
};

struct ExpectedColumn {
  std::string name;                  // canonical name: the JSON key
  std::vector<std::string> aliases;  // other header texts that mean the same column
  bool required = false;             // missing column -> the file is rejected
  ValueKind kind = ValueKind::kAuto;
  bool not_empty = false;            // an empty cell in this column is a row error
};

struct HeaderMatch {
  // For each expected column (same order): its index in the file's header, or -1.
  std::vector<int> file_column;
  // For each file column: the index of the expected column it matched, or -1.
  std::vector<int> expected_of_file;
  // Warnings: header texts that matched nothing ("column F '备注2' is not expected").
  std::vector<std::string> unknown;
  std::vector<std::string> missing_optional;
};

// Full-width ASCII -> half-width, ideographic and other spaces removed, ASCII lower-cased,
// leading '*' (required-column marker in templates) and trailing ':' / '：' dropped.
std::string normalizeHeader(std::string_view text);

// kInvalidArgument listing every missing required column and every ambiguous header
// ("missing required columns: 客户名称 (or 客户, Customer Name), 金额"), else the match.
Result<HeaderMatch> matchHeader(const std::vector<std::string>& header,
                                const std::vector<ExpectedColumn>& expected);

}  // namespace qiao::excel
