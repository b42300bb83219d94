// Runs a fast program (fast.h) over one record. Mirrors Applier::mapScalar / mapValue /
// sourceOf / convert / each step by step, with values as views instead of std::strings and
// targets as pre-resolved registers; gives up (false) wherever the general applier would report
// a field error, and hands uncommon conversions to the general applier's own code.
#include <cstring>
#include <optional>

#include "applier.h"
#include "fast.h"
#include "fast_values.h"

namespace qiao::mapping::detail {
namespace {

// Documents up to this size are prefetched whole (a parsed order is ~5 KB).
constexpr size_t kPrefetchMax = 32 * 1024;

}  // namespace

class FastApplier {
 public:
  FastApplier(Document& out, const XrefResolver* xref, std::atomic<uint32_t>* hints)
      : out_(out), arena_(out.arena()), xref_(xref), hints_(hints) {}

  bool list(const FastList& l, const Value& cur, const Value& parent, Node* base);

  // expr_eval.h's environment (the general evaluator), as Applier::read.
  void read(const Source& s, ExprVal& out) {
    Value x = lookupSource(s, expr_cur_, expr_parent_);
    switch (x.valid() ? x.kind() : Kind::kNull) {
      case Kind::kNull: out.k = ExprVal::kMissing; break;
      case Kind::kBool: out.k = ExprVal::kBool, out.flag = x.asBool(); break;
      case Kind::kNumber: out.k = ExprVal::kNum, out.text = x.numberText(); break;
      case Kind::kString: out.k = ExprVal::kStr, out.text = x.asString(); break;
      default: out.k = ExprVal::kOther; break;
    }
  }
  void fieldError(const Source&, const ExprVal&, std::string) { failed_ = true; }

 private:
  Value lookupSource(const Source& s, const Value& cur, const Value& parent) {
    const auto& st = s.path.steps();
    const Value& base = s.parent ? parent : cur;
    if (st.size() == 1 && st[0].type == Path::Step::kKey)
      return findFrom(base, st[0].key, hint_[s.parent]);
    return get(base, s.path);
  }
  [[gnu::always_inline]] Value lookup(const FastRead& r, const Value& cur, const Value& parent) {
    const Value& base = r.parent ? parent : cur;
    if (!r.single) return get(base, r.src->path);
    const Node* n = base.node();
    if (!n || n->kind != Kind::kObject) return {};
    Member* m = n->u.members;
    const uint32_t size = n->size;
    std::atomic<uint32_t>& hint = hints_[r.hint];
    const uint32_t at = hint.load(std::memory_order_relaxed);
    const size_t len = r.key.size();
    if (at < size && m[at].key_len == len && keyEquals(m[at].key, r.key.data(), len))
      return Value(&m[at].value, base.document());
    // One optional field before this one present or not: a neighbour (lines with and without
    // deliveryDate alternate).
    for (uint32_t i : {at + 1, at - 1})
      if (i < size && m[i].key_len == len && keyEquals(m[i].key, r.key.data(), len)) {
        hint.store(i, std::memory_order_relaxed);
        return Value(&m[i].value, base.document());
      }
    for (uint32_t i = 0; i < size; ++i)
      if (m[i].key_len == len && keyEquals(m[i].key, r.key.data(), len)) {
        hint.store(i, std::memory_order_relaxed);
        return Value(&m[i].value, base.document());
      }
    return {};
  }

