#include "k3_forms.h"

#include <cmath>
#include <cstdio>
#include <mutex>

namespace qiao::sim::k3 {
namespace {

bool isEmptyValue(const json* v, FieldKind kind) {
  if (!v || v->is_null()) return true;
  if (kind == FieldKind::kRef) return refNumber(*v).empty();
  if (v->is_string()) return v->get_ref<const std::string&>().empty();
  if (kind == FieldKind::kNumber && v->is_number()) return v->get<double>() == 0;
  return false;
}

double numberOf(const json* v, double fallback = 0) {
  if (!v) return fallback;
  if (v->is_number()) return v->get<double>();
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (end && *end == '\0' && !s.empty()) return d;
  }
  return fallback;
}

double round2(double v) { return std::round(v * 100.0) / 100.0; }

bool isSystemField(const FormDef& def, const std::string& k) {
  return iequals(k, def.key_field) || iequals(k, def.status_field) ||
         iequals(k, "FCreateDate") || iequals(k, "FModifyDate") || iequals(k, "FApproveDate");
}

// Derived line amounts as K/3 computes them when only the price is given.
void fillSaleOrderAmounts(json& doc) {
  json* rows = findKey(doc, "FSaleOrderEntry");
  if (!rows || !rows->is_array()) return;
  double all = 0, amount = 0;
  bool any = false;
  for (auto& r : *rows) {
    double qty = numberOf(findKey(r, "FQty"));
    double rate = numberOf(findKey(r, "FEntryTaxRate"));
    const json* price = findKey(r, "FPrice");
    const json* tax_price = findKey(r, "FTaxPrice");
    if (!price && !tax_price) continue;
    double p = price ? numberOf(price) : numberOf(tax_price) / (1 + rate / 100);
    double tp = tax_price ? numberOf(tax_price) : p * (1 + rate / 100);
    if (!price) r["FPrice"] = std::round(p * 1e6) / 1e6;
    if (!tax_price) r["FTaxPrice"] = std::round(tp * 1e6) / 1e6;
    double line_all = round2(qty * tp), line_amount = round2(qty * p);
    r["FAllAmount"] = line_all;
    r["FAmount"] = line_amount;
    r["FTaxAmount"] = round2(line_all - line_amount);
    all += line_all;
    amount += line_amount;
    any = true;
  }
  if (!any) return;
  json& fin = doc["FSaleOrderFinance"];
  if (!fin.is_object()) fin = json::object();
  fin["FBillAllAmount"] = round2(all);
  fin["FBillAmount"] = round2(amount);
  fin["FBillTaxAmount"] = round2(all - amount);
}

}  // namespace

const char* statusName(const std::string& s) {
  if (s == "Z") return "暂存";
  if (s == "A") return "创建";
  if (s == "B") return "审核中";
  if (s == "C") return "已审核";
  if (s == "D") return "重新审核";
  return "未知";
}

struct Forms::SaveOptions {
  std::unordered_set<std::string> update_fields;  // lower-case; empty = all
  std::vector<std::string> return_fields;
  bool delete_entry = true, verify_refs = false, validate = true, auto_audit = false;
  bool draft = false;
  int code = 0;  // MsgCode of the first error
  bool allowed(const std::string& key) const {
    return update_fields.empty() || update_fields.count(lower(key)) > 0;
  }
};

// ---- FormStore ---------------------------------------------------------------------------

std::string FormStore::numberOf(const json& doc) const {
  const json* n = findKey(doc, def.number_field);
  return n ? scalarText(*n) : "";
}

std::string FormStore::statusOf(const json& doc) const {
  const json* s = findKey(doc, def.status_field);
  return s ? scalarText(*s) : "";
}

namespace {
void eraseFromRange(std::map<std::string, std::set<int64_t>>& idx, const std::string& key, int64_t id) {
  auto it = idx.find(key);
  if (it == idx.end()) return;
  it->second.erase(id);
  if (it->second.empty()) idx.erase(it);
}
}  // namespace

