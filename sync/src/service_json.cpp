// Service: canonical customer JSON in, write records out, row encodings; see service.h.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "qiao/core/datetime.h"
#include "qiao/core/timezone.h"
#include "service_impl.h"

namespace qiao::sync {
namespace {

using json = nlohmann::json;

std::string dumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Error invalid(std::string msg) {
  return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg));
}

const char* typeName(const json& j) { return j.type_name(); }

}  // namespace

std::string Service::Impl::idField(std::string_view side) const {
  auto it = opts.id_fields.find(std::string(side));
  return it == opts.id_fields.end() ? "customerId" : it->second;
}

Result<CustomerRecord> Service::Impl::parseCustomer(std::string_view side,
                                                    std::string_view text) const {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded()) return invalid(std::string(side) + " customer: not valid JSON");
  if (!j.is_object()) {
    return invalid(std::string(side) + " customer: expected an object, got " + typeName(j));
  }
  CustomerRecord r;
  const std::string id_field = idField(side);
  auto id = j.find(id_field);
  if (id == j.end() || id->is_null()) {
    return invalid(std::string(side) + " customer: " + id_field + ": missing (the " +
                   std::string(side) + " id)");
  }
  if (id->is_string()) {
    r.id = id->get<std::string>();
  } else if (id->is_number_integer() || id->is_number_unsigned()) {
    r.id = id->dump();  // K/3 FCUSTID is a number
  } else {
    return invalid(std::string(side) + " customer: " + id_field + ": expected a string, got " +
                   typeName(*id));
  }
  if (r.id.empty()) return invalid(std::string(side) + " customer: " + id_field + ": empty");
  const std::string where = std::string(side) + " customer " + r.id + ": ";
  for (const std::string& f : opts.config.fieldsOf(side)) {
    auto v = j.find(f);
    if (v == j.end() || v->is_null()) continue;
    std::string value;
    if (json_fields.count(f)) {
      value = dumpJson(*v);  // canonical: compact, object keys sorted
    } else if (v->is_string()) {
      value = v->get<std::string>();
    } else if (v->is_number() || v->is_boolean()) {
      value = v->dump();
    } else {
      return invalid(where + f + ": expected a string, got " + typeName(*v) +
                     " (list it in json_fields to sync it as JSON)");
    }
    if (!value.empty()) r.fields[f] = std::move(value);
  }
  if (auto st = j.find("status"); st != j.end() && !st->is_null()) {
    if (!st->is_string()) return invalid(where + "status: expected a string, got " + typeName(*st));
    const std::string s = st->get<std::string>();
    if (s == "forbidden") {
      r.forbidden = true;
    } else if (s == "deleted") {
      r.deleted = true;
    } else if (s != "active" && !s.empty()) {
      return invalid(where + "status: '" + s + "' is not active, forbidden or deleted");
    }
  }
  if (auto d = j.find("deleted"); d != j.end() && !d->is_null()) {
    if (!d->is_boolean()) return invalid(where + "deleted: expected a boolean, got " + typeName(*d));
    if (d->get<bool>()) r.deleted = true;
  }
  r.modified_ms = nowMs();
  if (auto m = j.find(opts.modified_field); m != j.end() && !m->is_null()) {
    if (!m->is_string()) {
      return invalid(where + opts.modified_field + ": expected an ISO-8601 string, got " +
                     typeName(*m));
    }
    const std::string t = m->get<std::string>();
    if (!t.empty()) {
      auto ms = parseInstantMs(t, *TimeZone::utc());
      if (!ms.ok()) return invalid(where + opts.modified_field + ": " + ms.error().message);
      r.modified_ms = *ms;
    }
  }
  return r;
}

std::string Service::Impl::recordJsonFor(const Link& link, const std::string& side,
                                         const std::string& kind, const std::string& target_id,
                                         const FieldMap& changed) const {
  json j = json::object();
  for (const std::string& f : opts.config.fieldsOf(side)) {
    const std::string& v = fieldValue(link.base, f);
    if (v.empty()) {
      if (kind != "create" && changed.count(f)) j[f] = nullptr;  // cleared: null removes it
      continue;
    }
    if (json_fields.count(f)) {
      json parsed = json::parse(v, nullptr, false);
      j[f] = parsed.is_discarded() ? json(v) : parsed;
    } else {
      j[f] = v;
    }
  }
  if (!target_id.empty()) j[idField(side)] = target_id;
  auto sl = link.sides.find(side);
  bool forbidden = sl != link.sides.end() && sl->second.forbidden;
  if (kind == "delete") {
    j["status"] = "deleted";
    j["deleted"] = true;
  } else {
    j["status"] = forbidden ? "forbidden" : "active";
  }
  if (kind == "flag") {
    for (const auto& [f, v] : changed) j[f] = v;
  }
  return dumpJson(j);
}

std::string fieldsJson(const FieldMap& fields) {
  json j = json::object();
  for (const auto& [k, v] : fields) j[k] = v;
  return dumpJson(j);
}

Result<FieldMap> fieldsFromJson(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return invalid("not a JSON object of fields");
  FieldMap out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string()) return invalid("field " + it.key() + " is not text");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

std::string stringsJson(const std::vector<std::string>& items) { return dumpJson(json(items)); }

std::vector<std::string> stringsFromJson(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const json& e : j) {
    if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

std::string hashText(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

uint64_t hashFromText(std::string_view text) {
  uint64_t h = 0;
  for (char c : text) {
    h <<= 4;
    if (c >= '0' && c <= '9') h |= static_cast<uint64_t>(c - '0');
    else if (c >= 'a' && c <= 'f') h |= static_cast<uint64_t>(c - 'a' + 10);
  }
  return h;
}

std::string priorJson(const OpenWrite& w) {
  json j;
  json f = json::object();
  for (const auto& [k, v] : w.prior) f[k] = v;
  j["fields"] = std::move(f);
  j["forbidden"] = w.prior_forbidden;
  return dumpJson(j);
}

void priorFromJson(std::string_view text, OpenWrite* w) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (!j.is_object()) return;
  if (auto f = j.find("fields"); f != j.end() && f->is_object()) {
    for (auto it = f->begin(); it != f->end(); ++it) {
      if (it.value().is_string()) w->prior[it.key()] = it.value().get<std::string>();
    }
  }
  if (auto b = j.find("forbidden"); b != j.end() && b->is_boolean()) w->prior_forbidden = b->get<bool>();
}

std::string membersJson(const std::vector<ReviewMember>& members) {
  json arr = json::array();
  for (const ReviewMember& m : members) {
    json rec = json::parse(m.record_json, nullptr, false);
    arr.push_back({{"side", m.side}, {"id", m.id}, {"record", rec.is_discarded() ? json() : rec}});
  }
  return dumpJson(arr);
}

std::vector<ReviewMember> membersFromJson(std::string_view text) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  std::vector<ReviewMember> out;
  if (!j.is_array()) return out;
  for (const json& e : j) {
    if (!e.is_object()) continue;
    ReviewMember m;
    m.side = e.value("side", "");
    m.id = e.value("id", "");
    if (auto r = e.find("record"); r != e.end() && !r->is_null()) m.record_json = dumpJson(*r);
    out.push_back(std::move(m));
  }
  return out;
}

std::string isoTime(int64_t ms) { return formatIso8601(ms, *TimeZone::utc()); }

}  // namespace qiao::sync
