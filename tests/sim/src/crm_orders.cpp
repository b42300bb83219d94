#include "crm_orders.h"

#include <regex>
#include <stdexcept>

namespace qiao::sim::crm {
namespace {

using nlohmann::json;

// Server-owned: the write-backs and the change tracking, never taken from a posted order.
constexpr const char* kServerFields[] = {
    "modifiedAt", "version", "erpBillNo", "erpId", "erpStatus", "erpUpdatedAt",
    "paidAmount", "outstandingAmount", "paymentStatus", "paymentUpdatedAt"};
constexpr const char* kOrderAmounts[] = {"totalAmount", "taxAmount", "discountAmount",
                                         "exchangeRate"};

bool validId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (unsigned char c : id)
    if (c < 0x21 || c == '/' || c == '?' || c == '#' || c == '%' || c == 0x7f) return false;
  return true;
}

bool isDecimal(const json& v) {
  static const std::regex kDecimal(R"(-?[0-9]{1,15}(\.[0-9]{1,6})?)");
  return v.is_string() && std::regex_match(v.get_ref<const std::string&>(), kDecimal);
}

bool oneOf(const json& v, std::initializer_list<const char*> allowed) {
  if (!v.is_string()) return false;
  for (const char* a : allowed)
    if (v.get_ref<const std::string&>() == a) return true;
  return false;
}

Reply bad(const std::string& field, const std::string& message) {
  return errorReply(400, "invalid_field", message, field);
}

// Checks a write-back body; on success fills `fields` with what goes onto the order.
std::optional<Reply> checkWriteBack(WriteBack kind, const std::string& order_id, const json& b,
                                    json* fields) {
  if (!b.is_object()) return errorReply(400, "invalid_body", "body must be a JSON object", "body");
  auto oid = b.find("orderId");
  if (oid == b.end() || !oid->is_string()) return bad("orderId", "orderId is required (a string)");
  if (*oid != order_id) return bad("orderId", "orderId in the body differs from the path");
  auto at = b.find("updatedAt");
  if (at == b.end() || !at->is_string() || !parseTime(at->get<std::string>()))
    return bad("updatedAt", "updatedAt is required: ISO-8601 with an offset");
  if (kind == WriteBack::kErpStatus) {
    auto no = b.find("erpBillNo");
    if (no == b.end() || !no->is_string() || no->get_ref<const std::string&>().empty())
      return bad("erpBillNo", "erpBillNo is required (the ERP's bill number, a string)");
    auto id = b.find("erpId");
    if (id == b.end() || !((id->is_string() && !id->get_ref<const std::string&>().empty()) ||
                           id->is_number_integer()))
      return bad("erpId", "erpId is required (the ERP's internal id, a string or an integer)");
    auto st = b.find("erpStatus");
    if (st == b.end() || !oneOf(*st, {"Z", "A", "B", "C", "D"}))
      return bad("erpStatus", "erpStatus must be one of Z, A, B, C, D (K/3 document status)");
    *fields = {{"erpBillNo", *no}, {"erpId", *id}, {"erpStatus", *st}, {"erpUpdatedAt", *at}};
  } else {
    for (const char* f : {"paidAmount", "outstandingAmount"}) {
      auto v = b.find(f);
      if (v == b.end() || !isDecimal(*v))
        return bad(f, std::string(f) + " must be a decimal string such as \"1234.50\"");
    }
    auto st = b.find("paymentStatus");
    if (st == b.end() || !oneOf(*st, {"unpaid", "partial", "paid", "overpaid"}))
      return bad("paymentStatus", "paymentStatus must be unpaid, partial, paid or overpaid");
    *fields = {{"paidAmount", b["paidAmount"]},
               {"outstandingAmount", b["outstandingAmount"]},
               {"paymentStatus", *st},
               {"paymentUpdatedAt", *at}};
  }
  return std::nullopt;
}

std::optional<Reply> checkOrder(const json& o) {
  if (!o.is_object()) return errorReply(400, "invalid_body", "an order must be a JSON object", "body");
  auto id = o.find("orderId");
  if (id == o.end() || !id->is_string() || !validId(id->get<std::string>()))
    return bad("orderId", "orderId is required: 1..64 printable characters without / ? # %");
  if (auto st = o.find("status"); st != o.end() && !st->is_string())
    return bad("status", "status must be a string");
  for (const char* f : kOrderAmounts) {
    auto v = o.find(f);
    if (v != o.end() && !isDecimal(*v))
      return bad(f, std::string(f) + " must be a decimal string such as \"1234.50\"");
  }
  if (auto lines = o.find("lines"); lines != o.end()) {
    if (!lines->is_array()) return bad("lines", "lines must be an array");
    for (size_t i = 0; i < lines->size(); ++i)
      if (!(*lines)[i].is_object())
        return bad("lines[" + std::to_string(i) + "]", "a line must be a JSON object");
  }
  return std::nullopt;
}

json writeBackReply(const std::string& id, bool duplicate, const json& order) {
  return {{"orderId", id}, {"duplicate", duplicate}, {"version", order["version"]},
          {"modifiedAt", order["modifiedAt"]}};
}

}  // namespace