void FormStore::put(int64_t id, json doc) {
  auto old = docs.find(id);
  if (old != docs.end()) {
    by_number.erase(numberOf(old->second));
    for (auto& [field, idx] : indexes) {
      const json* v = findKey(old->second, field);
      if (v) idx[lower(scalarText(*v))].erase(id);
    }
  }
  for (auto& [field, idx] : indexes) {
    const json* v = findKey(doc, field);
    if (v && !v->is_structured()) idx[lower(scalarText(*v))].insert(id);
  }
  if (old != docs.end())
    for (auto& [field, idx] : ranges)
      if (const json* v = findKey(old->second, field)) eraseFromRange(idx, dateKey(*v), id);
  for (auto& [field, idx] : ranges)
    if (const json* v = findKey(doc, field)) idx[dateKey(*v)].insert(id);
  std::string number = numberOf(doc);
  if (!number.empty()) by_number[number] = id;
  docs[id] = std::move(doc);
}

void FormStore::erase(int64_t id) {
  auto it = docs.find(id);
  if (it == docs.end()) return;
  by_number.erase(numberOf(it->second));
  for (auto& [field, idx] : indexes) {
    const json* v = findKey(it->second, field);
    if (v) idx[lower(scalarText(*v))].erase(id);
  }
  for (auto& [field, idx] : ranges)
    if (const json* v = findKey(it->second, field)) eraseFromRange(idx, dateKey(*v), id);
  docs.erase(it);
}

void FormStore::clear() {
  docs.clear();
  by_number.clear();
  indexes.clear();
  ranges.clear();
  seen_fields.clear();
  next_number = 1;
}

void FormStore::ensureIndex(const std::string& field_lower) {
  if (indexes.count(field_lower)) return;
  auto& idx = indexes[field_lower];
  for (const auto& [id, doc] : docs) {
    const json* v = findKey(doc, field_lower);
    if (v && !v->is_structured()) idx[lower(scalarText(*v))].insert(id);
  }
}

// ---- Forms -------------------------------------------------------------------------------

Forms::Forms() {
  for (const auto& def : allForms()) stores_.push_back(std::make_unique<FormStore>(def));
  reset();
}

FormStore* Forms::store(std::string_view form_id) {
  for (auto& s : stores_)
    if (iequals(s->def.id, form_id)) return s.get();
  return nullptr;
}

const FormStore* Forms::store(std::string_view form_id) const {
  return const_cast<Forms*>(this)->store(form_id);
}

std::optional<RefInfo> Forms::lookup(const std::string& form, const std::string& number) const {
  const FormStore* st = store(form);
  if (!st || number.empty()) return std::nullopt;
  std::shared_lock lock(st->mu);
  auto it = st->by_number.find(number);
  if (it == st->by_number.end()) return std::nullopt;
  const json& doc = st->docs.at(it->second);
  RefInfo info{it->second, number, "", false};
  if (const json* n = findKey(doc, "FName")) info.name = scalarText(*n);
  if (const json* f = findKey(doc, "FForbidStatus")) info.forbidden = scalarText(*f) == "B";
  return info;
}

void Forms::validate(const FormDef& def, const json& doc, bool verify_refs, int dindex,
                     std::vector<K3Error>* errors) const {
  auto check = [&](const EntityDef& e, const json& obj, const std::string& where) {
    for (const auto& f : e.fields) {
      const json* v = findKey(obj, f.key);
      if (isEmptyValue(v, f.kind)) {
        if (f.required) errors->push_back({f.key, where + "“" + f.label + "”是必填项。", dindex});
        continue;
      }
      if (f.kind != FieldKind::kRef || f.ref_form == def.id) continue;
      std::string number = refNumber(*v);
      auto info = lookup(f.ref_form, number);
      if (!info && (f.required || verify_refs)) {
        errors->push_back(
            {f.key, where + "字段“" + f.label + "”的值“" + number + "”在系统中不存在。", dindex});
      } else if (info && info->forbidden && verify_refs) {
        errors->push_back(
            {f.key, where + "字段“" + f.label + "”的值“" + number + "”已禁用。", dindex});
      }
    }
  };
  static const json kEmpty = json::object();
  for (const auto& e : def.entities) {
    if (e.key.empty()) {
      check(e, doc, "");
      continue;
    }
    const json* part = findKey(doc, e.key);
    if (!e.is_entry) {
      check(e, part && part->is_object() ? *part : kEmpty, "");
      continue;
    }
    bool has_required = false;
    for (const auto& f : e.fields) has_required = has_required || f.required;
    if (!part || !part->is_array() || part->empty()) {
      if (has_required)
        errors->push_back({e.key, "“" + e.label + "”至少需要录入一行。", dindex});
      continue;
    }
    for (size_t i = 0; i < part->size(); ++i)
      check(e, (*part)[i], e.label + "第" + std::to_string(i + 1) + "行：");
  }
}

