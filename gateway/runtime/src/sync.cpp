// Two-way customer sync inside the gateway (`sync:`, docs/sync.md "Running it in the gateway"):
// the service over the store's SQLite file, the built-in `sync` sink that routes feed customers
// into (and that confirms the sync's own writes), and the writes handed to each side's route.
//
// A write travels as one message on the side's write route: business key = the write id,
// idempotency key = the service's (so enqueueing it twice is harmless), order key = the link
// (writes to one customer stay in order). The write route's on_delivered.then is pointed at
// the internal route `_sync_confirm`, whose sink is `sync`: the follow-up is committed in the
// same transaction as "delivered", so a crash can never lose a confirmation. A dead letter on
// a write route is failWrite (onCommitted, and again at start for what a crash left).
#include <nlohmann/json.hpp>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <set>

#include "gateway_impl.h"
#include "sync_runtime.h"
#include "json_text.h"
#include "qiao/core/clock.h"
#include "qiao/core/datetime.h"
#include "qiao/core/log.h"
#include "qiao/core/timezone.h"
#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"
#include "qiao/sync/service.h"

namespace qiao::runtime {

using nlohmann::json;

namespace {
constexpr const char* kConfirmRoute = "_sync_confirm";
constexpr const char* kConfirmEntity = "sync_confirm";
constexpr const char* kIdKey = "_sideId";          // canonical record: the side's own id
constexpr const char* kModifiedKey = "_modifiedAt";  // canonical record: ISO-8601 UTC
}  // namespace

namespace {


Error permanent(const std::string& msg) { return Error::permanent(ErrorCode::kMappingError, msg); }

// A service error as a delivery error: a record the service cannot read is a dead letter
// naming the field; a store problem is retried.
Error deliveryError(const Error& e, const std::string& what) {
  if (e.code == ErrorCode::kInvalidArgument || e.code == ErrorCode::kAlreadyExists ||
      e.code == ErrorCode::kNotFound || e.code == ErrorCode::kConfigInvalid)
    return permanent(what + ": " + e.message);
  return Error::transient(e.code, what + ": " + e.message);
}

Result<mapping::Document> parseDoc(const std::string& text) {
  mapping::Document doc;
  auto st = mapping::parseJson(text, doc);
  if (!st.ok()) return permanent("not valid JSON: " + st.error().message);
  return doc;
}

// "data.Model.FT_BD_CUSTCONTACT[0].FNAME1" under "data.Model" -> "FT_BD_CUSTCONTACT".
std::string fieldUnder(const std::string& target, const std::string& prefix) {
  std::string rest = target;
  if (!prefix.empty()) {
    if (target.compare(0, prefix.size() + 1, prefix + ".") != 0) return "";
    rest = target.substr(prefix.size() + 1);
  }
  return rest.substr(0, rest.find_first_of(".["));
}

std::string topField(const std::string& source_path) {
  return source_path.substr(0, source_path.find_first_of(".["));
}

}  // namespace

// Delivers customers into the sync (entity anything but sync_confirm) and the confirmations of
// its own writes (entity sync_confirm, from the internal route).
class SyncSink final : public sdk::Sink {
 public:
  explicit SyncSink(GatewayImpl& gw) : gw_(gw) {}
  Result<sdk::Delivery> deliver(const Record& record) override { return gw_.syncDeliver(record); }
  sdk::Health health() override { return {}; }

