// The expression compiler of `expr`, `when` and `where` (docs/mapping.md#expressions): recursive
// descent to the postfix program of plan.h, with a light type check so that `when: "qty"` or
// `a and 1` fail at load instead of on every record.
#include <cctype>

#include "plan.h"

namespace qiao::mapping::detail {
namespace {

// What a subexpression yields, as far as the parser can tell.
enum class Type : uint8_t { kBool, kValue, kAny };

constexpr const char* kFunctions =
    "round, if, present, empty, len, upper, lower, trim, contains, startsWith, endsWith, concat, "
    "substr";
constexpr size_t kMaxDepth = 64;  // nesting; keeps the recursion off the stack's end

struct FnInfo {
  std::string_view name;
  ExprFn fn;
  int min_args, max_args;
  Type result;
};
constexpr FnInfo kStringFns[] = {
    {"len", ExprFn::kLen, 1, 1, Type::kValue},
    {"upper", ExprFn::kUpper, 1, 1, Type::kValue},
    {"lower", ExprFn::kLower, 1, 1, Type::kValue},
    {"trim", ExprFn::kTrim, 1, 1, Type::kValue},
    {"contains", ExprFn::kContains, 2, 2, Type::kBool},
    {"startsWith", ExprFn::kStartsWith, 2, 2, Type::kBool},
    {"endsWith", ExprFn::kEndsWith, 2, 2, Type::kBool},
    {"concat", ExprFn::kConcat, 1, 16, Type::kValue},
};

// or := and (('or' | '||') and)*;  and := not (('and' | '&&') not)*;
// not := ('not' | '!') not | cmp;  cmp := sum (('==' | '!=' | '<' | '<=' | '>' | '>=') sum)?;
// sum := prod (('+' | '-') prod)*;  prod := unary (('*' | '/') unary)*;  unary := '-' unary | atom;
// atom := number | 'text' | "text" | path | name '(' args ')' | '(' or ')'.
class ExprParser {
 public:
  ExprParser(std::string_view t, bool condition) : t_(t) { e_.condition = condition; }

  Result<Expr> run() {
    e_.text = std::string(t_);
    Type type;
    if (!orExpr(type)) return err();
    skip();
    if (i_ != t_.size()) return fail("unexpected '" + std::string(1, t_[i_]) + "'"), err();
    if (e_.condition && type == Type::kValue)
      return at_ = 0,
             why_ = "a condition must compare (== != < <= > >=), test (present, empty, contains, "
                    "startsWith, endsWith) or combine them (and, or, not)",
             err();
    return std::move(e_);
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
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\n')) ++i_;
  }
  size_t emit(ExprOp::Type type, int n = 0) {
    ExprOp op{type, {}, {}, n, {}, ExprFn::kLen, 0, -1};
    e_.ops.push_back(std::move(op));
    return e_.ops.size() - 1;
  }
  static bool identChar(char c) {
    // UTF-8 bytes too: Chinese field names (客户编码) are paths.
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '^' ||
           c == '$' || c == '[' || c == ']' || static_cast<unsigned char>(c) >= 0x80;
  }
  // The word keyword at i_ (not part of a longer name)?
  bool keyword(std::string_view kw) const {
    if (t_.substr(i_, kw.size()) != kw) return false;
    size_t e = i_ + kw.size();
    return e >= t_.size() || !identChar(t_[e]);
  }
  bool symbol(std::string_view s) const { return t_.substr(i_, s.size()) == s; }
  bool needBool(Type t, const char* what) {
    if (t == Type::kValue) return fail(std::string(what) + " needs a condition, not a value");
    return true;
  }
  struct Depth {
    explicit Depth(size_t& d) : d_(d) { ++d_; }
    ~Depth() { --d_; }
    size_t& d_;
  };

