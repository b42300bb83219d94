// Internal: runs a compiled expression (plan.h ExprOp). Inline, with the operand reader as a
// template parameter: it runs once per line of every order, so no std::function call.
#pragma once

#include <string>
#include <vector>

#include "plan.h"

namespace qiao::mapping::detail {

// One slot of the expression stack: a decimal or (from a comparison) a boolean.
struct ExprNum {
  Decimal d;
  bool is_bool = false, flag = false;
};

// load(const Source&, Decimal&) reads an operand and returns false after reporting why.
// Returns false with why set (type error, overflow, division by zero) or, when load failed,
// with why empty. st is the caller's reusable stack.
template <class Load>
bool evalExpr(const Expr& e, std::vector<ExprNum>& st, Load&& load, std::string& why,
              ExprNum& result) {
  st.clear();
  const auto& ops = e.ops;
  for (size_t pc = 0; pc < ops.size(); ++pc) {
    const ExprOp& op = ops[pc];
    switch (op.type) {
      case ExprOp::kPush: st.push_back({op.constant}); continue;
      case ExprOp::kLoad: {
        Decimal d;
        if (!load(op.source, d)) return false;
        st.push_back({d});
        continue;
      }
      case ExprOp::kJump: pc = static_cast<size_t>(op.digits) - 1; continue;
      case ExprOp::kJumpIfFalse: {
        ExprNum c = st.back();
        st.pop_back();
        if (!c.is_bool) return why = "the condition of if() is not a comparison", false;
        if (!c.flag) pc = static_cast<size_t>(op.digits) - 1;
        continue;
      }
      case ExprOp::kRound:
        if (st.back().is_bool) return why = "cannot round a comparison", false;
        st.back().d = st.back().d.round(op.digits, RoundingMode::kHalfUp);
        continue;
      default: break;
    }
    ExprNum b = st.back();
    st.pop_back();
    ExprNum& a = st.back();
    if (op.type >= ExprOp::kEq) {  // comparisons
      if (a.is_bool != b.is_bool || (a.is_bool && op.type != ExprOp::kEq && op.type != ExprOp::kNe))
        return why = "cannot compare a comparison with a number", false;
      int c = a.is_bool ? (a.flag != b.flag) : Decimal::compare(a.d, b.d);
      bool t = op.type == ExprOp::kEq   ? c == 0
               : op.type == ExprOp::kNe ? c != 0
               : op.type == ExprOp::kLt ? c < 0
               : op.type == ExprOp::kLe ? c <= 0
               : op.type == ExprOp::kGt ? c > 0
                                        : c >= 0;
      a = ExprNum{Decimal(), true, t};
      continue;
    }
    if (a.is_bool || b.is_bool) return why = "arithmetic on a comparison", false;
    auto res = op.type == ExprOp::kAdd   ? a.d.checkedAdd(b.d)
               : op.type == ExprOp::kSub ? a.d.checkedSub(b.d)
               : op.type == ExprOp::kMul ? a.d.checkedMul(b.d)
                                         : a.d.divide(b.d, op.digits, RoundingMode::kHalfUp);
    if (!res.ok()) return why = res.error().message, false;
    a.d = *res;
  }
  result = st.back();
  return true;
}

}  // namespace qiao::mapping::detail
