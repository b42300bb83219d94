// Forms: the admin side (seeding, adding base data and receipts, listing) and persistence.
#include <mutex>

#include "k3_forms.h"

namespace qiao::sim::k3 {
namespace {

void normalizeDates(const EntityDef& e, json& obj) {
  for (const auto& f : e.fields) {
    if (f.kind != FieldKind::kDate) continue;
    json* v = findKey(obj, f.key);
    if (v && v->is_string())
      if (auto d = normalizeDate(v->get<std::string>())) *v = *d;
  }
}

int64_t intOr(const json* v, int64_t fallback) {
  if (v && v->is_number_integer()) return v->get<int64_t>();
  return fallback;
}

}  // namespace

json Forms::addBaseData(const FormDef& def, const json& rows, std::string* error) {
  json list = rows.is_array() ? rows : json::array({rows});
  for (size_t i = 0; i < list.size(); ++i) {
    const json* n = list[i].is_object() ? findKey(list[i], "FNumber") : nullptr;
    if (!n || !n->is_string() || n->get<std::string>().empty()) {
      *error = "row " + std::to_string(i) + ": FNumber (a non-empty string) is required";
      return nullptr;
    }
  }
  FormStore& st = *store(def.id);
  json ids = json::array();
  int added = 0, updated = 0;
  const std::string now = shanghaiNow();
  std::unique_lock lock(st.mu);
  for (const auto& row : list) {
    std::string number = findKey(row, "FNumber")->get<std::string>();
    auto it = st.by_number.find(number);
    json doc = it == st.by_number.end() ? json::object() : st.docs.at(it->second);
    int64_t id = it == st.by_number.end() ? newId() : it->second;
    for (const auto& [k, v] : row.items()) {
      const FieldDef* f = def.headerField(k, nullptr);
      doc[f ? f->key : k] = v;
    }
    normalizeDates(def.header(), doc);
    doc[def.key_field] = id;
    if (!findKey(doc, def.status_field)) doc[def.status_field] = "C";
    if (!findKey(doc, "FForbidStatus")) doc["FForbidStatus"] = "A";
    if (!findKey(doc, "FCreateDate")) doc["FCreateDate"] = now;
    doc["FModifyDate"] = now;
    (it == st.by_number.end() ? added : updated)++;
    st.put(id, std::move(doc));
    ids.push_back(id);
  }
  return {{"added", added}, {"updated", updated}, {"ids", ids}};
}

json Forms::addDocuments(const FormDef& def, const json& docs, std::string* error) {
  json list = docs.is_array() ? docs : json::array({docs});
  FormStore& st = *store(def.id);
  json ids = json::array(), numbers = json::array();
  const std::string now = shanghaiNow();
  std::unique_lock lock(st.mu);
  for (size_t i = 0; i < list.size(); ++i) {
    json doc = list[i];
    if (!doc.is_object()) {
      *error = "document " + std::to_string(i) + " is not a JSON object";
      return nullptr;
    }
    int64_t id = intOr(findKey(doc, def.key_field), 0);
    if (id == 0) id = newId();
    int64_t floor = next_id_.load();
    while (id >= floor && !next_id_.compare_exchange_weak(floor, id + 1)) {
    }
    std::string number = st.numberOf(doc);
    if (number.empty()) {
      do {
        number = paddedNumber(def.number_prefix, st.next_number++, def.number_digits);
      } while (st.by_number.count(number));
      doc[def.number_field] = number;
    } else if (auto dup = st.by_number.find(number); dup != st.by_number.end() && dup->second != id) {
      *error = "document " + std::to_string(i) + ": number " + number + " already exists";
      return nullptr;
    }
    doc[def.key_field] = id;
    normalizeDates(def.header(), doc);
    for (size_t e = 1; e < def.entities.size(); ++e) {
      const auto& ent = def.entities[e];
      json* part = findKey(doc, ent.key);
      if (!part) continue;
      if (part->is_object()) normalizeDates(ent, *part);
      if (!part->is_array()) continue;
      int64_t seq = 0;
      for (auto& row : *part) {
        if (!row.is_object()) continue;
        normalizeDates(ent, row);
        if (intOr(findKey(row, "FEntryID"), 0) == 0) row["FEntryID"] = newEntryId();
        row["FSeq"] = ++seq;
      }
    }
    if (!findKey(doc, def.status_field)) doc[def.status_field] = "C";
    if (def.id == "AR_RECEIVEBILL") {
      if (!findKey(doc, "FWRITTENOFFSTATUS")) doc["FWRITTENOFFSTATUS"] = "A";
      if (findKey(doc, "FCONTACTUNIT") && !findKey(doc, "FCONTACTUNITTYPE"))
        doc["FCONTACTUNITTYPE"] = "BD_Customer";
    }
    if (!findKey(doc, "FCreateDate")) doc["FCreateDate"] = now;
    if (!findKey(doc, "FModifyDate")) doc["FModifyDate"] = now;
    ids.push_back(id);
    numbers.push_back(number);
    st.put(id, std::move(doc));
  }
  return {{"added", ids.size()}, {"ids", ids}, {"numbers", numbers}};
}

json Forms::list(const FormDef& def) const {
  const FormStore& st = *store(def.id);
  std::shared_lock lock(st.mu);
  json out = json::array();
  for (const auto& [_, doc] : st.docs) out.push_back(doc);
  return out;
}

std::optional<json> Forms::get(const FormDef& def, int64_t id) const {
  const FormStore& st = *store(def.id);
  std::shared_lock lock(st.mu);
  auto it = st.docs.find(id);
  if (it == st.docs.end()) return std::nullopt;
  return it->second;
}

json Forms::counts() const {
  json out = json::object();
  for (const auto& st : stores_) {
    std::shared_lock lock(st->mu);
    out[st->def.id] = st->docs.size();
  }
  return out;
}

void Forms::reset() {
  for (auto& st : stores_) {
    std::unique_lock lock(st->mu);
    st->clear();
  }
  next_id_ = 100001;
  next_entry_id_ = 200001;
  std::string ignored;
  const json seed = seedDocuments();
  for (const auto& [form, rows] : seed.items()) addBaseData(*findForm(form), rows, &ignored);
}

json Forms::saveState() const {
  json forms = json::object();
  for (const auto& st : stores_) {
    std::shared_lock lock(st->mu);
    json docs = json::array();
    for (const auto& [_, doc] : st->docs) docs.push_back(doc);
    forms[st->def.id] = {{"next_number", st->next_number},
                         {"seen_fields", st->seen_fields},
                         {"docs", std::move(docs)}};
  }
  return {{"next_id", next_id_.load()},
          {"next_entry_id", next_entry_id_.load()},
          {"forms", std::move(forms)}};
}

void Forms::loadState(const json& state) {
  if (!state.is_object() || !state.contains("forms")) return;
  for (auto& st : stores_) {
    std::unique_lock lock(st->mu);
    st->clear();
    const json* f = findKey(state["forms"], st->def.id);
    if (!f) continue;
    st->next_number = f->value("next_number", int64_t{1});
    if (f->contains("seen_fields"))
      for (const auto& s : (*f)["seen_fields"]) st->seen_fields.insert(s.get<std::string>());
    for (const auto& doc : f->value("docs", json::array()))
      st->put(intOr(findKey(doc, st->def.key_field), 0), doc);
  }
  next_id_ = state.value("next_id", int64_t{100001});
  next_entry_id_ = state.value("next_entry_id", int64_t{200001});
}

}  // namespace qiao::sim::k3

namespace qiao::sim::k3 {

std::string FormStore::dateKey(const json& v) {
  std::string text = v.is_string() ? v.get<std::string>() : scalarText(v);
  auto d = normalizeDate(text);
  if (!d) return text;
  return d->size() == 19 ? *d + ".000" : *d;
}

void FormStore::ensureRange(const std::string& field_lower) {
  if (ranges.count(field_lower)) return;
  auto& idx = ranges[field_lower];
  for (const auto& [id, doc] : docs)
    if (const json* v = findKey(doc, field_lower)) idx[dateKey(*v)].insert(id);
}

}  // namespace qiao::sim::k3
