// Bearer-key authentication with a small cache so the ingest hot path does not hit the store
// on every request. Valid keys are cached 30 s (so a revocation takes up to 30 s to bite),
// unknown keys 1 s (so a freshly created key works almost at once).
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "qiao/store/store.h"

namespace qiao::http::detail {

enum Role : uint8_t {
  kRoleNone = 0,
  kRoleIngest = 1,
  kRoleFinance = 2,
  kRoleOperator = 4,
  kRoleAdmin = 8,
};
uint8_t roleBit(std::string_view role);

struct Principal {
  uint8_t role = kRoleNone;
  std::string key_id;
};

class Authenticator {
 public:
  enum class Outcome { kOk, kMissing, kInvalid, kStoreError };

  // bootstrap_key: config security.bootstrap_admin_key ("" = none); it always acts as admin.
  Authenticator(store::Store& store, const std::string& bootstrap_key,
                int64_t positive_ttl_ms = 30000, int64_t negative_ttl_ms = 1000);

  // authorization: the raw Authorization header value.
  Outcome authenticate(std::string_view authorization, Principal* out);

 private:
  struct Entry {
    bool valid = false;
    uint8_t role = kRoleNone;
    std::string key_id;
    int64_t expires_us = 0;
  };

  store::Store& store_;
  std::string bootstrap_hash_;
  int64_t positive_ttl_us_;
  int64_t negative_ttl_us_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace qiao::http::detail
