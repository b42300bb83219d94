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

// The expression language of `expr`, `when` and `where` (docs/mapping.md#expressions),
// compiled to a postfix program run by expr_eval.h. Jumps (if, and, or) go to op index `n`.
enum class ExprFn : uint8_t { kLen, kUpper, kLower, kTrim, kContains, kStartsWith, kEndsWith,
                              kConcat, kSubstr };
struct ExprOp {
  enum Type : uint8_t {
    kPushNum,      // constant (decimal), text = its digits
    kPushText,     // text
    kLoad,         // source's value
    kPresent,      // source is not absent/null
    kEmpty,        // source is absent, null or ""
    kNeg, kAdd, kSub, kMul, kDiv,  // kDiv: to n places (half-up)
    kRound,        // to n places, half-up
    kEq, kNe, kLt, kLe, kGt, kGe,
    kNot,
    kJumpIfFalse,  // pops a boolean; false: jump to n
    kJump,         // jump to n
    kAndJump,      // top false: keep it and jump to n; else pop
    kOrJump,       // top true: keep it and jump to n; else pop
    kCheckBool,    // top must be a boolean (the right side of and/or)
    kCall,         // fn over the top n values; a, b: substr's start and length (-1: to the end)
  } type;
  Decimal constant;
  Source source;
  int n = 0;
  std::string text;
  ExprFn fn = ExprFn::kLen;
  int a = 0, b = -1;
};
// Places a bare `a / b` is divided to; round(a / b, n) divides to n places directly.
constexpr int kDivisionScale = 10;
struct Expr {
  std::vector<ExprOp> ops;
  std::string text;
  // when/where: absent fields give absent values (comparisons with them are false) instead of
  // field errors, and the right side of a comparison is a literal.
  bool condition = false;
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
  kLookup,      // ID cross-reference (XrefResolver)
  kTemplate,    // text with {path} placeholders (Rule::tmpl)
};

// One piece of a `template:` text, parsed at load: literal text, or a placeholder's source.
struct TemplatePart {
  std::string text;            // literal ({{ and }} already unescaped)
  std::optional<Source> field;  // a placeholder: read and written as text
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
  // lookup
  std::string entity, system;
  enum class OnMissing : uint8_t { kError, kKeep, kNull } on_missing = OnMissing::kError;
  bool to_local = false;  // reverse: remote id -> local id
  // when / otherwise
  std::optional<Expr> when;
  std::optional<Literal> otherwise;
  // concat
  std::vector<Source> parts;
  std::string separator;
  // expr
  Expr expr;
  // template
  std::vector<TemplatePart> tmpl;
  bool tmpl_missing_empty = false;  // missing: empty — an absent placeholder writes ""
  // each
  bool is_each = false;
  Source each;
  std::optional<Expr> where;
  std::vector<Rule> rules;

  // Speed-ups computed at load (markFreshTargets, loader.cpp):
  // no earlier rule of the same list writes this target or a path through it, so writing it
  // can skip looking for an existing member.
  bool fresh_target = false;
  // A plain rename (one `from`, no const, conversion, text transform or unwrap): copied node
  // to node when the value is there.
  bool direct_copy = false;
  // Same number = same target container path (all steps but the last), so that consecutive
  // writes into data.Model.* find their container by one compare; 0 = not numbered.
  uint32_t container_id = 0;
  uint32_t container_size = 0;  // rules of the list writing into that container (a capacity)
  // date: parse yyyy-MM-dd, format = the same date + date_suffix (" 00:00:00"): a valid
  // yyyy-MM-dd text is copied with the suffix, without parsing and formatting.
  bool date_fast = false;
  std::string date_suffix;

  // Where it came from, for errors.
  std::string position;  // "file:line:col rules[3]"
  std::string label;     // "rules[3]"
};

struct FastProgram;  // fast.h

struct PlanData {
  std::string name;
  std::string file;
  std::optional<Path> key;
  std::vector<Rule> forward;
  std::vector<Rule> reverse;
  std::vector<std::string> non_invertible;
  std::vector<std::string> warnings;
  // The rule lists compiled for the fast path (fast.h); null when a list does not qualify.
  std::shared_ptr<const FastProgram> fast_forward, fast_reverse;
};

// Sets Rule::fresh_target through a rule list and the lists of its `each` rules.
// Also numbers the target containers (Rule::container_id) through containers.
void markFreshTargets(std::vector<Rule>& rules,
                      std::unordered_map<std::string, uint32_t>& containers);

// Derives the reverse rule of r into out; returns "" or why it cannot be inverted.
std::string invertRule(const Rule& r, Rule& out);

// Compiles an expression (expr.cpp); condition = for when/where. The error message says
// "bad expression '<text>' at column <n>: <why>".
Result<Expr> compileExpr(std::string_view text, bool condition = false);

// Parses a `template:` text (template.cpp): `{path}` placeholders (from-path syntax, `^x` for
// the enclosing record), `{{` and `}}` for braces. The error says "bad template at [line <l>, ]
// column <c> (code points): <why>", naming the placeholder.
constexpr size_t kTemplateMaxBytes = 16384;
Result<std::vector<TemplatePart>> compileTemplate(std::string_view text);

}  // namespace qiao::mapping::detail
