#include "wecom_client.h"

#include <cctype>
#include <nlohmann/json.hpp>

namespace qiao::connectors::wecom {
namespace {

// errcode of a JSON reply, 0 when absent or not JSON (checkApiReply reports those).
int64_t errcodeOf(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return 0;
  auto it = j.find("errcode");
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

}  // namespace

std::string urlEncodeComponent(std::string_view text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

Client::Client(std::shared_ptr<Transport> transport, std::shared_ptr<TokenManager> tokens,
               std::string base_url)
    : transport_(std::move(transport)), tokens_(std::move(tokens)), base_url_(std::move(base_url)) {}

Result<ApiReply> Client::postWithToken(const std::string& path, const std::string& body) {
  return callWithToken(path, "", &body);
}

Result<ApiReply> Client::getWithToken(const std::string& path, const std::string& query) {
  return callWithToken(path, query, nullptr);
}

Result<ApiReply> Client::callWithToken(const std::string& path, const std::string& query,
                                       const std::string* body) {
  const std::string what = path.rfind("/cgi-bin/", 0) == 0 ? path.substr(9) : path;
  if (!tokens_)
    return Error::permanent(ErrorCode::kConfigInvalid,
                            "wecom " + what + ": corp_id and secret are not configured");
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto token = tokens_->get();
    if (!token.ok()) return token.takeError();
    std::string url = base_url_ + path + "?access_token=" + token->value;
    if (!query.empty()) url += "&" + query;
    auto reply = body ? transport_->postJson(url, *body, what) : transport_->get(url, what);
    if (!reply.ok()) return reply.takeError();
    if (reply->status == 200 && attempt == 0 && isTokenErrcode(errcodeOf(reply->body))) {
      tokens_->invalidate(token->generation);  // only if still the current token
      continue;
    }
    return checkApiReply(reply->status, reply->body, what);
  }
  return Error::authExpired("wecom " + what + ": token rejected twice");  // not reached
}

Result<ApiReply> Client::sendRobotMessage(const std::string& robot_key, const std::string& body) {
  if (robot_key.empty())
    return Error::permanent(ErrorCode::kConfigInvalid, "wecom webhook/send: robot_key is not set");
  auto reply = transport_->postJson(base_url_ + "/cgi-bin/webhook/send?key=" + robot_key, body,
                                    "webhook/send");
  if (!reply.ok()) return reply.takeError();
  return checkApiReply(reply->status, reply->body, "webhook/send");
}

}  // namespace qiao::connectors::wecom
