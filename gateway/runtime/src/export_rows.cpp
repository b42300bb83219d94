// What an export job writes (`rows:`): a route's messages with their delivery state, the
// dead letters, or the reconciliation's orders and payments, as canonical JSON rows.
#include <nlohmann/json.hpp>

#include <unordered_map>

#include "gateway_impl.h"
#include "qiao/core/datetime.h"
#include "qiao/core/timezone.h"
#include "qiao/recon/service.h"

namespace qiao::runtime {
namespace {

using nlohmann::json;

constexpr int kPage = 500;

std::string isoTime(int64_t ms, const std::string& tz) {
  if (ms <= 0) return "";
  auto zone = TimeZone::load(tz);
  return formatIso8601(ms - ms % 1000, zone.ok() ? **zone : *TimeZone::utc());
}

}  // namespace

// route_messages: one row per business key (the newest message wins; messages without a key
// are all kept), the payload as ingested plus the delivery state under "_" keys:
// _status (pending | inflight | delivered | dead), _message_id, _attempts, _remote_id,
// _remote_number (from the route's on_delivered xref), _delivered_at, _last_error.
Status GatewayImpl::emitRouteMessages(const config::JobConfig& j,
                                      const std::function<Status(std::string_view)>& emit) {
  const config::RouteConfig& route = cfg_.routes.at(j.route);
  const config::XrefRule* xref = route.on_delivered.xref.empty() ? nullptr : &route.on_delivered.xref.front();
  std::vector<std::string> rows;
  std::unordered_map<std::string, size_t> row_of_key;
  store::MessageFilter f;
  f.route = j.route;
  if (!j.status.empty()) {
    store::MessageStatus st;
    if (parseMessageStatus(j.status, &st)) f.status = st;
  }
  f.limit = kPage;
  for (int page = 0; page < 1000000; ++page) {
    auto msgs = store_->listMessages(f);
    if (!msgs.ok()) return msgs.error();
    for (const auto& m : *msgs) {
      json row = json::parse(m.record.payload, nullptr, false);
      if (!row.is_object()) row = json{{"payload", m.record.payload}};
      row["_status"] = toString(m.status);
      row["_message_id"] = m.id;
      row["_attempts"] = m.attempt;
      row["_remote_id"] = m.remote_id;
      row["_delivered_at"] = isoTime(m.delivered_at_ms, j.timezone);
      row["_last_error"] = m.last_error;
      if (xref != nullptr && !m.record.business_key.empty()) {
        auto x = store_->findXrefByLocal(xref->entity, xref->system, m.record.business_key);
        if (!x.ok()) return x.error();
        if (x->has_value()) row["_remote_number"] = (*x)->remote_number;
      }
      std::string text = row.dump();
      if (m.record.business_key.empty()) {
        rows.push_back(std::move(text));
        continue;
      }
      auto [it, fresh] = row_of_key.emplace(m.record.business_key, rows.size());
      if (fresh) rows.push_back(std::move(text));
      else rows[it->second] = std::move(text);
    }
    if (static_cast<int>(msgs->size()) < kPage) break;
    f.after_id = msgs->back().id;
  }
  for (const auto& r : rows)
    if (Status st = emit(r); !st.ok()) return st;
  return {};
}

Status GatewayImpl::emitDeadLetters(const config::JobConfig& j,
                                    const std::function<Status(std::string_view)>& emit) {
  store::DeadLetterFilter f;
  f.route = j.route;
  f.limit = kPage;
  for (int page = 0; page < 1000000; ++page) {
    auto dls = store_->listDeadLetters(f);
    if (!dls.ok()) return dls.error();
    for (const auto& d : *dls) {
      json row = {{"id", d.id},
                  {"messageId", d.message_id},
                  {"route", d.route},
                  {"businessKey", d.business_key},
                  {"reason", d.reason},
                  {"errorClass", d.error_class},
                  {"attempts", d.attempts},
                  {"createdAt", isoTime(d.created_at_ms, j.timezone)},
                  {"replayedAt", isoTime(d.replayed_at_ms, j.timezone)},
                  {"replayedBy", d.replayed_by}};
      if (Status st = emit(row.dump()); !st.ok()) return st;
    }
    if (static_cast<int>(dls->size()) < kPage) break;
    f.after_id = dls->back().id;
  }
  return {};
}

// recon_orders / recon_payments: the reconciliation's own JSON, item by item, in pages.
Status GatewayImpl::emitReconRows(const config::JobConfig& j,
                                  const std::function<Status(std::string_view)>& emit) {
  if (!recon_) return Error::permanent(ErrorCode::kConfigInvalid, "reconciliation is not enabled");
  constexpr std::size_t kReconPage = 10000;
  for (std::size_t offset = 0;; offset += kReconPage) {
    Result<std::string> page = Error::permanent(ErrorCode::kInternal, "");
    if (j.rows == "recon_orders") {
      recon::OrderQuery q;
      q.status = j.status;
      q.limit = kReconPage;
      q.offset = offset;
      page = recon_->ordersJson(q);
    } else {
      recon::PaymentQuery q;
      q.limit = kReconPage;
      q.offset = offset;
      page = recon_->paymentsJson(q);
    }
    if (!page.ok()) return page.error();
    json doc = json::parse(*page, nullptr, false);
    if (!doc.is_object() || !doc["items"].is_array())
      return Error::permanent(ErrorCode::kInternal, "reconciliation returned no items");
    for (const auto& item : doc["items"])
      if (Status st = emit(item.dump()); !st.ok()) return st;
    if (doc["items"].size() < kReconPage) return {};
  }
}

jobs::RowSource GatewayImpl::exportRows(const config::JobConfig& j) {
  return [this, &j](const std::function<Status(std::string_view)>& emit) -> Status {
    if (j.rows == "route_messages") return emitRouteMessages(j, emit);
    if (j.rows == "dead_letters") return emitDeadLetters(j, emit);
    return emitReconRows(j, emit);
  };
}

}  // namespace qiao::runtime
