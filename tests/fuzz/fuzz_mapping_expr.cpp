// libFuzzer target: the expression language of expr/when/where (mappings/engine/src/expr.cpp)
// on arbitrary bytes, in both modes (expr and condition). Compiling must return a program or
// an error whose column lies inside the text, never crash; a compiled program is run against a
// small order (expr_eval.h) and must end with one value or a message, never crash or overflow.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "expr_eval.h"
#include "plan.h"
#include "qiao/mapping/json.h"

using namespace qiao::mapping;
using namespace qiao::mapping::detail;

namespace {

// Reads fields of one fixed document, like the applier does (null counts as absent).
struct Env {
  Value cur, parent;
  int errors = 0;
  void read(const Source& s, ExprVal& out) {
    Value v = get(s.parent ? parent : cur, s.path);
    if (!v.valid() || v.isNull()) return;
    switch (v.kind()) {
      case Kind::kBool: out.k = ExprVal::kBool, out.flag = v.asBool(); break;
      case Kind::kNumber: out.k = ExprVal::kNum, out.text = v.numberText(); break;
      case Kind::kString: out.k = ExprVal::kStr, out.text = v.asString(); break;
      default: out.k = ExprVal::kOther; break;
    }
  }
  void fieldError(const Source&, const ExprVal&, std::string) { ++errors; }
};

void check(std::string_view text, bool condition, Env& env, ExprScratch& scratch) {
  auto e = compileExpr(text, condition);
  if (!e.ok()) {
    // "bad expression '<text>' at column N: why" with 1 <= N <= size + 1
    const std::string& m = e.error().message;
    size_t at = m.rfind("' at column ");
    if (at == std::string::npos) __builtin_trap();
    long col = std::strtol(m.c_str() + at + 12, nullptr, 10);
    if (col < 1 || static_cast<size_t>(col) > text.size() + 1) __builtin_trap();
    return;
  }
  std::string why;
  ExprVal result;
  int before = env.errors;
  bool ok = evalExpr(*e, scratch, env, why, result);
  if (!ok && why.empty() && env.errors == before) __builtin_trap();  // failed without saying why
  if (ok && scratch.stack.empty()) __builtin_trap();                   // no value left
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;  // expressions are one line of a mapping file
  static Document* doc = [] {
    auto* d = new Document();
    static const char kOrder[] =
        R"({"orderId":"SO-1","customerCode":" c-001 ","city":"上海市","qty":"3","price":9.99,)"
        R"("totalAmount":"¥1,234.50","zero":0,"flag":true,"none":null,"empty":"",)"
        R"("big":"99999999999999999999999999999999999999","tiny":"0.00000000000000000000000000000000000001",)"
        R"("lines":[{"qty":2.5,"price":"x"},{"qty":"-1"}],"obj":{"FNumber":"K1"}})";
    if (!parseJson(kOrder, *d).ok()) __builtin_trap();
    return d;
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Env env{doc->root().find("lines").at(0), doc->root()};
  ExprScratch scratch;
  check(text, false, env, scratch);
  check(text, true, env, scratch);
  env.cur = doc->root();
  check(text, false, env, scratch);
  return 0;
}
