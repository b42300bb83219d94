// Applies a plan to one record. Never throws; collects every field error of the record.
#include <algorithm>
#include <cstring>

#include "plan.h"
#include "expr_eval.h"
#include "text_ops.h"
#include "qiao/mapping/json.h"

namespace qiao::mapping {
namespace detail {
namespace {

// A value in flight between reading the source and writing the target.
struct Val {
  enum K : uint8_t { kMissing, kNull, kBool, kNumber, kString, kJson } k = kMissing;
  std::string text;
  bool flag = false;
  Value json;  // arrays/objects are copied as they are
};

Val fromValue(Value v) {
  Val r;
  if (!v.valid() || v.isNull()) return r;
  switch (v.kind()) {
    case Kind::kBool: r.k = Val::kBool, r.flag = v.asBool(); break;
    case Kind::kNumber: r.k = Val::kNumber, r.text = std::string(v.numberText()); break;
    case Kind::kString: r.k = Val::kString, r.text = std::string(v.asString()); break;
    default: r.k = Val::kJson, r.json = v; break;
  }
  return r;
}

Val fromLiteral(const Literal& l) {
  Val r;
  switch (l.kind) {
    case Kind::kNull: r.k = Val::kNull; break;
    case Kind::kBool: r.k = Val::kBool, r.flag = l.flag; break;
    case Kind::kNumber: r.k = Val::kNumber, r.text = l.text; break;
    default: r.k = Val::kString, r.text = l.text; break;
  }
  return r;
}

std::string quote(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

std::string show(const Val& v) {
  switch (v.k) {
    case Val::kMissing: return "";
    case Val::kNull: return "null";
    case Val::kBool: return v.flag ? "true" : "false";
    case Val::kNumber: return v.text;
    case Val::kString: return quote(v.text);
    case Val::kJson: return toJson(v.json);
  }
  return "";
}

void writeVal(Value slot, const Val& v) {
  switch (v.k) {
    case Val::kMissing:
    case Val::kNull: slot.setNull(); break;
    case Val::kBool: slot.setBool(v.flag); break;
    case Val::kNumber: slot.setNumberText(v.text); break;
    case Val::kString: slot.setString(v.text); break;
    case Val::kJson: slot.copyFrom(v.json); break;
  }
}

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

// Member lookup that starts after the previous hit in the same object: rules mostly read a
// record's fields in the order the record lists them, so most lookups match at once instead of
// scanning ~25 members. Keys are unique in parsed and built objects: same result as find().
struct Hint {
  const Node* obj = nullptr;
  uint32_t next = 0;
};
// Keys are short: an inline loop beats a call to memcmp.
inline bool sameBytes(const char* a, const char* b, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}
Value findFrom(Value obj, std::string_view key, Hint& h) {
  const Node* n = obj.node();
  if (!n || n->kind != Kind::kObject) return {};
  if (h.obj != n) h.obj = n, h.next = 0;
  const uint32_t size = n->size;
  uint32_t i = h.next < size ? h.next : 0;
  Member* m = n->u.members;
  for (uint32_t k = 0; k < size; ++k, i = i + 1 == size ? 0 : i + 1) {
    if (m[i].key_len == key.size() &&
        (key.empty() || sameBytes(m[i].key, key.data(), key.size()))) {
      h.next = i + 1;
      return Value(&m[i].value, obj.document());
    }
  }
  return {};
}

// decimal: {} on a plain decimal ("-12.50", "100"): the normalized JSON number is the text
// without trailing fraction zeros, the same as Decimal::normalized().toString() but without
// parsing and formatting. Anything else (grouping, currency, exponent, leading zeros, zero,
// many digits) takes the Decimal path.
bool plainDecimal(Val& v) {
  if (v.k != Val::kString && v.k != Val::kNumber) return false;
  const std::string& t = v.text;
  size_t i = t.size() && t[0] == '-' ? 1 : 0, digits = 0, dot = std::string::npos;
  if (i >= t.size() || t[i] < '1' || t[i] > '9') return false;  // also rejects 0.x: slow path
  for (; i < t.size(); ++i) {
    if (t[i] >= '0' && t[i] <= '9') ++digits;
    else if (t[i] == '.' && dot == std::string::npos && i + 1 < t.size()) dot = i;
    else return false;
  }
  if (digits > 30) return false;
  if (dot != std::string::npos) {
    size_t end = t.size();
    while (t[end - 1] == '0') --end;
    if (end == dot + 1) --end;
    v.text.resize(end);
  }
  v.k = Val::kNumber;
  return true;
}

class Applier {
 public:
  Applier(FieldErrors& errors, std::string key, Trace* trace = nullptr)
      : errors_(errors), key_(std::move(key)), trace_(trace) {}

  void run(const std::vector<Rule>& rules, Value cur, Value parent, Value out_base) {
    for (const auto& r : rules) {
      if (r.is_each) each(r, cur, parent, out_base);
      else scalarRule(r, cur, parent, out_base);
    }
  }

 private:
  void fail(const Rule& r, const std::string& source, const Val& v, std::string msg) {
    errors_.push_back(FieldError{key_, source, r.to_text, r.position, show(v), std::move(msg)});
  }

  Val read(const Source& s, Value cur, Value parent) {
    Val v = fromValue(lookup(s.parent ? parent : cur, s.path, hint_[s.parent]));
    if (rec_) rec_->sources.push_back({s.parent ? s.text : sprefix_ + s.text, show(v)});
    return v;
  }

  // Trace only: how the value came about ("const", "default", "map currency", ...).
  void note(std::string_view step) {
    if (!rec_) return;
    if (!rec_->how.empty()) rec_->how += ", ";
    rec_->how += step;
  }

  static bool decimalOf(const Val& v, Decimal& d) {
    Result<Decimal> r = v.k == Val::kNumber   ? Decimal::fromText(v.text)
                        : v.k == Val::kString ? Decimal::parse(v.text)
                                              : Result<Decimal>(Error{});
    if (!r.ok()) return false;
    d = *r;
    return true;
  }

  bool evalExpr(const Rule& r, Value cur, Value parent, Val& out) {
    auto load = [&](const Source& src, Decimal& d) {
      Val v = read(src, cur, parent);
      if (v.k == Val::kMissing) return fail(r, src.text, v, "is absent"), false;
      if (!decimalOf(v, d)) return fail(r, src.text, v, "is not a decimal number"), false;
      return true;
    };
    std::string why;
    ExprNum res;
    if (!detail::evalExpr(r.expr, stack_, load, why, res)) {
      if (!why.empty()) fail(r, "", Val{}, r.expr.text + ": " + why);
      return false;
    }
    out = Val{};
    if (res.is_bool) out.k = Val::kBool, out.flag = res.flag;
    else out.k = Val::kNumber, out.text = res.d.normalized().toString();
    return true;
  }

  // Source value of a rule: const, concat, expr or the first present `from`.
  bool sourceOf(const Rule& r, Value cur, Value parent, Val& v, std::string& src) {
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
    for (const auto& s : r.from) {
      v = read(s, cur, parent);
      src = s.text;
      if (v.k != Val::kMissing) break;
    }
    if (!r.unwrap_ref.empty() && v.k != Val::kMissing) {
      if (v.k != Val::kJson || !v.json.isObject())
        return fail(r, src, v, "expected an object {\"" + r.unwrap_ref + "\": ...}"), false;
      v = fromValue(v.json.find(r.unwrap_ref));
      note("unwrap " + r.unwrap_ref);
    }
    return true;
  }

  bool convert(const Rule& r, const std::string& src, Val& v) {
    if (rec_ && !convName(r).empty()) note(convName(r));
    switch (r.conv) {
      case Conv::kMap: {
        if (v.k != Val::kString && v.k != Val::kNumber) return fail(r, src, v, "expected a code"), false;
        auto it = r.table->find(v.text);
        if (it != r.table->end()) v.k = Val::kString, v.text = it->second;
        else if (r.map_default) v.k = Val::kString, v.text = *r.map_default;
        else if (r.strict) return fail(r, src, v, "not in value map '" + r.table_name + "'"), false;
        return true;
      }
      case Conv::kDecimal: {
        if (r.scale < 0 && !r.as_string && plainDecimal(v)) return true;
        Decimal d;
        if (!decimalOf(v, d)) return fail(r, src, v, "not a decimal number"), false;
        if (r.scale >= 0) {
          auto s = d.rescale(r.scale, r.rounding);
          if (!s.ok()) return fail(r, src, v, s.error().message), false;
          d = *s;
        }
        if (r.as_string) {
          Decimal::FormatOptions f;
          f.scale = r.scale;
          f.rounding = r.rounding;
          f.thousands_separator = r.grouping;
          f.currency_prefix = r.currency;
          v.k = Val::kString, v.text = d.format(f);
        } else {
          // JSON numbers carry no scale: the shortest exact text ("38.50" -> 38.5).
          v.k = Val::kNumber, v.text = d.normalized().toString();
        }
        return true;
      }
      case Conv::kNumber: {
        if (v.k == Val::kNumber) return true;
        if (v.k != Val::kString || !Decimal::fromText(v.text).ok())
          return fail(r, src, v, "not a number"), false;
        v.k = Val::kNumber;
        return true;
      }
      case Conv::kString:
        if (v.k == Val::kString) return true;
        if (v.k != Val::kNumber) return fail(r, src, v, "expected a number"), false;
        v.k = Val::kString;
        return true;
      case Conv::kBool: {
        if (v.k == Val::kBool) return true;
        if (v.k != Val::kString && v.k != Val::kNumber) return fail(r, src, v, "expected text"), false;
        bool t = v.text == r.true_text;
        if (!t && r.false_text && v.text != *r.false_text)
          return fail(r, src, v, "neither '" + r.true_text + "' nor '" + *r.false_text + "'"), false;
        v = Val{};
        v.k = Val::kBool, v.flag = t;
        return true;
      }
      case Conv::kBoolToText:
        if (v.k != Val::kBool) return fail(r, src, v, "expected true or false"), false;
        v.k = Val::kString, v.text = v.flag ? r.true_text : r.false_text.value_or("");
        return true;
      case Conv::kDate: return date(r, src, v);
      case Conv::kSplit:
      case Conv::kSubstring:
      case Conv::kRegex: {
        if (v.k != Val::kString && v.k != Val::kNumber) return fail(r, src, v, "expected text"), false;
        // std::regex matches recursively: a long text can exhaust the stack.
        if (r.conv == Conv::kRegex && v.text.size() > kRegexMaxText)
          return fail(r, src, Val{}, "text too long for regex (over 4096 bytes)"), false;
        std::string part;
        bool found = r.conv == Conv::kSplit ? splitPart(v.text, r.separator, r.part, part)
                     : r.conv == Conv::kRegex
                         ? regexGroup(*r.regex, r.group, v.text, part)
                         : (part = substringCodePoints(v.text, r.start, r.length), true);
        v = Val{};  // no such part / no match: absent, like a missing source
        if (found) v.k = Val::kString, v.text = std::move(part);
        return true;
      }
      default: return true;
    }
  }

  bool date(const Rule& r, const std::string& src, Val& v) {
    LocalDateTime local;
    int offset = 0;
    bool has_offset = false;
    if (r.date_parse == Rule::DateParse::kExcel1900 || r.date_parse == Rule::DateParse::kExcel1904) {
      Decimal d;
      if (!decimalOf(v, d)) return fail(r, src, v, "not an Excel serial"), false;
      auto t = fromExcelSerial(d.toDouble(), r.date_parse == Rule::DateParse::kExcel1900
                                                 ? ExcelDateSystem::k1900
                                                 : ExcelDateSystem::k1904);
      if (!t.ok()) return fail(r, src, v, t.error().message), false;
      local = *t;
    } else {
      if (v.k != Val::kString) return fail(r, src, v, "expected a date text"), false;
      auto p = r.date_parse == Rule::DateParse::kAuto ? parseDateTimeAuto(v.text)
                                                      : r.parse_pattern->parse(v.text);
      if (!p.ok()) return fail(r, src, v, p.error().message), false;
      local = p->local;
      offset = p->offset_seconds;
      has_offset = p->has_offset;
    }
    if (r.zone) {  // to an instant (no offset: a wall time in the zone), shown in the zone
      ParsedDateTime pd{local, has_offset, offset};
      auto ms = toUtcMs(pd, *r.zone);
      if (!ms.ok()) return fail(r, src, v, ms.error().message), false;
      v.k = Val::kString;
      v.text = r.format_pattern->format(*ms, *r.zone);
      return true;
    }
    v.k = Val::kString;
    v.text = r.format_pattern->format(local, offset);  // wall time as sent
    return true;
  }

  static std::string convName(const Rule& r) {
    switch (r.conv) {
      case Conv::kMap: return "map " + r.table_name;
      case Conv::kDecimal: return "decimal";
      case Conv::kNumber: return "number";
      case Conv::kString: return "string";
      case Conv::kBool:
      case Conv::kBoolToText: return "bool";
      case Conv::kDate: return "date";
      default: return "";
    }
  }

  void scalarRule(const Rule& r, Value cur, Value parent, Value out_base) {
    if (!trace_) {
      mapScalar(r, cur, parent, out_base);
      return;
    }
    TraceEntry te;
    te.target = tprefix_ + r.to_text;
    te.rule = r.position;
    size_t before = errors_.size();
    rec_ = &te;
    Value written = mapScalar(r, cur, parent, out_base);
    rec_ = nullptr;
    if (written.valid()) te.value = toJson(written);
    for (size_t k = before; k < errors_.size(); ++k)
      te.error += (te.error.empty() ? "" : "; ") + errors_[k].message;
    trace_->push_back(std::move(te));
  }

  // Maps one scalar rule; returns the target slot written (missing if nothing was).
  Value mapScalar(const Rule& r, Value cur, Value parent, Value out_base) {
    Val v;
    std::string src;
    if (r.when && !test(*r.when, cur, parent)) {
      if (!r.otherwise) return note("when is false"), Value();
      v = fromLiteral(*r.otherwise), note("otherwise");
    } else if (!mapValue(r, cur, parent, out_base, v, src)) {
      return written_;  // copied directly, or nothing to write
    }
    auto slot = slotCached(out_base, r.to);
    if (!slot.ok())
      return fail(r, src, v, "cannot write " + r.to_text + ": " + slot.error().message), Value();
    Value s = *slot;
    if (!r.wrap_ref.empty()) {
      s.setObject(1);
      s = s.set(r.wrap_ref);
    }
    writeVal(s, v);
    return *slot;
  }

  // Source, default, transforms and conversion of a rule into v. False: nothing more to write
  // (copied directly into written_, an error was reported, or the value is absent).
  bool mapValue(const Rule& r, Value cur, Value parent, Value out_base, Val& v, std::string& src) {
    written_ = Value();
    if (!rec_ && copyDirect(r, cur, parent, out_base, written_)) return false;
    if (!sourceOf(r, cur, parent, v, src)) return false;
    if (r.default_value && (v.k == Val::kMissing || (v.k == Val::kString && v.text.empty())))
      v = fromLiteral(*r.default_value), note("default");
    if (v.k == Val::kMissing) {
      if (r.required) fail(r, src, v, "required value is absent");
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
    if (!convert(r, src, v)) return false;
    if (v.k == Val::kMissing) {  // split/regex found no such part
      if (r.required) fail(r, src, v, "required value is absent");
      return false;
    }
    return true;
  }

  // A `where`/`when` condition on cur (or parent for ^field). A compared field that is absent
  // or not a string/number is false.
  bool test(const Where& w, Value cur, Value parent) const {
    Val v = fromValue(get(w.field.parent ? parent : cur, w.field.path));
    if (w.test == Where::kPresent) return v.k != Val::kMissing;
    if (w.test == Where::kEmpty) return v.k == Val::kMissing || (v.k == Val::kString && v.text.empty());
    Decimal a, b;
    int c;
    Val lit;
    lit.k = Val::kString, lit.text = w.literal;
    if (decimalOf(v, a) && decimalOf(lit, b)) c = Decimal::compare(a, b);
    else if (v.k == Val::kString) c = v.text.compare(w.literal), c = c < 0 ? -1 : c > 0;
    else return false;
    if (w.op == ">") return c > 0;
    if (w.op == ">=") return c >= 0;
    if (w.op == "<") return c < 0;
    if (w.op == "<=") return c <= 0;
    if (w.op == "==") return c == 0;
    return c != 0;
  }

  void each(const Rule& r, Value cur, Value parent, Value out_base) {
    if (r.when && !test(*r.when, cur, parent)) return note("when is false");
    Value arr = get(r.each.parent ? parent : cur, r.each.path);
    if (!arr.valid() || arr.isNull()) {
      if (r.required) fail(r, r.each.text, Val{}, "required list is absent");
      return;
    }
    if (!arr.isArray()) return fail(r, r.each.text, fromValue(arr), "expected a list");
    auto slot = slotCached(out_base, r.to);
    if (!slot.ok()) return fail(r, r.each.text, Val{}, "cannot write " + r.to_text);
    Value target = *slot;
    target.setArray(arr.size());
    size_t entry = 0;
    const std::string saved_t = tprefix_, saved_s = sprefix_;
    if (trace_) {
      entry = trace_->size();
      trace_->push_back({saved_t + r.to_text, r.position, {}, "each", "", ""});
    }
    for (size_t i = 0; i < arr.size(); ++i) {
      Value el = arr.at(i);
      if (r.where && !test(*r.where, el, cur)) continue;
      Value o = target.append();
      o.setObject(r.rules.size());
      size_t before = errors_.size();
      if (trace_) {
        tprefix_ = saved_t + r.to_text + "[" + std::to_string(target.size() - 1) + "].";
        sprefix_ = (r.each.parent ? std::string() : saved_s) + r.each.text + "[" + std::to_string(i) + "].";
      }
      run(r.rules, el, cur, o);
      tprefix_ = saved_t, sprefix_ = saved_s;
      // Name the element in the errors of its rules.
      for (size_t k = before; k < errors_.size(); ++k) {
        std::string idx = "[" + std::to_string(i) + "].";
        if (!errors_[k].source.empty() && errors_[k].source[0] != '^')
          errors_[k].source = r.each.text + idx + errors_[k].source;
        errors_[k].target = r.to_text + "[" + std::to_string(target.size() - 1) + "]." + errors_[k].target;
      }
    }
    if (trace_) {
      TraceEntry& e = (*trace_)[entry];
      e.sources.push_back({saved_s + r.each.text, "[" + std::to_string(arr.size()) + " elements]"});
      e.how = "each: " + std::to_string(target.size()) + " of " + std::to_string(arr.size()) +
              " elements kept" + (r.where ? " by where " + r.where->text : "");
      e.value = "[" + std::to_string(target.size()) + " elements]";
    }
  }

  // A plain rename (optionally ref-wrapped) of a present value: copied node to node, without
  // the Val round trip (a string copy, often a malloc). Absent or null values, and any rule
  // with a default, transform or conversion, go the general way.
  bool copyDirect(const Rule& r, Value cur, Value parent, Value out_base, Value& written) {
    if (r.from.size() != 1 || r.constant || r.conv != Conv::kNone || r.default_value || r.trim ||
        r.upper || r.lower || r.halfwidth || !r.unwrap_ref.empty())
      return false;
    const Source& s = r.from[0];
    Value src = lookup(s.parent ? parent : cur, s.path, hint_[s.parent]);
    if (!src.valid() || src.isNull()) return false;
    auto slot = slotCached(out_base, r.to);
    if (!slot.ok()) return false;  // the general way reports it
    written = *slot;
    Value t = written;
    if (!r.wrap_ref.empty()) {
      t.setObject(1);
      t = t.set(r.wrap_ref);
    }
    t.copyFrom(src);
    return true;
  }

  static Value lookup(Value base, const Path& p, Hint& h) {
    const auto& st = p.steps();
    if (st.size() == 1 && st[0].type == Path::Step::kKey) return findFrom(base, st[0].key, h);
    return get(base, p);
  }

  // slotAt, remembering the container of the last target: consecutive rules mostly write
  // siblings (data.Model.*), found then with one member lookup. The handle stays valid because
  // the only writes since it was taken were into that container, never into its ancestors.
  Result<Value> slotCached(Value base, const Path& p) {
    const auto& st = p.steps();
    if (st.size() < 2 || st.back().type != Path::Step::kKey) {
      parent_ = {};  // this write may replace the cached container
      if (st.size() == 1 && st[0].type == Path::Step::kKey && base.isObject()) {
        Value existing = findFrom(base, st[0].key, out_hint_);
        return existing ? existing : base.add(st[0].key);
      }
      return slotAt(base, p);
    }
    bool same = parent_ && parent_base_ == base.node() && parent_path_->size() == st.size();
    for (size_t i = 0; same && i + 1 < st.size(); ++i) {
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
          if (!c.isArray()) return slotAt(base, p);  // its error
          while (c.size() <= static_cast<size_t>(s.index)) c.append();
          c = c.at(static_cast<size_t>(s.index));
        } else if (s.type == Path::Step::kKey || (s.type == Path::Step::kPointer && !c.isArray())) {
          if (c.isNull()) c.setObject();
          if (!c.isObject()) return slotAt(base, p);
          c = c.set(s.key);
        } else {
          return slotAt(base, p);
        }
      }
      if (c.isNull()) c.setObject();
      if (!c.isObject()) return slotAt(base, p);
      parent_ = c, parent_base_ = base.node(), parent_path_ = &st;
    }
    Value existing = findFrom(parent_, st.back().key, out_hint_);
    return existing ? existing : parent_.add(st.back().key);
  }

  FieldErrors& errors_;
  std::string key_;
  // Tracing (null when not asked for): the entry being built and the element path prefixes.
  Trace* trace_ = nullptr;
  TraceEntry* rec_ = nullptr;
  std::string tprefix_, sprefix_;
  // Lookup hints for reading (the current record / element, and the enclosing record) and
  // writing, and the cached target container (see slotCached).
  Hint hint_[2], out_hint_;
  std::vector<ExprNum> stack_;  // evalExpr's
  Value written_;               // mapValue's direct copy
  Value parent_;
  const Node* parent_base_ = nullptr;
  const std::vector<Path::Step>* parent_path_ = nullptr;
};

}  // namespace
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
  return apply(plan, in, out, direction, errors, nullptr);
}

Status apply(const MappingPlan& plan, const Value& in, Document& out, Direction direction,
             FieldErrors* errors, Trace* trace) {
  const detail::PlanData& d = plan.data();
  out.clear();
  out.root().setObject();
  std::string key;  // only needed for errors: looked up when there are some
  FieldErrors local;
  FieldErrors& errs = errors ? *errors : local;
  errs.clear();
  if (trace) trace->clear();
  detail::Applier a(errs, key, trace);
  a.run(direction == Direction::kForward ? d.forward : d.reverse, in, Value(), out.root());
  if (errs.empty()) return Status::okStatus();
  key = businessKey(plan, in);
  for (auto& e : errs) e.business_key = key;
  std::string msg = plan.name() + ": " + std::to_string(errs.size()) + " field error(s)";
  for (const auto& e : errs) msg += "\n  " + e.toString();
  return Error::permanent(ErrorCode::kMappingError, msg);
}

}  // namespace qiao::mapping
