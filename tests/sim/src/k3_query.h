// ExecuteBillQuery / BillQuery of the K/3 simulator (reference 4.1): FieldKeys resolution
// (header, sub-header and entry fields, <Entity>_FEntryID, base-data .FNumber/.FName), a
// FilterString parser (recursive descent over K/3's SQL-like condition text), OrderString,
// StartRow/Limit/TopRowCount paging, and the error-inside-the-array envelope.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "k3_common.h"

namespace qiao::sim::k3 {

class Forms;

struct FilterNode {
  enum Kind { kAnd, kOr, kNot, kCompare, kIn, kLike, kIsNull, kBetween };
  Kind kind = kCompare;
  std::vector<std::unique_ptr<FilterNode>> kids;  // kAnd/kOr/kNot
  // Operands: a column key (is_field) or a literal. kIn/kBetween: operands[0] is tested
  // against the rest; kLike: operands[1] is the pattern.
  struct Operand {
    bool is_field = false;
    std::string field;  // as written
    json literal;
  };
  std::vector<Operand> operands;
  std::string op;  // kCompare: = <> != > >= < <=
  bool negate = false;  // NOT IN, NOT LIKE, IS NOT NULL, NOT BETWEEN
};

// Parses a FilterString; "" (or only spaces) gives nullptr with no error.
std::unique_ptr<FilterNode> parseFilter(const std::string& text, std::string* error);

// SQL LIKE with % and _, case-insensitive (SQL Server's default collation).
bool likeMatch(const std::string& text, const std::string& pattern);

// The whole service: the response body (rows, or [[{"Result":...}]] on error).
json executeBillQuery(Forms& forms, const json& data, bool rows_as_objects);

}  // namespace qiao::sim::k3
