// Internal: the compiled plan a mapping file loads into. Immutable once built.
#pragma once

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <unordered_map>
#include <vector>

#include "qiao/core/datetime.h"
#include "qiao/core/decimal.h"
#include "qiao/core/timezone.h"
#include "qiao/mapping/mapping.h"
#include "qiao/mapping/path.h"

namespace qiao::mapping::detail {

// A scalar literal from the YAML file (const, default): typed by plain-scalar rules.
struct Literal {
  Kind kind = Kind::kString;
  std::string text;  // string value or exact number text
  bool flag = false;
};

struct Source {
  Path path;
  bool parent = false;  // `^x`: read the enclosing record
  std::string text;     // as written
};

// Tiny expression program over decimals: postfix ops.
// kDiv divides to `digits` places (half-up); comparisons push a boolean; kJumpIfFalse pops a
// boolean and kJump always jumps, both to op index `digits` (if(c, a, b) evaluates one branch).
struct ExprOp {
  enum Type : uint8_t {
    kPush, kLoad, kAdd, kSub, kMul, kRound, kDiv,
    kEq, kNe, kLt, kLe, kGt, kGe, kJumpIfFalse, kJump
  } type;
  Decimal constant;
  Source source;
  int digits = 0;
};
// Places a bare `a / b` is divided to; round(a / b, n) divides to n places directly.
constexpr int kDivisionScale = 10;
struct Expr {
  std::vector<ExprOp> ops;
  std::string text;
};

// `where:` filter / `when:` condition: `field op literal`, compared as decimals when both
// parse, else as text; or `present(field)` / `empty(field)`.
struct Where {
  enum Test : uint8_t { kCompare, kPresent, kEmpty } test = kCompare;
  Source field;
  std::string op;  // > >= < <= == !=
  std::string literal;
  std::string text;
};

using Table = std::unordered_map<std::string, std::string>;

enum class Conv : uint8_t {
  kNone,
  kMap,
  kDecimal,
  kNumber,      // string -> number
  kString,      // number -> string
  kBool,        // text -> bool
  kBoolToText,  // bool -> text (the reverse of kBool)
  kDate,
  kConcat,
  kExpr,
  kSplit,
  kSubstring,
  kRegex,
};

struct Rule {
  std::string to_text;
  Path to;
  std::vector<Source> from;
  std::optional<Literal> constant;
  std::optional<Literal> default_value;
  bool required = false;
  bool trim = false, upper = false, lower = false, halfwidth = false;
  bool lossless = false;  // the text transforms lose nothing (declared)
  std::string unwrap_ref;  // read value.<unwrap_ref> before converting (reverse of ref)
  std::string wrap_ref;    // write {"<wrap_ref>": value}

  Conv conv = Conv::kNone;
  // map
  std::shared_ptr<const Table> table;
  std::string table_name;
  std::optional<std::string> map_default;
  bool strict = false;
  // decimal
  int scale = -1;
  RoundingMode rounding = RoundingMode::kHalfUp;
  bool as_string = false;
  Decimal::Separator grouping = Decimal::Separator::kNone;
  std::string currency;
  // bool
  std::string true_text;
  std::optional<std::string> false_text;
  // date
  enum class DateParse : uint8_t { kPattern, kAuto, kExcel1900, kExcel1904 } date_parse =
      DateParse::kPattern;
  std::optional<DateTimePattern> parse_pattern;
  std::optional<DateTimePattern> format_pattern;
  std::shared_ptr<const TimeZone> zone;  // date.zone: local times are in this zone
  // split / substring / regex
  int part = 0;           // split index (negative counts from the end)
  int start = 0;          // substring start, in code points
  int length = -1;        // substring length (-1: to the end)
  std::shared_ptr<const std::regex> regex;
  std::string regex_text;
  int group = 0;
  // when / otherwise
  std::optional<Where> when;
  std::optional<Literal> otherwise;
  // concat
  std::vector<Source> parts;
  std::string separator;
  // expr
  Expr expr;
  // each
  bool is_each = false;
  Source each;
  std::optional<Where> where;
  std::vector<Rule> rules;

  // Where it came from, for errors.
  std::string position;  // "file:line:col rules[3]"
  std::string label;     // "rules[3]"
};

struct PlanData {
  std::string name;
  std::string file;
  std::optional<Path> key;
  std::vector<Rule> forward;
  std::vector<Rule> reverse;
  std::vector<std::string> non_invertible;
  std::vector<std::string> warnings;
};

// Derives the reverse rule of r into out; returns "" or why it cannot be inverted.
std::string invertRule(const Rule& r, Rule& out);

// Parses the tiny expression language (round(a, n), + - *, identifiers, numbers).
Result<Expr> compileExpr(std::string_view text);

}  // namespace qiao::mapping::detail
