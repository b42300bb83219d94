#include "wecom_token.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "wecom_errors.h"

namespace qiao::connectors::wecom {
namespace {

std::string urlEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

}  // namespace

TokenManager::TokenManager(std::shared_ptr<Transport> transport, std::string base_url,
                           std::string corp_id, std::string secret, TokenOptions options)
    : transport_(std::move(transport)),
      base_url_(std::move(base_url)),
      corp_id_(std::move(corp_id)),
      secret_(std::move(secret)),
      options_(std::move(options)) {}

std::chrono::steady_clock::time_point TokenManager::now() const {
  return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

uint64_t TokenManager::gettokenCalls() const {
  std::lock_guard lk(mu_);
  return gettoken_calls_;
}

void TokenManager::invalidate(uint64_t generation) {
  std::lock_guard lk(mu_);
  if (generation == generation_) token_.clear();
}

Result<TokenManager::Fetched> TokenManager::fetch() {
  const std::string url = base_url_ + "/cgi-bin/gettoken?corpid=" + urlEncode(corp_id_) +
                          "&corpsecret=" + urlEncode(secret_);
  auto reply = transport_->get(url, "gettoken");
  if (!reply.ok()) return reply.takeError();
  auto api = checkApiReply(reply->status, reply->body, "gettoken");
  if (!api.ok()) {
    Error e = api.takeError();
    // On gettoken a bad secret (40001) is configuration, not an expired token.
    if (e.klass == ErrorClass::kAuthExpired) {
      e.klass = ErrorClass::kPermanent;
      e.code = ErrorCode::kRemotePermanent;
      e.message += " — check corp_id and the app secret";
    }
    return e;
  }
  nlohmann::json j = nlohmann::json::parse(api->body, nullptr, false);
  auto tok = j.find("access_token");
  auto exp = j.find("expires_in");
  if (tok == j.end() || !tok->is_string() || tok->get<std::string>().empty())
    return Error::transient(ErrorCode::kRemoteTransient, "wecom gettoken: reply has no access_token");
  Fetched f;
  f.value = tok->get<std::string>();
  int64_t expires_in = (exp != j.end() && exp->is_number_integer()) ? exp->get<int64_t>() : 7200;
  f.lifetime = std::chrono::seconds(expires_in > 0 ? expires_in : 7200);
  return f;
}

Result<TokenManager::Token> TokenManager::get() {
  std::unique_lock lk(mu_);
  // Bounded: at most one wait on someone else's flight and one own flight per call.
  for (int round = 0; round < 4; ++round) {
    const auto t = now();
    const bool have = !token_.empty() && t < expires_at_;
    if (have && (t < refresh_at_ || refreshing_)) return Token{token_, generation_};
    if (refreshing_) {
      const uint64_t awaited = flights_started_;
      cv_.wait(lk, [&] { return flights_done_ >= awaited; });
      // The flight we waited for failed and left no usable token: share its error.
      if (flights_done_ == awaited && last_flight_error_ &&
          (token_.empty() || now() >= expires_at_))
        return *last_flight_error_;
      continue;
    }
    if (t < blocked_until_) {
      if (have) return Token{token_, generation_};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(blocked_until_ - t);
      Error e{ErrorCode::kRateLimited, ErrorClass::kTransient,
              "wecom gettoken: rate limited (errcode 45009), not asking again for " +
                  std::to_string(left.count()) + " ms",
              left.count()};
      return e;
    }
    refreshing_ = true;
    const uint64_t mine = ++flights_started_;
    ++gettoken_calls_;
    lk.unlock();
    auto fetched = fetch();
    lk.lock();
    const auto received = now();  // local clock at receipt, never a server time
    refreshing_ = false;
    flights_done_ = mine;
    if (fetched.ok()) {
      const auto lifetime = fetched->lifetime;
      const auto margin = std::min<std::chrono::steady_clock::duration>(
          options_.refresh_margin, lifetime / 2);
      token_ = std::move(fetched->value);
      ++generation_;
      expires_at_ = received + lifetime;
      refresh_at_ = expires_at_ - margin;
      last_flight_error_.reset();
      cv_.notify_all();
      return Token{token_, generation_};
    }
    Error err = fetched.takeError();
    if (err.code == ErrorCode::kRateLimited) blocked_until_ = received + options_.rate_limit_block;
    last_flight_error_ = err;
    cv_.notify_all();
    // An early refresh failed but the old token still works: keep using it.
    if (!token_.empty() && received < expires_at_) return Token{token_, generation_};
    return err;
  }
  return Error::transient(ErrorCode::kRemoteTransient,
                          "wecom gettoken: no token after repeated refreshes");
}

std::shared_ptr<TokenManager> sharedTokenManager(std::shared_ptr<Transport> transport,
                                                 const std::string& base_url,
                                                 const std::string& corp_id,
                                                 const std::string& secret) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<TokenManager>> managers;
  const std::string key = base_url + '\n' + corp_id + '\n' + secret;
  std::lock_guard lk(mu);
  auto& slot = managers[key];
  if (auto existing = slot.lock()) return existing;
  auto created = std::make_shared<TokenManager>(std::move(transport), base_url, corp_id, secret);
  slot = created;
  return created;
}

}  // namespace qiao::connectors::wecom
