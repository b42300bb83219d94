#include "qiao/http/api_keys.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdlib>

#include "qiao/core/log.h"

namespace qiao::http {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string toHex(const unsigned char* data, size_t n) {
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0f]);
  }
  return out;
}

// A key made from a weak source would be worse than no key: give up loudly instead.
void randomBytes(unsigned char* out, int n) {
  for (int tries = 0; tries < 3; ++tries) {
    if (RAND_bytes(out, n) == 1) return;
  }
  log::error("api_key.random_failed", {{"detail", "OpenSSL RAND_bytes failed"}});
  std::abort();
}

}  // namespace

NewKey generateApiKey(const std::string& role, const std::string& name, int64_t now_ms) {
  std::array<unsigned char, 4> id{};
  std::array<unsigned char, 16> secret{};  // 128 bits
  randomBytes(id.data(), static_cast<int>(id.size()));
  randomBytes(secret.data(), static_cast<int>(secret.size()));
  NewKey k;
  k.key.key_id = toHex(id.data(), id.size());
  k.plaintext = "qiao_" + k.key.key_id + "_" + toHex(secret.data(), secret.size());
  k.key.hash = hashApiKey(k.plaintext);
  k.key.role = role;
  k.key.name = name;
  k.key.created_at_ms = now_ms;
  k.key.revoked = false;
  return k;
}

std::string hashApiKey(const std::string& plaintext) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (EVP_Digest(plaintext.data(), plaintext.size(), md.data(), &len, EVP_sha256(), nullptr) != 1) {
    return {};  // never matches a stored hash
  }
  return toHex(md.data(), len);
}

bool isValidRole(const std::string& role) {
  return role == "admin" || role == "operator" || role == "finance" || role == "ingest";
}

}  // namespace qiao::http
