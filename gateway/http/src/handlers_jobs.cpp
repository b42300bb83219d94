// Jobs on demand (POST /api/v1/jobs/{job}/run, POST /api/v1/jobs/{job}/files) and the finance
// API over the reconciliation (GET /api/v1/reconciliation/payments|orders|summary, POST
// /api/v1/reconciliation/matches).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "api.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"
#include "qiao/recon/service.h"

namespace qiao::http::detail {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string dumpSafe(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void setJobError(Response& resp, const Error& e) {
  switch (e.code) {
    case ErrorCode::kNotFound: setError(resp, 404, "job_not_found", e.message); return;
    case ErrorCode::kConflict: setError(resp, 409, "job_running", e.message); return;
    case ErrorCode::kInvalidArgument: setError(resp, 400, "invalid_request", e.message); return;
    default: setStoreError(resp, e, "job_not_found"); return;
  }
}

void audit(runtime::Gateway& gw, const Principal& who, const std::string& action,
           const std::string& object, const json& detail) {
  store::AuditEntry a;
  a.at_ms = Clock::system().nowMs();
  a.actor = actorOf(who);
  a.action = action;
  a.object = object;
  a.detail = dumpSafe(detail);
  if (auto st = gw.store().appendAudit(a); !st.ok())
    log::warn("audit.append_failed", {{"action", action}, {"error", st.error().message}});
}

// The run's report with 200, or 422 when the job ran but failed or refused a file.
void setRun(Response& resp, const runtime::JobRun& run) {
  json report = json::parse(run.report_json, nullptr, false);
  json body = {{"ok", run.ok}, {"summary", log::redact(run.summary)},
               {"report", report.is_discarded() ? json(nullptr) : report}};
  resp.status = run.ok ? 200 : 422;
  resp.body = dumpSafe(body);
}

bool plainName(const std::string& n) {
  if (n.empty() || n.size() > 255 || n[0] == '.' || n.find("..") != std::string::npos) return false;
  for (unsigned char c : n)
    if (c == '/' || c == '\\' || c < 0x20) return false;
  return true;
}


bool readSize(const std::map<std::string, std::string>& p, const char* name, std::size_t* out,
              Response& resp) {
  auto it = p.find(name);
  if (it == p.end()) return true;
  try {
    size_t pos = 0;
    long long v = std::stoll(it->second, &pos);
    if (pos == it->second.size() && v >= 0) {
      *out = static_cast<std::size_t>(v);
      return true;
    }
  } catch (const std::exception&) {
  }
  setError(resp, 400, "invalid_parameter", std::string(name) + " must be a non-negative integer");
  return false;
}

recon::Service* reconOr503(runtime::Gateway& gw, Response& resp) {
  recon::Service* svc = gw.reconciliation();
  if (svc == nullptr)
    setError(resp, 404, "not_configured", "reconciliation is not configured on this gateway");
  return svc;
}

void setReconResult(Response& resp, const Result<std::string>& r) {
  if (!r.ok()) {
    if (r.error().code == ErrorCode::kInvalidArgument) setError(resp, 400, "invalid_parameter", r.error().message);
    else if (r.error().code == ErrorCode::kNotFound) setError(resp, 404, "not_found", r.error().message);
    else setStoreError(resp, r.error(), "not_found");
    return;
  }
  resp.status = 200;
  resp.body = *r;
}

}  // namespace

bool readParams(const Request& req, const std::vector<std::string>& allowed,
                std::map<std::string, std::string>* out, Response& resp) {
  QueryParams params;
  std::string bad;
  if (!parseQuery(req.query, &params, &bad)) {
    setError(resp, 400, "invalid_parameter", "bad percent-encoding in parameter " + bad.substr(0, 64));
    return false;
  }
  for (auto& [k, v] : params) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      setError(resp, 400, "invalid_parameter", "unknown parameter '" + k.substr(0, 64) + "' (allowed: " + list + ")");
      return false;
    }
    (*out)[k] = v;
  }
  return true;
}

void Api::runJob(std::string_view job, const Principal& who, Response& resp) {
  auto run = gateway_.runJob(std::string(job), "");
  if (!run.ok()) {
    setJobError(resp, run.error());
    return;
  }
  audit(gateway_, who, "job.run", "job:" + std::string(job), {{"ok", run->ok}, {"summary", log::redact(run->summary)}});
  setRun(resp, *run);
}

