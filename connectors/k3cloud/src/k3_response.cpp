#include "k3_response.h"

#include <curl/curl.h>

#include <cctype>

#include "qiao/core/log.h"

namespace qiao::connectors::k3cloud {
namespace {

using nlohmann::json;

constexpr int64_t kMaxRetryAfterMs = 24LL * 3600 * 1000;

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Key lookup that tolerates K/3's inconsistent casing (IsSuccess / isSuccess).
const json* member(const json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it != obj.end()) return &*it;
  std::string want = lower(key);
  for (auto i = obj.begin(); i != obj.end(); ++i)
    if (lower(i.key()) == want) return &i.value();
  return nullptr;
}

bool truthy(const json* v) {
  if (!v) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) return lower(trim(v->get<std::string>())) == "true";
  if (v->is_number_integer()) return v->get<int64_t>() != 0;
  return false;
}

int intOf(const json* v, int fallback) {
  if (!v) return fallback;
  if (v->is_number_integer()) return static_cast<int>(v->get<int64_t>());
  if (v->is_number()) return static_cast<int>(v->get<double>());
  if (v->is_string()) {
    auto s = trim(v->get<std::string>());
    if (s.empty() || s.size() > 9) return fallback;
    size_t start = s[0] == '-' ? 1 : 0;
    if (start == s.size() || s.find_first_not_of("0123456789", start) != std::string::npos)
      return fallback;
    return std::stoi(s);
  }
  return fallback;
}

std::string textOf(const json* v) {
  if (!v || v->is_null()) return "";
  if (v->is_string()) return v->get<std::string>();
  return v->dump();
}

ResponseStatus readStatus(const json& rs) {
  ResponseStatus s;
  s.is_success = truthy(member(rs, "IsSuccess"));
  s.msg_code = intOf(member(rs, "MsgCode"), 0);
  s.error_code = intOf(member(rs, "ErrorCode"), 0);
  if (const json* errs = member(rs, "Errors"); errs && errs->is_array()) {
    for (const auto& e : *errs) {
      if (!e.is_object()) {
        s.errors.push_back({"", textOf(&e), 0});
        continue;
      }
      s.errors.push_back({textOf(member(e, "FieldName")), textOf(member(e, "Message")),
                          intOf(member(e, "DIndex"), 0)});
    }
  }
  if (const json* ok = member(rs, "SuccessEntitys"); ok && ok->is_array()) {
    for (const auto& e : *ok)
      s.success_entities.push_back({idText(member(e, "Id") ? *member(e, "Id") : json()),
                                    textOf(member(e, "Number")), intOf(member(e, "DIndex"), 0)});
  }
  if (const json* msgs = member(rs, "SuccessMessages"); msgs && msgs->is_array()) {
    for (const auto& m : *msgs) s.success_messages.push_back(textOf(member(m, "Message")));
  }
  return s;
}

// <title>…</title> of an HTML page, else its first text, tags dropped.
std::string htmlGist(const std::string& body) {
  std::string low = lower(body);
  auto t = low.find("<title");
  if (t != std::string::npos) {
    auto start = low.find('>', t);
    auto end = low.find("</title", t);
    if (start != std::string::npos && end != std::string::npos && end > start)
      return trim(body.substr(start + 1, end - start - 1));
  }
  std::string text;
  bool in_tag = false;
  for (char c : body) {
    if (c == '<') in_tag = true;
    else if (c == '>') { in_tag = false; text.push_back(' '); }
    else if (!in_tag) text.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  }
  std::string squeezed;
  for (char c : text)
    if (!(c == ' ' && !squeezed.empty() && squeezed.back() == ' ')) squeezed.push_back(c);
  return trim(squeezed);
}

bool looksLikeHtml(const HttpReply& reply) {
  if (lower(reply.content_type).find("html") != std::string::npos) return true;
  auto t = trim(reply.body);
  return !t.empty() && t.front() == '<';
}

}  // namespace

const char* msgCodeMeaning(int code) {
  switch (code) {
    case 0: return "default";
    case 1: return "context lost (session lost or authentication failed)";
    case 2: return "no permission";
    case 3: return "operation id empty";
    case 4: return "exception (also unknown form id or bad filter syntax)";
    case 5: return "form id empty";
    case 6: return "database operation failed";
    case 7: return "license error";
    case 8: return "parameter error";
    case 9: return "field or value does not exist";
    case 10: return "data not found";
    case 11: return "validation failed";
    case 12: return "not operable in this state";
    case 13: return "network-control conflict (object locked)";
    case 14: return "call limit reached";
    case 15: return "administrator login forbidden";
    default: return "unknown";
  }
}

