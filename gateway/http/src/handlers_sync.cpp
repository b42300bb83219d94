// The customer sync API (docs/api.md "Customer sync"): GET /api/v1/sync/conflicts|review|links|
// writes, POST /api/v1/sync/review/{id} (resolve), POST /api/v1/sync/first-sync. The lists are
// the service's own JSON; the writes a decision makes are queued by the gateway.
#include <nlohmann/json.hpp>

#include "api.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"
#include "qiao/sync/service.h"

namespace qiao::http::detail {
namespace {

using nlohmann::json;

bool syncSize(const std::map<std::string, std::string>& p, const char* name, std::size_t min,
              std::size_t max, std::size_t* out, Response& resp) {
  auto it = p.find(name);
  if (it == p.end()) return true;
  try {
    size_t pos = 0;
    long long v = std::stoll(it->second, &pos);
    if (pos == it->second.size() && v >= static_cast<long long>(min) && v <= static_cast<long long>(max)) {
      *out = static_cast<std::size_t>(v);
      return true;
    }
  } catch (const std::exception&) {
  }
  setError(resp, 400, "invalid_parameter",
           std::string(name) + " must be an integer " + std::to_string(min) + ".." + std::to_string(max));
  return false;
}

void setSyncResult(Response& resp, const Result<std::string>& r) {
  if (!r.ok()) {
    switch (r.error().code) {
      case ErrorCode::kInvalidArgument: setError(resp, 400, "invalid_request", r.error().message); return;
      case ErrorCode::kNotFound: setError(resp, 404, "not_found", r.error().message); return;
      case ErrorCode::kAlreadyExists:
      case ErrorCode::kConflict: setError(resp, 409, "conflict", r.error().message); return;
      case ErrorCode::kConfigInvalid: setError(resp, 404, "not_configured", r.error().message); return;
      default: setStoreError(resp, r.error(), "not_found"); return;
    }
  }
  resp.status = 200;
  resp.body = *r;
}

void syncAudit(runtime::Gateway& gw, const Principal& who, const std::string& action,
               const std::string& object, const std::string& detail) {
  store::AuditEntry a;
  a.at_ms = Clock::system().nowMs();
  a.actor = actorOf(who);
  a.action = action;
  a.object = object;
  a.detail = detail;
  if (auto st = gw.store().appendAudit(a); !st.ok())
    log::warn("audit.append_failed", {{"action", action}, {"error", st.error().message}});
}

}  // namespace

void Api::syncList(const Request& req, Endpoint e, Response& resp) {
  sync::Service* svc = gateway_.customerSync();
  if (svc == nullptr) {
    setError(resp, 404, "not_configured", "customer sync is not configured on this gateway (no sync: section)");
    return;
  }
  std::vector<std::string> allowed = {"limit", "offset"};
  if (e == Endpoint::kSyncReview || e == Endpoint::kSyncWrites) allowed.push_back("status");
  if (e == Endpoint::kSyncLinks) {
    allowed.push_back("side");
    allowed.push_back("id");
  }
  std::map<std::string, std::string> p;
  if (!readParams(req, allowed, &p, resp)) return;
  std::size_t limit = 100, offset = 0;
  if (!syncSize(p, "limit", 1, 10000, &limit, resp) || !syncSize(p, "offset", 0, SIZE_MAX / 2, &offset, resp)) return;
  const std::string& status = p["status"];
  switch (e) {
    case Endpoint::kSyncConflicts: setSyncResult(resp, svc->conflictsJson(limit, offset)); return;
    case Endpoint::kSyncReview:
      if (!status.empty() && status != "open" && status != "resolved" && status != "all") {
        setError(resp, 400, "invalid_parameter", "status must be open, resolved or all");
        return;
      }
      setSyncResult(resp, svc->reviewJson(limit, offset, status));
      return;
    case Endpoint::kSyncLinks:
      if (p["side"].empty() != p["id"].empty()) {
        setError(resp, 400, "invalid_parameter", "side and id go together (the link of one customer)");
        return;
      }
      setSyncResult(resp, svc->linksJson(limit, offset, p["side"], p["id"]));
      return;
    case Endpoint::kSyncWrites:
      if (!status.empty() && status != "pending" && status != "deferred" && status != "failed") {
        setError(resp, 400, "invalid_parameter", "status must be pending, deferred or failed");
        return;
      }
      setSyncResult(resp, svc->writesJson(status, limit, offset));
      return;
    default: setError(resp, 404, "not_found", "no such endpoint");
  }
}

void Api::syncResolve(const Request& req, std::string_view id, const Principal& who, Response& resp) {
  int64_t review_id = 0;
  try {
    size_t pos = 0;
    review_id = std::stoll(std::string(id), &pos);
    if (pos != id.size() || review_id <= 0) throw std::invalid_argument("id");
  } catch (const std::exception&) {
    setError(resp, 400, "invalid_parameter", "the review item id must be a positive integer");
    return;
  }
  auto r = gateway_.syncResolveReview(review_id, req.body, actorOf(who));
  if (r.ok()) syncAudit(gateway_, who, "sync.review.resolve", "sync_review:" + std::to_string(review_id), req.body.empty() ? "{}" : req.body);
  setSyncResult(resp, r);
}

void Api::syncFirstSync(const Request& req, const Principal& who, Response& resp) {
  auto r = gateway_.syncFirstSync(req.body);
  if (r.ok()) syncAudit(gateway_, who, "sync.first_sync", "sync", *r);
  setSyncResult(resp, r);
}

}  // namespace qiao::http::detail
