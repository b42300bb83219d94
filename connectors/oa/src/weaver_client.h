// Weaver e-cology 9 (泛微 E9) REST "paService" client: doCreateRequest, getRequestStatus +
// getWorkflowRequest for the state, getMyWorkflowRequestList to find a request by the key in
// its title. Every call carries appid / token / userid (RSA-encrypted); a token E9 no longer
// knows is replaced once (single flight) and the call repeated once.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "oa_backend.h"
#include "oa_config.h"
#include "oa_http.h"
#include "weaver_auth.h"

namespace qiao::connectors::oa {

class WeaverClient final : public OaBackend {
 public:
  explicit WeaverClient(OaSettings settings);

  Result<qiao::oa::ApprovalStatus> status(const std::string& request_id) override;
  Status health() override;
  int64_t tokenFetches() const override { return auth_.applytokenCalls(); }

  // The title the request gets for this record and key (tests, docs).
  Result<std::string> requestName(const nlohmann::json& record, const std::string& key) const;

 protected:
  Result<std::string> lookup(const std::string& key) override;
  Result<Submitted> create(const std::string& record_json, const std::string& key) override;
  std::string initialState() const override;

 private:
  // One paService call: GET with query params, or POST with form/JSON params. Returns the
  // decoded answer after the token-invalid retry; `what` names it in errors.
  Result<nlohmann::json> call(const std::string& method, const std::string& path,
                              const std::vector<std::pair<std::string, nlohmann::json>>& params,
                              const std::string& what);
  Result<nlohmann::json> mainData(const nlohmann::json& record, const std::string& key) const;
  Result<nlohmann::json> detailData(const nlohmann::json& record, const std::string& key) const;

  OaSettings s_;
  Http http_;
  WeaverAuth auth_;
};

// "SUCCESS", "PARAM_ERROR", ... from E9's `code` (a string, a number or {"name": ...}).
std::string weaverCode(const nlohmann::json& answer);

}  // namespace qiao::connectors::oa
