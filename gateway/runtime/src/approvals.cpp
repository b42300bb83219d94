// The approval gate (routes.<name>.approval, docs/approvals.md): a record a rule picks is held
// in the store (awaiting_approval) together with a request on the rule's `via` route, whose
// sink (WeCom approvals, an OA) opens the approval. Decisions come back through the built-in
// `approvals` sink (callbacks) or by polling sinks that can be asked; timeouts expire or
// escalate. The store applies each decision once, fenced on the held status.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <climits>
#include <boost/asio/post.hpp>

#include "gateway_impl.h"
#include "qiao/core/clock.h"
#include "qiao/core/decimal.h"
#include "qiao/core/log.h"

namespace qiao::runtime {
namespace {

using nlohmann::json;

// The scalar at pointer as text (numbers as written, booleans true/false); nullopt when absent,
// null, or not a scalar.
std::optional<std::string> scalarAt(const json& doc, const std::string& pointer) {
  if (!doc.is_object()) return std::nullopt;
  json::json_pointer ptr;
  try {
    ptr = json::json_pointer(pointer);
  } catch (const json::exception&) {
    return std::nullopt;
  }
  if (!doc.contains(ptr)) return std::nullopt;
  const json& v = doc.at(ptr);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number() || v.is_boolean()) return v.dump();
  return std::nullopt;
}

std::string firstText(const json& doc, std::initializer_list<const char*> pointers) {
  for (const char* p : pointers)
    if (auto s = scalarAt(doc, p); s && !s->empty()) return *s;
  return "";
}

// Numeric comparisons fail closed: an amount that is missing or not a number needs approval
// (a large order must not slip through because its amount could not be read).
bool matches(const config::ApprovalCondition& c, const json& doc) {
  if (c.op == "all") {
    for (const auto& child : c.children)
      if (!matches(child, doc)) return false;
    return true;
  }
  if (c.op == "any") {
    for (const auto& child : c.children)
      if (matches(child, doc)) return true;
    return false;
  }
  std::optional<std::string> v = scalarAt(doc, c.field);
  if (c.op == "eq") return v && *v == c.value;
  if (c.op == "ne") return !v || *v != c.value;
  if (c.op == "in" || c.op == "not_in") {
    bool found = v && std::find(c.values.begin(), c.values.end(), *v) != c.values.end();
    return c.op == "in" ? found : !found;
  }
  if (!v) return true;
  auto have = Decimal::parse(*v);
  auto want = Decimal::parse(c.value);
  if (!have.ok() || !want.ok()) return true;
  int cmp = Decimal::compare(*have, *want);
  if (c.op == "gt") return cmp > 0;
  if (c.op == "ge") return cmp >= 0;
  if (c.op == "lt") return cmp < 0;
  if (c.op == "le") return cmp <= 0;
  return true;
}

bool isDecisionState(const std::string& s) {
  return s == "approved" || s == "rejected" || s == "withdrawn" || s == "terminated";
}

std::string durationText(int64_t ms) {
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
  return std::to_string(ms / 1000) + "s";
}

// Decision events into the gate. A record is the route's (mapped) event: the request id in
// /requestId or /spNo (WeCom's sys_approval_change as the wecom source records it), the
// normalised /state, the approver in /approver or /decision/userid, the comment in /comment
// or /decision/speech, optionally the submitting connector in /system.
class ApprovalsSink final : public sdk::Sink {
 public:
  explicit ApprovalsSink(GatewayImpl& gw) : gw_(gw) {}

  Result<sdk::Delivery> deliver(const Record& record) override {
    json doc = json::parse(record.payload, nullptr, false);
    if (!doc.is_object())
      return Error::permanent(ErrorCode::kMappingError, "approval event: the payload is not a JSON object");
    std::string id = firstText(doc, {"/requestId", "/spNo", "/sp_no"});
    std::string state = firstText(doc, {"/state"});
    if (id.empty())
      return Error::permanent(ErrorCode::kMappingError, "approval event: no request id at /requestId or /spNo");
    if (state.empty())
      return Error::permanent(ErrorCode::kMappingError, "approval event " + id + ": no /state");
    GatewayImpl::DecisionInput in{firstText(doc, {"/system"}), id, state,
                                  firstText(doc, {"/approver", "/decision/userid"}),
                                  firstText(doc, {"/comment", "/decision/speech"})};
    QIAO_ASSIGN_OR_RETURN(std::string outcome, gw_.decideByRequest(in));
    sdk::Delivery d;
    d.remote_id = id;
    d.result_json = json{{"requestId", id}, {"state", state}, {"outcome", outcome}}.dump();
    return d;
  }
  sdk::Health health() override { return {}; }

 private:
  GatewayImpl& gw_;
};

}  // namespace

