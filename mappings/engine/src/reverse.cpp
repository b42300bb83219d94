// Reverse rules derived from forward ones, and the tiny expression compiler.
#include <cctype>

#include "plan.h"

namespace qiao::mapping::detail {

std::string invertRule(const Rule& r, Rule& out) {
  if (r.conv == Conv::kConcat) return "concat";
  if (r.conv == Conv::kExpr) return "expr";
  if (r.when) return "when";
  if (r.conv == Conv::kSplit) return "split";
  if (r.conv == Conv::kSubstring) return "substring";
  if (r.conv == Conv::kRegex) return "regex";
  if ((r.trim || r.upper || r.lower || r.halfwidth) && !r.lossless) return "a text transform";
  if (r.from.empty() && !r.is_each) return "a rule without 'from'";
  out.label = r.label + ".reverse";
  out.position = r.position + " (reverse)";
  // The reverse writes the first source that belongs to the record itself.
  const Source* dst = nullptr;
  for (const auto& s : r.from)
    if (!s.parent) {
      dst = &s;
      break;
    }
  if (r.is_each) dst = &r.each;
  if (!dst || dst->parent) return "a rule reading only the enclosing record";
  if (dst->path.hasWildcard()) return "a wildcard source";
  out.to = dst->path;
  out.to_text = dst->text;
  Source src;
  src.path = r.to;
  src.text = r.to_text;
  out.from.push_back(std::move(src));
  out.unwrap_ref = r.wrap_ref;
  out.required = r.required;
  if (r.is_each) {
    if (r.where) return "each with where";
    out.is_each = true;
    out.each = out.from.front();
    out.from.clear();
    return "";  // inner rules are derived by the loader
  }
  switch (r.conv) {
    case Conv::kNone:
      break;
    case Conv::kMap: {
      if (!r.table) return "map";
      auto inv = std::make_shared<Table>();
      for (const auto& [k, v] : *r.table)
        if (!inv->emplace(v, k).second) return "map (table '" + r.table_name + "' is not one-to-one)";
      out.conv = Conv::kMap;
      out.table = std::move(inv);
      out.table_name = r.table_name + " (inverse)";
      out.strict = r.strict;
      break;
    }
    case Conv::kDecimal:
      if (r.scale >= 0) return "decimal with scale (rounding may drop digits)";
      out.conv = Conv::kDecimal;
      out.as_string = true;  // canonical records keep decimals as strings
      break;
    case Conv::kNumber:
      out.conv = Conv::kString;
      break;
    case Conv::kString:
      out.conv = Conv::kNumber;
      break;
    case Conv::kBool:
      if (!r.false_text) return "bool without 'false:'";
      out.conv = Conv::kBoolToText;
      out.true_text = r.true_text;
      out.false_text = r.false_text;
      break;
    case Conv::kDate:
      if (r.date_parse != Rule::DateParse::kPattern) return "date with parse: auto/excel";
      out.conv = Conv::kDate;
      out.date_parse = Rule::DateParse::kPattern;
      out.parse_pattern = r.format_pattern;
      out.format_pattern = r.parse_pattern;
      out.zone = r.zone;
      break;
    default:
      return "this rule";
  }
  return "";
}

namespace {

// Recursive descent: cmp := sum (('=='|'!='|'<'|'<='|'>'|'>=') sum)?;
// sum := prod (('+'|'-') prod)*; prod := atom (('*'|'/') atom)*; atom := number | path |
// round '(' cmp ',' int ')' | if '(' cmp ',' cmp ',' cmp ')' | '(' cmp ')'.
class ExprParser {
 public:
  explicit ExprParser(std::string_view t) : t_(t) {}

  Result<Expr> run() {
    Expr e;
    e.text = std::string(t_);
    if (!cmp(e)) return err();
    skip();
    if (i_ != t_.size()) return fail("unexpected '" + std::string(1, t_[i_]) + "'"), err();
    return e;
  }

