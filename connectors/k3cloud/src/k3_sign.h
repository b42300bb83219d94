// Signatures of the K/3 Cloud WebAPI (reference §2.3 and §2.6). Pure functions over their
// inputs (the clock is a parameter), so tests check them against fixed vectors.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace qiao::connectors::k3cloud {

std::string sha256Hex(const std::string& data);
std::string hmacSha256Hex(const std::string& key, const std::string& msg);
std::string base64Encode(const std::string& bytes);
// Standard base64 (with padding); false on invalid input.
bool base64Decode(const std::string& text, std::string* out);

// LoginBySign: the five strings acctID, username, appId, appSecret, str(ts) sorted ordinally
// (byte order), concatenated without separator, SHA-256, lower-case hex.
std::string loginBySignSignature(const std::string& acct_id, const std::string& username,
                                 const std::string& app_id, const std::string& app_secret,
                                 int64_t unix_seconds);

// base64(lowercase_hex(HMAC_SHA256(key, msg))): the SDKs' double encoding, 88 characters.
std::string kdHmac(const std::string& msg, const std::string& key);

// Percent-encoding of a URL path for the X-Api string to sign: unreserved characters
// (A-Z a-z 0-9 - . _ ~) stay, everything else (also '/') becomes %XX in upper case.
std::string percentEncodePath(const std::string& path);

// The gateway secret hidden in the app id "<clientId>_<32-char part>": base64-decode the
// part, XOR with the SDKs' constant key, base64-encode. A part that is not 32 characters is
// used as it is (Java/Go SDK behaviour).
std::string clientIdOf(const std::string& app_id);
std::string gatewaySecretOf(const std::string& app_id);

struct XApiInput {
  std::string app_id;
  std::string app_secret;
  std::string acct_id;
  std::string username;
  int lcid = 2052;
  std::string org_num = "0";
  std::string path;  // URL path of the request, e.g. "/k3cloud/Kingdee...Save.common.kdsvc"
  int64_t timestamp_ms = 0;
};

// The X-Api-* and X-Kd-* headers (name, value) for one request, timestamp = nonce in ms.
std::vector<std::pair<std::string, std::string>> xapiHeaders(const XApiInput& in);

}  // namespace qiao::connectors::k3cloud
