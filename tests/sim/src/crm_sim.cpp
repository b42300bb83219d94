#include "crm_sim.h"

#include <algorithm>
#include <vector>

namespace qiao::sim {
namespace {

using nlohmann::json;
using crm::Reply;
using crm::errorReply;

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool validActor(const std::string& a) {
  if (a.empty() || a.size() > 64) return false;
  for (unsigned char c : a)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// Parses a JSON body; on failure *error is the 400 reply.
bool parseBody(const Exchange& ex, json* out, Reply* error) {
  *out = json::parse(ex.body(), nullptr, false);
  if (out->is_discarded()) {
    *error = errorReply(400, "invalid_body", "body is not valid JSON", "body");
    return false;
  }
  return true;
}

Reply methodNotAllowed(const std::string& method, const std::string& allowed) {
  return errorReply(405, "method_not_allowed", method + " is not allowed here; use " + allowed);
}

// Tracks one API request as in flight for as long as it is answered (faults included).
class InFlight {
 public:
  InFlight(std::mutex& mu, int64_t& now, int64_t& max) : mu_(mu), now_(now) {
    std::lock_guard lock(mu_);
    max = std::max(max, ++now_);
  }
  ~InFlight() {
    std::lock_guard lock(mu_);
    --now_;
  }
 private:
  std::mutex& mu_;
  int64_t& now_;
};

}  // namespace

CrmSim::CrmSim() = default;
CrmSim::~CrmSim() = default;

void CrmSim::handle(Exchange& ex) {
  const std::string& sub = ex.subpath();
  if (sub == "api" || sub.rfind("api/", 0) == 0) {
    api(ex, sub.size() > 4 ? sub.substr(4) : "");
    return;
  }
  if (!sub.empty() && sub.front() == '_') {
    admin(ex, sub);
    return;
  }
  ex.replyJson(404, crm::apiError("not_found",
                                  "the CRM simulator serves /sim/crm/api/{orders,customers} and "
                                  "admin endpoints _stats, _config, _faults, _reset, _orders, "
                                  "_customers, _webhooks"));
}

void CrmSim::api(Exchange& ex, const std::string& path) {
  InFlight counted(stats_mu_, in_flight_, max_in_flight_);
  FaultAction fault;
  {
    std::lock_guard lock(faults_mu_);
    if (fault_path_.empty() || path.rfind(fault_path_, 0) == 0) fault = faults_.next();
  }
  Config cfg;
  {
    std::lock_guard lock(config_mu_);
    cfg = config_;
  }
  {
    std::lock_guard lock(stats_mu_);
    ++requests_;
    if (fault.mode != FaultMode::kNone) ++faults_injected_;
  }
  switch (fault.mode) {
    case FaultMode::kStatus: {
      std::string body = fault.body.empty()
                             ? crm::apiError("injected_fault", "injected fault " +
                                                                   std::to_string(fault.status))
                                   .dump()
                             : fault.body;
      HeaderList extra;
      if (!fault.retry_after.empty()) extra.emplace_back("Retry-After", fault.retry_after);
      ex.reply(fault.status, body, "application/json", extra);
      return;
    }
    case FaultMode::kTimeout:
      if (!ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
      ex.replyJson(504, crm::apiError("gateway_timeout", "injected timeout"));
      return;
    case FaultMode::kReset:
      ex.abortConnection();
      return;
    case FaultMode::kSlow:
      if (!ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
      break;
    default:
      break;
  }
  if (cfg.latency_ms > 0 && !ex.sleepMs(cfg.latency_ms)) return ex.abortConnection();

  Reply r;
  std::string kind, actor = ex.header("X-Actor");
  if (actor.empty()) actor = "user";
  if (!cfg.token.empty() && ex.header("Authorization") != "Bearer " + cfg.token) {
    {
      std::lock_guard lock(stats_mu_);
      ++unauthorized_;
    }
    ex.reply(401,
             crm::apiError("unauthorized", "missing or wrong 'Authorization: Bearer <token>'").dump(),
             "application/json", {{"WWW-Authenticate", "Bearer realm=\"crm\""}});
    return;
  }
  if (!validActor(actor)) {
    r = errorReply(400, "invalid_header", "X-Actor must be 1..64 printable ASCII characters",
                   "X-Actor");
  } else {
    r = dispatch(ex, path, cfg.echo_webhooks || actor != "qiao", &kind);
  }
  if (!kind.empty() && r.status >= 200 && r.status <= 299) account(r, kind, actor);
  if (fault.mode == FaultMode::kTimeoutAfterCommit && !ex.sleepMs(fault.delay_ms))
    return ex.abortConnection();
  ex.reply(r.status, r.body);
}

Reply CrmSim::dispatch(Exchange& ex, const std::string& path, bool tell, std::string* kind) {
  const auto parts = split(path);
  crm::Notify customer_changed, order_confirmed;
  if (tell) {
    customer_changed = [this](const std::string& c) { webhooks_.publish("customer.changed", c); };
    order_confirmed = [this](const std::string& o) { webhooks_.publish("order.confirmed", o); };
  }
  const std::string& m = ex.method();
  json body;
  Reply error;
  if (parts.empty()) return errorReply(404, "not_found", "use /api/orders or /api/customers");
  if (parts[0] == "orders") {
    if (parts.size() == 1) {
      if (m == "GET") {
        crm::PageQuery q;
        std::string since_name = ex.query("updated_since").empty() ? "modified_since" : "updated_since";
        if (!crm::parsePage(since_name, ex.query(since_name), ex.query("cursor"), ex.query("limit"),
                            &q, &error))
          return error;
        return orders_.list(q);
      }
      if (m != "POST") return methodNotAllowed(m, "GET or POST");
      if (!parseBody(ex, &body, &error)) return error;
      *kind = "orders";
      return orders_.upsert(body, order_confirmed);
    }
    const std::string& id = parts[1];
    if (parts.size() == 2) {
      if (m != "GET") return methodNotAllowed(m, "GET");
      return orders_.get(id);
    }
    if (parts.size() == 3 && (parts[2] == "erp-status" || parts[2] == "payment-status")) {
      if (m != "PUT" && m != "POST") return methodNotAllowed(m, "PUT");
      if (!parseBody(ex, &body, &error)) return error;
      bool erp = parts[2] == "erp-status";
      *kind = erp ? "erp_status" : "payment_status";
      return orders_.writeBack(erp ? crm::WriteBack::kErpStatus : crm::WriteBack::kPaymentStatus,
                               id, body, ex.header("Idempotency-Key"));
    }
  } else if (parts[0] == "customers") {
    if (parts.size() == 1) {
      if (m == "GET") {
        crm::PageQuery q;
        if (!crm::parsePage("modified_since", ex.query("modified_since"), ex.query("cursor"),
                            ex.query("limit"), &q, &error))
          return error;
        std::string inc = ex.query("include_deleted", "true");
        if (inc != "true" && inc != "false")
          return errorReply(400, "invalid_parameter", "include_deleted must be true or false",
                            "include_deleted");
        return customers_.list(q, inc == "true");
      }
      if (m != "POST") return methodNotAllowed(m, "GET or POST");
      if (!parseBody(ex, &body, &error)) return error;
      *kind = "customers";
      return customers_.create(body, ex.header("Idempotency-Key"), customer_changed);
    }
    if (parts.size() == 2) {
      const std::string& id = parts[1];
      if (m == "GET") return customers_.get(id);
      if (m == "DELETE") {
        *kind = "customers";
        return customers_.remove(id, customer_changed);
      }
      if (m != "PUT" && m != "PATCH") return methodNotAllowed(m, "GET, PUT, PATCH or DELETE");
      if (!parseBody(ex, &body, &error)) return error;
      *kind = "customers";
      return customers_.update(id, body, ex.header("If-Match"), customer_changed);
    }
  }
  return errorReply(404, "not_found", "no CRM API at /api/" + path);
}

void CrmSim::account(const Reply& r, const std::string& kind, const std::string& actor) {
  std::lock_guard lock(stats_mu_);
  auto& mine = by_actor_[actor];
  ++mine["requests"];
  if (r.effect) {
    ++effects_[kind];
    ++mine["effects"];
    ++mine[kind];
    dirty_ = true;
  } else if (r.duplicate) {
    ++duplicates_;
    ++mine["duplicates"];
  } else {
    ++noops_;
    ++mine["noops"];
  }
}

json CrmSim::stats() {
  json out;
  {
    std::lock_guard lock(stats_mu_);
    json writes = json::object();
    for (const char* k : {"orders", "erp_status", "payment_status", "customers"})
      writes[k] = effects_.count(k) ? effects_.at(k) : 0;
    out = {{"requests", requests_},        {"writes", writes},
           {"duplicates", duplicates_},    {"noops", noops_},
           {"by_actor", by_actor_},        {"unauthorized", unauthorized_},
           {"faults_injected", faults_injected_},
           {"max_concurrent", max_in_flight_}, {"in_flight", in_flight_}};
  }
  out["webhooks"] = webhooks_.stats();
  out["orders"] = orders_.size();
  out["customers"] = customers_.size();
  std::lock_guard lock(faults_mu_);
  out["faults"] = faults_.describe();
  return out;
}

json CrmSim::configJson() {
  json out;
  {
    std::lock_guard lock(config_mu_);
    out = {{"latency_ms", config_.latency_ms},
           {"token", config_.token},
           {"echo_webhooks", config_.echo_webhooks}};
  }
  out.update(webhooks_.retry());
  return out;
}

void CrmSim::admin(Exchange& ex, const std::string& op) {
  const std::string& m = ex.method();
  const bool post = m == "POST" || m == "PUT";
  json body;
  Reply error;
  auto needBody = [&]() {
    if (parseBody(ex, &body, &error)) return true;
    ex.reply(error.status, error.body);
    return false;
  };
  if (op == "_stats") {
    ex.replyJson(200, stats());
  } else if (op == "_config") {
    if (post) {
      if (!needBody()) return;
      if (!body.is_object()) return ex.replyJson(400, crm::apiError("invalid_body", "body must be a JSON object"));
      try {
        std::lock_guard lock(config_mu_);
        Config c = config_;
        c.latency_ms = body.value("latency_ms", c.latency_ms);
        c.token = body.value("token", c.token);
        c.echo_webhooks = body.value("echo_webhooks", c.echo_webhooks);
        auto retry = webhooks_.retry();
        int attempts = body.value("webhook_attempts", retry["webhook_attempts"].get<int>());
        int64_t backoff = body.value("webhook_backoff_ms", retry["webhook_backoff_ms"].get<int64_t>());
        int senders = body.value("webhook_senders", retry["webhook_senders"].get<int>());
        if (c.latency_ms < 0 || c.latency_ms > 600000)
          return ex.replyJson(400, crm::apiError("invalid_field", "latency_ms must be 0..600000", "latency_ms"));
        if (senders < 1 || senders > crm::WebhookSender::kMaxSenders)
          return ex.replyJson(400, crm::apiError("invalid_field", "webhook_senders must be 1..32",
                                                 "webhook_senders"));
        if (attempts < 1 || attempts > 20 || backoff < 0 || backoff > 60000)
          return ex.replyJson(400, crm::apiError("invalid_field",
                                                 "webhook_attempts must be 1..20 and webhook_backoff_ms 0..60000",
                                                 "webhook_attempts"));
        config_ = c;
        webhooks_.setRetry(attempts, backoff);
        webhooks_.setSenders(senders);
      } catch (const json::exception& e) {
        return ex.replyJson(400, crm::apiError("invalid_field", std::string("bad config: ") + e.what()));
      }
      dirty_ = true;
    }
    ex.replyJson(200, configJson());
  } else if (op == "_faults") {
    if (post) {
      if (!needBody()) return;
      std::string err;
      std::lock_guard lock(faults_mu_);
      std::string path = body.is_object() ? body.value("path", std::string()) : "";
      if (!faults_.configure(body, &err)) return ex.replyJson(400, crm::apiError("invalid_fault", err));
      fault_path_ = path;
    }
    std::lock_guard lock(faults_mu_);
    json d = faults_.describe();
    if (!fault_path_.empty()) d["path"] = fault_path_;
    ex.replyJson(200, {{"faults", d}});
  } else if (op == "_reset" && post) {
    orders_.reset();
    customers_.reset();
    webhooks_.reset();
    {
      std::lock_guard lock(faults_mu_);
      faults_.clear();
      fault_path_.clear();
    }
    {
      std::lock_guard lock(stats_mu_);
      effects_.clear();
      by_actor_.clear();
      requests_ = duplicates_ = noops_ = unauthorized_ = faults_injected_ = 0;
      max_in_flight_ = in_flight_;
    }
    dirty_ = true;
    ex.replyJson(200, {{"reset", true}});
  } else if (op == "_orders" && m == "GET") {
    ex.reply(200, orders_.all());
  } else if (op == "_customers" && m == "GET") {
    ex.reply(200, customers_.all());
  } else if (op == "_customers/seed" && post) {
    if (!needBody()) return;
    crm::SeedRequest req;
    try {
      if (!body.is_object()) throw std::invalid_argument("body must be a JSON object");
      req.count = body.value("count", int64_t{0});
      req.seed = body.value("seed", uint64_t{1});
      req.overlap_with_k3 = body.value("overlap_with_k3", 0.0);
      req.name_variants = body.value("name_variants", 0.0);
      req.without_tax_code = body.value("without_tax_code", 0.0);
    } catch (const std::exception& e) {
      return ex.replyJson(400, crm::apiError("invalid_body",
                                             std::string("seed takes {count, seed, overlap_with_k3, "
                                                         "name_variants, without_tax_code}: ") + e.what()));
    }
    Reply r = customers_.seed(req);
    if (r.status == 200) dirty_ = true;
    ex.reply(r.status, r.body);
  } else if (op == "_customers/bulk" && post) {
    if (!needBody()) return;
    Reply r = customers_.bulk(body);
    if (r.status == 200) dirty_ = true;
    ex.reply(r.status, r.body);
  } else if (op == "_webhooks" && post) {
    if (!needBody()) return;
    Reply r = webhooks_.subscribe(body);
    if (r.status == 201) dirty_ = true;
    ex.reply(r.status, r.body);
  } else if (op == "_webhooks" && m == "DELETE") {
    webhooks_.clearSubscriptions();
    dirty_ = true;
    ex.replyJson(200, {{"cleared", true}});
  } else if (op == "_webhooks" && m == "GET") {
    ex.reply(200, webhooks_.list().body);
  } else if (op == "_webhooks/deliveries" && m == "GET") {
    std::string limit = ex.query("limit", "100");
    if (limit.empty() || limit.size() > 4 || limit.find_first_not_of("0123456789") != std::string::npos)
      return ex.replyJson(400, crm::apiError("invalid_parameter", "limit must be 0..9999", "limit"));
    ex.reply(200, webhooks_.deliveries(std::stoul(limit)).body);
  } else {
    ex.replyJson(404, crm::apiError("not_found", "no CRM admin endpoint " + op + " for " + m));
  }
}

json CrmSim::saveState() {
  dirty_ = false;
  return {{"config", configJson()},
          {"orders", orders_.save()},
          {"customers", customers_.save()},
          {"webhooks", webhooks_.save()}};
}

void CrmSim::loadState(const json& state) {
  if (state.contains("config")) {
    const auto& c = state["config"];
    std::lock_guard lock(config_mu_);
    config_.latency_ms = c.value("latency_ms", config_.latency_ms);
    config_.token = c.value("token", config_.token);
    config_.echo_webhooks = c.value("echo_webhooks", config_.echo_webhooks);
    webhooks_.setRetry(c.value("webhook_attempts", 4), c.value("webhook_backoff_ms", int64_t{200}));
    webhooks_.setSenders(std::clamp(c.value("webhook_senders", 1), 1, crm::WebhookSender::kMaxSenders));
  }
  if (state.contains("orders")) orders_.load(state["orders"]);
  if (state.contains("customers")) customers_.load(state["customers"]);
  if (state.contains("webhooks")) webhooks_.load(state["webhooks"]);
}

}  // namespace qiao::sim
