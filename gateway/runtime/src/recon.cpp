// Payment reconciliation inside the gateway (`reconciliation:`): the service over the store's
// SQLite file, the built-in `reconciliation` sink that routes feed orders and payments into,
// the CRM push of changed order states, and the reconcile / recon_report jobs.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "gateway_impl.h"
#include "qiao/core/clock.h"
#include "qiao/core/datetime.h"
#include "qiao/core/decimal.h"
#include "qiao/core/log.h"
#include "qiao/core/timezone.h"
#include "qiao/jobs/export_job.h"
#include "qiao/recon/service.h"

namespace qiao::runtime {
namespace {

using nlohmann::json;

// Delivers a route's records into the reconciliation: entity order or payment. Each record is
// committed by the service (and matched) before deliver returns: delivered means stored.
class ReconSink final : public sdk::Sink {
 public:
  explicit ReconSink(GatewayImpl& gw) : gw_(gw) {}

  Result<sdk::Delivery> deliver(const Record& record) override {
    recon::Service* svc = gw_.reconciliation();
    Result<recon::IngestOutcome> added = Error::permanent(ErrorCode::kInternal, "");
    if (record.entity == "payment") {
      added = svc->addPaymentJson(record.payload);
    } else if (record.entity == "order") {
      added = svc->upsertOrderJson(record.payload);
    } else {
      return Error::permanent(ErrorCode::kInvalidArgument,
                              "the reconciliation sink takes records of entity order or payment; got '" +
                                  record.entity + "' (set the route's entity)");
    }
    if (!added.ok()) {
      const Error& e = added.error();
      // A record the service cannot read is a dead letter naming the field; a store
      // problem is retried.
      if (e.code == ErrorCode::kInvalidArgument || e.code == ErrorCode::kAlreadyExists)
        return Error::permanent(ErrorCode::kMappingError, record.entity + " " + record.business_key + ": " + e.message);
      return Error::transient(e.code, e.message);
    }
    auto pushed = gw_.reconcileNow();
    if (!pushed.ok()) log::warn("recon.run_failed", {{"error", pushed.error().message}});
    sdk::Delivery d;
    d.remote_id = record.business_key;
    return d;
  }

  sdk::Health health() override { return {}; }

