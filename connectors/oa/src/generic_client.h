// A generic REST OA: create endpoint (URL template, body = the record or a JSON template),
// the request id by JSON pointer, a status endpoint with {id}, and a status map from the OA's
// own state values to the normalised states. The idempotency key goes in a header on every
// create; with lookup_url set, a retried submit asks the OA for the key first.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "oa_backend.h"
#include "oa_config.h"
#include "oa_http.h"

namespace qiao::connectors::oa {

class GenericClient final : public OaBackend {
 public:
  explicit GenericClient(OaSettings settings);

  Result<qiao::oa::ApprovalStatus> status(const std::string& request_id) override;
  Status health() override;

 protected:
  Result<std::string> lookup(const std::string& key) override;
  Result<Submitted> create(const std::string& record_json, const std::string& key) override;
  std::string initialState() const override { return qiao::oa::kInApproval; }

 private:
  std::vector<std::string> headers(const std::string& key) const;
  Result<std::string> mapState(const nlohmann::json& value, const std::string& what) const;

  OaSettings s_;
  Http http_;
};

}  // namespace qiao::connectors::oa
