#include "k3_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace qiao::connectors::k3cloud {
namespace {

// The constant every official SDK embeds to un-obfuscate the gateway secret (§2.6).
constexpr char kGatewayXorKey[] = "0054f397c6234378b09ca7d3e5debce7";

std::string hex(const unsigned char* data, size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 0xF]);
  }
  return out;
}

}  // namespace

std::string sha256Hex(const std::string& data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return hex(md, sizeof md);
}

std::string hmacSha256Hex(const std::string& key, const std::string& msg) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), md, &len);
  return hex(md, len);
}

std::string base64Encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool base64Decode(const std::string& text, std::string* out) {
  if (text.size() % 4 != 0) return false;
  std::string buf(text.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts padding as zero bytes; drop them.
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') ++pad;
  if (text.size() > 1 && text[text.size() - 2] == '=') ++pad;
  buf.resize(static_cast<size_t>(n) - pad);
  *out = std::move(buf);
  return true;
}

std::string loginBySignSignature(const std::string& acct_id, const std::string& username,
                                 const std::string& app_id, const std::string& app_secret,
                                 int64_t unix_seconds) {
  std::array<std::string, 5> parts = {acct_id, username, app_id, app_secret,
                                      std::to_string(unix_seconds)};
  std::sort(parts.begin(), parts.end());  // std::string compares bytes: ordinal order
  std::string joined;
  for (const auto& p : parts) joined += p;
  return sha256Hex(joined);
}

std::string kdHmac(const std::string& msg, const std::string& key) {
  return base64Encode(hmacSha256Hex(key, msg));
}

std::string percentEncodePath(const std::string& path) {
  static const char* kDigits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kDigits[c >> 4]);
      out.push_back(kDigits[c & 0xF]);
    }
  }
  return out;
}

std::string clientIdOf(const std::string& app_id) {
  return app_id.substr(0, app_id.find('_'));
}

std::string gatewaySecretOf(const std::string& app_id) {
  auto us = app_id.find('_');
  std::string part = us == std::string::npos ? "" : app_id.substr(us + 1);
  std::string raw;
  if (part.size() != 32 || !base64Decode(part, &raw)) return part;
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<char>(raw[i] ^ kGatewayXorKey[i]);
  return base64Encode(raw);
}

std::vector<std::pair<std::string, std::string>> xapiHeaders(const XApiInput& in) {
  std::string ts = std::to_string(in.timestamp_ms);
  const std::string& nonce = ts;  // the SDKs use the timestamp as nonce
  std::string to_sign = "POST\n" + percentEncodePath(in.path) + "\n\n" + "x-api-nonce:" + nonce +
                        "\n" + "x-api-timestamp:" + ts + "\n";
  std::string app_data =
      in.acct_id + "," + in.username + "," + std::to_string(in.lcid) + "," + in.org_num;
  return {
      {"X-Api-ClientID", clientIdOf(in.app_id)},
      {"X-Api-Auth-Version", "2.0"},
      {"x-api-timestamp", ts},
      {"x-api-nonce", nonce},
      {"x-api-signheaders", "x-api-timestamp,x-api-nonce"},
      {"X-Api-Signature", kdHmac(to_sign, gatewaySecretOf(in.app_id))},
      {"X-Kd-Appkey", in.app_id},
      {"X-Kd-Appdata", base64Encode(app_data)},
      {"X-Kd-Signature", kdHmac(in.app_id + app_data, in.app_secret)},
  };
}

}  // namespace qiao::connectors::k3cloud
