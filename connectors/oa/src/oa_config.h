// Settings of one `oa` connector (kind weaver or generic), parsed from its JSON block, and the
// FieldSpec table that declares them (config validation, `qiao connectors list`, docs).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/sdk/field_spec.h"

namespace qiao::connectors::oa {

enum class Kind { kWeaver, kGeneric };

struct DetailTable {
  std::string table;                                    // formtable_main_<n>_dt<k>
  std::string rows;                                     // JSON pointer to the record's array
  std::vector<std::pair<std::string, std::string>> fields;  // fieldName → pointer in a row
};

struct WeaverSettings {
  std::string app_id;
  std::string user_id;       // OA user id the requests are created as (sent RSA-encrypted)
  std::string workflow_id;
  std::string secret;             // pre-registered secret (optional, with server_public_key)
  std::string server_public_key;  // base64 X.509 SubjectPublicKeyInfo (Java getEncoded())
  std::string registration_file;  // where register's answer is kept ("" = memory only)
  int64_t token_ttl_ms = 3'600'000;       // sent as the `time` header, in seconds
  bool form_encoding = true;              // x-www-form-urlencoded (else JSON)
  std::string request_name = "qiao {key}";  // template: {/pointer} and {key}
  bool key_in_request_name = true;        // append " [<key>]" so retries can find it
  std::vector<std::pair<std::string, std::string>> main_fields;  // fieldName → template
  std::vector<DetailTable> detail_tables;
  bool is_next_flow = true;               // submit past the creation node
  std::map<std::string, std::string> status_map;  // status text / log operateType → state
};

struct GenericSettings {
  std::string create_url;        // template: {/pointer} from the record, {key}
  std::string create_method = "POST";
  std::string create_body;       // JSON template text ("" = the record as it is)
  std::string request_id_pointer = "/id";
  std::string create_state_pointer;  // state in the create reply ("" = in_approval)
  std::string status_url;        // template: {id}
  std::string state_pointer = "/status";
  std::string approver_pointer;
  std::string comment_pointer;
  std::string updated_pointer;
  std::map<std::string, std::string> status_map;  // OA value → normalised state
  std::string lookup_url;        // template: {key}; "" = no remote lookup on retries
  std::string lookup_id_pointer; // "" = request_id_pointer
  std::vector<std::pair<std::string, std::string>> headers;
  std::string auth_token;        // Authorization: Bearer (secret)
  std::string idempotency_header = "Idempotency-Key";
};

struct OaSettings {
  Kind kind = Kind::kWeaver;
  std::string base_url;  // weaver: the OA root ("http://oa.example.com"), no trailing '/'
  int64_t timeout_ms = 15'000;
  int64_t connect_timeout_ms = 3'000;
  bool tls_verify = true;
  WeaverSettings weaver;
  GenericSettings generic;
};

std::vector<sdk::FieldSpec> oaFieldSpecs();

// Parses and checks the block; every problem is reported (joined by "; ") in one permanent
// kConfigInvalid error that names the key and never echoes a secret.
Result<OaSettings> parseOaSettings(const std::string& json);

}  // namespace qiao::connectors::oa