 private:
  GatewayImpl& gw_;
};

Status GatewayImpl::buildSync() {
  const config::SyncConfig& sc = cfg_.sync;
  if (!sc.enabled) return {};
  auto rt = std::make_shared<SyncRuntime>();
  sync::ServiceOptions o;
  o.sqlite_path = cfg_.store.path;
  o.busy_timeout_ms = cfg_.store.busy_timeout_ms;
  o.synchronous_full = cfg_.store.synchronous == "full";
  o.config.fields = sc.fields;
  o.config.owner = sc.owner;
  o.config.create_unlinked = sc.create_unlinked;
  o.wait_for_first_sync = sc.first_sync == "required";
  o.match_keys.tax_field = sc.match_tax_field;
  o.match_keys.name_field = sc.match_name_field;
  o.match_keys.phone_field = sc.match_phone_field;
  o.match_keys.review_name_only = sc.review_name_only;
  o.json_fields = sc.json_fields;
  o.modified_field = kModifiedKey;
  for (const config::SyncSideConfig& s : sc.sides) {
    sync::SideConfig side;
    side.name = s.name;
    auto del = sync::parseLifecyclePolicy(s.on_delete);
    auto forbid = sync::parseLifecyclePolicy(s.on_forbid);
    if (!del.ok() || !forbid.ok())
      return Error::permanent(ErrorCode::kConfigInvalid, "sync.sides." + s.name + ": bad lifecycle policy");
    side.on_delete = *del;
    side.on_forbid = *forbid;
    side.flag_field = s.flag_field;
    side.carries = s.carries;
    // A side in its own shape (K/3) has no delete in its mapping, and K/3 deletes only
    // unaudited base data: a mirrored delete is a forbid there (docs/sync.md).
    side.delete_as_forbid = !s.mapping.empty();
    o.config.sides.push_back(side);
    o.id_fields[s.name] = kIdKey;
    SyncRuntime::Side& rs = rt->sides[s.name];
    rs.cfg = &s;
    for (auto [text, path] : {std::pair{&s.id_path, &rs.id_path}, std::pair{&s.modified_path, &rs.modified_path}}) {
      if (text->empty()) continue;
      auto compiled = mapping::Path::compile(*text);  // checked as a pointer at load already
      if (!compiled.ok())
        return Error::permanent(ErrorCode::kConfigInvalid, "sync.sides." + s.name + ": " + *text + ": " + compiled.error().message);
      *path = std::move(compiled).value();
    }
    if (!s.mapping.empty()) {
      auto plan = loadNamedMapping(cfg_, s.mapping, "sync.sides." + s.name);
      if (!plan.ok()) return plan.takeError();
      rs.plan = std::move(plan).value();
    }
    for (const auto& src : s.sources) rt->by_source[src] = s.name;
    rt->by_route[s.route] = s.name;
    if (!s.create_route.empty()) rt->by_route[s.create_route] = s.name;
  }
  if (Status st = o.config.validate(); !st.ok())
    return Error::permanent(ErrorCode::kConfigInvalid, "sync: " + st.error().message);
  auto zone = TimeZone::load(cfg_.gateway.timezone);
  rt->zone = zone.ok() ? *zone : TimeZone::utc();
  auto svc = sync::Service::open(o);
  if (!svc.ok()) return Error::permanent(svc.error().code, "sync: " + svc.error().message);
  rt->svc = std::move(svc).value();

  // Every write route confirms through the internal route, beside any `then` of its own.
  for (const auto& [route, side] : rt->by_route) cfg_.routes.at(route).on_delivered.then.push_back(kConfirmRoute);
  config::RouteConfig confirm;
  confirm.name = kConfirmRoute;
  confirm.source = "ingest";
  confirm.sink = config::kSyncSink;
  confirm.entity = kConfirmEntity;
  cfg_.routes[kConfirmRoute] = confirm;
  sync_ = std::move(rt);

  config::ConnectorConfig cc;
  cc.name = config::kSyncSink;
  cc.type = "sync";
  // Enough callers at once for a batch (syncDeliver); the service serialises its calls.
  cc.concurrency = std::max(1, sc.batch_max);
  if (!lanes_.count(cc.name)) lanes_[cc.name] = std::make_unique<Lane>(cc, std::make_unique<SyncSink>(*this));
  return {};
}

sync::Service* GatewayImpl::customerSync() { return sync_ ? sync_->svc.get() : nullptr; }

// A side's record (its own shape) as the canonical customer the service reads.
Result<std::string> GatewayImpl::syncCanonical(const std::string& side, const std::string& payload) {
  // The mapping engine's documents only (no JSON tree of another library): a first sync reads
  // each of 200,000 customers twice, so this is its hot path. Numbers keep their exact text.
  const SyncRuntime::Side& s = sync_->sides.at(side);
  auto in = parseDoc(payload);
  if (!in.ok() || !in->root().isObject()) return permanent(side + " customer: expected a JSON object");
  auto text = [](mapping::Value v) -> std::string {
    if (v.isString()) return std::string(v.asString());
    if (v.isNumber()) return std::string(v.numberText());
    return "";
  };
  std::string id = s.id_path.empty() ? "" : text(mapping::get(in->root(), s.id_path));
  if (id.empty()) return permanent(side + " customer: no id at " + s.cfg->id_path);
  std::string modified = s.modified_path.empty() ? "" : text(mapping::get(in->root(), s.modified_path));
  mapping::Document mapped;
  mapping::Document* out = &*in;
  if (s.plan) {
    auto st = mapping::apply(*s.plan, in->root(), mapped, mapping::Direction::kReverse);
    if (!st.ok()) return permanent(side + " customer: " + st.error().message);
    if (!mapped.root().isObject()) mapped.root().setObject();
    out = &mapped;
  }
  out->root().set(kIdKey).setString(id);
  if (!modified.empty()) {
    auto ms = parseInstantMs(modified, *sync_->zone);
    if (!ms.ok()) return permanent(side + " customer " + id + ": " + s.cfg->modified_path + ": " + ms.error().message);
    out->root().set(kModifiedKey).setString(formatIso8601(*ms, *TimeZone::utc()));
  }
  return mapping::toJson(out->root());
}

// One write in the shape of the side's write route.
Result<Record> GatewayImpl::syncWriteRecord(const sync::SyncWrite& w) {
  const SyncRuntime::Side& s = sync_->sides.at(w.side);
  json rec = json::parse(w.record_json, nullptr, false);
  if (!rec.is_object()) return permanent("write " + w.write_id + ": record is not an object");
  rec.erase(kIdKey);
  rec.erase(kModifiedKey);
  json body;
  if (!s.plan) {
    body = std::move(rec);
  } else {
    // A cleared field is null in the record (null removes it from a canonical side), and a
    // mapping writes nothing for null: K/3 would keep its old value and the next pull would
    // bring it back. Written as "" it is cleared there too (and named in NeedUpDateFields).
    // Fields holding JSON (contacts, bank rows) are not: an entry table is not cleared by "".
    if (w.kind != "create") {
      const auto& json_fields = cfg_.sync.json_fields;
      for (const std::string& f : w.changed_fields) {
        auto v = rec.find(f);
        if (v != rec.end() && v->is_null() &&
            std::find(json_fields.begin(), json_fields.end(), f) == json_fields.end())
          *v = "";
      }
    }
    auto in = parseDoc(rec.dump());
    if (!in.ok()) return in.takeError();
    mapping::Document out;
    mapping::Trace trace;  // only an update needs it (NeedUpDateFields)
    auto st = mapping::apply(*s.plan, in->root(), out, mapping::Direction::kForward, nullptr,
                             w.kind == "create" ? nullptr : &trace);
    if (!st.ok()) return permanent("write " + w.write_id + " to " + w.side + ": " + st.error().message);
    body = json::parse(mapping::toJson(out.root()), nullptr, false);
    // The object holding the id (data.Model for K/3) is where the fields are: NeedUpDateFields
    // lists the keys there that the changed canonical fields were mapped to.
    std::string id_parent = s.cfg->id_path.substr(0, s.cfg->id_path.rfind('/'));
    std::string prefix = id_parent.empty() ? "" : id_parent.substr(1);
    for (auto& ch : prefix)
      if (ch == '/') ch = '.';
    json keys = json::array();
    std::set<std::string> changed(w.changed_fields.begin(), w.changed_fields.end());
    std::set<std::string> seen;
    for (const mapping::TraceEntry& t : trace) {
      if (t.value.empty()) continue;
      std::string key = fieldUnder(t.target, prefix);
      if (key.empty()) continue;
      bool hit = false;
      for (const auto& src : t.sources) hit = hit || changed.count(topField(src.path)) > 0;
      if (hit && seen.insert(key).second) keys.push_back(key);
    }
    try {
      if (w.kind == "flag" && !s.cfg->flag_field.empty()) {
        // The flag field is the side's own key (FDescription), written beside the mapped fields.
        body[json::json_pointer(id_parent + "/" + s.cfg->flag_field)] = rec.value(s.cfg->flag_field, json(""));
        if (seen.insert(s.cfg->flag_field).second) keys.push_back(s.cfg->flag_field);
      }
      if (w.kind != "create") {
        // K/3: {"formid":..,"data":{"Model":..}} -> data.NeedUpDateFields, beside the Model.
        std::string holder = id_parent.substr(0, id_parent.empty() ? 0 : id_parent.rfind('/'));
        body[json::json_pointer(holder + "/NeedUpDateFields")] = keys;
      }
    } catch (const json::exception& e) {
      return permanent("write " + w.write_id + " to " + w.side + ": the mapped body has no place for " +
                       s.cfg->id_path + ": " + e.what());
    }
  }
  if (w.kind != "create") {
    const std::string& id = w.target_id;
    bool digits = !id.empty() && id.size() < 18 && id.find_first_not_of("0123456789") == std::string::npos;
    try {
      body[json::json_pointer(s.cfg->id_path)] = digits && s.plan ? json(std::stoll(id)) : json(id);
    } catch (const json::exception& e) {
      return permanent("write " + w.write_id + ": cannot set " + s.cfg->id_path + ": " + e.what());
    }
  }
  Record r;
  r.payload = body.dump();
  r.entity = "customer";
  r.source_system = "sync";
  r.business_key = w.write_id;
  r.idempotency_key = w.idempotency_key;
  return r;
}

Status GatewayImpl::syncEnqueue(const std::vector<sync::SyncWrite>& writes) {
  if (writes.empty()) return {};
  std::vector<store::NewMessage> batch;
  batch.reserve(writes.size());
  int64_t now = Clock::system().nowMs();
  for (const sync::SyncWrite& w : writes) {
    const config::SyncSideConfig& s = *sync_->sides.at(w.side).cfg;
    const std::string& route = w.kind == "create" && !s.create_route.empty() ? s.create_route : s.route;
    auto rec = syncWriteRecord(w);
    if (!rec.ok()) {
      // Cannot be expressed for that side (a mapping field error): never silently dropped.
      log::error("sync.write_unmappable", {{"write", w.write_id}, {"side", w.side}, {"error", rec.error().message}});
      (void)sync_->svc->failWrite(w.write_id, rec.error().message);
      continue;
    }
    store::NewMessage m = prepare(route, std::move(rec).value(), now);
    m.order_key = w.link_id;  // writes to one customer in the order they were planned
    batch.push_back(std::move(m));
  }
  if (batch.empty()) return {};
  auto res = commit(batch, now);
  if (!res.ok()) {
    sync_->enqueue_failed = true;  // the service holds them as pending: re-enqueued next time
    log::error("sync.enqueue_failed", {{"writes", static_cast<long>(batch.size())}, {"error", res.error().message}});
    return res.error();
  }
  return {};
}

Result<sdk::Delivery> GatewayImpl::syncDeliver(const Record& record) {
  if (sync_->enqueue_failed.exchange(false)) {
    if (Status st = syncEnqueuePending(); !st.ok()) return Error::transient(ErrorCode::kStoreBusy, st.error().message);
  }
  sdk::Delivery d;
  if (record.entity == kConfirmEntity) {
    json doc = json::parse(record.payload, nullptr, false);
    if (!doc.is_object()) return permanent("sync confirmation: payload is not an object");
    const json& from = doc.value("from", json::object());
    std::string route = from.is_object() ? from.value("route", std::string()) : "";
    auto side_it = sync_->by_route.find(route);
    std::string new_id;
    if (side_it != sync_->by_route.end()) {
      const config::SyncSideConfig& s = *sync_->sides.at(side_it->second).cfg;
      const json& result = doc.value("result", json::object());
      if (!s.created_id_path.empty()) new_id = textAt(result, s.created_id_path);
      else if (result.is_object() && result.contains("Id")) new_id = textAt(result, "/Id");  // K/3 Save
    }
    if (new_id.empty() && from.is_object()) new_id = from.value("remote_id", std::string());
    return syncConfirm(record.business_key, new_id);
  }
  auto side = sync_->by_source.find(record.source_system);
  if (side == sync_->by_source.end())
    return permanent("sync: record from '" + record.source_system +
                     "' belongs to no side (list it in sync.sides.<side>.sources)");
  auto canonical = syncCanonical(side->second, record.payload);
  if (!canonical.ok()) return canonical.takeError();
  json c = json::parse(*canonical);
  SyncBatchItem item;
  item.side = side->second;
  item.id = c.value(kIdKey, std::string());
  item.modified = c.value(kModifiedKey, std::string());
  item.canonical = std::move(canonical).value();
  SyncRuntime& rt = *sync_;
  std::unique_lock lock(rt.batch_mu);
  rt.waiting.push_back(&item);
  rt.batch_cv.notify_all();
  while (!item.done) {
    if (rt.leading) {
      rt.batch_cv.wait(lock);
      continue;
    }
    rt.leading = true;
    auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(cfg_.sync.batch_window_ms);
    rt.batch_cv.wait_until(lock, until, [&] {
      return rt.waiting.size() >= static_cast<size_t>(cfg_.sync.batch_max) || stopping_.load();
    });
    std::vector<SyncBatchItem*> batch;
    batch.swap(rt.waiting);
    lock.unlock();
    syncPlanBatch(batch);
    lock.lock();
    rt.leading = false;
    rt.batch_cv.notify_all();
  }
  return std::move(item.outcome);
}

// Waits its turn in the group commit of confirmations (SyncRuntime::Confirm).
Result<sdk::Delivery> GatewayImpl::syncConfirm(const std::string& write_id, const std::string& new_id) {
  SyncRuntime& rt = *sync_;
  SyncRuntime::Confirm item;
  item.c = {write_id, new_id};
  std::unique_lock lock(rt.confirm_mu);
  rt.confirm_waiting.push_back(&item);
  while (!item.done) {
    if (rt.confirm_leading) {
      rt.confirm_cv.wait(lock);
      continue;
    }
    rt.confirm_leading = true;
    std::vector<SyncRuntime::Confirm*> batch;
    batch.swap(rt.confirm_waiting);
    lock.unlock();
    std::vector<sync::Service::Confirmation> cs;
    cs.reserve(batch.size());
    for (const auto* c : batch) cs.push_back(c->c);
    auto results = rt.svc->confirmWrites(cs);
    // The released writes of the whole batch in one enqueue; when it fails they stay pending
    // in the service and go out with the next delivery (enqueue_failed).
    std::vector<sync::SyncWrite> released;
    for (auto& r : results)
      if (r.ok()) released.insert(released.end(), std::make_move_iterator(r->begin()), std::make_move_iterator(r->end()));
    Status enq = syncEnqueue(released);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      SyncRuntime::Confirm& c = *batch[i];
      if (!results[i].ok()) {
        c.outcome = deliveryError(results[i].error(), "sync confirm " + c.c.write_id);
      } else if (!enq.ok() && !results[i]->empty()) {
        c.outcome = Error::transient(ErrorCode::kStoreBusy, enq.error().message);
      } else {
        sdk::Delivery d;
        d.remote_id = c.c.write_id;
        c.outcome = std::move(d);
      }
      c.done = true;
    }
    lock.lock();
    rt.confirm_leading = false;
    rt.confirm_cv.notify_all();
  }
  return std::move(item.outcome);
}