  bool quick(const FastStep& s, const Value& cur, const Value& parent, Node* base, Node** regs,
             const FastList& l, bool& ok);
  bool scalar(const FastStep& s, const Value& cur, const Value& parent, Node* base, Node** regs,
              const FastList& l);
  bool each(const FastStep& s, const Value& cur, const Value& parent, Node* base, Node** regs,
            const FastList& l);
  bool convert(const FastStep& s, FV& v);
  // date: a yyyy-MM-dd text (date_fast) or an ISO date-time (date_auto_fast) copied in place of
  // parse and format; anything else through the general conversion.
  [[gnu::always_inline]] bool date(const FastStep& s, FV& v) {
    if (v.k == Val::kString && s.rule->date_fast && plainIsoDate(v.text)) {
      char* d = alloc(10 + s.date_suffix.n);
      copyBytes(d, v.text.data(), 10);
      copyBytes(d + 10, s.date_suffix.p, s.date_suffix.n);
      v.text = {d, 10 + s.date_suffix.n}, v.stable = true;
      return true;
    }
    if (v.k == Val::kString && s.date_auto_fast && plainIsoDateTime(v.text)) {
      char* d = alloc(19);
      copyBytes(d, v.text.data(), 19);
      d[10] = ' ';
      v.text = {d, 19}, v.stable = true;
      return true;
    }
    return general(*s.rule, v);
  }
  bool general(const Rule& r, FV& v);
  bool concat(const FastStep& s, const Value& cur, const Value& parent, FV& v);
  bool expr(const FastStep& s, const Value& cur, const Value& parent, FV& v);
  int arith(const FastStep& s, const Value& cur, const Value& parent, FV& v);
  // A when/where condition into t; false on an error (the general way reports it).
  bool test(const Expr& cond, const Value& cur, const Value& parent, bool& t);
  void transform(const Rule& r, FV& v);

  char* alloc(size_t n) { return static_cast<char*>(arena_.allocate(n, 1)); }
  [[gnu::always_inline]] std::string_view keep(std::string_view t) {
    if (t.empty()) return {};
    char* p = alloc(t.size());
    copyBytes(p, t.data(), t.size());
    return {p, t.size()};
  }
  Node* member(Node* obj, FastText key) {
    if (obj->size == obj->cap) return failed_ = true, nullptr;  // never: reserved at load
    Member* m = &obj->u.members[obj->size++];
    m->key = key.p;
    m->key_len = key.n;
    m->value = Node{};
    return &m->value;
  }
  void makeObject(Node* n, uint32_t reserve) {
    *n = Node{};
    n->kind = Kind::kObject;
    if (reserve) n->u.members = arena_.allocateArray<Member>(reserve), n->cap = reserve;
  }
  Node* container(int ci, Node* base, Node** regs, const FastList& l) {
    if (ci < 0) return base;
    if (regs[ci]) return regs[ci];
    const FastContainer& c = l.containers[static_cast<size_t>(ci)];
    Node* parent = container(c.parent, base, regs, l);
    if (!parent) return nullptr;
    Node* n = member(parent, c.key);
    if (!n) return nullptr;
    makeObject(n, c.reserve);
    return regs[ci] = n;
  }
  // The member for s's target (inside {wrap_key: ...} for ref), added empty.
  [[gnu::always_inline]] Node* target(const FastStep& s, Node* base, Node** regs,
                                      const FastList& l) {
    Node* c = container(s.container, base, regs, l);
    Node* slot = c ? member(c, s.key) : nullptr;
    if (slot && s.wrap) {
      makeObject(slot, 1);
      slot = member(slot, s.wrap_key);
    }
    return slot;
  }
  [[gnu::always_inline]] bool write(const FastStep& s, const FV& v, Node* base, Node** regs,
                                    const FastList& l) {
    Node* slot = target(s, base, regs, l);
    if (!slot) return false;
    switch (v.k) {
      case Val::kMissing:
      case Val::kNull: break;
      case Val::kBool: slot->kind = Kind::kBool, slot->flag = v.flag; break;
      case Val::kNumber:
      case Val::kString:
        slot->kind = v.k == Val::kNumber ? Kind::kNumber : Kind::kString;
        slot->size = static_cast<uint32_t>(v.text.size());
        slot->u.text = v.stable ? v.text.data() : keep(v.text).data();
        break;
      case Val::kJson: Value(slot, &out_).copyFrom(v.json); break;
    }
    return true;
  }