json Forms::applyModel(const FormDef& def, const json* existing, const json& model,
                       const SaveOptions& opt, int dindex, std::vector<K3Error>* errors) {
  const bool update = existing != nullptr;
  json doc = existing ? *existing : json::object();
  auto set = [&](json& obj, const EntityDef* e, const std::string& key, const json& value) {
    const FieldDef* f = e ? e->field(key) : nullptr;
    std::string canonical = f ? f->key : key;
    for (auto it = obj.begin(); it != obj.end();) {  // one spelling per key
      if (it.key() != canonical && iequals(it.key(), canonical))
        it = obj.erase(it);
      else
        ++it;
    }
    json v = value;
    if (f && f->kind == FieldKind::kDate && v.is_string() && !v.get<std::string>().empty()) {
      auto d = normalizeDate(v.get<std::string>());
      if (!d) {
        errors->push_back({f->key,
                           "字段“" + f->label + "”的值“" + v.get<std::string>() +
                               "”不是有效的日期。",
                           dindex});
        return;
      }
      v = *d;
    } else if (f && f->kind == FieldKind::kNumber && v.is_string()) {
      const std::string s = v.get<std::string>();
      double d = numberOf(&v, std::nan(""));
      if (!s.empty() && std::isnan(d)) {
        errors->push_back(
            {f->key, "字段“" + f->label + "”的值“" + s + "”不是有效的数字。", dindex});
        return;
      }
      if (!s.empty()) v = d == std::floor(d) && std::fabs(d) < 1e15 ? json(int64_t(d)) : json(d);
    }
    obj[canonical] = std::move(v);
  };
  for (const auto& [k, v] : model.items()) {
    if (isSystemField(def, k)) continue;
    const EntityDef* e = def.entity(k);
    if (!e) {
      if (update && !opt.allowed(k)) continue;
      set(doc, def.headerField(k, nullptr) ? &def.header() : nullptr, k, v);
      continue;
    }
    if (!e->is_entry) {
      if (!v.is_object()) {
        errors->push_back({e->key, "“" + e->label + "”必须是一个对象。", dindex});
        continue;
      }
      // A sub-header's fields may be listed without its key (lenient: the reference only
      // requires entity keys for entry rows).
      bool fields_listed = false;
      for (auto it = v.begin(); !fields_listed && it != v.end(); ++it)
        fields_listed = !opt.update_fields.empty() && opt.allowed(it.key());
      const bool whole = opt.allowed(e->key) && !fields_listed;  // key alone: every field
      if (update && !whole && !fields_listed) continue;
      json& target = doc[e->key];
      if (!target.is_object()) target = json::object();
      for (const auto& [fk, fv] : v.items())
        if (!update || whole || opt.allowed(fk)) set(target, e, fk, fv);
      continue;
    }
    if (update && !opt.allowed(e->key)) continue;
    if (!v.is_array()) {
      errors->push_back({e->key, "“" + e->label + "”必须是一个数组。", dindex});
      continue;
    }
    std::map<int64_t, json> sent;  // FEntryID → row, for rows that exist already
    std::vector<json> added;
    std::map<int64_t, size_t> existing_pos;
    const json* old_rows = update ? findKey(doc, e->key) : nullptr;
    if (old_rows && old_rows->is_array())
      for (size_t i = 0; i < old_rows->size(); ++i)
        existing_pos[idValue(findKey((*old_rows)[i], "FEntryID"))] = i;
    for (const auto& row : v) {
      if (!row.is_object()) {
        errors->push_back({e->key, "“" + e->label + "”的每一行必须是对象。", dindex});
        continue;
      }
      int64_t eid = idValue(findKey(row, "FEntryID"));
      bool known = eid != 0 && existing_pos.count(eid);
      json r = known ? (*old_rows)[existing_pos[eid]] : json::object();
      for (const auto& [fk, fv] : row.items()) {
        if (iequals(fk, "FEntryID")) continue;
        if (known && !opt.allowed(fk)) continue;
        set(r, e, fk, fv);
      }
      if (known) {
        sent[eid] = std::move(r);
      } else {
        r["FEntryID"] = newEntryId();
        added.push_back(std::move(r));
      }
    }
    json rows = json::array();
    if (old_rows && old_rows->is_array()) {
      for (const auto& old : *old_rows) {
        int64_t eid = idValue(findKey(old, "FEntryID"));
        auto it = sent.find(eid);
        if (it != sent.end())
          rows.push_back(std::move(it->second));
        else if (!opt.delete_entry)
          rows.push_back(old);
      }
    }
    for (auto& r : added) rows.push_back(std::move(r));
    for (size_t i = 0; i < rows.size(); ++i) rows[i]["FSeq"] = static_cast<int64_t>(i + 1);
    doc[e->key] = std::move(rows);
  }
  if (def.id == "SAL_SaleOrder") fillSaleOrderAmounts(doc);
  return doc;
}