  bool orExpr(Type& type) {
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return fail("nested too deeply");
    if (!andExpr(type)) return false;
    std::vector<size_t> jumps;
    for (;;) {
      skip();
      size_t len = keyword("or") ? 2 : symbol("||") ? 2 : 0;
      if (!len) break;
      if (!needBool(type, "or")) return false;
      i_ += len;
      jumps.push_back(emit(ExprOp::kOrJump));
      Type right;
      if (!andExpr(right) || !needBool(right, "or")) return false;
      emit(ExprOp::kCheckBool);
      type = Type::kBool;
    }
    for (size_t j : jumps) e_.ops[j].n = static_cast<int>(e_.ops.size());
    return true;
  }
  bool andExpr(Type& type) {
    if (!notExpr(type)) return false;
    std::vector<size_t> jumps;
    for (;;) {
      skip();
      size_t len = keyword("and") ? 3 : symbol("&&") ? 2 : 0;
      if (!len) break;
      if (!needBool(type, "and")) return false;
      i_ += len;
      jumps.push_back(emit(ExprOp::kAndJump));
      Type right;
      if (!notExpr(right) || !needBool(right, "and")) return false;
      emit(ExprOp::kCheckBool);
      type = Type::kBool;
    }
    for (size_t j : jumps) e_.ops[j].n = static_cast<int>(e_.ops.size());
    return true;
  }
  bool notExpr(Type& type) {
    skip();
    size_t len = keyword("not") ? 3 : (symbol("!") && !symbol("!=")) ? 1 : 0;
    if (!len) return cmp(type);
    i_ += len;
    Depth guard(depth_);
    if (depth_ > kMaxDepth) return fail("nested too deeply");
    if (!notExpr(type) || !needBool(type, "not")) return false;
    emit(ExprOp::kNot);
    type = Type::kBool;
    return true;
  }
  bool cmp(Type& type) {
    if (!sum(type)) return false;
    skip();
    static const std::pair<std::string_view, ExprOp::Type> kOps[] = {
        {"==", ExprOp::kEq}, {"!=", ExprOp::kNe}, {"<=", ExprOp::kLe},
        {">=", ExprOp::kGe}, {"<", ExprOp::kLt},  {">", ExprOp::kGt}};
    for (auto [text, op] : kOps) {
      if (!symbol(text)) continue;
      i_ += text.size();
      Type right;
      if (e_.condition ? !literalSide(right) : !sum(right)) return false;
      emit(op);
      type = Type::kBool;
      skip();
      for (auto [t2, op2] : kOps)
        if (symbol(t2)) return fail("one comparison at a time: add parentheses");
      return true;
    }
    return true;
  }
  // In when/where the right side of a comparison is a literal: a bare word up to a space, ','
  // or ')' (`grade == A`, `date >= 2026-01-01`), a quoted text, or - to compare with a field - a
  // `$.path` or a function call.
  bool literalSide(Type& type) {
    skip();
    if (i_ >= t_.size()) return fail("expected a value to compare with");
    char c = t_[i_];
    if (c == '\'' || c == '"' || c == '(' || symbol("$.")) return sum(type);
    size_t s = i_;
    auto ends = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == ')' || c == ',' || c == '('; };
    while (i_ < t_.size() && !ends(t_[i_])) ++i_;
    if (i_ < t_.size() && t_[i_] == '(') return i_ = s, sum(type);  // a function call
    if (s == i_) return fail("expected a value to compare with");
    size_t op = emit(ExprOp::kPushText);
    e_.ops[op].text = std::string(t_.substr(s, i_ - s));
    type = Type::kValue;
    return true;
  }
  bool sum(Type& type) {
    if (!prod(type)) return false;
    for (;;) {
      skip();
      if (i_ >= t_.size() || (t_[i_] != '+' && t_[i_] != '-')) return true;
      char op = t_[i_++];
      Type right;
      if (!prod(right)) return false;
      emit(op == '+' ? ExprOp::kAdd : ExprOp::kSub);
      type = Type::kValue;
    }
  }
  bool prod(Type& type) {
    if (!unary(type)) return false;
    for (;;) {
      skip();
      if (i_ >= t_.size() || (t_[i_] != '*' && t_[i_] != '/')) return true;
      char op = t_[i_++];
      Type right;
      if (!unary(right)) return false;
      emit(op == '*' ? ExprOp::kMul : ExprOp::kDiv, op == '*' ? 0 : kDivisionScale);
      type = Type::kValue;
    }
  }
  bool unary(Type& type) {
    skip();
    if (i_ < t_.size() && t_[i_] == '-') {
      ++i_;
      Depth guard(depth_);
      if (depth_ > kMaxDepth) return fail("nested too deeply");
      if (!unary(type)) return false;
      emit(ExprOp::kNeg);
      type = Type::kValue;
      return true;
    }
    return atom(type);
  }
  bool quoted(std::string& out) {
    char q = t_[i_++];
    while (i_ < t_.size() && t_[i_] != q) {
      if (t_[i_] == '\\' && i_ + 1 < t_.size()) ++i_;  // a backslash escapes the next character
      out += t_[i_++];
    }
    if (i_ >= t_.size()) return fail("unterminated text");
    ++i_;
    return true;
  }
  bool atom(Type& type) {
    skip();
    if (i_ >= t_.size()) return fail("expression ends too early");
    char c = t_[i_];
    type = Type::kValue;
    if (c == '(') {
      ++i_;
      if (!orExpr(type)) return false;
      skip();
      if (i_ >= t_.size() || t_[i_] != ')') return fail("expected ')'");
      ++i_;
      return true;
    }
    if (c == '\'' || c == '"') {
      size_t op = emit(ExprOp::kPushText);
      std::string text;
      if (!quoted(text)) return false;
      e_.ops[op].text = std::move(text);
      return true;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t s = i_;
      while (i_ < t_.size() && (std::isdigit(static_cast<unsigned char>(t_[i_])) || t_[i_] == '.')) ++i_;
      auto d = Decimal::fromText(t_.substr(s, i_ - s));
      if (!d.ok()) return i_ = s, fail("bad number");
      size_t op = emit(ExprOp::kPushNum);
      e_.ops[op].constant = *d;
      e_.ops[op].text = std::string(t_.substr(s, i_ - s));
      return true;
    }
    if (!identChar(c)) return fail("unexpected '" + std::string(1, c) + "'");
    size_t s = i_;
    while (i_ < t_.size() && identChar(t_[i_])) ++i_;
    std::string_view name = t_.substr(s, i_ - s);
    for (std::string_view kw : {"and", "or", "not"})
      if (name == kw) return i_ = s, fail(std::string(kw).append(" needs a condition before it"));
    skip();
    if (i_ < t_.size() && t_[i_] == '(') {
      ++i_;
      Depth guard(depth_);
      if (depth_ > kMaxDepth) return fail("nested too deeply");
      return call(name, s, type);
    }
    i_ = s + name.size();
    Source src;
    if (!path(name, s, src)) return false;
    size_t op = emit(ExprOp::kLoad);
    e_.ops[op].source = std::move(src);
    return true;
  }
  bool path(std::string_view name, size_t s, Source& src) {
    src.text = std::string(name);
    if (name[0] == '^') src.parent = true, name.remove_prefix(1);
    auto p = Path::compile(name);
    if (name.empty() || !p.ok()) return i_ = s, fail("bad path '" + src.text + "'");
    src.path = std::move(p).value();
    return true;
  }
  bool comma(std::string_view fn, const char* count) {
    skip();
    if (i_ >= t_.size() || t_[i_] != ',') return fail(std::string(fn) + " needs " + count);
    return ++i_, true;
  }
  bool close() {
    skip();
    if (i_ >= t_.size() || t_[i_] != ')') return fail("expected ')'");
    return ++i_, true;
  }
  // A small non-negative integer literal (round's places, substr's bounds).
  bool integer(int max, const std::string& what, int& out) {
    skip();
    size_t ds = i_;
    while (i_ < t_.size() && std::isdigit(static_cast<unsigned char>(t_[i_]))) ++i_;
    if (ds == i_ || i_ - ds > 7) return i_ = ds, fail(what);
    out = std::stoi(std::string(t_.substr(ds, i_ - ds)));
    if (out > max) return i_ = ds, fail(what);
    return true;
  }

