// The `k3cloud` sink: each record's payload is a K/3 Save body; deliver() saves it (then
// Submit and Audit when configured) and never blindly re-sends a Save whose outcome is
// unknown: on retries it first looks the bill up by its external reference.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "k3_client.h"
#include "qiao/sdk/connector.h"

namespace qiao::connectors::k3cloud {

// What a payload asks for, after the connector's options are applied.
struct SaveRequest {
  std::string form_id;
  nlohmann::json data;       // Save data: {"Model":{...}, options...}
  std::string ref_field;     // field the bill is looked up by ("" = no lookup possible)
  std::string ref_value;
  bool auto_submit_audit = false;  // the payload set IsAutoSubmitAndAudit
  // forbid_operation on base data: the FForbidStatus the Model asked for ("A" / "B"; "" = none
  // or not named by NeedUpDateFields), taken out of the Save; `save` false when the update
  // named nothing else (only the operation runs).
  std::string forbid_status;
  bool save = true;
};

// Builds the Save request from a record: accepts {"formid":..,"data":{"Model":..}} (also
// FormId/Data, data as a JSON string) or a bare {"Model":..}; adds the configured Save options
// the payload does not set (auto_submit_audit always sets IsAutoSubmitAndAudit), and the record's idempotency key as Model.<external_ref_field>
// unless the mapping set that field. Errors are permanent (the payload is wrong).
Result<SaveRequest> buildSaveRequest(const K3Config& cfg, const Record& record);

// The fields a lookup reads for a form: key field, number field, status field.
struct LookupFields {
  std::string id;
  std::string number;
  std::string status;
};
LookupFields lookupFieldsFor(const std::string& form_id);

class K3Sink final : public sdk::Sink {
 public:
  K3Sink(K3Config cfg, std::string instance_name);

  Result<sdk::Delivery> deliver(const Record& record) override;
  sdk::Health health() override;

  K3Client& client() { return *client_; }

 private:
  struct Bill {
    std::string id;
    std::string number;
    std::string status;  // FDocumentStatus: Z A B C D
  };
  // The first bill whose ref field equals the value; found=false when none.
  Result<bool> lookup(const SaveRequest& req, Bill* out);
  Result<Bill> save(const SaveRequest& req);
  // Submit and Audit as configured, from the bill's current status.
  Status advance(const std::string& form_id, Bill* bill);
  // unaudit_to_update: UnAudit the record the Model updates when it is audited.
  Status unauditForUpdate(const SaveRequest& req);
  // forbid_operation: ExcuteOperation Forbid / Enable on the record (Id in `bill`, or the
  // Model's key field) unless it is in that state already; fills the bill from the lookup.
  Status applyForbidStatus(const SaveRequest& req, Bill* bill);
  sdk::Delivery delivery(const std::string& form_id, const Bill& bill) const;

  std::string instance_name_;
  std::unique_ptr<K3Client> client_;
};

}  // namespace qiao::connectors::k3cloud
