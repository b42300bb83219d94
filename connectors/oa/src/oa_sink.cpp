#include "oa_sink.h"

#include <nlohmann/json.hpp>

namespace qiao::connectors::oa {

Result<sdk::Delivery> OaSink::deliver(const Record& record) {
  QIAO_ASSIGN_OR_RETURN(Submitted s, client_->submitFull(record.payload, record.idempotency_key, record.attempt));
  sdk::Delivery d;
  d.remote_id = s.request_id;
  d.result_json = nlohmann::json{{"requestId", s.request_id}, {"state", s.state}}.dump();
  return d;
}

Result<sdk::ApprovalState> OaSink::approvalState(const std::string& request_id) {
  QIAO_ASSIGN_OR_RETURN(qiao::oa::ApprovalStatus st, client_->status(request_id));
  return sdk::ApprovalState{st.state, st.approver, st.comment};
}

sdk::Health OaSink::health() {
  Status st = client_->health();
  if (!st.ok()) return {false, st.error().message};
  return {true, "the OA answers"};
}

}  // namespace qiao::connectors::oa