// One ingestCycle over the customers delivered together. A customer twice on one side keeps
// its newest version (the others are answered as planned: they are older states of it).
void GatewayImpl::syncPlanBatch(const std::vector<SyncBatchItem*>& batch) {
  std::map<std::pair<std::string, std::string>, SyncBatchItem*> newest;
  for (SyncBatchItem* it : batch) {
    auto& slot = newest[{it->side, it->id}];
    if (!slot || slot->modified <= it->modified) slot = it;
  }
  std::map<std::string, std::vector<std::string>> records;
  std::map<std::string, std::vector<SyncBatchItem*>> order;  // side -> items by index
  for (auto& [key, it] : newest) {
    records[it->side].push_back(it->canonical);
    order[it->side].push_back(it);
  }
  auto finish = [&](SyncBatchItem* it, Result<sdk::Delivery> r) {
    it->outcome = std::move(r);
    it->done = true;
  };
  auto r = sync_->svc->ingestCycle(records);
  if (r.ok()) {
    std::string per_side;
    for (const auto& [side, recs] : records) per_side += (per_side.empty() ? "" : ",") + side + ":" + std::to_string(recs.size());
    log::info("sync.planned", {{"records", static_cast<long>(batch.size())},
                               {"sides", per_side},
                               {"writes", static_cast<long>(r->writes.size())},
                               {"echoes", static_cast<long>(r->echoes)},
                               {"conflicts", static_cast<long>(r->conflicts)}});
    for (const auto& note : r->policy_notes) log::info("sync.policy", {{"note", note}});
    if (Status st = syncEnqueue(r->writes); !st.ok()) {
      // The service holds the writes as pending; they go out with the next delivery.
      log::warn("sync.enqueue_deferred", {{"error", st.error().message}});
    }
  }
  // A rejected record is named by its side ("crm record #3: ...") and its index there.
  std::map<SyncBatchItem*, std::string> rejected;
  if (r.ok())
    for (const auto& rej : r->rejected)
      for (auto& [side, items] : order)
        if (rej.message.rfind(side + " record #", 0) == 0 && rej.index < items.size())
          rejected[items[rej.index]] = rej.message;
  for (SyncBatchItem* it : batch) {
    if (!r.ok()) {
      finish(it, deliveryError(r.error(), it->side + " customer " + it->id));
    } else if (rejected.count(it)) {
      finish(it, permanent(it->side + " customer " + it->id + ": " + rejected[it]));
    } else {
      sdk::Delivery d;
      d.remote_id = it->side + ":" + it->id;
      finish(it, std::move(d));
    }
  }
}