 private:
  Error err() const {
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "bad expression '" + std::string(t_) + "' at column " +
                                std::to_string(at_ + 1) + ": " + why_);
  }
  bool fail(std::string why) {
    if (why_.empty()) why_ = std::move(why), at_ = i_;
    return false;
  }
  void skip() {
    while (i_ < t_.size() && t_[i_] == ' ') ++i_;
  }
  bool cmp(Expr& e) {
    if (!sum(e)) return false;
    skip();
    static const std::pair<std::string_view, ExprOp::Type> kOps[] = {
        {"==", ExprOp::kEq}, {"!=", ExprOp::kNe}, {"<=", ExprOp::kLe},
        {">=", ExprOp::kGe}, {"<", ExprOp::kLt},  {">", ExprOp::kGt}};
    for (auto [text, type] : kOps) {
      if (t_.substr(i_, text.size()) != text) continue;
      i_ += text.size();
      if (!sum(e)) return false;
      e.ops.push_back({type, {}, {}, 0});
      return true;
    }
    return true;
  }
  bool sum(Expr& e) {
    if (!prod(e)) return false;
    for (;;) {
      skip();
      if (i_ >= t_.size() || (t_[i_] != '+' && t_[i_] != '-')) return true;
      char op = t_[i_++];
      if (!prod(e)) return false;
      e.ops.push_back({op == '+' ? ExprOp::kAdd : ExprOp::kSub, {}, {}, 0});
    }
  }
  bool prod(Expr& e) {
    if (!atom(e)) return false;
    for (;;) {
      skip();
      if (i_ >= t_.size() || (t_[i_] != '*' && t_[i_] != '/')) return true;
      char op = t_[i_++];
      if (!atom(e)) return false;
      if (op == '*') e.ops.push_back({ExprOp::kMul, {}, {}, 0});
      else e.ops.push_back({ExprOp::kDiv, {}, {}, kDivisionScale});
    }
  }
  static bool identChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '^';
  }
  bool atom(Expr& e) {
    skip();
    if (i_ >= t_.size()) return fail("expression ends too early");
    char c = t_[i_];
    if (c == '(') {
      ++i_;
      if (!cmp(e)) return false;
      skip();
      if (i_ >= t_.size() || t_[i_] != ')') return fail("expected ')'");
      ++i_;
      return true;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t s = i_;
      while (i_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[i_])) || t_[i_] == '.')) ++i_;
      auto d = Decimal::fromText(t_.substr(s, i_ - s));
      if (!d.ok()) return i_ = s, fail("bad number");
      e.ops.push_back({ExprOp::kPush, *d, {}, 0});
      return true;
    }
    if (!identChar(c)) return fail("unexpected '" + std::string(1, c) + "'");
    size_t s = i_;
    while (i_ < t_.size() && identChar(t_[i_])) ++i_;
    std::string_view name = t_.substr(s, i_ - s);
    skip();
    if (i_ < t_.size() && t_[i_] == '(') {
      if (name == "if") return ++i_, ifCall(e);
      if (name != "round")
        return i_ = s, fail("unknown function '" + std::string(name) + "' (round, if)");
      ++i_;
      if (!cmp(e)) return false;
      skip();
      if (i_ >= t_.size() || t_[i_] != ',') return fail("round needs 2 arguments");
      ++i_;
      skip();
      size_t ds = i_;
      while (i_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[i_]))) ++i_;
      if (ds == i_ || i_ - ds > 2) return fail("round's digits must be an integer 0..38");
      int digits = std::stoi(std::string(t_.substr(ds, i_ - ds)));
      if (digits > Decimal::kMaxScale) return fail("round's digits must be an integer 0..38");
      skip();
      if (i_ >= t_.size() || t_[i_] != ')') return fail("expected ')'");
      ++i_;
      // round(a / b, n): divide straight to n places (one rounding, not two).
      if (e.ops.back().type == ExprOp::kDiv) e.ops.back().digits = digits;
      e.ops.push_back({ExprOp::kRound, {}, {}, digits});
      return true;
    }
    Source src;
    src.text = std::string(name);
    if (name[0] == '^') src.parent = true, name.remove_prefix(1);
    auto p = Path::compile(name);
    if (!p.ok()) return i_ = s, fail("bad path '" + src.text + "'");
    src.path = std::move(p).value();
    e.ops.push_back({ExprOp::kLoad, {}, std::move(src), 0});
    return true;
  }

  // After "if(": cond, jump-if-false to the else branch, then-branch, jump to the end, else.
  bool ifCall(Expr& e) {
    auto comma = [&] {
      skip();
      if (i_ >= t_.size() || t_[i_] != ',') return fail("if needs 3 arguments");
      return ++i_, true;
    };
    if (!cmp(e)) return false;
    size_t to_else = e.ops.size();
    e.ops.push_back({ExprOp::kJumpIfFalse, {}, {}, 0});
    if (!comma() || !cmp(e)) return false;
    size_t to_end = e.ops.size();
    e.ops.push_back({ExprOp::kJump, {}, {}, 0});
    e.ops[to_else].digits = static_cast<int>(e.ops.size());
    if (!comma() || !cmp(e)) return false;
    e.ops[to_end].digits = static_cast<int>(e.ops.size());
    skip();
    if (i_ >= t_.size() || t_[i_] != ')') return fail("expected ')'");
    ++i_;
    return true;
  }

  std::string_view t_;
  size_t i_ = 0;
  size_t at_ = 0;
  std::string why_;
};

}  // namespace

Result<Expr> compileExpr(std::string_view text) { return ExprParser(text).run(); }

}  // namespace qiao::mapping::detail