  Document& out_;
  Arena& arena_;
  const XrefResolver* xref_;
  std::atomic<uint32_t>* hints_;
  bool failed_ = false;
  Hint hint_[2];
  std::optional<ExprScratch> scratch_;  // made when first needed: its deque allocates
  ExprScratch& scratch() { return scratch_ ? *scratch_ : scratch_.emplace(); }
  Value expr_cur_, expr_parent_;
  // Uncommon conversions run the general applier's own code; any error it reports means the
  // record goes the general way.
  FieldErrors general_errors_;
  std::optional<Applier> general_;
};

// The short ways (FastStep::Op) inline in the list's loop: false when s takes the general
// way; ok is then untouched.
[[gnu::always_inline]] inline bool FastApplier::quick(const FastStep& s, const Value& cur,
                                                      const Value& parent, Node* base,
                                                      Node** regs, const FastList& l, bool& ok) {
  if (s.op == FastStep::kConst) return ok = write(s, fromLit(s.constant), base, regs, l), true;
  if (s.op == FastStep::kCopy) {
    Value src = lookup(s.from[0], cur, parent);
    const Node* n = src.node();
    const bool absent = !n || n->kind == Kind::kNull;
    if (absent || (s.has_default && n->kind == Kind::kString && n->size == 0)) {
      ok = s.has_default ? write(s, fromLit(s.default_value), base, regs, l) : !s.required;
      return true;
    }
    Node* slot = target(s, base, regs, l);
    if (!slot) return ok = false, true;
    if (n->kind == Kind::kString || n->kind == Kind::kNumber) {
      slot->kind = n->kind;
      slot->size = n->size;
      slot->u.text = n->size ? keep({n->u.text, n->size}).data() : nullptr;
    } else if (n->kind == Kind::kBool) {
      slot->kind = Kind::kBool, slot->flag = n->flag;
    } else {
      Value(slot, &out_).copyFrom(src);
    }
    return ok = true, true;
  }
  if (s.op == FastStep::kDate) {
    FV v;
    for (const FastRead& f : s.from) {
      v = fromNode(lookup(f, cur, parent));
      if (v.k != Val::kMissing) break;
    }
    if (s.has_default && (v.k == Val::kMissing || (v.k == Val::kString && v.text.empty())))
      v = fromLit(s.default_value);
    if (v.k == Val::kMissing) return ok = !s.required, true;
    ok = date(s, v) && write(s, v, base, regs, l);  // (a date is never absent)
    return true;
  }
  if (s.op == FastStep::kArith) {
    FV v;
    if (arith(s, cur, parent, v) == 0 && !expr(s, cur, parent, v)) return ok = false, true;
    if (v.k == Val::kMissing) return ok = !s.required, true;
    ok = write(s, v, base, regs, l);
    return true;
  }
  if (s.op == FastStep::kDecimal || s.op == FastStep::kMap) {
    FV v = fromNode(lookup(s.from[0], cur, parent));
    if (s.has_default && (v.k == Val::kMissing || (v.k == Val::kString && v.text.empty())))
      v = fromLit(s.default_value);
    if (v.k == Val::kMissing) return ok = !s.required, true;
    if (s.op == FastStep::kDecimal ? !plainDecimalView(v) && !general(*s.rule, v)
                                   : !convert(s, v))
      return ok = false, true;
    ok = write(s, v, base, regs, l);  // (decimal and map never make a value absent)
    return true;
  }
  return false;
}

bool FastApplier::list(const FastList& l, const Value& cur, const Value& parent, Node* base) {
  Node* regs[kFastMaxContainers];  // only the list's own are cleared
  for (size_t i = 0; i < l.containers.size(); ++i) regs[i] = nullptr;
  for (const FastStep& s : l.steps) {
    bool ok;
    if (!quick(s, cur, parent, base, regs, l, ok))
      ok = s.rules ? each(s, cur, parent, base, regs, l) : scalar(s, cur, parent, base, regs, l);
    if (!ok || failed_) return false;
  }
  return true;
}

bool FastApplier::scalar(const FastStep& s, const Value& cur, const Value& parent, Node* base,
                         Node** regs, const FastList& l) {
  const Rule& r = *s.rule;
  FV v;
  if (r.when) {
    bool t = false;
    if (!test(*r.when, cur, parent, t)) return false;
    if (!t) return !s.has_otherwise || write(s, fromLit(s.otherwise), base, regs, l);
  }
  if (s.has_const) {
    v = fromLit(s.constant);
  } else if (r.conv == Conv::kConcat) {
    if (!concat(s, cur, parent, v)) return false;
  } else if (r.conv == Conv::kExpr) {
    if (!expr(s, cur, parent, v)) return false;
  } else {
    for (const FastRead& f : s.from) {
      v = fromNode(lookup(f, cur, parent));
      if (v.k != Val::kMissing) break;
    }
    if (!r.unwrap_ref.empty() && v.k != Val::kMissing) {
      if (v.k != Val::kJson || !v.json.isObject()) return false;
      v = fromNode(v.json.find(r.unwrap_ref));
    }
  }
  if (s.has_default && (v.k == Val::kMissing || (v.k == Val::kString && v.text.empty())))
    v = fromLit(s.default_value);
  if (v.k == Val::kMissing) return !r.required;
  if (s.transforms && v.k == Val::kString) transform(r, v);
  if (r.conv != Conv::kNone && r.conv != Conv::kConcat && r.conv != Conv::kExpr &&
      !convert(s, v))
    return false;
  if (v.k == Val::kMissing) return !r.required;  // split/regex found no such part
  return write(s, v, base, regs, l);
}

bool FastApplier::each(const FastStep& s, const Value& cur, const Value& parent, Node* base,
                       Node** regs, const FastList& l) {
  const Rule& r = *s.rule;
  if (r.when) {
    bool t = false;
    if (!test(*r.when, cur, parent, t)) return false;
    if (!t) return true;
  }
  Value arr = lookup(s.each, cur, parent);
  if (!arr.valid() || arr.isNull()) return !r.required;
  if (!arr.isArray()) return false;
  Node* c = container(s.container, base, regs, l);
  Node* target = c ? member(c, s.key) : nullptr;
  if (!target) return false;
  const Node* in = arr.node();
  const uint32_t n = in->size;
  target->kind = Kind::kArray;
  if (n) target->u.items = arena_.allocateArray<Node>(n), target->cap = n;
  const uint32_t reserve = static_cast<uint32_t>(r.rules.size());
  for (uint32_t i = 0; i < n; ++i) {
    Value el(&in->u.items[i], arr.document());
    if (i + 1 < n) prefetchMembers(Value(&in->u.items[i + 1], arr.document()));
    if (r.where) {
      bool t = false;
      if (!test(*r.where, el, cur, t)) return false;
      if (!t) continue;
    }
    Node* o = &target->u.items[target->size++];
    makeObject(o, reserve);
    if (!list(*s.rules, el, cur, o)) return false;
  }
  return true;
}

bool FastApplier::concat(const FastStep& s, const Value& cur, const Value& parent, FV& v) {
  const char* part[16];  // uninitialized on purpose: filled below, not zeroed per record
  size_t part_len[16];
  const size_t n = s.from.size();
  size_t total = n ? (n - 1) * s.separator.n : 0;
  for (size_t i = 0; i < n; ++i) {
    FV p = fromNode(lookup(s.from[i], cur, parent));
    if (p.k == Val::kString || p.k == Val::kNumber) part[i] = p.text.data(), part_len[i] = p.text.size();
    else if (p.k != Val::kMissing) return false;  // "cannot concatenate"
    else part[i] = nullptr, part_len[i] = 0;
    total += part_len[i];
  }
  char* d = total ? alloc(total) : nullptr;
  size_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i) copyBytes(d + at, s.separator.p, s.separator.n), at += s.separator.n;
    copyBytes(d + at, part[i], part_len[i]), at += part_len[i];
  }
  v = FV{};
  v.k = Val::kString, v.stable = true, v.text = {d, total};
  return true;
}

