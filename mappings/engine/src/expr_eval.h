// Internal: runs a compiled expression (plan.h ExprOp). Inline, with the environment as a
// template parameter: it runs once per line of every order, so no std::function call.
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "plan.h"
#include "text_ops.h"

namespace qiao::mapping::detail {

// One slot of the expression stack.
struct ExprVal {
  enum K : uint8_t { kMissing, kBool, kNum, kStr, kOther } k = kMissing;
  bool flag = false;
  bool has_d = false;  // d holds the number (constants, results; read numbers once parsed)
  Decimal d;
  // kStr: the text. kNum: the JSON number text when read or written as a literal ("" when
  // computed). A view of the record, the plan or ExprScratch::texts: no copy per read.
  std::string_view text;
  const Source* from = nullptr;  // the field it was read from: errors name it
};

// An evaluation's working memory, reused from record to record.
struct ExprScratch {
  std::vector<ExprVal> stack;
  std::deque<std::string> texts;  // texts computed by functions (stable addresses)
  std::string_view keep(std::string s) { return texts.emplace_back(std::move(s)); }
};

// The value as a decimal: numbers exactly, strings leniently ("¥1,234.50"); false otherwise.
inline bool exprDecimal(ExprVal& v, Decimal& out) {
  if (v.k == ExprVal::kNum && v.has_d) return out = v.d, true;
  if (v.k != ExprVal::kNum && v.k != ExprVal::kStr) return false;
  // Strings are mostly plain decimals ("498.99"): the strict reader first, it is quicker.
  auto r = Decimal::fromText(v.text);
  if (!r.ok() && v.k == ExprVal::kStr) r = Decimal::parse(v.text);
  if (!r.ok()) return false;
  out = *r;
  if (v.k == ExprVal::kNum) v.d = out, v.has_d = true;
  return true;
}

// The value as text for the string functions: a number as written, or its shortest form.
inline std::string exprText(const ExprVal& v) {
  if (v.k == ExprVal::kNum && v.text.empty()) return v.d.normalized().toString();
  if (v.k == ExprVal::kBool) return v.flag ? "true" : "false";
  return std::string(v.text);
}

inline void asciiCase(std::string& s, bool upper) {
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
}

inline std::string asciiTrim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

// env.read(const Source&, ExprVal&) reads a field (kMissing when absent or null; its text a
// view that stays valid during the evaluation); env.fieldError(const Source&, const ExprVal&,
// std::string) reports a field error about it. Returns false with why set (type error,
// overflow, division by zero) or, when env reported the error itself, with why empty. result's
// text may view scratch: use it before the next evaluation.
template <class Env>
bool evalExpr(const Expr& e, ExprScratch& scratch, Env& env, std::string& why, ExprVal& result) {
  std::vector<ExprVal>& st = scratch.stack;
  st.clear();
  scratch.texts.clear();
  const auto& ops = e.ops;
  // Operand as a decimal for arithmetic; reports which field is not one.
  auto number = [&](ExprVal& v, Decimal& d) {
    if (v.k == ExprVal::kBool) return why = "arithmetic on a comparison", false;
    if (exprDecimal(v, d)) return true;
    if (v.from) return env.fieldError(*v.from, v, "is not a decimal number"), false;
    return why = "'" + exprText(v) + "' is not a decimal number", false;
  };
  auto boolean = [&](const ExprVal& v, const char* what) {
    if (v.k == ExprVal::kBool) return true;
    return why = std::string(what) + " needs a condition, not a value", false;
  };
  for (size_t pc = 0; pc < ops.size(); ++pc) {
    const ExprOp& op = ops[pc];
    switch (op.type) {
      case ExprOp::kPushNum: {
        ExprVal& v = st.emplace_back();
        v.k = ExprVal::kNum, v.has_d = true, v.d = op.constant, v.text = op.text;
        continue;
      }
      case ExprOp::kPushText: {
        ExprVal& v = st.emplace_back();
        v.k = ExprVal::kStr, v.text = op.text;
        continue;
      }
      case ExprOp::kLoad: {
        ExprVal& v = st.emplace_back();
        env.read(op.source, v);
        v.from = &op.source;
        if (v.k == ExprVal::kMissing && !e.condition)
          return env.fieldError(op.source, v, "is absent"), false;
        continue;
      }
      case ExprOp::kPresent:
      case ExprOp::kEmpty: {
        ExprVal v;
        env.read(op.source, v);
        bool t = op.type == ExprOp::kPresent
                     ? v.k != ExprVal::kMissing
                     : v.k == ExprVal::kMissing || (v.k == ExprVal::kStr && v.text.empty());
        ExprVal& r = st.emplace_back();
        r.k = ExprVal::kBool, r.flag = t;
        continue;
      }
      case ExprOp::kJump: pc = static_cast<size_t>(op.n) - 1; continue;
      case ExprOp::kJumpIfFalse: {
        if (st.back().k != ExprVal::kBool)
          return why = "the condition of if() is not a comparison", false;
        bool t = st.back().flag;
        st.pop_back();
        if (!t) pc = static_cast<size_t>(op.n) - 1;
        continue;
      }
      case ExprOp::kAndJump:
      case ExprOp::kOrJump: {
        if (!boolean(st.back(), op.type == ExprOp::kAndJump ? "and" : "or")) return false;
        if (st.back().flag == (op.type == ExprOp::kOrJump)) pc = static_cast<size_t>(op.n) - 1;
        else st.pop_back();
        continue;
      }
      case ExprOp::kCheckBool:
        if (!boolean(st.back(), "and/or")) return false;
        continue;
      case ExprOp::kNot:
        if (!boolean(st.back(), "not")) return false;
        st.back().flag = !st.back().flag;
        continue;
      case ExprOp::kNeg:
      case ExprOp::kRound: {
        ExprVal& a = st.back();
        if (a.k == ExprVal::kMissing) continue;
        if (a.k == ExprVal::kBool && op.type == ExprOp::kRound)
          return why = "cannot round a comparison", false;
        Decimal d;
        if (!number(a, d)) return false;
        if (op.type == ExprOp::kNeg) {
          auto r = Decimal().checkedSub(d);
          if (!r.ok()) return why = r.error().message, false;
          d = *r;
        } else {
          d = d.round(op.n, RoundingMode::kHalfUp);
        }
        a = ExprVal{};
        a.k = ExprVal::kNum, a.has_d = true, a.d = d;
        continue;
      }
      case ExprOp::kCall: {
        const size_t base = st.size() - static_cast<size_t>(op.n);
        const bool predicate = op.fn == ExprFn::kContains || op.fn == ExprFn::kStartsWith ||
                               op.fn == ExprFn::kEndsWith;
        ExprVal r;
        bool missing = false;
        for (size_t k = base; k < st.size(); ++k) {
          if (st[k].k == ExprVal::kMissing) missing = true;
          else if (st[k].k == ExprVal::kBool || st[k].k == ExprVal::kOther)
            return why = st[k].k == ExprVal::kBool ? "a text function got a comparison"
                                                   : "a text function got an object or list",
                   false;
        }
        if (missing) {
          if (predicate) r.k = ExprVal::kBool;  // false
        } else if (predicate) {
          std::string a = exprText(st[base]), b = exprText(st[base + 1]);  // numbers: as text
          r.k = ExprVal::kBool;
          r.flag = op.fn == ExprFn::kContains     ? a.find(b) != std::string::npos
                   : op.fn == ExprFn::kStartsWith ? a.compare(0, b.size(), b) == 0
                                                  : a.size() >= b.size() &&
                                                        a.compare(a.size() - b.size(), b.size(),
                                                                  b) == 0;
        } else if (op.fn == ExprFn::kLen) {
          std::string a = exprText(st[base]);
          int64_t n = 0;
          for (unsigned char c : a) n += (c & 0xC0) != 0x80;  // code points
          r.k = ExprVal::kNum, r.has_d = true, r.d = Decimal::fromInt(n);
        } else {
          r.k = ExprVal::kStr;
          std::string t;
          if (op.fn == ExprFn::kConcat)
            for (size_t k = base; k < st.size(); ++k) t += exprText(st[k]);
          else t = exprText(st[base]);
          if (op.fn == ExprFn::kUpper || op.fn == ExprFn::kLower)
            asciiCase(t, op.fn == ExprFn::kUpper);
          if (op.fn == ExprFn::kTrim) t = asciiTrim(t);
          if (op.fn == ExprFn::kSubstr) t = substringCodePoints(t, op.a, op.b);
          r.text = scratch.keep(std::move(t));
        }
        st.resize(base);
        st.push_back(std::move(r));
        continue;
      }
      default: break;
    }
    ExprVal b = st.back();
    st.pop_back();
    ExprVal& a = st.back();
    if (op.type >= ExprOp::kEq && op.type <= ExprOp::kGe) {  // comparisons
      bool t = false;
      if (a.k == ExprVal::kBool || b.k == ExprVal::kBool) {
        if (a.k != b.k || (op.type != ExprOp::kEq && op.type != ExprOp::kNe))
          return why = "cannot compare a comparison with a number", false;
        t = (a.flag == b.flag) == (op.type == ExprOp::kEq);
      } else if (a.k != ExprVal::kMissing && b.k != ExprVal::kMissing && a.k != ExprVal::kOther &&
                 b.k != ExprVal::kOther) {
        // Decimals compare by value ("1.50" == 1.5); anything else as text, byte by byte.
        Decimal x, y;
        int c;
        if (exprDecimal(a, x) && exprDecimal(b, y)) c = Decimal::compare(x, y);
        else if (a.k == ExprVal::kStr && b.k == ExprVal::kStr)
          c = a.text.compare(b.text), c = c < 0 ? -1 : c > 0;
        else c = exprText(a).compare(exprText(b)), c = c < 0 ? -1 : c > 0;
        t = op.type == ExprOp::kEq   ? c == 0
            : op.type == ExprOp::kNe ? c != 0
            : op.type == ExprOp::kLt ? c < 0
            : op.type == ExprOp::kLe ? c <= 0
            : op.type == ExprOp::kGt ? c > 0
                                     : c >= 0;
      }  // an absent side (when/where): every comparison is false, != included
      a = ExprVal{};
      a.k = ExprVal::kBool, a.flag = t;
      continue;
    }
    if (a.k == ExprVal::kBool || b.k == ExprVal::kBool)
      return why = "arithmetic on a comparison", false;
    if (a.k == ExprVal::kMissing || b.k == ExprVal::kMissing) {  // when/where: stays absent
      a = ExprVal{};
      continue;
    }
    Decimal x, y;
    if (!number(a, x) || !number(b, y)) return false;
    auto res = op.type == ExprOp::kAdd   ? x.checkedAdd(y)
               : op.type == ExprOp::kSub ? x.checkedSub(y)
               : op.type == ExprOp::kMul ? x.checkedMul(y)
                                         : x.divide(y, op.n, RoundingMode::kHalfUp);
    if (!res.ok()) return why = res.error().message, false;
    a = ExprVal{};
    a.k = ExprVal::kNum, a.has_d = true, a.d = *res;
  }
  result = st.back();
  return true;
}

}  // namespace qiao::mapping::detail
