// The `oa` simulator: a generic REST OA (docs/connectors/oa.md, "The simulators").
//   POST api/approvals            any JSON object → 201 {"id":"AP-100001","status":"PENDING"};
//                                 the same Idempotency-Key again → 200 with the first request
//   GET  api/approvals/{id}       {"id","status","approver","comment","updatedAt","form"}
//   GET  api/approvals?externalId=KEY   the request created with that key, or 404
//   _config _stats _faults _reset _approvals[/{id}[/{action}]]
// action: approve | reject | withdraw | cancel, body {approver, comment}. /api needs
// `Authorization: Bearer <token>` (config "token", default sim-oa-token; "" = none).
// States: PENDING, APPROVED, REJECTED, WITHDRAWN, CANCELLED.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "sim_faults.h"
#include "sim_server.h"

namespace qiao::sim {

class OaGenericSim : public Simulator {
 public:
  std::string name() const override { return "oa"; }
  void handle(Exchange& ex) override;

 private:
  struct Approval {
    std::string id, key, status = "PENDING", approver, comment;
    nlohmann::json form;
    int64_t updated_ms = 0;
  };
  std::pair<int, nlohmann::json> api(Exchange& ex, const std::string& path);
  void admin(Exchange& ex, const std::string& op);
  nlohmann::json view(const Approval& a) const;

  std::mutex mu_;
  std::string token_ = "sim-oa-token";
  std::map<std::string, Approval> approvals_;
  std::map<std::string, std::string> by_key_;  // Idempotency-Key → id
  int64_t next_ = 100001, created_ = 0, duplicates_ = 0, unauthorized_ = 0;
  std::map<std::string, int64_t> calls_;

  std::mutex faults_mu_;
  FaultPlan faults_;
  std::string fault_path_;
  int64_t faults_injected_ = 0;
};

}  // namespace qiao::sim
