// What a successful delivery leaves behind (routes.<name>.on_delivered): the ID cross-reference
// rows and the follow-up message (a write-back). They ride on the delivery's completion, so the
// store commits them in the same transaction as "delivered": a crash can lose neither.
#include <nlohmann/json.hpp>

#include "gateway_impl.h"
#include "json_text.h"
#include "qiao/core/clock.h"
#include "qiao/core/datetime.h"
#include "qiao/core/log.h"
#include "qiao/core/timezone.h"

namespace qiao::runtime {
namespace {

using nlohmann::json;


}  // namespace

void GatewayImpl::afterDelivery(const config::RouteConfig& route, const store::Message& msg,
                                const std::string& idempotency_key,
                                const sdk::Delivery& delivery, store::Completion& c) {
  const config::OnDelivered& od = route.on_delivered;
  if (od.xref.empty() && od.then.empty()) return;
  json result = json::object();
  if (!delivery.result_json.empty()) {
    result = json::parse(delivery.result_json, nullptr, /*allow_exceptions=*/false);
    if (!result.is_object()) {
      log::warn("delivery.result_not_object",
                {{"route", msg.route}, {"message_id", static_cast<long long>(msg.id)}});
      result = json::object();
    }
  }
  if (!od.xref.empty()) {
    json record = json::parse(msg.record.payload, nullptr, false);
    for (const config::XrefRule& rule : od.xref) {
      store::XrefEntry x;
      x.entity = rule.entity;
      x.system = rule.system;
      x.local_id = rule.local.empty() ? msg.record.business_key : textAt(record, rule.local);
      x.remote_id = textAt(result, rule.remote_id);
      if (x.remote_id.empty()) x.remote_id = delivery.remote_id;
      x.remote_number = textAt(result, rule.remote_number);
      x.updated_at_ms = c.now_ms;
      if (x.local_id.empty() || x.remote_id.empty()) {
        // The target has the record; only the cross-reference row is lost. Say so loudly.
        log::error("delivery.xref_incomplete",
                   {{"route", msg.route}, {"message_id", static_cast<long long>(msg.id)},
                    {"entity", rule.entity}, {"system", rule.system},
                    {"local_id", x.local_id}, {"remote_id", x.remote_id}});
        continue;
      }
      c.xrefs.push_back(std::move(x));
    }
  }
  for (const std::string& then_route : od.then) {
    Record next;
    next.payload.reserve(msg.record.payload.size() + delivery.result_json.size() + 64);
    next.payload = "{\"record\":";
    next.payload += msg.record.payload;
    next.payload += ",\"result\":";
    next.payload += result.dump();
    next.payload += ",\"from\":{\"route\":";
    next.payload += json(msg.route).dump();
    next.payload += ",\"message_id\":" + std::to_string(msg.id) + ",\"remote_id\":";
    next.payload += json(delivery.remote_id).dump();
    // When the target accepted it, to the second, in the gateway's zone (what a CRM shows).
    auto zone = TimeZone::load(cfg_.gateway.timezone);
    next.payload += ",\"delivered_at\":";
    next.payload += json(formatIso8601(c.now_ms - c.now_ms % 1000,
                                       zone.ok() ? **zone : *TimeZone::utc())).dump();
    next.payload += "}}";
    next.source_system = route.sink;
    next.business_key = msg.record.business_key;
    next.trace_id = msg.record.trace_id;
    // Stable per origin message: applying this completion twice cannot write back twice.
    next.idempotency_key = idempotency_key + "/" + then_route;
    c.follow_ups.push_back(prepare(then_route, std::move(next), c.now_ms));
  }
}

}  // namespace qiao::runtime
