#include "crm_customers.h"

#include <cmath>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "crm_companies.h"

namespace qiao::sim::crm {
namespace {

using nlohmann::json;

constexpr int64_t kMaxSeed = 200000;
constexpr const char* kStringFields[] = {
    "customerId", "customerCode", "name",  "shortName", "taxRegisterCode", "grade",
    "phone",      "fax",          "email", "website",   "province",        "city",
    "address",    "zip",          "currency", "paymentTerms", "salesPersonCode", "status"};
// Owned by the server: ignored when a client sends them.
constexpr const char* kServerFields[] = {"modifiedAt", "version", "deleted"};

struct Problem {
  std::string field, message;
};

bool validId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id)
    if (c < 0x21 || c == '/' || c == '?' || c == '#' || c == '%' || c == 0x7f) return false;
  return true;
}

// Checks a whole customer record; prefix names it in errors ("customers[3].").
std::optional<Problem> validate(const json& c, const std::string& prefix) {
  if (!c.is_object()) return Problem{prefix.empty() ? "body" : prefix.substr(0, prefix.size() - 1),
                                     "a customer must be a JSON object"};
  for (const char* f : kStringFields) {
    auto it = c.find(f);
    if (it != c.end() && !it->is_string())
      return Problem{prefix + f, std::string(f) + " must be a string"};
  }
  auto name = c.find("name");
  if (name == c.end() || name->get<std::string>().empty())
    return Problem{prefix + "name", "name is required (the full legal name)"};
  if (auto id = c.find("customerId"); id != c.end() && !validId(id->get<std::string>()))
    return Problem{prefix + "customerId",
                   "customerId must be 1..64 printable characters without / ? # %"};
  if (auto st = c.find("status"); st != c.end()) {
    const auto& s = st->get_ref<const std::string&>();
    if (s != "active" && s != "forbidden" && s != "deleted")
      return Problem{prefix + "status", "status must be active, forbidden or deleted"};
  }
  for (const char* list : {"contacts", "bankAccounts"}) {
    auto it = c.find(list);
    if (it == c.end()) continue;
    if (!it->is_array()) return Problem{prefix + list, std::string(list) + " must be an array"};
    for (size_t i = 0; i < it->size(); ++i)
      if (!(*it)[i].is_object())
        return Problem{prefix + list + "[" + std::to_string(i) + "]", "must be a JSON object"};
  }
  return std::nullopt;
}

json withoutServerFields(json c) {
  for (const char* f : kServerFields) c.erase(f);
  return c;
}

json companyCustomer(const Company& co, const std::string& name, bool with_tax) {
  json c{{"name", name},
         {"shortName", co.shortName},
         {"grade", co.grade},
         {"phone", co.phone},
         {"province", co.province},
         {"city", co.city},
         {"address", co.address},
         {"zip", co.zip},
         {"currency", co.currency},
         {"paymentTerms", co.paymentTerms},
         {"salesPersonCode", co.salesPersonCode},
         {"status", "active"},
         {"contacts", json::array({{{"name", co.contactName},
                                    {"mobile", co.contactMobile},
                                    {"title", co.contactTitle},
                                    {"isDefault", true}}})},
         {"bankAccounts", json::array({{{"bankName", co.bankName},
                                        {"accountNo", co.bankAccount},
                                        {"accountName", co.name},
                                        {"isDefault", true}}})}};
  if (with_tax) c["taxRegisterCode"] = co.taxRegisterCode;
  if (!co.fax.empty()) c["fax"] = co.fax;
  return c;
}

// A per-customer draw in [0, 1) that depends only on (seed, ordinal, purpose).
double chance(uint64_t seed, int64_t i, uint64_t purpose) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(i) << 8) ^ purpose;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<double>(x % 1000000) / 1e6;
}

}  // namespace

std::string CustomerBook::nextId() {
  while (true) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "CU%08llu", static_cast<unsigned long long>(next_id_++));
    if (!customers_.count(buf)) return buf;
  }
}

void CustomerBook::put(const std::string& id, json record, int64_t ms, int64_t version) {
  auto& slot = customers_[id];
  if (slot.version > 0) index_.erase({slot.modified_ms, id});
  bool deleted = record.value("status", std::string("active")) == "deleted";
  record["customerId"] = id;
  record["modifiedAt"] = isoMs(ms);
  record["version"] = version;
  record["deleted"] = deleted;
  slot.json = record.dump();
  slot.modified_ms = ms;
  slot.version = version;
  slot.deleted = deleted;
  index_.insert({ms, id});
}

