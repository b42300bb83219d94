// Descriptor of the `wecom` sink: its settings table and factory.
#include <memory>

#include "qiao/sdk/connector.h"
#include "wecom_sink.h"
#include "wecom_source.h"

namespace qiao::connectors::wecom {

std::vector<sdk::FieldSpec> wecomFields() {
  using sdk::FieldType;
  std::vector<sdk::FieldSpec> f;
  f.push_back({"mode", FieldType::kEnum, false, "app", {"app", "robot", "approval"},
               "app: send as a self-built app (message/send); robot: post to a group robot "
               "webhook; approval: submit each record as an approval (oa/applyevent).",
               "robot", {}});
  f.push_back({"corp_id", FieldType::kString, false, "", {},
               "The corp id (企业ID). Required for mode app.", "ww1436e0e65a779aee", {}});
  f.push_back({"agent_id", FieldType::kInt, false, "", {},
               "The app's AgentId. Required for mode app.", "1000002", {}});
  f.push_back({"secret", FieldType::kSecret, false, "", {},
               "The app's own secret (each app has one). Required for mode app. Never logged.",
               "${env:WECOM_APP_SECRET}", {}});
  f.push_back({"robot_key", FieldType::kSecret, false, "", {},
               "The key of the group robot's webhook URL; it is the credential. Required for "
               "mode robot. Never logged.", "${env:WECOM_ROBOT_KEY}", {}});
  f.push_back({"base_url", FieldType::kUrl, false, "https://qyapi.weixin.qq.com", {},
               "WeCom API root; override only for tests or a proxy.", "http://127.0.0.1:9000",
               {}});
  f.push_back({"msgtype", FieldType::kEnum, false, "text",
               {"text", "markdown", "textcard", "template_card"},
               "Message type when a record has no 'msgtype' field.", "markdown", {}});
  f.push_back({"touser", FieldType::kString, false, "", {},
               "Default recipients (userids joined by '|', or @all) when a record names none.",
               "zhangsan|lisi", {}});
  f.push_back({"toparty", FieldType::kString, false, "", {},
               "Default department ids joined by '|'.", "2|3", {}});
  f.push_back({"totag", FieldType::kString, false, "", {}, "Default tag ids joined by '|'.",
               "1", {}});
  f.push_back({"duplicate_check", FieldType::kBool, false, "true", {},
               "Ask WeCom not to deliver an identical app message twice within the interval "
               "(protects against resends after a lost reply).", "false", {}});
  f.push_back({"duplicate_window", FieldType::kDuration, false, "30m", {},
               "Window of the duplicate check, 1s to 4h.", "4h", {}});
  f.push_back({"timeout", FieldType::kDuration, false, "10s", {},
               "Total time allowed for one request.", "5s", {}});
  f.push_back({"connect_timeout", FieldType::kDuration, false, "3s", {},
               "Time allowed to open the connection.", "2s", {}});
  f.push_back({"tls_verify", FieldType::kBool, false, "true", {},
               "Verify the server certificate and host name.", "true", {}});
  f.push_back({"template_id", FieldType::kString, false, "", {},
               "Mode approval: the approval template when a record names none.",
               "3Tka1eD6v6JfzhDMqPd3aMkFdxqtJMc2ZRioeFXkaaa", {}});
  f.push_back({"creator_userid", FieldType::kString, false, "", {},
               "Mode approval: the applicant when a record names none (must be in the app's "
               "visible range).", "zhangsan", {}});
  f.push_back({"idempotency_control", FieldType::kString, false, "", {},
               "Mode approval: id of a Text control of the template that receives the record's "
               "idempotency key; a retry then finds an approval already opened instead of "
               "opening a second one.", "Text-1569573760849", {}});
  // As a route source: WeCom's encrypted callbacks (接收消息 settings of the app).
  f.push_back({"callback_token", FieldType::kSecret, false, "", {},
               "Source: the app's callback Token (接收消息 → Token). Never logged.",
               "${env:WECOM_CALLBACK_TOKEN}", {}});
  f.push_back({"encoding_aes_key", FieldType::kSecret, false, "", {},
               "Source: the app's EncodingAESKey, 43 characters. Never logged.",
               "${env:WECOM_CALLBACK_AES_KEY}", {}});
  f.push_back({"receive_id", FieldType::kString, false, "", {},
               "Source: the receiveid checked after decryption; empty = corp_id (a suite id for "
               "third-party callbacks).", "ww1436e0e65a779aee", {}});
  f.push_back({"callback_window", FieldType::kDuration, false, "5m", {},
               "Source: how far a callback's timestamp may be from the gateway's clock.", "10m",
               {}});
  f.push_back({"nonce_cache_size", FieldType::kInt, false, "100000", {},
               "Source: how many callback nonces are remembered to refuse replays.", "200000",
               {}});
  f.push_back({"approval_entity", FieldType::kString, false, "approval_event", {},
               "Source: record entity of sys_approval_change events.", "approval_event", {}});
  f.push_back({"contact_entity", FieldType::kString, false, "contact_event", {},
               "Source: record entity of change_external_contact events.", "contact_event", {}});
  return f;
}

}  // namespace qiao::connectors::wecom

void qiao_register_wecom(qiao::sdk::Registry& registry) {
  namespace w = qiao::connectors::wecom;
  qiao::sdk::Descriptor d;
  d.name = "wecom";
  d.summary = "Sends each record as a WeCom (企业微信) app message or group-robot message: "
              "text, markdown, textcard or template_card, with cached access tokens; as a "
              "source, receives WeCom's encrypted callbacks (approval and customer changes).";
  d.maturity = qiao::sdk::Maturity::kAlpha;
  d.config = w::wecomFields();
  d.make_sink = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context&)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Sink>> {
    auto cfg = w::parseWecomSinkConfig(ic.json);
    if (!cfg.ok()) return cfg.takeError();
    std::unique_ptr<qiao::sdk::Sink> sink =
        std::make_unique<w::WecomSink>(std::move(cfg).value(), nullptr);
    return sink;
  };
  d.make_source = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context& ctx)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Source>> {
    auto cfg = w::parseWecomSourceConfig(ic.json);
    if (!cfg.ok()) return cfg.takeError();
    auto src = w::WecomSource::create(std::move(cfg).value(),
                                      ic.name.empty() ? ctx.instance_name : ic.name);
    if (!src.ok()) return src.takeError();
    std::unique_ptr<qiao::sdk::Source> out = std::move(src).value();
    return out;
  };
  (void)registry.add(std::move(d));
}
