// Compiles a rule list for the fast path (fast.h): target paths to container registers and
// keys, literals and value-map texts to texts the program owns.
#include <map>
#include <set>

#include "fast.h"

namespace qiao::mapping::detail {
namespace {

bool keyPath(const Path& p) {
  if (p.empty()) return false;
  for (const auto& st : p.steps())
    if (st.type != Path::Step::kKey) return false;
  return true;
}

FastRead readOf(FastProgram& p, const Source& s) {
  FastRead r;
  r.src = &s;
  r.parent = s.parent;
  r.hint = p.hint_count++;
  const auto& st = s.path.steps();
  r.single = st.size() == 1 && st[0].type == Path::Step::kKey;
  if (r.single) r.key = st[0].key;
  return r;
}

FastLit literal(FastProgram& p, const Literal& l) {
  FastLit f;
  f.kind = l.kind;
  f.flag = l.flag;
  if (l.kind == Kind::kString || l.kind == Kind::kNumber) f.text = p.own(l.text);
  return f;
}

// Only numbers, fields, + - * round and unary minus (FastStep::arith).
bool arithmetic(const Expr& e) {
  if (e.condition || e.ops.empty()) return false;
  int depth = 0;
  for (const ExprOp& op : e.ops) {
    switch (op.type) {
      case ExprOp::kPushNum:
      case ExprOp::kLoad: ++depth; break;
      case ExprOp::kNeg:
      case ExprOp::kRound: break;
      case ExprOp::kAdd:
      case ExprOp::kSub:
      case ExprOp::kMul: --depth; break;
      default: return false;
    }
    if (depth < 1 || depth > 8) return false;
  }
  return depth == 1;
}

// Small value maps are scanned: a handful of short codes compare faster than they hash.
constexpr size_t kSmallTable = 8;
constexpr size_t kMaxConcatParts = 16;

bool compileList(FastProgram& p, const std::vector<Rule>& rules, FastList& out) {
  std::map<std::vector<std::string>, int> registers;  // container path -> register
  std::set<std::vector<std::string>> leaves;
  for (const Rule& r : rules) {
    if (!keyPath(r.to)) return false;
    std::vector<std::string> keys;
    for (const auto& st : r.to.steps()) keys.push_back(st.key);
    if (!leaves.insert(keys).second) return false;  // written twice: find, not add
    FastStep s;
    s.rule = &r;
    std::vector<std::string> prefix;
    int parent = -1;
    for (size_t i = 0; i + 1 < keys.size(); ++i) {
      prefix.push_back(keys[i]);
      auto [it, added] = registers.emplace(prefix, static_cast<int>(out.containers.size()));
      if (added) {
        FastContainer c;
        c.parent = parent;
        c.key = p.own(keys[i]);
        out.containers.push_back(c);
      }
      parent = it->second;
    }
    s.container = parent;
    s.key = p.own(keys.back());
    if (!r.wrap_ref.empty()) s.wrap = true, s.wrap_key = p.own(r.wrap_ref);
    if (r.is_each) {
      s.each = readOf(p, r.each);
      s.rules = std::make_unique<FastList>();
      if (!compileList(p, r.rules, *s.rules)) return false;
      out.steps.push_back(std::move(s));
      continue;
    }
    if (r.conv == Conv::kTemplate) return false;  // rare (notifications): the general way
    const auto& from = r.conv == Conv::kConcat ? r.parts : r.from;
    if (r.conv == Conv::kConcat && from.size() > kMaxConcatParts) return false;
    for (const Source& src : from) s.from.push_back(readOf(p, src));
    if (r.constant) s.has_const = true, s.constant = literal(p, *r.constant);
    if (r.default_value) s.has_default = true, s.default_value = literal(p, *r.default_value);
    if (r.otherwise) s.has_otherwise = true, s.otherwise = literal(p, *r.otherwise);
    s.transforms = r.trim || r.upper || r.lower || r.halfwidth;
    if (r.conv == Conv::kMap && r.table) {
      if (r.table->size() <= kSmallTable) {
        for (const auto& [k, v] : *r.table) s.small_table.emplace_back(k, p.own(v));
      } else {
        s.big_table = r.table;
        p.tables.push_back(r.table);  // its texts are borrowed
      }
      if (r.map_default) s.has_map_default = true, s.map_default = p.own(*r.map_default);
    }
    if (r.conv == Conv::kDate) {
      if (r.date_fast) s.date_suffix = p.own(r.date_suffix);
      s.date_auto_fast = r.date_parse == Rule::DateParse::kAuto && !r.zone &&
                         r.format_pattern && r.format_pattern->text() == "yyyy-MM-dd HH:mm:ss";
    }
    if (r.conv == Conv::kConcat) s.separator = p.own(r.separator);
    if (r.conv == Conv::kExpr) s.arith = arithmetic(r.expr);
    s.required = r.required;
    const bool simple = !r.when && !s.transforms && r.unwrap_ref.empty();
    const bool plain = simple && r.conv == Conv::kNone;
    if (plain && !r.constant && r.from.size() == 1) s.op = FastStep::kCopy;
    if (plain && r.constant && !r.default_value) s.op = FastStep::kConst;
    if (simple && !r.constant && r.from.size() == 1) {
      if (r.conv == Conv::kDecimal && r.scale < 0 && !r.as_string) s.op = FastStep::kDecimal;
      if (r.conv == Conv::kMap && r.table) s.op = FastStep::kMap;
    }
    if (simple && !r.constant && !r.from.empty() && r.conv == Conv::kDate) s.op = FastStep::kDate;
    // (An expression with a default keeps the general way: the default applies to its result.)
    if (simple && !r.constant && !r.default_value && s.arith) s.op = FastStep::kArith;
    if (s.arith) {
      s.expr_reads.resize(r.expr.ops.size());
      for (size_t i = 0; i < r.expr.ops.size(); ++i)
        if (r.expr.ops[i].type == ExprOp::kLoad) s.expr_reads[i] = readOf(p, r.expr.ops[i].source);
    }
    out.steps.push_back(std::move(s));
  }
  // A target that is also the container of another: the general path decides what happens.
  for (const auto& [path, reg] : registers)
    if (leaves.count(path)) return false;
  if (out.containers.size() > kFastMaxContainers) return false;
  // Room for every member the list can add: leaves and containers are distinct paths.
  for (const FastContainer& c : out.containers)
    if (c.parent >= 0) ++out.containers[static_cast<size_t>(c.parent)].reserve;
  for (const FastStep& s : out.steps)
    if (s.container >= 0) ++out.containers[static_cast<size_t>(s.container)].reserve;
  return true;
}

}  // namespace

std::shared_ptr<const FastProgram> compileFast(const std::vector<Rule>& rules) {
  auto p = std::make_shared<FastProgram>();
  if (!compileList(*p, rules, p->list)) return nullptr;
  p->hints = std::make_unique<std::atomic<uint32_t>[]>(p->hint_count);
  for (uint32_t i = 0; i < p->hint_count; ++i) p->hints[i].store(0, std::memory_order_relaxed);
  return p;
}

}  // namespace qiao::mapping::detail