ErrorClass classifyMsgCode(int code) {
  switch (code) {
    case 1: return ErrorClass::kAuthExpired;
    case 13:
    case 14: return ErrorClass::kTransient;
    default: return ErrorClass::kPermanent;
  }
}

std::string describeErrors(const ResponseStatus& status) {
  std::string out;
  for (const auto& e : status.errors) {
    if (!out.empty()) out += "; ";
    if (!e.field_name.empty()) out += e.field_name + ": ";
    out += e.message.empty() ? "(no message)" : e.message;
    out += " [row " + std::to_string(e.dindex) + "]";
  }
  return out;
}

Error statusError(const ResponseStatus& status, const std::string& what) {
  std::string msg = what + " failed: K/3 MsgCode " + std::to_string(status.msg_code) + " (" +
                    msgCodeMeaning(status.msg_code) + ")";
  auto details = describeErrors(status);
  if (!details.empty()) msg += ": " + details;
  msg = excerpt(msg, 4096);
  switch (classifyMsgCode(status.msg_code)) {
    case ErrorClass::kAuthExpired: return Error::authExpired(std::move(msg));
    case ErrorClass::kTransient:
      return Error::transient(status.msg_code == 14 ? ErrorCode::kRateLimited
                                                    : ErrorCode::kRemoteTransient,
                              std::move(msg));
    case ErrorClass::kPermanent: break;
  }
  return Error::permanent(ErrorCode::kRemotePermanent, std::move(msg));
}

Result<json> decodeReply(const HttpReply& reply, const std::string& what, int64_t now_ms) {
  long s = reply.status;
  std::string head = what + ": HTTP " + std::to_string(s);
  if (looksLikeHtml(reply)) {
    // A proxy or IIS error page: the request may never have reached K/3.
    Error e = Error::transient(s == 429 ? ErrorCode::kRateLimited : ErrorCode::kRemoteTransient,
                               head + " HTML page (proxy or web server error): " +
                                   excerpt(htmlGist(reply.body), 200));
    e.retry_after_ms = parseRetryAfterMs(reply.retry_after, now_ms);
    return e;
  }
  json body = json::parse(reply.body, nullptr, false);
  bool transient_status = s == 408 || s == 425 || s == 429 || s >= 500;
  if (s < 200 || s >= 300) {
    // A JSON body on an error status may still carry K/3's reason; keep it in the message.
    std::string detail = excerpt(trim(reply.body), 500);
    if (!body.is_discarded()) {
      if (auto st = findResponseStatus(body); st && !st->errors.empty()) detail = describeErrors(*st);
    }
    std::string msg = head + (detail.empty() ? "" : ": " + detail);
    if (reply.body.find("Fail to verify thirty passport") != std::string::npos) {
      // K/3's answer to an unknown data center (acct id) on signed requests.
      return Error::authExpired(msg + " (check acct_id: K/3 does not know this data center)");
    }
    if (transient_status || s == 0) {
      Error e = Error::transient(s == 429 ? ErrorCode::kRateLimited : ErrorCode::kRemoteTransient,
                                 std::move(msg));
      e.retry_after_ms = parseRetryAfterMs(reply.retry_after, now_ms);
      return e;
    }
    return Error::permanent(ErrorCode::kRemotePermanent, std::move(msg));
  }
  if (body.is_discarded()) {
    return Error::transient(ErrorCode::kRemoteTransient,
                            head + " with a body that is not JSON: " +
                                excerpt(trim(reply.body), 200));
  }
  return body;
}

std::optional<ResponseStatus> findResponseStatus(const json& body) {
  const json* obj = &body;
  // ExecuteBillQuery reports errors inside its row array: [[{"Result":{...}}]].
  if (body.is_array()) {
    if (body.empty() || !body[0].is_array() || body[0].empty() || !body[0][0].is_object())
      return std::nullopt;
    obj = &body[0][0];
  }
  if (!obj->is_object()) return std::nullopt;
  const json* result = member(*obj, "Result");
  if (result && result->is_object()) {
    if (const json* rs = member(*result, "ResponseStatus"); rs && rs->is_object())
      return readStatus(*rs);
  }
  if (const json* rs = member(*obj, "ResponseStatus"); rs && rs->is_object()) return readStatus(*rs);
  return std::nullopt;
}

