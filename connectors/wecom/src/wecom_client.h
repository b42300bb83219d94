// Calls to the WeCom server API with the token handling in one place: the access_token goes
// in the query string; a reply with errcode 40014/42001/40001 drops that token, fetches
// another and repeats the call once (never more). Robot webhooks need no token: the key in
// the URL is the credential, so it never appears in errors.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "wecom_errors.h"
#include "wecom_token.h"

namespace qiao::connectors::wecom {

// %XX-encodes everything but RFC 3986 unreserved characters (query values such as userids).
std::string urlEncodeComponent(std::string_view text);

class Client {
 public:
  // tokens may be null when only robot webhooks are used.
  Client(std::shared_ptr<Transport> transport, std::shared_ptr<TokenManager> tokens,
         std::string base_url);

  // POST base_url + path + "?access_token=…" (path without query, e.g. "/cgi-bin/message/send").
  Result<ApiReply> postWithToken(const std::string& path, const std::string& body);
  // GET base_url + path + "?access_token=…&" + query (query already URL-encoded, may be "").
  Result<ApiReply> getWithToken(const std::string& path, const std::string& query);

  // POST /cgi-bin/message/send
  Result<ApiReply> sendAppMessage(const std::string& body) {
    return postWithToken("/cgi-bin/message/send", body);
  }
  // POST /cgi-bin/webhook/send?key=…
  Result<ApiReply> sendRobotMessage(const std::string& robot_key, const std::string& body);

 private:
  // One call with the token; body null = GET. Refreshes the token once on 40014/42001/40001.
  Result<ApiReply> callWithToken(const std::string& path, const std::string& query,
                                 const std::string* body);

  std::shared_ptr<Transport> transport_;
  std::shared_ptr<TokenManager> tokens_;
  std::string base_url_;
};

}  // namespace qiao::connectors::wecom