void OrderBook::put(const std::string& id, json order, int64_t version) {
  auto& slot = orders_[id];
  if (slot.version > 0) index_.erase({slot.modified_ms, id});
  slot.modified_ms = clock_.next();
  slot.version = version;
  order["modifiedAt"] = isoMs(slot.modified_ms);
  order["version"] = version;
  slot.order = std::move(order);
  index_.insert({slot.modified_ms, id});
}

Reply OrderBook::upsert(const json& body, const Notify& notify) {
  if (auto e = checkOrder(body)) return *e;
  json order = body;
  for (const char* f : kServerFields) order.erase(f);
  std::string id = order["orderId"];
  bool confirmed = order.value("status", std::string()) == "confirmed";
  std::lock_guard lock(mu_);
  auto it = orders_.find(id);
  Reply r;
  r.status = 201;
  int64_t version = 1;
  if (it != orders_.end()) {
    json current = it->second.order;
    json canonical = current;
    for (const char* f : kServerFields) canonical.erase(f);
    if (canonical == order) {  // the same order again: no change, no webhook
      r.status = 200;
      r.duplicate = true;
      r.body = current.dump();
      return r;
    }
    for (const char* f : kServerFields)  // the write-backs stay with the order
      if (current.contains(f) && std::string(f) != "modifiedAt" && std::string(f) != "version")
        order[f] = current[f];
    version = it->second.version + 1;
    r.status = 200;
  }
  put(id, std::move(order), version);
  r.body = orders_[id].order.dump();
  r.effect = true;
  if (confirmed && notify) notify(r.body);
  return r;
}

Reply OrderBook::get(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = orders_.find(id);
  if (it == orders_.end()) return errorReply(404, "order_not_found", "no order with orderId " + id);
  Reply r;
  r.body = it->second.order.dump();
  return r;
}

Reply OrderBook::list(const PageQuery& q) const {
  std::lock_guard lock(mu_);
  Reply r;
  r.body = listPage(index_, q, [&](const std::string& id) { return orders_.at(id).order.dump(); });
  return r;
}

Reply OrderBook::writeBack(WriteBack kind, const std::string& order_id, const json& body,
                           const std::string& idempotency_key) {
  json fields;
  if (auto e = checkWriteBack(kind, order_id, body, &fields)) return *e;
  std::string key = idempotency_key.empty()
                        ? ""
                        : (kind == WriteBack::kErpStatus ? "erp:" : "pay:") + idempotency_key;
  std::lock_guard lock(mu_);
  auto it = orders_.find(order_id);
  if (it == orders_.end())
    return errorReply(404, "order_not_found", "no order with orderId " + order_id);
  Reply r;
  json& order = it->second.order;
  bool same = true;
  for (const auto& [k, v] : fields.items()) same = same && order.contains(k) && order[k] == v;
  if (same || (!key.empty() && keys_.count(key))) {
    r.duplicate = true;
    r.body = writeBackReply(order_id, true, order).dump();
    return r;
  }
  json updated = order;
  for (const auto& [k, v] : fields.items()) updated[k] = v;
  put(order_id, std::move(updated), it->second.version + 1);
  if (!key.empty()) keys_.emplace(key, order_id);
  r.effect = true;
  r.body = writeBackReply(order_id, false, orders_[order_id].order).dump();
  return r;
}

std::string OrderBook::all() const {
  std::lock_guard lock(mu_);
  json list = json::array();
  for (const auto& key : index_) list.push_back(orders_.at(key.second).order);
  return list.dump();
}

size_t OrderBook::size() const {
  std::lock_guard lock(mu_);
  return orders_.size();
}

void OrderBook::reset() {
  std::lock_guard lock(mu_);
  orders_.clear();
  keys_.clear();
  index_.clear();
}

json OrderBook::save() const {
  std::lock_guard lock(mu_);
  json list = json::array();
  for (const auto& key : index_) list.push_back(orders_.at(key.second).order);
  return {{"clock", clock_.last()}, {"orders", std::move(list)}, {"keys", keys_}};
}

void OrderBook::load(const json& state) {
  std::lock_guard lock(mu_);
  clock_.observe(state.value("clock", int64_t{0}));
  for (const auto& o : state.value("orders", json::array())) {
    auto ms = parseTime(o.value("modifiedAt", std::string()));
    std::string id = o.value("orderId", std::string());
    if (!ms || id.empty())
      throw std::runtime_error("crm order without orderId or modifiedAt: " + o.dump());
    auto& slot = orders_[id];
    slot.order = o;
    slot.modified_ms = *ms;
    slot.version = o.value("version", int64_t{1});
    index_.insert({*ms, id});
    clock_.observe(*ms);
  }
  if (state.contains("keys"))
    keys_ = state["keys"].get<std::unordered_map<std::string, std::string>>();
}

}  // namespace qiao::sim::crm