// The body is the file; ?name= its file name (the format is told from the content). It is
// written under data_dir/uploads first, then the job copies it into its drop folder and
// imports it at once.
void Api::postJobFile(const Request& req, std::string_view job, const Principal& who, Response& resp) {
  std::map<std::string, std::string> p;
  if (!readParams(req, {"name"}, &p, resp)) return;
  std::string name = p["name"];
  if (!plainName(name)) {
    setError(resp, 400, "invalid_parameter",
             "name must be the file's plain name, e.g. ?name=orders.xlsx (no '/', '..' or leading '.')");
    return;
  }
  if (req.body.empty()) {
    setError(resp, 400, "invalid_request", "the request body must be the file's bytes");
    return;
  }
  std::random_device rd;
  fs::path dir = fs::path(gateway_.config().gateway.data_dir) / "uploads" /
                 (std::to_string(getpid()) + "-" + std::to_string(rd()));
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::path file = dir / name;
  {
    std::ofstream out(file, std::ios::binary);
    out.write(req.body.data(), static_cast<std::streamsize>(req.body.size()));
    if (!out.flush()) {
      fs::remove_all(dir, ec);
      log::warn("job.upload_failed", {{"job", std::string(job)}, {"path", file.string()}});
      setError(resp, 503, "store_unavailable", "cannot store the uploaded file; retry later");
      return;
    }
  }
  auto run = gateway_.runJob(std::string(job), file.string());
  fs::remove_all(dir, ec);
  if (!run.ok()) {
    setJobError(resp, run.error());
    return;
  }
  audit(gateway_, who, "job.upload", "job:" + std::string(job),
        {{"file", name}, {"bytes", req.body.size()}, {"ok", run->ok}, {"summary", log::redact(run->summary)}});
  setRun(resp, *run);
}

void Api::reconPayments(const Request& req, Response& resp) {
  recon::Service* svc = reconOr503(gateway_, resp);
  if (!svc) return;
  std::map<std::string, std::string> p;
  if (!readParams(req, {"status", "customer", "from", "to", "limit", "offset"}, &p, resp)) return;
  recon::PaymentQuery q;
  q.status = p["status"];
  q.customer = p["customer"];
  q.from = p["from"];
  q.to = p["to"];
  if (!readSize(p, "limit", &q.limit, resp) || !readSize(p, "offset", &q.offset, resp)) return;
  setReconResult(resp, svc->paymentsJson(q));
}

void Api::reconOrders(const Request& req, Response& resp) {
  recon::Service* svc = reconOr503(gateway_, resp);
  if (!svc) return;
  std::map<std::string, std::string> p;
  if (!readParams(req, {"status", "customer", "limit", "offset"}, &p, resp)) return;
  recon::OrderQuery q;
  q.status = p["status"];
  q.customer = p["customer"];
  if (!readSize(p, "limit", &q.limit, resp) || !readSize(p, "offset", &q.offset, resp)) return;
  setReconResult(resp, svc->ordersJson(q));
}

void Api::reconSummary(const Request& req, Response& resp) {
  recon::Service* svc = reconOr503(gateway_, resp);
  if (!svc) return;
  std::map<std::string, std::string> p;
  if (!readParams(req, {"month"}, &p, resp)) return;
  const std::string& m = p["month"];
  int year = 0, month = 0;
  if (m.size() != 7 || m[4] != '-' || std::sscanf(m.c_str(), "%4d-%2d", &year, &month) != 2 ||
      month < 1 || month > 12) {
    setError(resp, 400, "invalid_parameter", "month must be YYYY-MM, e.g. ?month=2026-11");
    return;
  }
  setReconResult(resp, svc->summaryJson(year, month));
}

// {"action": "match" | "unmatch" | "release", "paymentId", "orderId", "amount" (match),
//  "reason", "allowOverpayment"}: the user is the API key; recorded in the audit log.
void Api::reconMatches(const Request& req, const Principal& who, Response& resp) {
  recon::Service* svc = reconOr503(gateway_, resp);
  if (!svc) return;
  json body = json::parse(req.body, nullptr, false);
  if (!body.is_object()) {
    setError(resp, 400, "invalid_request", "the body must be a JSON object like {\"action\":\"match\",\"paymentId\":...}");
    return;
  }
  auto text = [&](const char* k) { return body.contains(k) && body[k].is_string() ? body[k].get<std::string>() : std::string(); };
  std::string action = body.contains("action") ? text("action") : "match";
  recon::ManualRequest r;
  r.payment_id = text("paymentId");
  r.order_id = text("orderId");
  r.amount = text("amount");
  r.reason = text("reason");
  r.user = actorOf(who);
  r.allow_overpayment = body.value("allowOverpayment", false);
  Result<recon::RunResult> done = Error::permanent(ErrorCode::kInvalidArgument,
                                                   "action must be match, unmatch or release; got '" + action + "'");
  if (action == "match") done = svc->match(r);
  else if (action == "unmatch") done = svc->unmatch(r);
  else if (action == "release") done = svc->releaseHold(r);
  if (!done.ok()) {
    const Error& e = done.error();
    if (e.code == ErrorCode::kInvalidArgument) setError(resp, 400, "invalid_request", e.message);
    else if (e.code == ErrorCode::kNotFound) setError(resp, 404, "not_found", e.message);
    else setStoreError(resp, e, "not_found");
    return;
  }
  audit(gateway_, who, "recon." + action, "payment:" + r.payment_id,
        {{"orderId", r.order_id}, {"amount", r.amount}, {"reason", r.reason}});
  Status pushed = gateway_.pushPaymentStatus(done->changed);
  json changed = json::array();
  for (const auto& c : done->changed) changed.push_back(json::parse(c.json, nullptr, false));
  resp.status = 200;
  resp.body = dumpSafe(json{{"action", action}, {"changed", changed}, {"pushed", pushed.ok()}});
}

}  // namespace qiao::http::detail
