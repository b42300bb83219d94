// K/3 Cloud WebAPI replies as values: the operation envelope (Result.ResponseStatus), the
// ExecuteBillQuery array (errors hide inside it), login replies, HTML pages from proxies, and
// the MsgCode → ErrorClass policy. Pure functions: no network, unit-tested on sample bodies.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "qiao/core/result.h"

namespace qiao::connectors::k3cloud {

// What came back over HTTP (before any JSON parsing).
struct HttpReply {
  long status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
  std::vector<std::string> set_cookies;  // raw Set-Cookie values, in order
};

struct FieldError {
  std::string field_name;
  std::string message;
  int dindex = 0;
};

struct SuccessEntity {
  std::string id;
  std::string number;
  int dindex = 0;
};

// Result.ResponseStatus.
struct ResponseStatus {
  bool is_success = false;
  int msg_code = 0;
  int error_code = 0;
  std::vector<FieldError> errors;
  std::vector<SuccessEntity> success_entities;
  std::vector<std::string> success_messages;
};

// An operation reply (Save, BatchSave, Submit, Audit, Delete, View).
struct OpReply {
  ResponseStatus status;
  std::string id;      // Result.Id (Save/Draft), as text; "" when absent or 0
  std::string number;  // Result.Number
  nlohmann::json need_return_data;  // Result.NeedReturnData (null when absent)
  nlohmann::json result;            // View: Result.Result (re-parsed when it came as a string)
};

enum class MsgCode : int {
  kDefault = 0, kContextLost = 1, kNoPermission = 2, kOperationIdEmpty = 3, kException = 4,
  kFormIdEmpty = 5, kDatabase = 6, kLicense = 7, kParameter = 8, kFieldNotFound = 9,
  kDataNotFound = 10, kValidation = 11, kNotOperable = 12, kNetworkControl = 13,
  kCallLimit = 14, kAdminLoginForbidden = 15,
};
// "validation failed", "context lost", ... ("unknown" for codes outside the table).
const char* msgCodeMeaning(int code);

// The class the runtime acts on. Session lost (1) is kAuthExpired: the client logs in again.
// 13 (network control) and 14 (call limit) are transient; everything else, including unknown
// codes, is permanent: a write is never blindly repeated.
ErrorClass classifyMsgCode(int code);

// "FCustId: 客户编码 C999 不存在 [row 0]; FDate: ..." — K/3's own text, intact.
std::string describeErrors(const ResponseStatus& status);

// The decoded JSON of a reply, or the transport-level Error for it: HTTP 5xx/408/429 and
// HTML pages → transient (Retry-After honoured), other 4xx → permanent, unparsable text →
// transient (a proxy or a half-written reply). `what` names the call in messages.
Result<nlohmann::json> decodeReply(const HttpReply& reply, const std::string& what, int64_t now_ms);

// The ResponseStatus inside a decoded operation or query reply, if it carries one:
// {"Result":{"ResponseStatus":...}}, {"ResponseStatus":...}, or the ExecuteBillQuery error
// form [[{"Result":{"ResponseStatus":...}}]].
std::optional<ResponseStatus> findResponseStatus(const nlohmann::json& body);

// An operation reply: OpReply when IsSuccess, else the classified Error (message: what +
// MsgCode + every field error). A body without any ResponseStatus is a permanent error.
Result<OpReply> parseOpReply(const nlohmann::json& body, const std::string& what);

// ExecuteBillQuery rows, or the Error hidden in the array.
Result<std::vector<nlohmann::json>> parseQueryReply(const nlohmann::json& body,
                                                    const std::string& what);

// The Error for a non-successful ResponseStatus.
Error statusError(const ResponseStatus& status, const std::string& what);

struct LoginReply {
  int login_result_type = -1;
  std::string session_id;  // KDSVCSessionId
  std::string message;
};
// Success = LoginResultType 1 (or -5, "deal with form", which the spec lets count as success)
// and a non-empty KDSVCSessionId. Failures are kAuthExpired errors with K/3's message.
Result<LoginReply> parseLoginReply(const nlohmann::json& body, const std::string& what);

// name=value of one Set-Cookie header value (attributes dropped); {"",""} if malformed.
std::pair<std::string, std::string> parseSetCookie(const std::string& value);

// Retry-After as delay-seconds or an HTTP-date; 0 when absent or unparsable.
int64_t parseRetryAfterMs(const std::string& value, int64_t now_ms);

// At most max_bytes of text, cut on a UTF-8 boundary, registered secrets redacted.
std::string excerpt(const std::string& text, size_t max_bytes);

// A JSON value as id text: numbers without decimals, strings as they are, "" for null/0.
std::string idText(const nlohmann::json& v);

}  // namespace qiao::connectors::k3cloud