Result<OpReply> parseOpReply(const json& body, const std::string& what) {
  auto st = findResponseStatus(body);
  if (!st) {
    return Error::permanent(ErrorCode::kRemotePermanent,
                            what + ": reply has no Result.ResponseStatus: " +
                                excerpt(body.dump(), 300));
  }
  if (!st->is_success) return statusError(*st, what);
  OpReply out;
  out.status = std::move(*st);
  const json* result = member(body, "Result");
  if (result && result->is_object()) {
    if (const json* id = member(*result, "Id")) out.id = idText(*id);
    out.number = textOf(member(*result, "Number"));
    if (const json* nrd = member(*result, "NeedReturnData")) out.need_return_data = *nrd;
    if (const json* inner = member(*result, "Result")) {
      out.result = *inner;
      if (inner->is_string()) {  // some builds return View's object as a JSON string
        auto reparsed = json::parse(inner->get<std::string>(), nullptr, false);
        if (!reparsed.is_discarded()) out.result = std::move(reparsed);
      }
    }
  }
  if (out.id.empty() && out.status.success_entities.size() == 1) {
    out.id = out.status.success_entities[0].id;
    if (out.number.empty()) out.number = out.status.success_entities[0].number;
  }
  return out;
}

Result<std::vector<json>> parseQueryReply(const json& body, const std::string& what) {
  if (auto st = findResponseStatus(body)) {
    if (!st->is_success) return statusError(*st, what);
  }
  if (!body.is_array()) {
    return Error::permanent(ErrorCode::kRemotePermanent,
                            what + ": expected an array of rows, got: " + excerpt(body.dump(), 300));
  }
  std::vector<json> rows;
  rows.reserve(body.size());
  for (const auto& row : body) rows.push_back(row);
  return rows;
}

Result<LoginReply> parseLoginReply(const json& body, const std::string& what) {
  LoginReply out;
  if (!body.is_object()) {
    return Error::authExpired(what + ": login reply is not an object: " + excerpt(body.dump(), 200));
  }
  out.login_result_type = intOf(member(body, "LoginResultType"), -99);
  out.session_id = textOf(member(body, "KDSVCSessionId"));
  out.message = textOf(member(body, "Message"));
  bool type_ok = out.login_result_type == 1 || out.login_result_type == -5;
  if (type_ok && !out.session_id.empty()) return out;
  std::string msg = what + " rejected: LoginResultType " + std::to_string(out.login_result_type);
  if (!out.message.empty()) msg += ": " + out.message;
  else if (auto st = findResponseStatus(body); st && !st->errors.empty())
    msg += ": " + describeErrors(*st);
  if (type_ok) msg += " (no KDSVCSessionId in the reply)";
  return Error::authExpired(excerpt(msg, 1000));
}

std::pair<std::string, std::string> parseSetCookie(const std::string& value) {
  // Only the first "name=value" pair is the cookie; attributes follow after ';' (and an
  // "expires=Thu, 28-Aug-..." attribute holds a comma, so never split on ',').
  std::string pair = value.substr(0, value.find(';'));
  auto eq = pair.find('=');
  if (eq == std::string::npos) return {"", ""};
  std::string name = trim(pair.substr(0, eq));
  std::string val = trim(pair.substr(eq + 1));
  if (name.empty()) return {"", ""};
  return {name, val};
}

int64_t parseRetryAfterMs(const std::string& raw, int64_t now_ms) {
  auto value = trim(raw);
  if (value.empty()) return 0;
  int64_t ms = 0;
  if (value.find_first_not_of("0123456789") == std::string::npos) {
    if (value.size() > 9) return kMaxRetryAfterMs;
    ms = std::stoll(value) * 1000;
  } else {
    time_t when = curl_getdate(value.c_str(), nullptr);
    if (when < 0) return 0;
    ms = static_cast<int64_t>(when) * 1000 - now_ms;
  }
  if (ms < 0) return 0;
  return ms > kMaxRetryAfterMs ? kMaxRetryAfterMs : ms;
}

std::string excerpt(const std::string& text, size_t max_bytes) {
  std::string out = log::redact(text);
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out;
}

std::string idText(const json& v) {
  if (v.is_number_integer()) {
    auto n = v.get<int64_t>();
    return n == 0 ? "" : std::to_string(n);
  }
  if (v.is_number_unsigned()) return std::to_string(v.get<uint64_t>());
  if (v.is_number()) {
    double d = v.get<double>();
    return d == 0 ? "" : std::to_string(static_cast<int64_t>(d));
  }
  if (v.is_string()) {
    auto s = trim(v.get<std::string>());
    return s == "0" ? "" : s;
  }
  return "";
}

}  // namespace qiao::connectors::k3cloud
