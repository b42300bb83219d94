// Applies a plan to one record: rules, lists (each) and writing targets. Conversions,
// lookups and expressions are in convert.cpp, the --explain trace in explain.cpp.
#include <algorithm>

#include "applier.h"
#include "fast.h"

namespace qiao::mapping {
namespace detail {
namespace {

// setPath relative to a value (the element of an `each`), for key and index steps.
Result<Value> slotAt(Value base, const Path& p) {
  for (const auto& st : p.steps()) {
    if (st.type == Path::Step::kIndex) {
      if (base.isNull()) base.setArray();
      if (!base.isArray()) return Error::permanent(ErrorCode::kMappingError, "not an array");
      while (base.size() <= static_cast<size_t>(st.index)) base.append();
      base = base.at(static_cast<size_t>(st.index));
    } else if (st.type == Path::Step::kKey ||
               (st.type == Path::Step::kPointer && !base.isArray())) {
      if (base.isNull()) base.setObject();
      if (!base.isObject()) return Error::permanent(ErrorCode::kMappingError, "not an object");
      base = base.set(st.key);
    } else {
      return Error::permanent(ErrorCode::kMappingError, "a target path cannot have a wildcard");
    }
  }
  return base;
}

// slotAt as a plain Value: missing, with why set, on error (the hot path avoids Result's
// variant, whose return costs more than the bump allocation it wraps).
Value slotOrWhy(Value base, const Path& p, std::string& why) {
  auto r = slotAt(base, p);
  if (r.ok()) return *r;
  why = r.error().message;
  return Value();
}

}  // namespace

// Source value of a rule: const, concat, expr, template or the first present `from`.
bool Applier::sourceOf(const Rule& r, const Value& cur, const Value& parent, Val& v,
                       const std::string*& src) {
  if (r.constant) return note("const"), v = fromLiteral(*r.constant), true;
  if (r.conv == Conv::kConcat) {
    note("concat");
    v.k = Val::kString;
    for (size_t i = 0; i < r.parts.size(); ++i) {
      Val p = read(r.parts[i], cur, parent);
      if (i) v.text += r.separator;
      if (p.k == Val::kString || p.k == Val::kNumber) v.text += p.text;
      else if (p.k != Val::kMissing) return fail(r, r.parts[i].text, p, "cannot concatenate"), false;
    }
    return true;
  }
  if (r.conv == Conv::kExpr) return note("expr " + r.expr.text), evalExpr(r, cur, parent, v);
  if (r.conv == Conv::kTemplate) return note("template"), renderTemplate(r, cur, parent, v);
  for (const auto& s : r.from) {
    v = read(s, cur, parent);
    src = &s.text;
    if (v.k != Val::kMissing) break;
  }
  if (!r.unwrap_ref.empty() && v.k != Val::kMissing) {
    if (v.k != Val::kJson || !v.json.isObject())
      return fail(r, *src, v, "expected an object {\"" + r.unwrap_ref + "\": ...}"), false;
    v = fromValue(v.json.find(r.unwrap_ref));
    note("unwrap " + r.unwrap_ref);
  }
  return true;
}

// Maps one scalar rule; returns the target slot written (missing if nothing was).
Value Applier::mapScalar(const Rule& r, const Value& cur, const Value& parent,
                         const Value& out_base) {
  Val v;
  static const std::string kNoSource;
  const std::string* src = &kNoSource;
  if (r.when && !test(r, *r.when, cur, parent)) {
    if (!r.otherwise) return note("when is false"), Value();
    v = fromLiteral(*r.otherwise), note("otherwise");
  } else if (!mapValue(r, cur, parent, out_base, v, src)) {
    return written_;  // copied directly, or nothing to write
  }
  std::string why;
  Value slot = slotCached(out_base, r, why);
  if (!slot) return fail(r, *src, v, "cannot write " + r.to_text + ": " + why), Value();
  if (r.wrap_ref.empty()) {
    writeVal(slot, v);
  } else {
    slot.setObject(1);
    Value inner = slot.add(r.wrap_ref);  // a new object: no member to look for
    writeVal(inner, v);
  }
  return slot;
}

// Source, default, transforms and conversion of a rule into v. False: nothing more to write
// (copied directly into written_, an error was reported, or the value is absent).
bool Applier::mapValue(const Rule& r, const Value& cur, const Value& parent,
                       const Value& out_base, Val& v, const std::string*& src) {
  written_ = Value();
  if (!rec_ && copyDirect(r, cur, parent, out_base, written_)) return false;
  if (!sourceOf(r, cur, parent, v, src)) return false;
  if (r.default_value && (v.k == Val::kMissing || (v.k == Val::kString && v.text.empty())))
    v = fromLiteral(*r.default_value), note("default");
  if (v.k == Val::kMissing) {
    if (r.required) fail(r, *src, v, "required value is absent");
    return false;
  }
  if (v.k == Val::kString) {
    if (r.trim) {
      auto b = v.text.find_first_not_of(" \t\r\n");
      v.text = b == std::string::npos ? "" : v.text.substr(b, v.text.find_last_not_of(" \t\r\n") - b + 1);
    }
    if (r.halfwidth) halfwidth(v.text);
    if (r.upper) std::transform(v.text.begin(), v.text.end(), v.text.begin(), [](unsigned char c) { return std::toupper(c); });
    if (r.lower) std::transform(v.text.begin(), v.text.end(), v.text.begin(), [](unsigned char c) { return std::tolower(c); });
  }
  if (!convert(r, *src, v)) return false;
  if (v.k == Val::kMissing) {  // split/regex found no such part
    if (r.required) fail(r, *src, v, "required value is absent");
    return false;
  }
  return true;
}

void Applier::each(const Rule& r, const Value& cur, const Value& parent,
                   const Value& out_base) {
  if (r.when && !test(r, *r.when, cur, parent)) return note("when is false");
  Value arr = get(r.each.parent ? parent : cur, r.each.path);
  if (!arr.valid() || arr.isNull()) {
    if (r.required) fail(r, r.each.text, Val{}, "required list is absent");
    return;
  }
  if (!arr.isArray()) return fail(r, r.each.text, fromValue(arr), "expected a list");
  std::string why;
  Value target = slotCached(out_base, r, why);
  if (!target) return fail(r, r.each.text, Val{}, "cannot write " + r.to_text);
  target.setArray(arr.size());
  const std::string saved_t = tprefix_, saved_s = sprefix_;  // empty unless tracing
  size_t entry = trace_ ? traceEachBegin(r) : 0;
  for (size_t i = 0; i < arr.size(); ++i) {
    Value el = arr.at(i);
    if (i + 1 < arr.size()) prefetchMembers(arr.at(i + 1));
    if (r.where && !test(r, *r.where, el, cur)) continue;
    Value o = target.append();
    o.setObject(r.rules.size());
    size_t before = errors_.size();
    if (trace_) traceEachElement(r, i, target.size() - 1);
    run(r.rules, el, cur, o);
    tprefix_ = saved_t, sprefix_ = saved_s;
    // Name the element in the errors of its rules.
    for (size_t k = before; k < errors_.size(); ++k) {
      std::string idx = bracketed(i) + ".";
      if (!errors_[k].source.empty() && errors_[k].source[0] != '^')
        errors_[k].source = r.each.text + idx + errors_[k].source;
      errors_[k].target = r.to_text + bracketed(target.size() - 1) + "." + errors_[k].target;
    }
  }
  if (trace_) traceEachEnd(r, entry, arr.size(), target.size());
}

// A plain rename (optionally ref-wrapped) of a present value (Rule::direct_copy): copied node
// to node, without the Val round trip. Absent or null values, "" under a default, and rules
// with a transform or conversion go the general way.
bool Applier::copyDirect(const Rule& r, const Value& cur, const Value& parent,
                         const Value& out_base, Value& written) {
  if (!r.direct_copy) return false;
  const Source& s = r.from[0];
  Value src = lookup(s.parent ? parent : cur, s.path, hint_[s.parent]);
  if (!src.valid() || src.isNull()) return false;
  if (r.default_value && src.isString() && src.asString().empty()) return false;  // "" takes it
  std::string why;
  Value slot = slotCached(out_base, r, why);
  if (!slot) return false;  // the general way reports it
  written = slot;
  if (r.wrap_ref.empty()) {
    slot.copyFrom(src);
  } else {
    slot.setObject(1);
    Value inner = slot.add(r.wrap_ref);  // a new object: no member to look for
    inner.copyFrom(src);
  }
  return true;
}

// slotAt, remembering the container of the last target: consecutive rules mostly write
// siblings (data.Model.*), found then with one member lookup. The handle stays valid because
// the only writes since it was taken were into that container, never into its ancestors.
Value Applier::slotCached(Value base, const Rule& r, std::string& why) {
  const Path& p = r.to;
  const bool fresh = r.fresh_target;
  const uint32_t container = r.container_id;
  const auto& st = p.steps();
  if (st.size() < 2 || st.back().type != Path::Step::kKey) {
    parent_ = {};  // this write may replace the cached container
    if (st.size() == 1 && st[0].type == Path::Step::kKey && base.isObject()) {
      Value existing = fresh ? Value() : findFrom(base, st[0].key, out_hint_);
      return existing ? existing : base.add(st[0].key);
    }
    return slotOrWhy(base, p, why);
  }
  bool same = parent_ && parent_base_ == base.node();
  if (same && container) same = container == parent_container_;  // compared at load
  else same = same && parent_path_->size() == st.size();
  for (size_t i = 0; same && !container && i + 1 < st.size(); ++i) {
    const auto& a = (*parent_path_)[i];
    same = a.type == st[i].type && a.index == st[i].index && a.key == st[i].key;
  }
  if (!same) {
    parent_ = {};
    Value c = base;
    for (size_t i = 0; i + 1 < st.size(); ++i) {
      const Path::Step& s = st[i];
      if (s.type == Path::Step::kIndex) {
        if (c.isNull()) c.setArray();
        if (!c.isArray()) return slotOrWhy(base, p, why);  // its error
        while (c.size() <= static_cast<size_t>(s.index)) c.append();
        c = c.at(static_cast<size_t>(s.index));
      } else if (s.type == Path::Step::kKey || (s.type == Path::Step::kPointer && !c.isArray())) {
        if (c.isNull()) c.setObject();
        if (!c.isObject()) return slotOrWhy(base, p, why);
        c = c.set(s.key);
      } else {
        return slotOrWhy(base, p, why);
      }
    }
    if (c.isNull()) c.setObject(r.container_size);  // room for every rule writing into it
    if (!c.isObject()) return slotOrWhy(base, p, why);
    parent_ = c, parent_base_ = base.node(), parent_path_ = &st, parent_container_ = container;
  }
  Value existing = fresh ? Value() : findFrom(parent_, st.back().key, out_hint_);
  return existing ? existing : parent_.add(st.back().key);
}

}  // namespace detail

std::string FieldError::toString() const {
  std::string s;
  if (!business_key.empty()) s += business_key + ": ";
  s += target;
  if (!source.empty()) s += " <- " + source;
  s += ": " + message;
  if (!value.empty()) s += " (value " + value + ")";
  s += " [" + rule + "]";
  return s;
}

std::string businessKey(const MappingPlan& plan, const Value& record) {
  const detail::PlanData& d = plan.data();
  if (!d.key) return "";
  Value k = get(record, *d.key);
  return k.isString() ? std::string(k.asString()) : k.isNumber() ? std::string(k.numberText()) : "";
}

Status apply(const MappingPlan& plan, const Value& in, Document& out, Direction direction,
             FieldErrors* errors) {
  ApplyOptions o;
  o.errors = errors;
  return apply(plan, in, out, direction, o);
}

Status apply(const MappingPlan& plan, const Value& in, Document& out, Direction direction,
             FieldErrors* errors, Trace* trace) {
  ApplyOptions o;
  o.errors = errors;
  o.trace = trace;
  return apply(plan, in, out, direction, o);
}

Status apply(const MappingPlan& plan, const Value& in, Document& out, Direction direction,
             const ApplyOptions& options) {
  const detail::PlanData& d = plan.data();
  const bool forward = direction == Direction::kForward;
  const size_t rules = (forward ? d.forward : d.reverse).size();
  out.clear();
  out.root().setObject(rules);
  if (options.errors) options.errors->clear();
  if (options.trace) options.trace->clear();
  // The fast path maps records that map cleanly; any other goes the general way below, which
  // reports every field error.
  if (const auto& fast = forward ? d.fast_forward : d.fast_reverse; fast && !options.trace) {
    out.keepAlive(fast);  // the output borrows the program's keys and literals
    if (detail::applyFast(*fast, in, out, options.xref)) return Status::okStatus();
    out.clear();
    out.root().setObject(rules);
  }
  FieldErrors local;
  FieldErrors& errs = options.errors ? *options.errors : local;
  detail::Applier a(errs, options.xref, options.trace);
  detail::prefetchMembers(in);
  a.run(direction == Direction::kForward ? d.forward : d.reverse, in, Value(), out.root());
  if (auto& store = a.storeError()) {
    // Not the record's fault: keep the store's code and class (a transient error is retried).
    Error e = std::move(*store);
    e.message = plan.name() + ": ID cross-reference lookup failed: " + e.message;
    return e;
  }
  if (errs.empty()) return Status::okStatus();
  std::string key = businessKey(plan, in);  // only needed for errors
  for (auto& e : errs) e.business_key = key;
  std::string msg = plan.name() + ": " + std::to_string(errs.size()) + " field error(s)";
  for (const auto& e : errs) msg += "\n  " + e.toString();
  return Error::permanent(ErrorCode::kMappingError, msg);
}

}  // namespace qiao::mapping