// 1: done; 0: outside the fixed-point range (the general evaluator decides).
[[gnu::always_inline]] inline int FastApplier::arith(const FastStep& s, const Value& cur,
                                                     const Value& parent, FV& v) {
  const Expr& e = s.rule->expr;
  Fixed st[8];
  int sp = 0;
  for (size_t pc = 0; pc < e.ops.size(); ++pc) {
    const ExprOp& op = e.ops[pc];
    switch (op.type) {
      case ExprOp::kPushNum: {
        Fixed& f = st[sp++];
        f.c = op.constant.coefficient(), f.s = op.constant.scale();
        if (magnitude(f.c) >= kFixedLimit || f.s > kFixedMaxScale) return 0;
        break;
      }
      case ExprOp::kLoad: {
        Value x = lookup(s.expr_reads[pc], cur, parent);
        const Node* n = x.node();
        if (!n || (n->kind != Kind::kNumber && n->kind != Kind::kString)) return 0;
        if (!parseFixed({n->u.text, n->size}, st[sp++])) return 0;
        break;
      }
      case ExprOp::kNeg: st[sp - 1].c = -st[sp - 1].c; break;
      case ExprOp::kRound: roundFixed(st[sp - 1], op.n); break;
      case ExprOp::kMul: {
        Fixed b = st[--sp], &a = st[sp - 1];
        if (magnitude(a.c) >= kMulLimit || magnitude(b.c) >= kMulLimit ||
            a.s + b.s > kFixedMaxScale)
          return 0;
        a.c *= b.c, a.s += b.s;
        break;
      }
      case ExprOp::kAdd:
      case ExprOp::kSub: {
        Fixed b = st[--sp], &a = st[sp - 1];
        // Align to the larger scale, as Decimal does.
        Fixed& low = a.s < b.s ? a : b;
        const int up = a.s < b.s ? b.s - a.s : a.s - b.s;
        if (magnitude(low.c) >= kPow10[kFixedMaxScale - up]) return 0;
        low.c *= kPow10[up], low.s += up;
        a.c = op.type == ExprOp::kAdd ? a.c + b.c : a.c - b.c;
        if (magnitude(a.c) >= kFixedLimit) return 0;
        break;
      }
      default: return 0;
    }
  }
  if (sp != 1) return 0;
  char buf[48];
  size_t len = printFixed(st[0], buf);
  v = FV{};
  v.k = Val::kNumber, v.text = keep({buf, len}), v.stable = true;
  return 1;
}