std::optional<json> Forms::saveOne(FormStore& st, const json& model, SaveOptions& opt,
                                   int dindex, std::vector<K3Error>* errors) {
  const FormDef& def = st.def;
  auto fail = [&](int code, K3Error e) -> std::optional<json> {
    if (errors->empty()) opt.code = code;
    errors->push_back(std::move(e));
    return std::nullopt;
  };
  if (!model.is_object())
    return fail(kMsgParameterError, {"Model", "Model必须是一个JSON对象。", dindex});
  int64_t id = idValue(findKey(model, def.key_field));
  const json* existing = nullptr;
  std::string status;
  if (id != 0) {
    auto it = st.docs.find(id);
    if (it == st.docs.end())
      return fail(kMsgDataNotFound, {def.key_field,
                                     def.label + "内码“" + std::to_string(id) + "”对应的数据不存在。",
                                     dindex});
    existing = &it->second;
    status = st.statusOf(*existing);
    if (status == "B" || status == "C")
      return fail(kMsgNotOperable, {"", def.label + "“" + st.numberOf(*existing) +
                                            "”的数据状态为“" + statusName(status) +
                                            "”，不允许修改。",
                                    dindex});
  }
  size_t before = errors->size();
  json doc = applyModel(def, existing, model, opt, dindex, errors);
  if (errors->size() == before && opt.validate && !opt.draft)
    validate(def, doc, opt.verify_refs, dindex, errors);
  if (errors->size() > before) {
    if (before == 0) opt.code = kMsgValidationFailed;
    return std::nullopt;
  }
  std::string number = st.numberOf(doc);
  if (number.empty() && !(opt.draft && !def.is_base_data)) {
    do {
      number = paddedNumber(def.number_prefix, st.next_number++, def.number_digits);
    } while (st.by_number.count(number));
    doc[def.number_field] = number;
  } else if (!number.empty()) {
    auto dup = st.by_number.find(number);
    if (dup != st.by_number.end() && dup->second != id)
      return fail(kMsgValidationFailed,
                  {def.number_field,
                   (def.is_base_data ? "编码“" : "单据编号“") + number + "”已存在，不允许重复。",
                   dindex});
  }
  std::string now = shanghaiNow();
  if (!existing) {
    id = newId();
    doc["FCreateDate"] = now;
    status = opt.draft ? "Z" : "A";
    if (def.is_base_data && !findKey(doc, "FForbidStatus")) doc["FForbidStatus"] = "A";
  } else if (status == "Z" && !opt.draft) {
    status = "A";
  }
  if (opt.auto_audit && !opt.draft) {
    status = "C";
    doc["FApproveDate"] = now;
  }
  doc[def.key_field] = id;
  doc[def.status_field] = status;
  doc["FModifyDate"] = now;
  for (const auto& [k, _] : model.items())
    if (!def.headerField(k, nullptr) && !def.entity(k)) st.seen_fields.insert(lower(k));
  st.put(id, doc);
  return doc;
}

