// Conversions (map, decimal, number, bool, date, split/substring/regex), ID cross-reference
// lookups, expressions and when/where conditions of the applier (applier.h).
#include "applier.h"

namespace qiao::mapping::detail {

bool Applier::convert(const Rule& r, const std::string& src, Val& v) {
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
    case Conv::kLookup: return lookupId(r, src, v);
    default: return true;
  }
}


bool Applier::date(const Rule& r, const std::string& src, Val& v) {
  if (r.date_fast && v.k == Val::kString && plainIsoDate(v.text)) {
    v.text += r.date_suffix;
    return true;
  }
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

bool Applier::lookupId(const Rule& r, const std::string& src, Val& v) {
  if (v.k != Val::kString && v.k != Val::kNumber) return fail(r, src, v, "expected an id"), false;
  if (store_error_) return false;  // the record is retried whole; no need to ask again
  if (!xref_) return fail(r, src, v, "lookup needs the gateway's ID cross-reference"), false;
  auto found = r.to_local ? xref_->toLocal(r.entity, r.system, v.text)
                          : xref_->toRemote(r.entity, r.system, v.text);
  if (!found.ok()) {
    store_error_ = found.takeError();
    note("lookup failed: store error");
    return false;
  }
  if (*found) {
    v.k = Val::kString, v.text = std::move(**found);
    return true;
  }
  switch (r.on_missing) {
    case Rule::OnMissing::kKeep: note("no cross-reference: kept"); return true;
    case Rule::OnMissing::kNull:
      note("no cross-reference: null");
      v = Val{}, v.k = Val::kNull;
      return true;
    default: break;
  }
  std::string why = r.to_local
                        ? "no cross-reference for " + r.system + " " + r.entity + " '" + v.text + "'"
                        : "no cross-reference for " + r.entity + " '" + v.text + "' in " + r.system;
  return fail(r, src, v, std::move(why)), false;
}

bool Applier::renderTemplate(const Rule& r, const Value& cur, const Value& parent, Val& out) {
  std::string text;
  bool ok = true;
  for (const TemplatePart& p : r.tmpl) {
    if (!p.field) {
      text += p.text;
      continue;
    }
    Val x = read(*p.field, cur, parent);
    switch (x.k) {
      case Val::kString:
      case Val::kNumber: text += x.text; break;  // a number as written in the record
      case Val::kBool: text += x.flag ? "true" : "false"; break;
      case Val::kMissing:
      case Val::kNull:
        if (r.tmpl_missing_empty) break;
        fail(r, p.field->text, x, "template placeholder {" + p.field->text + "} is absent");
        ok = false;
        break;
      case Val::kJson:
        fail(r, p.field->text, x, "template placeholder {" + p.field->text + "} is an object or a list");
        ok = false;
        break;
    }
  }
  if (!ok) return false;
  out = Val{};
  out.k = Val::kString, out.text = std::move(text);
  return true;
}

void Applier::read(const Source& s, ExprVal& out) {
  // A view of the record's text: it outlives the evaluation.
  Value x = lookup(s.parent ? expr_parent_ : expr_cur_, s.path, hint_[s.parent]);
  if (rec_) traceSource(s, fromValue(x));
  switch (x.valid() ? x.kind() : Kind::kNull) {
    case Kind::kNull: out.k = ExprVal::kMissing; break;
    case Kind::kBool: out.k = ExprVal::kBool, out.flag = x.asBool(); break;
    case Kind::kNumber: out.k = ExprVal::kNum, out.text = x.numberText(); break;
    case Kind::kString: out.k = ExprVal::kStr, out.text = x.asString(); break;
    default: out.k = ExprVal::kOther; break;
  }
}

void Applier::fieldError(const Source& s, const ExprVal& v, std::string msg) {
  Val shown;
  switch (v.k) {
    case ExprVal::kMissing: break;
    case ExprVal::kBool: shown.k = Val::kBool, shown.flag = v.flag; break;
    case ExprVal::kNum: shown.k = Val::kNumber, shown.text = exprText(v); break;
    case ExprVal::kStr: shown.k = Val::kString, shown.text = std::string(v.text); break;
    case ExprVal::kOther:  // an object or list: shown as it is in the record
      shown = fromValue(get(s.parent ? expr_parent_ : expr_cur_, s.path));
      break;
  }
  fail(*expr_rule_, s.text, shown, std::move(msg));
}

bool Applier::evalExpr(const Rule& r, const Value& cur, const Value& parent, Val& out) {
  expr_cur_ = cur, expr_parent_ = parent, expr_rule_ = &r;
  std::string why;
  ExprVal res;
  if (!detail::evalExpr(r.expr, scratch_, *this, why, res)) {
    if (!why.empty()) fail(r, "", Val{}, r.expr.text + ": " + why);
    return false;
  }
  out = Val{};
  Decimal d;
  switch (res.k) {
    case ExprVal::kBool: out.k = Val::kBool, out.flag = res.flag; break;
    case ExprVal::kStr: out.k = Val::kString, out.text = std::string(res.text); break;
    case ExprVal::kNum:
      if (!exprDecimal(res, d)) return fail(r, "", Val{}, r.expr.text + ": not a number"), false;
      out.k = Val::kNumber, out.text = d.normalized().toString();
      break;
    case ExprVal::kOther:
      return fail(r, "", Val{}, r.expr.text + ": the result is an object or a list"), false;
    case ExprVal::kMissing: break;
  }
  return true;
}

bool Applier::test(const Rule& r, const Expr& cond, const Value& cur,
                   const Value& parent) {
  Value saved_cur = expr_cur_, saved_parent = expr_parent_;
  expr_cur_ = cur, expr_parent_ = parent, expr_rule_ = &r;
  std::string why;
  ExprVal res;
  bool ok = detail::evalExpr(cond, scratch_, *this, why, res);
  expr_cur_ = saved_cur, expr_parent_ = saved_parent;
  if (!ok) {
    if (!why.empty()) fail(r, "", Val{}, cond.text + ": " + why);
    return false;
  }
  return res.k == ExprVal::kBool && res.flag;
}

}  // namespace qiao::mapping::detail