bool FastApplier::expr(const FastStep& s, const Value& cur, const Value& parent, FV& v) {
  const Rule& r = *s.rule;
  if (s.arith && arith(s, cur, parent, v)) return true;
  expr_cur_ = cur, expr_parent_ = parent;
  std::string why;
  ExprVal res;
  if (!detail::evalExpr(r.expr, scratch(), *this, why, res) || failed_) return false;
  v = FV{};
  Decimal d;
  switch (res.k) {
    case ExprVal::kBool: v.k = Val::kBool, v.flag = res.flag; break;
    case ExprVal::kStr: v.k = Val::kString, v.text = keep(res.text), v.stable = true; break;
    case ExprVal::kNum: {
      if (!exprDecimal(res, d)) return false;
      char buf[Decimal::kMaxStringLength];
      size_t len = d.normalized().toChars(buf);
      v.k = Val::kNumber, v.text = keep({buf, len}), v.stable = true;
      break;
    }
    case ExprVal::kOther: return false;
    case ExprVal::kMissing: break;
  }
  return true;
}

bool FastApplier::test(const Expr& cond, const Value& cur, const Value& parent, bool& t) {
  Value saved_cur = expr_cur_, saved_parent = expr_parent_;
  expr_cur_ = cur, expr_parent_ = parent;
  std::string why;
  ExprVal res;
  bool ok = detail::evalExpr(cond, scratch(), *this, why, res);
  expr_cur_ = saved_cur, expr_parent_ = saved_parent;
  if (!ok || failed_) return false;
  t = res.k == ExprVal::kBool && res.flag;
  return true;
}

