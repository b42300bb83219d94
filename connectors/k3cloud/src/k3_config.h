// Settings of one `k3cloud` connector instance, parsed from its validated JSON block, and
// the FieldSpec table that declares them (one table: config validation, `qiao connectors
// list`, docs/connectors/k3cloud.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qiao/core/log.h"
#include "qiao/core/result.h"
#include "qiao/sdk/field_spec.h"

namespace qiao::connectors::k3cloud {

enum class AuthMode {
  kValidateUser,  // ValidateUser: password in the login body (Kingdee: "not recommended")
  kAppSecret,     // LoginByAppSecret: app secret in the login body
  kSign,          // LoginBySign: SHA-256 over the sorted credentials, secret never sent
  kXApi,          // no login: X-Api-* / X-Kd-* signature headers on every request
};
const char* toString(AuthMode m);

enum class LookupMode {
  kRetries,  // look the bill up before Save only when an earlier try may have taken effect
  kAlways,   // look it up before every Save
};

enum class BodyStyle {
  kNamed,       // {"formid": "...", "data": {...}} (recommended)
  kPositional,  // {"parameters": ["...", {...}]} (decompiled Java SDK; older builds)
};

struct K3Config {
  std::string base_url;  // always ends with '/'
  std::string acct_id;
  AuthMode auth = AuthMode::kValidateUser;
  std::string username;
  std::string password;    // secret
  std::string app_id;
  std::string app_secret;  // secret
  int lcid = 2052;
  std::string org_num = "0";  // X-Kd-Appdata organization number (xapi only)
  std::string form_id = "SAL_SaleOrder";
  bool submit = false;
  bool audit = false;
  bool auto_submit_audit = false;  // Save's own IsAutoSubmitAndAudit (implies submit + audit)
  // A Save whose Model carries the form's key field (an update) of an audited bill or base
  // data record is preceded by UnAudit (K/3 refuses to save an audited one, MsgCode 12);
  // submit/audit then bring it back.
  bool unaudit_to_update = false;
  // Base data (BD_*): FForbidStatus in a Save Model is not saved (K/3 forbids and re-enables
  // through the Forbid / Enable operations, reference 1.2): it is taken out of the Save and,
  // when it differs from the record's current state, applied with ExcuteOperation.
  bool forbid_operation = true;
  std::vector<std::string> need_update_fields;
  std::vector<std::string> need_return_fields;
  bool is_verify_base_data_field = true;
  bool is_delete_entry = true;
  std::string external_ref_field = "FNetOrderBillNo";
  LookupMode lookup_before_save = LookupMode::kRetries;
  BodyStyle body_style = BodyStyle::kNamed;
  int64_t timeout_ms = 60000;
  int64_t connect_timeout_ms = 5000;
  int max_connections = 32;
  bool tls_verify = true;
  std::string ca_file;
};

// The schema, in the order the docs list it.
std::vector<sdk::FieldSpec> k3FieldSpecs();

// Parses and checks the instance's JSON block. Every problem is reported (joined by "; ")
// as one permanent kConfigInvalid error that never echoes a secret.
Result<K3Config> parseK3Config(const std::string& json);

// The URL as safe to show (qiao/core/log.h).
using qiao::log::displayUrl;

}  // namespace qiao::connectors::k3cloud
