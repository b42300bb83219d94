#include "wecom_errors.h"

#include <nlohmann/json.hpp>

#include "qiao/core/log.h"

namespace qiao::connectors::wecom {
namespace {

struct Row {
  int64_t code;
  ErrorClass klass;
  const char* meaning;
};

constexpr Row kTable[] = {
    {-1, ErrorClass::kTransient, "system busy"},
    {6000, ErrorClass::kTransient, "data version conflict"},
    {40001, ErrorClass::kAuthExpired, "invalid secret or access_token"},
    {40014, ErrorClass::kAuthExpired, "invalid access_token"},
    {42001, ErrorClass::kAuthExpired, "access_token expired"},
    {41001, ErrorClass::kPermanent, "access_token missing"},
    {45009, ErrorClass::kTransient, "API frequency limit reached"},
    {45033, ErrorClass::kTransient, "concurrency limit reached"},
    {301057, ErrorClass::kTransient, "approval submission failed"},
    {45002, ErrorClass::kPermanent, "content too large"},
    {40058, ErrorClass::kPermanent, "invalid parameter"},
    {40003, ErrorClass::kPermanent, "invalid userid"},
    {60111, ErrorClass::kPermanent, "userid not found"},
    {40033, ErrorClass::kPermanent, "illegal characters (\\u escapes)"},
    {40013, ErrorClass::kPermanent, "invalid corpid"},
    {40091, ErrorClass::kPermanent, "secret of another corp"},
    {41002, ErrorClass::kPermanent, "corpid missing"},
    {41004, ErrorClass::kPermanent, "secret missing"},
    {41033, ErrorClass::kPermanent, "description missing"},
    {48002, ErrorClass::kPermanent, "API not permitted for this app"},
    {60011, ErrorClass::kPermanent, "outside the app's visible range"},
    {60020, ErrorClass::kPermanent, "caller IP not in the app's trusted IPs"},
    {81013, ErrorClass::kPermanent, "all recipients invalid"},
    {82001, ErrorClass::kPermanent, "no recipient given"},
    {301002, ErrorClass::kPermanent, "token's app differs from agentid"},
    {301025, ErrorClass::kPermanent, "approval parameter error"},
    {301055, ErrorClass::kPermanent, "no approval permission"},
    {301056, ErrorClass::kPermanent, "approval app disabled"},
    {84061, ErrorClass::kPermanent, "no external-contact relationship"},
    {40096, ErrorClass::kPermanent, "invalid external_userid"},
    {93000, ErrorClass::kPermanent, "robot webhook invalid or robot removed"},
    {93004, ErrorClass::kPermanent, "robot disabled"},
};

const Row* find(int64_t code) {
  for (const auto& r : kTable)
    if (r.code == code) return &r;
  return nullptr;
}

}  // namespace

ErrorClass classifyErrcode(int64_t errcode) {
  const Row* r = find(errcode);
  return r ? r->klass : ErrorClass::kPermanent;
}

std::string_view errcodeMeaning(int64_t errcode) {
  const Row* r = find(errcode);
  return r ? r->meaning : "";
}

bool isTokenErrcode(int64_t errcode) {
  return errcode == 40014 || errcode == 42001 || errcode == 40001;
}

Error errcodeError(int64_t errcode, std::string_view errmsg, std::string_view what) {
  std::string msg = "wecom " + std::string(what) + ": errcode " + std::to_string(errcode);
  auto meaning = errcodeMeaning(errcode);
  if (!meaning.empty()) msg += " (" + std::string(meaning) + ")";
  if (!errmsg.empty()) msg += ": " + log::redact(errmsg);
  Error e;
  e.klass = classifyErrcode(errcode);
  e.message = std::move(msg);
  switch (e.klass) {
    case ErrorClass::kTransient: e.code = ErrorCode::kRemoteTransient; break;
    case ErrorClass::kAuthExpired: e.code = ErrorCode::kRemoteAuthExpired; break;
    case ErrorClass::kPermanent: e.code = ErrorCode::kRemotePermanent; break;
  }
  if (errcode == 45009) {
    e.code = ErrorCode::kRateLimited;
    e.retry_after_ms = kRateLimitBlockMs;
  }
  return e;
}

Result<ApiReply> checkApiReply(long http_status, std::string_view body, std::string_view what) {
  const std::string prefix = "wecom " + std::string(what) + ": ";
  if (http_status < 200 || http_status >= 300) {
    std::string msg = prefix + "HTTP " + std::to_string(http_status);
    if (http_status >= 500 || http_status == 429 || http_status == 408)
      return Error::transient(ErrorCode::kRemoteTransient, msg);
    return Error::permanent(ErrorCode::kRemotePermanent, msg);
  }
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return Error::transient(ErrorCode::kRemoteTransient,
                            prefix + "reply is not a JSON object (" +
                                std::to_string(body.size()) + " bytes)");
  auto it = j.find("errcode");
  int64_t errcode = 0;
  if (it != j.end()) {
    if (!it->is_number_integer())
      return Error::permanent(ErrorCode::kRemotePermanent, prefix + "errcode is not an integer");
    errcode = it->get<int64_t>();
  }
  if (errcode != 0) {
    std::string errmsg;
    auto m = j.find("errmsg");
    if (m != j.end() && m->is_string()) errmsg = m->get<std::string>();
    return errcodeError(errcode, errmsg, what);
  }
  return ApiReply{std::string(body)};
}

}  // namespace qiao::connectors::wecom
