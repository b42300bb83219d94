#include "auth.h"

#include <mutex>

#include "qiao/core/clock.h"
#include "qiao/core/log.h"
#include "qiao/http/api_keys.h"

namespace qiao::http::detail {
namespace {

// Random bogus keys must not grow the cache without bound.
constexpr size_t kMaxCacheEntries = 10000;
constexpr size_t kMaxKeyLength = 512;

bool iequalsPrefix(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != prefix[i]) return false;
  }
  return true;
}

}  // namespace

uint8_t roleBit(std::string_view role) {
  if (role == "admin") return kRoleAdmin;
  if (role == "operator") return kRoleOperator;
  if (role == "finance") return kRoleFinance;
  if (role == "ingest") return kRoleIngest;
  return kRoleNone;
}

Authenticator::Authenticator(store::Store& store, const std::string& bootstrap_key,
                             int64_t positive_ttl_ms, int64_t negative_ttl_ms)
    : store_(store),
      bootstrap_hash_(bootstrap_key.empty() ? std::string() : hashApiKey(bootstrap_key)),
      positive_ttl_us_(positive_ttl_ms * 1000),
      negative_ttl_us_(negative_ttl_ms * 1000) {}

Authenticator::Outcome Authenticator::authenticate(std::string_view authorization,
                                                   Principal* out) {
  if (authorization.empty()) return Outcome::kMissing;
  if (!iequalsPrefix(authorization, "bearer ")) return Outcome::kInvalid;
  std::string_view key = authorization.substr(7);
  while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.remove_suffix(1);
  if (key.empty()) return Outcome::kMissing;
  if (key.size() > kMaxKeyLength) return Outcome::kInvalid;

  std::string hash = hashApiKey(std::string(key));
  if (hash.empty()) return Outcome::kInvalid;
  if (!bootstrap_hash_.empty() && hash == bootstrap_hash_) {
    out->role = kRoleAdmin;
    out->key_id = "bootstrap";
    return Outcome::kOk;
  }

  int64_t now = steadyNowUs();
  {
    std::shared_lock lock(mu_);
    auto it = cache_.find(hash);
    if (it != cache_.end() && it->second.expires_us > now) {
      if (!it->second.valid) return Outcome::kInvalid;
      out->role = it->second.role;
      out->key_id = it->second.key_id;
      return Outcome::kOk;
    }
  }

  auto found = store_.findApiKeyByHash(hash);
  if (!found.ok()) {
    log::warn("http.auth_lookup_failed", {{"error", log::redact(found.error().message)}});
    return Outcome::kStoreError;
  }
  Entry e;
  if (found.value().has_value() && !found.value()->revoked) {
    e.valid = true;
    e.role = roleBit(found.value()->role);
    e.key_id = found.value()->key_id;
    if (e.role == kRoleNone) e.valid = false;  // unknown role in the store: no access
  }
  e.expires_us = now + (e.valid ? positive_ttl_us_ : negative_ttl_us_);
  {
    std::unique_lock lock(mu_);
    if (cache_.size() >= kMaxCacheEntries) {
      for (auto it = cache_.begin(); it != cache_.end();) {
        it = it->second.expires_us <= now ? cache_.erase(it) : std::next(it);
      }
      if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    }
    cache_[hash] = e;
  }
  if (!e.valid) return Outcome::kInvalid;
  out->role = e.role;
  out->key_id = e.key_id;
  return Outcome::kOk;
}

}  // namespace qiao::http::detail
