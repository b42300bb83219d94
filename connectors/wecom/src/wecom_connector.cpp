// Descriptor of the `wecom` sink: its settings table and factory.
#include <memory>

#include "qiao/sdk/connector.h"
#include "wecom_sink.h"

namespace qiao::connectors::wecom {

std::vector<sdk::FieldSpec> wecomFields() {
  using sdk::FieldType;
  std::vector<sdk::FieldSpec> f;
  f.push_back({"mode", FieldType::kEnum, false, "app", {"app", "robot"},
               "app: send as a self-built app (message/send); robot: post to a group robot "
               "webhook.", "robot", {}});
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
  return f;
}

}  // namespace qiao::connectors::wecom

void qiao_register_wecom(qiao::sdk::Registry& registry) {
  namespace w = qiao::connectors::wecom;
  qiao::sdk::Descriptor d;
  d.name = "wecom";
  d.summary = "Sends each record as a WeCom (企业微信) app message or group-robot message: "
              "text, markdown, textcard or template_card, with cached access tokens.";
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
  (void)registry.add(std::move(d));
}
