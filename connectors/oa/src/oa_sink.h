// The `oa` sink: each record becomes one approval request in the OA. Delivery.remote_id is
// the OA's request id; result_json is {"requestId": "...", "state": "in_approval"}.
#pragma once

#include <memory>
#include <string>

#include "oa_backend.h"
#include "qiao/sdk/connector.h"

namespace qiao::connectors::oa {

// The client for a settings block; data_dir (may be "") holds weaver's registration file.
Result<std::unique_ptr<OaBackend>> makeBackend(const std::string& settings_json, const std::string& data_dir);

class OaSink final : public sdk::Sink {
 public:
  explicit OaSink(std::unique_ptr<OaBackend> client) : client_(std::move(client)) {}
  Result<sdk::Delivery> deliver(const Record& record) override;
  sdk::Health health() override;
  bool canReportApprovals() const override { return true; }
  Result<sdk::ApprovalState> approvalState(const std::string& request_id) override;
  OaBackend& client() { return *client_; }

 private:
  std::unique_ptr<OaBackend> client_;
};

}  // namespace qiao::connectors::oa