Reply CustomerBook::list(const PageQuery& q, bool include_deleted) const {
  std::shared_lock lock(mu_);
  Reply r;
  r.body = listPage(index_, q, [&](const std::string& id) -> std::string {
    const auto& s = customers_.at(id);
    return !include_deleted && s.deleted ? std::string() : s.json;
  });
  return r;
}

Reply CustomerBook::get(const std::string& id) const {
  std::shared_lock lock(mu_);
  auto it = customers_.find(id);
  if (it == customers_.end())
    return errorReply(404, "customer_not_found", "no customer with customerId " + id);
  Reply r;
  r.body = it->second.json;
  return r;
}

Reply CustomerBook::create(const json& body, const std::string& idempotency_key,
                           const Notify& notify) {
  if (auto p = validate(body, "")) return errorReply(400, "invalid_field", p->message, p->field);
  json record = withoutServerFields(body);
  if (!record.contains("status")) record["status"] = "active";
  std::unique_lock lock(mu_);
  if (!idempotency_key.empty()) {
    auto k = keys_.find(idempotency_key);
    if (k != keys_.end()) {
      Reply r;
      r.duplicate = true;
      r.body = customers_.at(k->second).json;
      return r;
    }
  }
  std::string id = record.value("customerId", std::string());
  if (id.empty()) {
    id = nextId();
  } else if (customers_.count(id)) {
    return errorReply(409, "customer_exists", "customerId " + id + " already exists; use PUT",
                      "customerId");
  }
  put(id, std::move(record), clock_.next(), 1);
  if (!idempotency_key.empty()) keys_.emplace(idempotency_key, id);
  Reply r;
  r.status = 201;
  r.body = customers_[id].json;
  if (notify) notify(r.body);
  r.effect = true;
  return r;
}

Reply CustomerBook::update(const std::string& id, const json& body, const std::string& if_match,
                           const Notify& notify) {
  if (!body.is_object()) return errorReply(400, "invalid_body", "body must be a JSON object", "body");
  if (auto b = body.find("customerId"); b != body.end() && (!b->is_string() || *b != id))
    return errorReply(400, "invalid_field", "customerId in the body differs from the path",
                      "customerId");
  std::unique_lock lock(mu_);
  auto it = customers_.find(id);
  if (it == customers_.end())
    return errorReply(404, "customer_not_found", "no customer with customerId " + id);
  if (!if_match.empty() && if_match != std::to_string(it->second.version))
    return errorReply(412, "version_mismatch",
                      "If-Match " + if_match + " but the customer is at version " +
                          std::to_string(it->second.version));
  json current = withoutServerFields(json::parse(it->second.json));
  json merged = current;
  for (const auto& [k, v] : body.items()) {
    if (v.is_null()) merged.erase(k);
    else merged[k] = v;
  }
  merged = withoutServerFields(std::move(merged));
  if (auto p = validate(merged, "")) return errorReply(400, "invalid_field", p->message, p->field);
  Reply r;
  if (merged == current) {  // nothing changed: no new version, no webhook
    r.body = it->second.json;
    return r;
  }
  int64_t version = it->second.version + 1;
  put(id, std::move(merged), clock_.next(), version);
  r.body = customers_[id].json;
  if (notify) notify(r.body);
  r.effect = true;
  return r;
}

Reply CustomerBook::remove(const std::string& id, const Notify& notify) {
  std::unique_lock lock(mu_);
  auto it = customers_.find(id);
  if (it == customers_.end())
    return errorReply(404, "customer_not_found", "no customer with customerId " + id);
  json current = json::parse(it->second.json);
  Reply r;
  if (it->second.deleted) {
    r.body = it->second.json;
    return r;
  }
  current["status"] = "deleted";
  put(id, withoutServerFields(std::move(current)), clock_.next(), it->second.version + 1);
  r.body = customers_[id].json;
  if (notify) notify(r.body);
  r.effect = true;
  return r;
}