// Dead letters of write routes: the write will not be made.
void GatewayImpl::syncAfterCommit(const std::vector<store::Completion>& done) {
  if (!sync_) return;
  for (const store::Completion& c : done) {
    if (c.kind != store::Completion::Kind::kDead) continue;
    auto m = store_->getMessage(c.message_id);
    if (!m.ok() || !m->has_value() || !sync_->by_route.count((*m)->route)) continue;
    Status st = sync_->svc->failWrite((*m)->record.business_key, c.error);
    if (!st.ok()) log::warn("sync.fail_write", {{"write", (*m)->record.business_key}, {"error", st.error().message}});
  }
}

// At start: pending writes are enqueued again (a crash between the service's commit and the
// enqueue would lose them; the idempotency key makes the repeat a no-op), and the dead letters
// of write routes a crash kept from failWrite are told to the service.
void GatewayImpl::syncResume() {
  if (!sync_) return;
  std::set<std::string> ids;  // the pending writes
  for (std::string after;;) {
    std::vector<sync::SyncWrite> page = sync_->svc->pendingWrites(after, sync::Service::kFirstSyncChunk);
    if (page.empty()) break;
    after = page.back().write_id;
    for (const auto& w : page) ids.insert(w.write_id);
  }
  for (const auto& [route, side] : sync_->by_route) {
    store::DeadLetterFilter f;
    f.route = route;
    f.limit = 1000;
    for (int page = 0; page < 1000; ++page) {
      auto dl = store_->listDeadLetters(f);
      if (!dl.ok() || dl->empty()) break;
      for (const auto& d : *dl)
        if (ids.count(d.business_key)) (void)sync_->svc->failWrite(d.business_key, d.reason);
      f.after_id = dl->back().id;
    }
  }
  if (Status st = syncEnqueuePending(); !st.ok())
    log::error("sync.resume_failed", {{"error", st.error().message}});
  log::info("sync.resumed", {{"pending", static_cast<long>(sync_->svc->counts().pending)}});
}