void GatewayImpl::buildApprovals() {
  for (const auto& [name, route] : cfg_.routes) {
    const config::ApprovalConfig& a = route.approval;
    if (!a.enabled()) continue;
    for (const auto& rule : a.rules) approval_request_routes_.insert(rule.via);
    if (!a.escalate_via.empty()) approval_request_routes_.insert(a.escalate_via);
    approval_poll_ms_ = std::min(approval_poll_ms_, a.poll_ms);
  }
  bool wanted = false;
  for (const auto& [name, route] : cfg_.routes) wanted |= route.sink == config::kApprovalsSink;
  if (!wanted || lanes_.count(config::kApprovalsSink)) return;  // a connector of that name wins
  config::ConnectorConfig cc;
  cc.name = config::kApprovalsSink;
  cc.type = "approvals";
  cc.concurrency = 1;
  // Its failures are events nobody waits on (yet), not an outage: they must never hold back
  // the decisions behind them.
  cc.circuit_breaker.failure_threshold = INT_MAX;
  lanes_[cc.name] = std::make_unique<Lane>(cc, std::make_unique<ApprovalsSink>(*this));
}

std::optional<store::ApprovalGate> GatewayImpl::approvalGate(const std::string& route_name,
                                                             const Record& rec, int64_t now) {
  const config::ApprovalConfig& a = cfg_.routes.at(route_name).approval;
  json doc = json::parse(rec.payload, nullptr, false);
  for (const config::ApprovalRule& rule : a.rules) {
    if (!matches(rule.when, doc)) continue;
    store::ApprovalGate g;
    g.rule = rule.name.empty() ? rule.when.describe() : rule.name;
    g.via_route = rule.via;
    g.timeout_at_ms = a.timeout_ms > 0 ? now + a.timeout_ms : 0;
    g.request = approvalRequest(route_name, rec, g.rule, rule.via, "/approval", 0);
    return g;
  }
  return std::nullopt;
}

// The request a via route receives: {"record": <as ingested>, "approval": {"route", "rule",
// "escalation"}}, keyed after the held record so that it is made once.
Record GatewayImpl::approvalRequest(const std::string& route_name, const Record& rec,
                                    const std::string& rule, const std::string& via,
                                    const std::string& key_suffix, int escalation) {
  Record r;
  r.payload = "{\"record\":" + rec.payload + ",\"approval\":" +
              json{{"route", route_name}, {"rule", rule}, {"escalation", escalation}}.dump() + "}";
  r.business_key = rec.business_key;
  r.trace_id = rec.trace_id;
  r.source_system = route_name;
  r.entity = cfg_.routes.at(via).entity;
  if (!rec.idempotency_key.empty()) r.idempotency_key = rec.idempotency_key + key_suffix;
  r.created_at_ms = r.updated_at_ms = rec.created_at_ms;
  return r;
}

Result<std::string> GatewayImpl::decideByRequest(const DecisionInput& in) {
  auto found = store_->findApprovalByRequest(in.system, in.request_id);
  if (!found.ok()) return found.takeError();
  if (!found->has_value()) {
    // Retried, then a dead letter: an event may overtake the commit of its own submission
    // (WeCom calls back as soon as the request exists); one that never matches is kept.
    log::warn("approval.unknown_request", {{"request_id", in.request_id}, {"state", in.state}});
    return Error::transient(ErrorCode::kNotFound,
                            "no record waits on approval request " + in.request_id +
                                (in.system.empty() ? "" : " of " + in.system) + " (state " + in.state + ")");
  }
  const store::Approval& a = **found;
  if (in.state == "in_approval" || in.state == "draft") return std::string("still " + in.state);
  if (!isDecisionState(in.state))
    return Error::permanent(ErrorCode::kMappingError,
                            "approval event " + in.request_id + ": unknown state '" + in.state +
                                "'; expected approved, rejected, withdrawn, terminated, in_approval or draft");
  auto applied = applyDecision(a, in.state, in.approver, in.comment, "");
  if (!applied.ok()) return applied.takeError();
  return std::string(*applied ? in.state : "already decided (" + a.state + ")");
}