Reply CustomerBook::seed(const SeedRequest& req) {
  if (req.count < 1 || req.count > kMaxSeed)
    return errorReply(400, "invalid_field", "count must be 1.." + std::to_string(kMaxSeed), "count");
  for (auto [name, v] : {std::pair{"overlap_with_k3", req.overlap_with_k3},
                         std::pair{"name_variants", req.name_variants},
                         std::pair{"without_tax_code", req.without_tax_code}}) {
    if (!(v >= 0 && v <= 1))
      return errorReply(400, "invalid_field", std::string(name) + " must be 0..1", name);
  }
  const int64_t shared = std::llround(static_cast<double>(req.count) * req.overlap_with_k3);
  std::unique_lock lock(mu_);
  int64_t ms = clock_.reserve(req.count);
  std::string first_id, last_id;
  int64_t variants = 0, no_tax = 0;
  for (int64_t i = 0; i < req.count; ++i) {
    bool is_shared = i < shared;
    uint64_t index = is_shared ? static_cast<uint64_t>(i) : kCrmOnlyBase + static_cast<uint64_t>(i);
    Company co = makeCompany(req.seed, index);
    std::string name = co.name;
    if (is_shared && chance(req.seed, i, 1) < req.name_variants) {
      std::string v = nameVariant(co, 1 + static_cast<int>(i % 3));
      if (v != name) ++variants;
      name = v;
    }
    bool with_tax = !(chance(req.seed, i, 2) < req.without_tax_code);
    if (!with_tax) ++no_tax;
    std::string id = nextId();
    if (first_id.empty()) first_id = id;
    last_id = id;
    put(id, companyCustomer(co, name, with_tax), ms + i, 1);
  }
  Reply r;
  r.body = json{{"created", req.count}, {"shared_with_k3", shared}, {"name_variants", variants},
                {"without_tax_code", no_tax}, {"first_id", first_id}, {"last_id", last_id},
                {"total", customers_.size()}}.dump();
  return r;
}

Reply CustomerBook::bulk(const json& body) {
  const json* list = &body;
  if (body.is_object() && body.contains("customers")) list = &body["customers"];
  if (!list->is_array())
    return errorReply(400, "invalid_body", "body must be an array of customers or {\"customers\":[...]}",
                      "customers");
  if (list->size() > static_cast<size_t>(kMaxSeed))
    return errorReply(400, "invalid_body", "at most " + std::to_string(kMaxSeed) + " customers per call",
                      "customers");
  for (size_t i = 0; i < list->size(); ++i) {
    if (auto p = validate((*list)[i], "customers[" + std::to_string(i) + "]."))
      return errorReply(400, "invalid_field", p->message, p->field);
  }
  std::unique_lock lock(mu_);
  int64_t ms = clock_.reserve(static_cast<int64_t>(list->size()));
  int64_t created = 0, updated = 0;
  for (size_t i = 0; i < list->size(); ++i) {
    json record = withoutServerFields((*list)[i]);
    if (!record.contains("status")) record["status"] = "active";
    std::string id = record.value("customerId", std::string());
    if (id.empty()) id = nextId();
    auto it = customers_.find(id);
    int64_t version = it == customers_.end() ? 1 : it->second.version + 1;
    (version == 1 ? created : updated)++;
    put(id, std::move(record), ms + static_cast<int64_t>(i), version);
  }
  Reply r;
  r.body = json{{"created", created}, {"updated", updated}, {"total", customers_.size()}}.dump();
  return r;
}

std::string CustomerBook::all() const {
  std::shared_lock lock(mu_);
  std::string out = "[";
  bool first = true;
  for (const auto& key : index_) {
    if (!first) out += ',';
    first = false;
    out += customers_.at(key.second).json;
  }
  return out + "]";
}

size_t CustomerBook::size() const {
  std::shared_lock lock(mu_);
  return customers_.size();
}

void CustomerBook::reset() {
  std::unique_lock lock(mu_);
  customers_.clear();
  index_.clear();
  keys_.clear();
  next_id_ = 1;  // the clock keeps running: times never go back
}

json CustomerBook::save() const {
  // Copies the texts under the lock and builds the JSON outside it: with 100,000 customers
  // writers wait for a copy, not for a serialisation. Each customer is saved as its text.
  std::vector<std::string> texts;
  json out;
  {
    std::shared_lock lock(mu_);
    texts.reserve(index_.size());
    for (const auto& key : index_) texts.push_back(customers_.at(key.second).json);
    out = {{"next_id", next_id_}, {"clock", clock_.last()}, {"keys", keys_}};
  }
  json list = json::array();
  for (auto& t : texts) list.push_back(std::move(t));
  out["customers"] = std::move(list);
  return out;
}

void CustomerBook::load(const json& state) {
  std::unique_lock lock(mu_);
  next_id_ = state.value("next_id", uint64_t{1});
  clock_.observe(state.value("clock", int64_t{0}));
  if (state.contains("keys"))
    keys_ = state["keys"].get<std::unordered_map<std::string, std::string>>();
  for (const auto& saved : state.value("customers", json::array())) {
    const json c = saved.is_string() ? json::parse(saved.get<std::string>()) : saved;
    auto ms = parseTime(c.value("modifiedAt", std::string()));
    std::string id = c.value("customerId", std::string());
    if (!ms || id.empty())
      throw std::runtime_error("crm customer without customerId or modifiedAt: " + c.dump());
    clock_.observe(*ms);
    put(id, withoutServerFields(c), *ms, c.value("version", int64_t{1}));
  }
}

}  // namespace qiao::sim::crm