 private:
  GatewayImpl& gw_;
};

// FNV-1a 64, hex: a stable short digest for idempotency keys.
std::string digest(std::string_view text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : text) {
    h ^= ch;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

Result<recon::Config> reconConfig(const config::ReconciliationConfig& rc) {
  recon::Config c;
  auto rules = recon::parseRules(rc.rules);
  if (!rules.ok()) return Error::permanent(ErrorCode::kConfigInvalid, "reconciliation.rules: " + rules.error().message);
  c.rules = *rules;
  c.tolerance.absolute.reset();
  c.tolerance.percent.reset();
  if (!rc.tolerance_absolute.empty()) {
    auto d = Decimal::parse(rc.tolerance_absolute);
    if (!d.ok()) return Error::permanent(ErrorCode::kConfigInvalid, "reconciliation.tolerance.absolute: " + d.error().message);
    c.tolerance.absolute = *d;
  }
  if (!rc.tolerance_percent.empty()) {
    auto d = Decimal::parse(rc.tolerance_percent);
    if (!d.ok()) return Error::permanent(ErrorCode::kConfigInvalid, "reconciliation.tolerance.percent: " + d.error().message);
    c.tolerance.percent = *d;
  }
  if (Status st = recon::validate(c); !st.ok())
    return Error::permanent(ErrorCode::kConfigInvalid, "reconciliation: " + st.error().message);
  return c;
}

}  // namespace

Status GatewayImpl::buildReconciliation() {
  const config::ReconciliationConfig& rc = cfg_.reconciliation;
  if (!rc.enabled) return {};
  auto c = reconConfig(rc);
  if (!c.ok()) return c.error();
  recon::ServiceOptions o;
  o.sqlite_path = cfg_.store.path;
  o.busy_timeout_ms = cfg_.store.busy_timeout_ms;
  o.synchronous_full = cfg_.store.synchronous == "full";
  o.config = *c;
  auto zone = TimeZone::load(cfg_.gateway.timezone);
  if (zone.ok()) o.timezone = *zone;
  // A payer account the cross-reference knows (entity customer, system bank by default)
  // names the customer; otherwise the engine matches the payer's name.
  store::Store* st = store_.get();
  std::string entity = rc.customer_entity, system = rc.customer_system;
  o.resolver = [st, entity, system](const recon::Payment& p) -> std::optional<std::string> {
    if (p.payer_account.empty()) return std::nullopt;
    auto x = st->findXrefByRemote(entity, system, p.payer_account);
    if (!x.ok() || !x->has_value()) return std::nullopt;
    return (*x)->local_id;
  };
  auto svc = recon::Service::open(o);
  if (!svc.ok())
    return Error::permanent(svc.error().code, "reconciliation: " + svc.error().message);
  recon_ = std::move(svc).value();
  config::ConnectorConfig cc;
  cc.name = config::kReconciliationSink;
  cc.type = "reconciliation";
  cc.concurrency = 1;  // the service serialises anyway; one caller keeps matching in order
  if (!lanes_.count(cc.name))  // a connector of that name wins (the config allows it)
    lanes_[cc.name] = std::make_unique<Lane>(cc, std::make_unique<ReconSink>(*this));
  return {};
}

recon::Service* GatewayImpl::reconciliation() { return recon_.get(); }

Status GatewayImpl::pushPaymentStatus(const std::vector<recon::OrderStatusChange>& changes) {
  const std::vector<std::string>& routes = cfg_.reconciliation.status_routes;
  if (routes.empty() || changes.empty()) return {};
  std::vector<Record> records;
  records.reserve(changes.size());
  for (const auto& ch : changes) {
    Record r;
    r.entity = "payment_status";
    r.business_key = ch.order_id;
    // The CRM's payment write-back (docs/crm-model.md): the time of the change is updatedAt.
    json state = json::parse(ch.json, nullptr, false);
    if (state.is_object() && state.contains("paymentUpdatedAt")) {
      state["updatedAt"] = state["paymentUpdatedAt"];
      state.erase("paymentUpdatedAt");
    }
    r.payload = state.is_object() ? state.dump() : ch.json;
    // The same change twice is sent once; every new change (it carries its commit time) is a
    // new message, so paid -> partial -> paid still ends at paid in the CRM.
    r.idempotency_key = "recon-status:" + ch.order_id + ":" + digest(ch.json);
    records.push_back(std::move(r));
  }
  // One transaction for every status route: the CRM and finance hear of the same changes.
  int64_t now = Clock::system().nowMs();
  std::vector<store::NewMessage> batch;
  batch.reserve(records.size() * routes.size());
  for (const std::string& route : routes)
    for (const Record& r : records) batch.push_back(prepare(route, r, now));
  auto res = commit(batch, now);
  if (!res.ok()) {
    std::string names;
    for (const auto& route : routes) names += (names.empty() ? "" : ",") + route;
    log::error("recon.push_failed", {{"routes", names},
                                     {"orders", static_cast<long>(changes.size())},
                                     {"error", res.error().message}});
    return res.error();
  }
  return {};
}

Result<recon::RunStats> GatewayImpl::reconcileNow() {
  if (!recon_) return Error::permanent(ErrorCode::kConfigInvalid, "reconciliation is not enabled (no reconciliation: section)");
  auto r = recon_->run();
  if (!r.ok()) return r.error();
  if (Status st = pushPaymentStatus(r->changed); !st.ok()) return st.error();
  if (!r->changed.empty())
    log::info("recon.orders_changed", {{"orders", static_cast<long>(r->changed.size())}});
  return r->stats;
}

Result<std::string> GatewayImpl::reconcile() {
  auto stats = reconcileNow();
  if (!stats.ok()) return stats.error();
  return json{{"paymentsProcessed", stats->payments_processed},
              {"allocationsCreated", stats->allocations_created},
              {"reversalsApplied", stats->reversals_applied},
              {"reversalsWaiting", stats->reversals_waiting}}.dump();
}

PollOutcome GatewayImpl::runReconJob(Schedule& s) {
  const config::JobConfig& j = *s.job;
  PollOutcome out;
  if (j.type == "reconcile") {
    auto stats = reconcileNow();
    if (!stats.ok()) {
      out.error = stats.error().message;
      return out;
    }
    out.records = static_cast<int64_t>(stats->payments_processed);
    out.summary = std::to_string(stats->payments_processed) + " payment(s) processed, " +
                  std::to_string(stats->allocations_created) + " allocation(s)";
    out.report_json = json{{"job", j.name}, {"type", j.type},
                           {"paymentsProcessed", stats->payments_processed},
                           {"allocationsCreated", stats->allocations_created},
                           {"reversalsApplied", stats->reversals_applied}}.dump();
    return out;
  }
  // recon_report: this month (in the job's zone) as of today.
  int64_t now = Clock::system().nowMs();
  auto zone = TimeZone::load(j.timezone);
  std::string today = formatIso8601(now, zone.ok() ? **zone : *TimeZone::utc()).substr(0, 10);
  auto as_of = recon::parseDate(today);
  if (!as_of.ok()) {
    out.error = as_of.error().message;
    return out;
  }
  int year = std::stoi(today.substr(0, 4)), month = std::stoi(today.substr(5, 2));
  jobs::ExportSpec spec;
  spec.name = j.name;
  spec.folder = j.folder;
  spec.file_pattern = j.file_pattern;
  spec.timezone = j.timezone;
  auto name = jobs::exportFileName(spec, now);
  if (!name.ok()) {
    out.error = name.error().message;
    return out;
  }
  std::error_code ec;
  std::filesystem::create_directories(j.folder, ec);
  auto path = recon_->writeReport((std::filesystem::path(j.folder) / *name).string(), year, month, *as_of);
  if (!path.ok()) {
    out.error = path.error().message;
    return out;
  }
  out.summary = "report for " + today.substr(0, 7) + " written to " + *path;
  out.report_json = json{{"job", j.name}, {"type", j.type}, {"month", today.substr(0, 7)}, {"path", *path}}.dump();
  return out;
}

}  // namespace qiao::runtime