Result<bool> GatewayImpl::applyDecision(const store::Approval& a, const std::string& state,
                                        const std::string& approver, const std::string& comment,
                                        const std::string& why) {
  int64_t now = Clock::system().nowMs();
  store::ApprovalDecision d;
  d.message_id = a.message_id;
  d.state = state;
  d.approver = approver;
  d.comment = comment;
  d.now_ms = now;
  if (!why.empty()) {
    d.reason = why;
  } else {
    d.reason = (state == "approved" ? "approved" : "approval " + state) +
               (approver.empty() ? std::string() : " by " + approver) +
               (comment.empty() ? std::string() : ": " + comment);
  }
  const config::ApprovalConfig& cfg = cfg_.routes.at(a.route).approval;
  if (state != "approved" && !cfg.on_rejected.empty()) {
    auto held = store_->getMessage(a.message_id);
    if (!held.ok()) return held.takeError();
    if (held->has_value()) {
      const Record& rec = (*held)->record;
      Record next;
      next.payload = "{\"record\":" + rec.payload + ",\"approval\":" +
                     json{{"state", state},         {"approver", approver},
                          {"comment", comment},     {"requestId", a.request_id},
                          {"route", a.route},       {"message_id", a.message_id},
                          {"reason", d.reason}}.dump() + "}";
      next.business_key = rec.business_key;
      next.trace_id = rec.trace_id;
      next.source_system = a.route;
      next.idempotency_key = (rec.idempotency_key.empty() ? "approval-" + std::to_string(a.message_id)
                                                          : rec.idempotency_key) +
                             "/" + cfg.on_rejected;
      d.follow_ups.push_back(prepare(cfg.on_rejected, std::move(next), now));
    }
  }
  auto applied = store_->decideApproval(d);
  if (!applied.ok()) return applied;
  log::info("approval.decided", {{"message_id", static_cast<long long>(a.message_id)},
                                 {"route", a.route}, {"state", state}, {"applied", *applied}});
  if (*applied) wake();
  return applied;
}

// Timeouts (every second) and polling of sinks that can be asked (every route's poll period).
void GatewayImpl::tickApprovals(int64_t now) {
  if (approval_request_routes_.empty()) return;
  if (now - approvals_checked_ms_ >= 1000) {
    approvals_checked_ms_ = now;
    auto due = store_->dueApprovals(now, 100);
    if (!due.ok()) {
      log::warn("approval.store_error", {{"error", due.error().message}});
    } else {
      for (const store::Approval& a : *due) expireOrEscalate(a, now);
    }
  }
  bool idle = false;
  if (now - approvals_polled_ms_ < approval_poll_ms_ || !approval_polling_.compare_exchange_strong(idle, true))
    return;
  approvals_polled_ms_ = now;
  boost::asio::post(*pool_, [this] {
    pollApprovals();
    approval_polling_ = false;
  });
}

void GatewayImpl::expireOrEscalate(const store::Approval& a, int64_t now) {
  const config::ApprovalConfig& cfg = cfg_.routes.at(a.route).approval;
  std::string waited = durationText(cfg.timeout_ms);
  // Escalates once: when the escalated request times out too, the record expires.
  if (cfg.on_timeout == "escalate" && !cfg.escalate_via.empty() && a.escalations == 0) {
    auto held = store_->getMessage(a.message_id);
    if (!held.ok() || !held->has_value()) return;
    const Record& rec = (*held)->record;
    int n = a.escalations + 1;
    store::ApprovalEscalation e;
    e.message_id = a.message_id;
    e.escalations = a.escalations;
    e.request = prepare(cfg.escalate_via,
                        approvalRequest(a.route, rec, a.rule, cfg.escalate_via,
                                        "/approval/escalated-" + std::to_string(n), n),
                        now);
    if (rec.idempotency_key.empty())
      e.request.record.idempotency_key = "approval-" + std::to_string(a.message_id) + "/escalated-" + std::to_string(n);
    e.timeout_at_ms = now + cfg.timeout_ms;
    e.now_ms = now;
    auto r = store_->escalateApproval(e);
    if (!r.ok()) log::warn("approval.store_error", {{"error", r.error().message}});
    else if (*r) {
      log::info("approval.escalated", {{"message_id", static_cast<long long>(a.message_id)},
                                       {"via", cfg.escalate_via}, {"waited", waited}});
      wake();
    }
    return;
  }
  auto r = applyDecision(a, "expired", "", "",
                         "approval timed out: no decision within " + waited +
                             (a.escalations > 0 ? " after escalation" : "") +
                             (a.request_id.empty() ? " (the request was never submitted)"
                                                   : " on request " + a.request_id));
  if (!r.ok()) log::warn("approval.store_error", {{"error", r.error().message}});
}

void GatewayImpl::pollApprovals() {
  store::ApprovalFilter f;
  f.state = "submitted";
  f.limit = 200;
  for (;;) {
    if (stopping_) return;
    auto open = store_->listApprovals(f);
    if (!open.ok()) {
      log::warn("approval.store_error", {{"error", open.error().message}});
      return;
    }
    for (const store::Approval& a : *open) {
      if (stopping_) return;
      auto lane = lanes_.find(a.system);
      if (lane == lanes_.end() || !lane->second->sink->canReportApprovals()) continue;
      auto st = lane->second->sink->approvalState(a.request_id);
      if (!st.ok()) {
        log::warn("approval.poll_failed", {{"request_id", a.request_id}, {"system", a.system},
                                           {"error", st.error().message}});
        continue;
      }
      if (isDecisionState(st->state)) (void)applyDecision(a, st->state, st->approver, st->comment, "");
    }
    if (static_cast<int>(open->size()) < f.limit) return;
    f.after_message_id = open->back().message_id;
  }
}

}  // namespace qiao::runtime
