// Descriptor of the `webhook` source: its settings table and factory.
#include <memory>

#include "qiao/core/log.h"
#include "qiao/sdk/connector.h"
#include "webhook_source.h"

namespace {

using qiao::sdk::FieldSpec;
using qiao::sdk::FieldType;

std::vector<FieldSpec> webhookFields() {
  std::vector<FieldSpec> f;
  f.push_back({"secret", FieldType::kSecret, true, "", {},
               "HMAC-SHA256 key shared with the sender. Never logged.",
               "${env:CRM_HOOK_SECRET}", {}});
  f.push_back({"signature_header", FieldType::kString, false, "X-Qiao-Signature", {},
               "Header with the signature: sha256=<hex> (or bare hex) of HMAC-SHA256(secret, "
               "\"<timestamp>.<body>\"), or of the body alone when no timestamp is sent.",
               "X-Hub-Signature-256", {}});
  f.push_back({"timestamp_header", FieldType::kString, false, "X-Qiao-Timestamp", {},
               "Header with the send time in unix seconds; signed together with the body.",
               "X-Timestamp", {}});
  f.push_back({"require_timestamp", FieldType::kBool, false, "true", {},
               "Refuse requests without a timestamp (replay protection). false: a request "
               "without one is signed over the body alone.",
               "false", {}});
  f.push_back({"tolerance", FieldType::kDuration, false, "5m", {},
               "How far the timestamp may be from the gateway's clock, either way.", "2m", {}});
  f.push_back({"event_id_header", FieldType::kString, false, "X-Event-Id", {},
               "Header with the sender's event id; it becomes the record's idempotency key, "
               "so a retried webhook is one message (element i of an array: <id>:<i>).",
               "X-Request-Id", {}});
  f.push_back({"entity", FieldType::kString, false, "", {},
               "Record entity of what arrives here; empty = the route's entity (itself "
               "\"record\" unless set).",
               "order", {}});
  f.push_back({"records_pointer", FieldType::kString, false, "", {},
               "JSON pointer to the records inside the body (an array or one object); empty = "
               "the body is one record or an array of records.",
               "/data/items", {}});
  return f;
}

}  // namespace

void qiao_register_webhook(qiao::sdk::Registry& registry) {
  qiao::sdk::Descriptor d;
  d.name = "webhook";
  d.summary = "Receives signed JSON pushes at /hooks/<name> (HMAC-SHA256 with a timestamp "
              "against replays) and turns them into records.";
  d.maturity = qiao::sdk::Maturity::kBeta;
  d.config = webhookFields();
  d.make_source = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context& ctx)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Source>> {
    auto cfg = qiao::connectors::webhook::parseWebhookConfig(ic.json);
    if (!cfg.ok()) return cfg.takeError();
    qiao::log::registerSecret(cfg->secret);
    std::unique_ptr<qiao::sdk::Source> src =
        std::make_unique<qiao::connectors::webhook::WebhookSource>(
            std::move(cfg).value(), ic.name.empty() ? ctx.instance_name : ic.name);
    return src;
  };
  (void)registry.add(std::move(d));
}
