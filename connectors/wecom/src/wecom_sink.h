// The `wecom` sink: each record becomes one app message (mode app: message/send with the
// app's access token) or one group-robot message (mode robot: webhook/send?key=…).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qiao/sdk/connector.h"
#include "wecom_approval_sink.h"
#include "wecom_client.h"
#include "wecom_message.h"

namespace qiao::connectors::wecom {

struct WecomSinkConfig {
  std::string mode = "app";  // "app" | "robot" | "approval"
  std::string corp_id;
  int64_t agent_id = 0;
  std::string secret;     // app secret (kSecret)
  std::string robot_key;  // robot webhook key (kSecret)
  std::string base_url = "https://qyapi.weixin.qq.com";
  std::string msgtype = "text";  // default when a record has none
  std::string touser, toparty, totag;  // default recipients
  bool duplicate_check = true;
  int64_t duplicate_check_interval_s = 1800;
  int64_t timeout_ms = 10'000;
  int64_t connect_timeout_ms = 3'000;
  bool tls_verify = true;
  ApprovalSinkSettings approval;  // mode approval: template_id, creator_userid, idempotency_control
};

// Parses and checks the instance's JSON block; errors are kConfigInvalid and never carry the
// secret or the robot key.
Result<WecomSinkConfig> parseWecomSinkConfig(const std::string& json);
std::vector<sdk::FieldSpec> wecomFields();

// Turns one record payload into a request body (exposed for tests).
Result<BuiltMessage> buildFromRecord(const WecomSinkConfig& cfg, const std::string& payload);

class WecomSink final : public sdk::Sink {
 public:
  WecomSink(WecomSinkConfig cfg, std::shared_ptr<Transport> transport);
  Result<sdk::Delivery> deliver(const Record& record) override;
  sdk::Health health() override;

 private:
  WecomSinkConfig cfg_;
  std::shared_ptr<Transport> transport_;
  std::unique_ptr<Client> client_;
};

}  // namespace qiao::connectors::wecom