namespace {
json returnData(const FormDef& def, const json& doc, const std::vector<std::string>& fields) {
  json out = json::object();
  for (const auto& f : fields) {
    auto dot = f.find('.');
    if (dot != std::string::npos && def.entity(f.substr(0, dot))) {
      const json* rows = findKey(doc, f.substr(0, dot));
      std::string field = f.substr(dot + 1);
      json& list = out[f.substr(0, dot)];
      if (!list.is_array()) list = json::array();
      if (rows && rows->is_array())
        for (size_t i = 0; i < rows->size(); ++i) {
          if (list.size() <= i) list.push_back(json::object());
          const json* v = findKey((*rows)[i], field);
          list[i][field] = v ? *v : json(nullptr);
        }
      continue;
    }
    const EntityDef* owner = nullptr;
    const json* v = nullptr;
    if (def.headerField(f, &owner) && !owner->key.empty()) {
      if (const json* sub = findKey(doc, owner->key)) v = findKey(*sub, f);
    } else {
      v = findKey(doc, f);
    }
    out[f] = v ? *v : json(nullptr);
  }
  return out;
}
}  // namespace

json Forms::save(const FormDef& def, const json& data, bool batch, bool draft) {
  if (!data.is_object()) return failure(kMsgParameterError, "参数data必须是JSON对象。");
  const json* model = findKey(data, "Model");
  if (!model || model->is_null()) return failure(kMsgParameterError, "参数Model不能为空。", "Model");
  json models = batch && model->is_array() ? *model : json::array({*model});
  SaveOptions opt;
  opt.draft = draft;
  if (const json* u = findKey(data, "NeedUpDateFields"); u && u->is_array())
    for (const auto& f : *u)
      if (f.is_string()) opt.update_fields.insert(lower(f.get<std::string>()));
  if (const json* r = findKey(data, "NeedReturnFields"); r && r->is_array())
    for (const auto& f : *r)
      if (f.is_string()) opt.return_fields.push_back(f.get<std::string>());
  opt.delete_entry = truthy(findKey(data, "IsDeleteEntry"), true);
  opt.verify_refs = truthy(findKey(data, "IsVerifyBaseDataField"), false);
  opt.validate = truthy(findKey(data, "ValidateFlag"), true);
  opt.auto_audit = truthy(findKey(data, "IsAutoSubmitAndAudit"), false);

  FormStore& st = *store(def.id);
  std::vector<K3Error> errors;
  json successes = json::array(), returned = json::array();
  json first_id, first_number;
  {
    std::unique_lock lock(st.mu);
    for (size_t i = 0; i < models.size(); ++i) {
      auto doc = saveOne(st, models[i], opt, static_cast<int>(i), &errors);
      if (!doc) continue;
      json id = (*doc)[def.key_field];
      std::string number = st.numberOf(*doc);
      if (first_id.is_null()) {
        first_id = id;
        first_number = number;
      }
      successes.push_back({{"Id", id}, {"Number", number}, {"DIndex", i}});
      returned.push_back(returnData(def, *doc, opt.return_fields));
    }
  }
  bool ok = errors.empty();
  json result{{"ResponseStatus", responseStatus(ok, ok ? 0 : opt.code, errors, successes)}};
  if (!batch) {
    result["Id"] = ok ? first_id : json("");
    result["Number"] = ok ? json(first_number) : json("");
  }
  result["NeedReturnData"] = returned;
  return {{"Result", result}};
}

}  // namespace qiao::sim::k3
