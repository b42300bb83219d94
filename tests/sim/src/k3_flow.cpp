// Forms: Submit / Audit / UnAudit / Delete (the Z/A/B/C/D status flow, reference 3.5 and
// 5.1), Forbid / Enable of base data (FForbidStatus B/A, via ExcuteOperation) and View
// (property names, reference 1.6 and 3.4).
#include <mutex>

#include "k3_forms.h"

namespace qiao::sim::k3 {
namespace {

std::string viewProp(const std::string& key) {
  if (key.size() > 1 && key[0] == 'F' && key[1] != '_') return key.substr(1);
  return key;
}

}  // namespace

json Forms::operate(const std::string& op, const FormDef& def, const json& data) {
  if (!data.is_object()) return failure(kMsgParameterError, "参数data必须是JSON对象。");
  std::vector<std::pair<bool, std::string>> targets;  // (by id, text)
  auto split = [](const std::string& s, std::vector<std::string>* out) {
    size_t start = 0;
    while (start <= s.size()) {
      size_t comma = s.find(',', start);
      std::string part = s.substr(start, comma == std::string::npos ? std::string::npos
                                                                      : comma - start);
      while (!part.empty() && part.front() == ' ') part.erase(0, 1);
      while (!part.empty() && part.back() == ' ') part.pop_back();
      if (!part.empty()) out->push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  };
  std::vector<std::string> ids, numbers;
  if (const json* v = findKey(data, "Ids")) {
    if (v->is_array())
      for (const auto& x : *v) ids.push_back(scalarText(x));
    else
      split(scalarText(*v), &ids);
  }
  if (const json* v = findKey(data, "Numbers")) {
    if (v->is_array())
      for (const auto& x : *v) numbers.push_back(scalarText(x));
    else
      split(scalarText(*v), &numbers);
  }
  if (!ids.empty())
    for (auto& s : ids) targets.emplace_back(true, s);
  else
    for (auto& s : numbers) targets.emplace_back(false, s);
  if (targets.empty()) return failure(kMsgParameterError, "参数Ids和Numbers不能同时为空。");

  FormStore& st = *store(def.id);
  std::vector<K3Error> errors;
  int code = 0;
  json successes = json::array();
  const std::string now = shanghaiNow();
  std::unique_lock lock(st.mu);
  for (size_t i = 0; i < targets.size(); ++i) {
    const int di = static_cast<int>(i);
    const auto& [by_id, text] = targets[i];
    int64_t id = 0;
    if (by_id) {
      json j = text;
      id = idValue(&j);
    } else if (auto it = st.by_number.find(text); it != st.by_number.end()) {
      id = it->second;
    }
    auto it = st.docs.find(id);
    if (it == st.docs.end()) {
      if (!code) code = kMsgDataNotFound;
      errors.push_back({"", (by_id ? "内码为“" : "编号为“") + text + "”的" + def.label + "不存在。",
                        di});
      continue;
    }
    json doc = it->second;
    std::string number = st.numberOf(doc);
    std::string status = st.statusOf(doc);
    std::string next, verb;
    if (op == "Submit") {
      verb = "提交";
      if (status == "A" || status == "D") next = "B";
    } else if (op == "Audit") {
      verb = "审核";
      if (status == "B") next = "C";
    } else if (op == "UnAudit") {
      verb = "反审核";
      if (status == "C") next = "D";
    } else if (op == "Forbid" || op == "Enable") {
      // Base data only (ExcuteOperation); the document status stays, FForbidStatus flips.
      const bool forbid = op == "Forbid";
      verb = forbid ? "禁用" : "反禁用";
      const json* fs = findKey(doc, "FForbidStatus");
      std::string current = fs ? scalarText(*fs) : "A";
      if (def.is_base_data && current == (forbid ? "A" : "B")) next = status;
    } else {
      verb = "删除";
      if (status == "Z" || status == "A" || status == "D") next = "-";
    }
    if (next.empty() && (op == "Forbid" || op == "Enable")) {
      if (!code) code = kMsgNotOperable;
      errors.push_back({"", def.label + "“" + number + "”" +
                                (def.is_base_data ? (op == "Forbid" ? "已经是禁用状态" : "未被禁用")
                                                  : std::string("不是基础资料")) +
                                "，不允许" + verb + "。",
                        di});
      continue;
    }
    if (next.empty()) {
      if (!code) code = kMsgNotOperable;
      errors.push_back({"", def.label + "“" + number + "”的数据状态为“" + statusName(status) +
                                "”，不允许" + verb + "。",
                        di});
      continue;
    }
    successes.push_back({{"Id", id}, {"Number", number}, {"DIndex", di}});
    if (next == "-") {
      st.erase(id);
      continue;
    }
    doc[def.status_field] = next;
    doc["FModifyDate"] = now;
    if (op == "Forbid" || op == "Enable") {
      doc["FForbidStatus"] = op == "Forbid" ? "B" : "A";
      doc["FForbidDate"] = op == "Forbid" ? json(now) : json(nullptr);
    }
    if (next == "C" && next != status) doc["FApproveDate"] = now;
    if (next == "D" && next != status) doc["FApproveDate"] = nullptr;
    st.put(id, std::move(doc));
  }
  bool ok = errors.empty();
  return {{"Result", {{"ResponseStatus", responseStatus(ok, code, errors, successes)}}}};
}

json Forms::refView(const std::string& form, const json& value) const {
  std::string number = refNumber(value);
  auto info = lookup(form, number);
  if (!info) return {{"Id", 0}, {"Number", number}, {"Name", json::array()}};
  return {{"Id", info->id},
          {"Number", info->number},
          {"Name", json::array({{{"Key", kLcid}, {"Value", info->name}}})}};
}

json Forms::viewObject(const FormDef& def, const json& doc) const {
  auto convert = [&](const EntityDef* e, const json& obj) {
    json out = json::object();
    for (const auto& [k, v] : obj.items()) {
      const FieldDef* f = e ? e->field(k) : nullptr;
      if (iequals(k, def.key_field) || iequals(k, "FEntryID")) {
        out["Id"] = v;
      } else if (iequals(k, def.number_field)) {
        out[def.is_base_data ? "Number" : "BillNo"] = v;
      } else if (f && f->kind == FieldKind::kRef) {
        json r = refView(f->ref_form, v);
        out[viewProp(f->key) + "_Id"] = r["Id"];
        out[viewProp(f->key)] = std::move(r);
      } else if (def.is_base_data && iequals(k, "FName")) {
        out["Name"] = json::array({{{"Key", kLcid}, {"Value", v}}});
      } else if (!v.is_structured()) {
        out[viewProp(f ? f->key : k)] = v;
      }
    }
    return out;
  };
  json out = convert(&def.header(), doc);
  for (size_t i = 1; i < def.entities.size(); ++i) {
    const auto& e = def.entities[i];
    const json* part = findKey(doc, e.key);
    json list = json::array();
    if (part && part->is_object()) list.push_back(convert(&e, *part));
    if (part && part->is_array())
      for (const auto& row : *part) list.push_back(convert(&e, row));
    out[viewProp(e.key)] = std::move(list);
  }
  return out;
}

json Forms::view(const FormDef& def, const json& data) {
  if (!data.is_object()) return failure(kMsgParameterError, "参数data必须是JSON对象。");
  const json* idv = findKey(data, "Id");
  int64_t id = idValue(idv);
  const json* nv = findKey(data, "Number");
  std::string number = nv ? scalarText(*nv) : "";
  if (id == 0 && number.empty()) return failure(kMsgParameterError, "参数Id和Number不能同时为空。");
  const FormStore& st = *store(def.id);
  json doc;
  {
    std::shared_lock lock(st.mu);
    if (id == 0) {
      auto it = st.by_number.find(number);
      if (it != st.by_number.end()) id = it->second;
    }
    auto it = st.docs.find(id);
    if (it == st.docs.end())
      return failure(kMsgDataNotFound, (number.empty() ? "内码为“" + std::to_string(id)
                                                       : "编号为“" + number) +
                                           "”的" + def.label + "不存在。");
    doc = it->second;
  }
  return {{"Result",
           {{"ResponseStatus", responseStatus(true, 0, {})}, {"Result", viewObject(def, doc)}}}};
}

}  // namespace qiao::sim::k3
