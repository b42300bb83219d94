// API keys: "qiao_<keyid>_<secret>". Only the SHA-256 of the whole key is stored; the key id
// is the public part shown in lists and audit entries.
#pragma once

#include <cstdint>
#include <string>

#include "qiao/store/store.h"

namespace qiao::http {

struct NewKey {
  std::string plaintext;  // shown once to whoever created the key, never stored
  store::ApiKey key;      // what goes into the store (hash, role, name, key_id)
};

// key id: 8 hex chars; secret: 128 random bits (OpenSSL RAND_bytes) as 32 hex chars.
NewKey generateApiKey(const std::string& role, const std::string& name, int64_t now_ms);

// Lower-case hex SHA-256 of the plaintext.
std::string hashApiKey(const std::string& plaintext);

// admin | operator | finance | ingest
bool isValidRole(const std::string& role);

}  // namespace qiao::http
