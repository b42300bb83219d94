#include "oa_generic_sim.h"

#include "oa_sim_common.h"

namespace qiao::sim {
namespace {

using nlohmann::json;

json apiError(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

}  // namespace

json OaGenericSim::view(const Approval& a) const {
  return {{"id", a.id}, {"status", a.status}, {"approver", a.approver}, {"comment", a.comment},
          {"updatedAt", oa::isoTime(a.updated_ms)}, {"externalId", a.key}, {"form", a.form}};
}

void OaGenericSim::handle(Exchange& ex) {
  const std::string& sub = ex.subpath();
  if (sub == "api" || sub.rfind("api/", 0) == 0) {
    const std::string path = sub.size() > 4 ? sub.substr(4) : "";
    FaultAction fault;
    {
      std::lock_guard lock(faults_mu_);
      if (fault_path_.empty() || path.rfind(fault_path_, 0) == 0) fault = faults_.next();
      if (fault.mode != FaultMode::kNone) ++faults_injected_;
    }
    if (oa::actOutFault(ex, fault, apiError("injected_fault", "injected fault").dump())) return;
    auto [status, body] = api(ex, path);
    if (fault.mode == FaultMode::kTimeoutAfterCommit && !ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
    return ex.reply(status, body.dump());
  }
  if (!sub.empty() && sub.front() == '_') return admin(ex, sub);
  ex.replyJson(404, apiError("not_found", "the OA simulator serves /sim/oa/api/approvals and admin "
                                          "endpoints _config, _stats, _faults, _reset, _approvals"));
}

std::pair<int, json> OaGenericSim::api(Exchange& ex, const std::string& path) {
  std::lock_guard lock(mu_);
  ++calls_[ex.method() + " " + (path.rfind("approvals/", 0) == 0 ? "approvals/{id}" : path)];
  if (!token_.empty() && ex.header("Authorization") != "Bearer " + token_) {
    ++unauthorized_;
    return {401, apiError("unauthorized", "missing or wrong 'Authorization: Bearer <token>'")};
  }
  const auto parts = oa::splitPath(path);
  if (parts.empty() || parts[0] != "approvals") return {404, apiError("not_found", "use /api/approvals")};
  if (parts.size() == 1 && ex.method() == "POST") {
    json form = json::parse(ex.body(), nullptr, false);
    if (!form.is_object()) return {400, apiError("invalid_body", "the body must be a JSON object")};
    const std::string key = ex.header("Idempotency-Key");
    if (!key.empty()) {
      if (auto it = by_key_.find(key); it != by_key_.end()) {
        ++duplicates_;
        return {200, view(approvals_[it->second])};
      }
    }
    Approval a;
    a.id = "AP-" + std::to_string(next_++);
    a.key = key;
    a.form = form;
    a.status = form.value("draft", false) ? "DRAFT" : "PENDING";
    a.updated_ms = oa::nowMs();
    if (!key.empty()) by_key_[key] = a.id;
    approvals_[a.id] = a;
    ++created_;
    return {201, view(a)};
  }
  if (parts.size() == 1 && ex.method() == "GET") {
    const std::string key = ex.query("externalId");
    if (key.empty()) return {400, apiError("invalid_parameter", "externalId is required")};
    auto it = by_key_.find(key);
    if (it == by_key_.end()) return {404, apiError("not_found", "no approval with externalId " + key)};
    return {200, view(approvals_[it->second])};
  }
  if (parts.size() == 2 && ex.method() == "GET") {
    auto it = approvals_.find(parts[1]);
    if (it == approvals_.end()) return {404, apiError("not_found", "no approval " + parts[1])};
    return {200, view(it->second)};
  }
  return {405, apiError("method_not_allowed", ex.method() + " is not allowed on /api/" + path)};
}

void OaGenericSim::admin(Exchange& ex, const std::string& op) {
  const bool post = ex.method() == "POST";
  const auto parts = oa::splitPath(op);
  json body = json::object();
  if (post && !ex.body().empty()) {
    body = json::parse(ex.body(), nullptr, false);
    if (!body.is_object()) return ex.replyJson(400, {{"error", "body is not a JSON object"}});
  }
  const std::string head = parts.empty() ? op : parts[0];
  if (head == "_faults") return oa::faultsEndpoint(ex, body, faults_mu_, faults_, fault_path_);
  std::lock_guard lock(mu_);
  if (head == "_config") {
    if (post && body.contains("token")) {
      if (!body["token"].is_string()) return ex.replyJson(400, {{"error", "token must be text"}});
      token_ = body["token"];
    }
    return ex.replyJson(200, {{"token", token_}});
  }
  if (head == "_stats") {
    int64_t injected = 0;
    {
      std::lock_guard f(faults_mu_);
      injected = faults_injected_;
    }
    return ex.replyJson(200, {{"created", created_}, {"duplicates", duplicates_}, {"unauthorized", unauthorized_},
                              {"calls", calls_}, {"faults_injected", injected}});
  }
  if (head == "_reset" && post) {
    approvals_.clear();
    by_key_.clear();
    calls_.clear();
    created_ = duplicates_ = unauthorized_ = 0;
    std::lock_guard f(faults_mu_);
    faults_.clear();
    fault_path_.clear();
    faults_injected_ = 0;
    return ex.replyJson(200, {{"reset", true}});
  }
  if (head == "_approvals") {
    if (parts.size() == 1) {
      json all = json::array();
      for (const auto& [id, a] : approvals_) all.push_back(view(a));
      return ex.replyJson(200, {{"approvals", all}});
    }
    auto it = approvals_.find(parts[1]);
    if (it == approvals_.end()) return ex.replyJson(404, {{"error", "no approval " + parts[1]}});
    if (parts.size() == 2) return ex.replyJson(200, view(it->second));
    if (parts.size() == 3 && post) {
      static const std::map<std::string, std::string> kTo{
          {"approve", "APPROVED"}, {"reject", "REJECTED"}, {"withdraw", "WITHDRAWN"}, {"cancel", "CANCELLED"}};
      auto to = kTo.find(parts[2]);
      if (to == kTo.end()) return ex.replyJson(400, {{"error", "action is approve, reject, withdraw or cancel"}});
      Approval& a = it->second;
      if (a.status != "PENDING" && a.status != "DRAFT")
        return ex.replyJson(409, {{"error", "approval " + a.id + " is already " + a.status}});
      a.status = to->second;
      a.approver = body.value("approver", std::string("gm"));
      a.comment = body.value("comment", std::string());
      a.updated_ms = oa::nowMs();
      return ex.replyJson(200, view(a));
    }
  }
  ex.replyJson(404, {{"error", "unknown admin endpoint " + op + " (" + ex.method() + ")"}});
}

}  // namespace qiao::sim