  // After "name(": the arguments and the call.
  bool call(std::string_view name, size_t s, Type& type) {
    Type t;
    if (name == "if") return ifCall(type);
    if (name == "round") {
      if (!orExpr(t) || !comma("round", "2 arguments")) return false;
      int digits;
      if (!integer(Decimal::kMaxScale, "round's digits must be an integer 0..38", digits) || !close())
        return false;
      // round(a / b, n): divide straight to n places (one rounding, not two).
      if (e_.ops.back().type == ExprOp::kDiv) e_.ops.back().n = digits;
      emit(ExprOp::kRound, digits);
      type = Type::kValue;
      return true;
    }
    if (name == "present" || name == "empty") {
      skip();
      size_t ps = i_;
      while (i_ < t_.size() && identChar(t_[i_])) ++i_;
      Source src;
      if (ps == i_) return fail(std::string(name) + " needs a field path");
      if (!path(t_.substr(ps, i_ - ps), ps, src) || !close()) return false;
      size_t op = emit(name == "present" ? ExprOp::kPresent : ExprOp::kEmpty);
      e_.ops[op].source = std::move(src);
      type = Type::kBool;
      return true;
    }
    if (name == "substr") {
      int start = 0, length = -1;
      if (!orExpr(t) || !comma("substr", "2 or 3 arguments") ||
          !integer(1 << 20, "substr's start must be an integer 0..1048576", start))
        return false;
      skip();
      if (i_ < t_.size() && t_[i_] == ',') {
        ++i_;
        if (!integer(1 << 20, "substr's length must be an integer 0..1048576", length)) return false;
      }
      if (!close()) return false;
      size_t op = emit(ExprOp::kCall, 1);
      e_.ops[op].fn = ExprFn::kSubstr, e_.ops[op].a = start, e_.ops[op].b = length;
      type = Type::kValue;
      return true;
    }
    for (const FnInfo& f : kStringFns) {
      if (f.name != name) continue;
      int args = 0;
      for (;;) {
        if (!orExpr(t)) return false;
        ++args;
        skip();
        if (i_ < t_.size() && t_[i_] == ',' && args < f.max_args) {
          ++i_;
          continue;
        }
        break;
      }
      if (args < f.min_args)
        return fail(std::string(name) + " needs " + std::to_string(f.min_args) + " arguments");
      if (!close()) return false;
      size_t op = emit(ExprOp::kCall, args);
      e_.ops[op].fn = f.fn;
      type = f.result;
      return true;
    }
    i_ = s;
    return fail("unknown function '" + std::string(name) + "' (" + kFunctions + ")");
  }

  // After "if(": cond, jump-if-false to the else branch, then-branch, jump to the end, else.
  bool ifCall(Type& type) {
    Type c, a, b;
    if (!orExpr(c)) return false;
    size_t to_else = emit(ExprOp::kJumpIfFalse);
    if (!comma("if", "3 arguments") || !orExpr(a)) return false;
    size_t to_end = emit(ExprOp::kJump);
    e_.ops[to_else].n = static_cast<int>(e_.ops.size());
    if (!comma("if", "3 arguments") || !orExpr(b)) return false;
    e_.ops[to_end].n = static_cast<int>(e_.ops.size());
    type = a == b ? a : Type::kAny;
    return close();
  }

  std::string_view t_;
  size_t i_ = 0;
  size_t at_ = 0;
  size_t depth_ = 0;
  std::string why_;
  Expr e_;
};

}  // namespace

Result<Expr> compileExpr(std::string_view text, bool condition) {
  return ExprParser(text, condition).run();
}

}  // namespace qiao::mapping::detail