void FastApplier::transform(const Rule& r, FV& v) {
  if (r.trim) {
    std::string_view t = v.text;
    auto b = t.find_first_not_of(" \t\r\n");
    v.text = b == std::string_view::npos ? std::string_view() : t.substr(b, t.find_last_not_of(" \t\r\n") - b + 1);
  }
  if (!r.halfwidth && !r.upper && !r.lower) return;
  std::string s(v.text);
  if (r.halfwidth) halfwidth(s);
  for (char& c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (r.upper) c = static_cast<char>(std::toupper(u));
    if (r.lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  v.text = keep(s), v.stable = true;
}

bool FastApplier::convert(const FastStep& s, FV& v) {
  const Rule& r = *s.rule;
  switch (r.conv) {
    case Conv::kMap: {
      if (v.k != Val::kString && v.k != Val::kNumber) return false;  // "expected a code"
      if (s.big_table) {
        auto it = s.big_table->find(std::string(v.text));
        if (it != s.big_table->end()) {
          v.k = Val::kString, v.text = it->second, v.stable = true;
          return true;
        }
      } else {
        for (const auto& [key, value] : s.small_table)
          if (key.size() == v.text.size() && keyEquals(key.data(), v.text.data(), key.size())) {
            v.k = Val::kString, v.text = value.view(), v.stable = true;
            return true;
          }
      }
      if (s.has_map_default) v.k = Val::kString, v.text = s.map_default.view(), v.stable = true;
      else if (r.strict) return false;  // "not in value map"
      return true;
    }
    case Conv::kDecimal:
      if (r.scale < 0 && !r.as_string && plainDecimalView(v)) return true;
      return general(r, v);
    case Conv::kNumber:
      if (v.k == Val::kNumber) return true;
      if (v.k != Val::kString || !Decimal::fromText(v.text).ok()) return false;
      v.k = Val::kNumber;
      return true;
    case Conv::kString:
      if (v.k == Val::kString) return true;
      if (v.k != Val::kNumber) return false;
      v.k = Val::kString;
      return true;
    case Conv::kBool: {
      if (v.k == Val::kBool) return true;
      if (v.k != Val::kString && v.k != Val::kNumber) return false;
      bool t = v.text == r.true_text;
      if (!t && r.false_text && v.text != *r.false_text) return false;
      v = FV{};
      v.k = Val::kBool, v.flag = t;
      return true;
    }
    case Conv::kDate: return date(s, v);
    default: return general(r, v);
  }
}

// The general applier's conversion of v (Applier::convert), errors included.
bool FastApplier::general(const Rule& r, FV& v) {
  Val g;
  g.k = v.k, g.flag = v.flag, g.json = v.json;
  if (v.k == Val::kString || v.k == Val::kNumber) g.text = std::string(v.text);
  if (!general_) general_.emplace(general_errors_, xref_, nullptr);
  static const std::string kNoSource;
  if (!general_->convert(r, kNoSource, g) || !general_errors_.empty() || general_->storeError())
    return false;
  v = FV{};
  v.k = g.k, v.flag = g.flag, v.json = g.json;
  if (g.k == Val::kString || g.k == Val::kNumber) v.text = keep(g.text), v.stable = true;
  return true;
}

bool applyFast(const FastProgram& p, const Value& in, Document& out, const XrefResolver* xref) {
  FastApplier a(out, xref, p.hints.get());
  // A record is read all over: fetch a small document that is just this record whole, instead
  // of miss after miss (a record inside a bigger document is not worth it).
  prefetchMembers(in);  // needed first
  if (Document* d = in.document(); d && d->root().node() == in.node())
    d->arena().prefetch(kPrefetchMax);
  return a.list(p.list, in, Value(), out.root().node());
}

}  // namespace qiao::mapping::detail