// Every pending write enqueued again, a page at a time (after a first sync 150,000 of them).
Status GatewayImpl::syncEnqueuePending() {
  std::string after;
  for (;;) {
    std::vector<sync::SyncWrite> page = sync_->svc->pendingWrites(after, sync::Service::kFirstSyncChunk);
    if (page.empty()) return {};
    after = page.back().write_id;
    QIAO_RETURN_IF_ERROR(syncEnqueue(page));
  }
}

// POST /api/v1/sync/review/{id}: {"pair":{"crm":"C2","k3cloud":"100502"}} or {"pair":{}}.
Result<std::string> GatewayImpl::syncResolveReview(int64_t id, const std::string& body, const std::string& user) {
  if (!sync_) return Error::permanent(ErrorCode::kConfigInvalid, "sync is not enabled (no sync: section)");
  json doc = json::parse(body.empty() ? "{}" : body, nullptr, false);
  if (!doc.is_object()) return Error::permanent(ErrorCode::kInvalidArgument, "body: expected {\"pair\":{\"<side>\":\"<id>\",...}}");
  std::map<std::string, std::string> pair;
  if (doc.contains("pair")) {
    if (!doc["pair"].is_object()) return Error::permanent(ErrorCode::kInvalidArgument, "pair: expected an object side -> id");
    for (const auto& [side, v] : doc["pair"].items()) {
      if (!v.is_string() && !v.is_number()) return Error::permanent(ErrorCode::kInvalidArgument, "pair." + side + ": expected an id");
      pair[side] = v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  auto r = sync_->svc->resolveReview(id, pair, user);
  if (!r.ok()) return r.error();
  if (Status st = syncEnqueue(r->writes); !st.ok()) return st.error();
  return json{{"linkId", r->link_id}, {"writes", r->writes.size()}}.dump();
}

}  // namespace qiao::runtime
