// Shared pieces of the K/3 Cloud simulator: case-insensitive key lookup, K/3's time format and
// the response envelopes (reference: /work/shared/reference/kingdee-k3cloud.md, 1.6 and 3.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace qiao::sim::k3 {

using json = nlohmann::json;

// MsgCode values (reference 3.3).
enum MsgCode : int {
  kMsgDefault = 0,
  kMsgContextLost = 1,
  kMsgException = 4,
  kMsgFormIdEmpty = 5,
  kMsgParameterError = 8,
  kMsgFieldNotFound = 9,
  kMsgDataNotFound = 10,
  kMsgValidationFailed = 11,
  kMsgNotOperable = 12,
};

inline constexpr const char* kSessionLostMessage = "会话信息已丢失，请重新登录";
inline constexpr int kLcid = 2052;

std::string lower(std::string s);
bool iequals(std::string_view a, std::string_view b);

// Exact key first, then a case-insensitive match (K/3 field keys are case-insensitive).
const json* findKey(const json& obj, std::string_view key);
json* findKey(json& obj, std::string_view key);

// A JSON bool, or "true"/"false" (any case) as the SDKs also send; otherwise the fallback.
bool truthy(const json* v, bool fallback);

// Asia/Shanghai (UTC+8, no DST) local time as K/3 shows it: "yyyy-MM-ddTHH:mm:ss.fff"; the
// fixed time instead while one is set (admin _clock: every stamp equal, for tests).
std::string shanghaiNow();
// Sets ("yyyy-MM-ddTHH:mm:ss.fff") or clears (nullopt) the fixed time. Process-wide.
void setFixedShanghaiNow(std::optional<std::string> fixed);
bool shanghaiNowFixed();
// "yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss[.fff]", "yyyy-MM-ddTHH:mm:ss[.fff]" → the K/3 read form
// "yyyy-MM-ddTHH:mm:ss" (fraction kept); nullopt when the text is not such a date.
std::optional<std::string> normalizeDate(const std::string& text);

// prefix + n zero-padded to digits: ("XSDD", 1, 6) → "XSDD000001".
std::string paddedNumber(const std::string& prefix, int64_t n, int digits);

// Text of a scalar for indexes and string comparison ("" for null, numbers without quotes).
std::string scalarText(const json& v);

// An integer id from a number or a numeric string; 0 otherwise (0 = "none" in K/3).
int64_t idValue(const json* v);
// The number inside a base-data reference: {"FNumber":"x"}, {"FNUMBER":"x"} or a bare "x".
std::string refNumber(const json& v);

struct K3Error {
  std::string field;  // FieldName ("" → null)
  std::string message;
  int dindex = 0;
};

json errorJson(const K3Error& e);
json responseStatus(bool ok, int msg_code, const std::vector<K3Error>& errors,
                    json success_entitys = json::array());
// {"Result":{"ResponseStatus":{... IsSuccess:false ...}}}
json failure(int msg_code, const std::vector<K3Error>& errors);
json failure(int msg_code, const std::string& message, const std::string& field = "");
json sessionLost();

}  // namespace qiao::sim::k3
