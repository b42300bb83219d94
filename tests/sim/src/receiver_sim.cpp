#include "receiver_sim.h"

#include <chrono>
#include <deque>
#include <mutex>
#include <unordered_set>

#include "sim_faults.h"

namespace qiao::sim {
namespace {

constexpr size_t kKeptRecords = 10000;
constexpr size_t kMaxTrackedConnections = 100000;

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct StoredRecord {
  uint64_t seq = 0;
  std::string id, method, path, uri, body;
  HeaderList headers;
  int64_t time_ms = 0;
};

struct Commit {
  std::string id;
  bool duplicate = false;
};

}  // namespace

struct ReceiverSim::Receiver {
  std::mutex mu;
  bool dedupe = true;
  std::string idem_header = "Idempotency-Key";
  int status = 201;
  FaultPlan faults;
  int64_t requests = 0, effects = 0, duplicates = 0, faults_injected = 0;
  uint64_t next_id = 1, seq = 0;
  std::unordered_map<std::string, std::string> keys;  // idempotency key -> id
  std::deque<StoredRecord> records;                   // the last kKeptRecords effects
  std::unordered_set<std::string> connections;        // distinct client ip:port seen
  int64_t in_flight = 0, max_in_flight = 0;           // concurrent write requests

  nlohmann::json stats() const {  // caller holds mu
    return {{"requests", requests},       {"effects", effects},
            {"duplicates", duplicates},   {"unique_keys", keys.size()},
            {"connections", connections.size()}, {"faults_injected", faults_injected},
            {"max_concurrent", max_in_flight},
            {"faults", faults.describe()}};
  }
  void reset() {  // caller holds mu; keeps the configuration
    faults.clear();
    requests = effects = duplicates = faults_injected = 0;
    next_id = 1;
    seq = 0;
    keys.clear();
    records.clear();
    connections.clear();
    max_in_flight = in_flight;
  }
};

namespace {
// Counts a write request as in flight for as long as it is being answered (faults included).
class InFlight {
 public:
  explicit InFlight(ReceiverSim::Receiver& r) : r_(r) {
    std::lock_guard lock(r_.mu);
    r_.max_in_flight = std::max(r_.max_in_flight, ++r_.in_flight);
  }
  ~InFlight() {
    std::lock_guard lock(r_.mu);
    --r_.in_flight;
  }
 private:
  ReceiverSim::Receiver& r_;
};
}  // namespace

ReceiverSim::ReceiverSim() = default;
ReceiverSim::~ReceiverSim() = default;

std::shared_ptr<ReceiverSim::Receiver> ReceiverSim::get(const std::string& name) {
  {
    std::shared_lock lock(map_mu_);
    auto it = receivers_.find(name);
    if (it != receivers_.end()) return it->second;
  }
  std::unique_lock lock(map_mu_);
  auto& slot = receivers_[name];
  if (!slot) slot = std::make_shared<Receiver>();
  return slot;
}

void ReceiverSim::handle(Exchange& ex) {
  const std::string& sub = ex.subpath();
  auto slash = sub.find('/');
  std::string name = sub.substr(0, slash);
  std::string rest = slash == std::string::npos ? "" : sub.substr(slash + 1);
  if (name.empty()) {
    nlohmann::json all = nlohmann::json::object();
    std::shared_lock lock(map_mu_);
    for (const auto& [n, r] : receivers_) {
      std::lock_guard rl(r->mu);
      all[n] = r->stats();
    }
    ex.replyJson(200, {{"receivers", all}});
    return;
  }
  auto receiver = get(name);
  if (!rest.empty() && rest.front() == '_') {
    admin(*receiver, rest, ex);
    return;
  }
  const auto& m = ex.method();
  if (m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE") {
    write(*receiver, ex);
    return;
  }
  ex.replyJson(405, {{"error", "receiver accepts POST, PUT, PATCH or DELETE; admin: _stats, "
                               "_records, _reset, _faults, _config"}});
}

void ReceiverSim::write(Receiver& r, Exchange& ex) {
  InFlight counted(r);
  FaultAction fault;
  std::string idem_header;
  bool dedupe = false;
  int status = 201;
  {
    std::lock_guard lock(r.mu);
    ++r.requests;
    if (r.connections.size() < kMaxTrackedConnections) r.connections.insert(ex.client());
    fault = r.faults.next();
    if (fault.mode != FaultMode::kNone) ++r.faults_injected;
    idem_header = r.idem_header;
    dedupe = r.dedupe;
    status = r.status;
  }
  auto commit = [&]() -> Commit {
    std::string key = dedupe && !idem_header.empty() ? ex.header(idem_header) : "";
    StoredRecord rec;
    rec.method = ex.method();
    rec.path = ex.path();
    rec.uri = ex.rawUri();
    rec.body = ex.body();
    rec.headers = ex.headers();
    rec.time_ms = nowMs();
    std::lock_guard lock(r.mu);
    if (!key.empty()) {
      auto it = r.keys.find(key);
      if (it != r.keys.end()) {
        ++r.duplicates;
        return {it->second, true};
      }
    }
    ++r.effects;
    rec.id = "R-" + std::to_string(r.next_id++);
    rec.seq = ++r.seq;
    if (!key.empty()) r.keys.emplace(key, rec.id);
    Commit c{rec.id, false};
    r.records.push_back(std::move(rec));
    if (r.records.size() > kKeptRecords) r.records.pop_front();
    dirty_ = true;
    return c;
  };
  auto answer = [&](const Commit& c) {
    ex.replyJson(c.duplicate ? 200 : status,
                 {{"id", c.id}, {"received", true}, {"duplicate", c.duplicate}});
  };

  switch (fault.mode) {
    case FaultMode::kStatus: {
      std::string body = fault.body.empty()
                             ? nlohmann::json{{"error", "injected fault"},
                                              {"status", fault.status}}.dump()
                             : fault.body;
      HeaderList extra;
      if (!fault.retry_after.empty()) extra.emplace_back("Retry-After", fault.retry_after);
      ex.reply(fault.status, body, "application/json", extra);
      return;
    }
    case FaultMode::kTimeout:
      if (!ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
      ex.replyJson(504, {{"error", "injected timeout"}});
      return;
    case FaultMode::kReset:
      ex.abortConnection();
      return;
    case FaultMode::kSlow:
      if (!ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
      answer(commit());
      return;
    case FaultMode::kTimeoutAfterCommit: {
      Commit c = commit();
      if (!ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
      answer(c);
      return;
    }
    case FaultMode::kNone:
    case FaultMode::kRate:
      answer(commit());
      return;
  }
}

void ReceiverSim::admin(Receiver& r, const std::string& op, Exchange& ex) {
  const bool post = ex.method() == "POST" || ex.method() == "PUT";
  if (op == "_stats") {
    std::lock_guard lock(r.mu);
    ex.replyJson(200, r.stats());
  } else if (op == "_records") {
    size_t limit = 100, offset = 0;
    try {
      limit = std::stoul(ex.query("limit", "100"));
      offset = std::stoul(ex.query("offset", "0"));
    } catch (const std::exception&) {
      ex.replyJson(400, {{"error", "limit and offset must be numbers"}});
      return;
    }
    limit = std::min(limit, kKeptRecords);
    nlohmann::json list = nlohmann::json::array();
    std::lock_guard lock(r.mu);
    for (size_t i = offset; i < r.records.size() && list.size() < limit; ++i) {
      const auto& rec = r.records[i];
      nlohmann::json headers = nlohmann::json::object();
      for (const auto& [k, v] : rec.headers) headers[k] = v;
      nlohmann::json item{{"seq", rec.seq},         {"id", rec.id},   {"method", rec.method},
                          {"path", rec.path},       {"uri", rec.uri},
                          {"body", rec.body},       {"headers", headers},
                          {"time_ms", rec.time_ms}};
      auto parsed = nlohmann::json::parse(rec.body, nullptr, false);
      if (!parsed.is_discarded()) item["json"] = std::move(parsed);
      list.push_back(std::move(item));
    }
    ex.replyJson(200, {{"total", r.effects}, {"kept", r.records.size()}, {"records", list}});
  } else if (op == "_reset" && post) {
    std::lock_guard lock(r.mu);
    r.reset();
    dirty_ = true;
    ex.replyJson(200, {{"reset", true}});
  } else if (op == "_faults" && post) {
    auto spec = nlohmann::json::parse(ex.body(), nullptr, false);
    std::string error;
    std::lock_guard lock(r.mu);
    if (spec.is_discarded() || !r.faults.configure(spec, &error)) {
      ex.replyJson(400, {{"error", error.empty() ? "body is not JSON" : error}});
      return;
    }
    ex.replyJson(200, {{"faults", r.faults.describe()}});
  } else if (op == "_faults") {
    std::lock_guard lock(r.mu);
    ex.replyJson(200, {{"faults", r.faults.describe()}});
  } else if (op == "_config") {
    std::lock_guard lock(r.mu);
    if (post) {
      auto cfg = nlohmann::json::parse(ex.body(), nullptr, false);
      if (cfg.is_discarded() || !cfg.is_object()) {
        ex.replyJson(400, {{"error", "body must be a JSON object"}});
        return;
      }
      try {
        r.dedupe = cfg.value("dedupe", r.dedupe);
        r.idem_header = cfg.value("idempotency_header", r.idem_header);
        r.status = cfg.value("status", r.status);
      } catch (const nlohmann::json::exception& e) {
        ex.replyJson(400, {{"error", e.what()}});
        return;
      }
    }
    ex.replyJson(200, {{"dedupe", r.dedupe},
                       {"idempotency_header", r.idem_header},
                       {"status", r.status}});
  } else {
    ex.replyJson(404, {{"error", "unknown receiver endpoint '" + op + "' for " + ex.method()}});
  }
}

nlohmann::json ReceiverSim::saveState() {
  dirty_ = false;
  nlohmann::json out = nlohmann::json::object();
  std::shared_lock lock(map_mu_);
  for (const auto& [name, r] : receivers_) {
    std::lock_guard rl(r->mu);
    out[name] = {{"effects", r->effects},
                 {"next_id", r->next_id},
                 {"dedupe", r->dedupe},
                 {"idempotency_header", r->idem_header},
                 {"keys", r->keys}};
  }
  return {{"receivers", out}};
}

void ReceiverSim::loadState(const nlohmann::json& state) {
  if (!state.contains("receivers")) return;
  for (const auto& [name, s] : state["receivers"].items()) {
    auto r = get(name);
    std::lock_guard lock(r->mu);
    r->effects = s.value("effects", int64_t{0});
    r->next_id = s.value("next_id", uint64_t{1});
    r->dedupe = s.value("dedupe", true);
    r->idem_header = s.value("idempotency_header", std::string("Idempotency-Key"));
    if (s.contains("keys"))
      r->keys = s["keys"].get<std::unordered_map<std::string, std::string>>();
  }
}

}  // namespace qiao::sim
