// E9 authentication: register (once per client key; kept in registration_file) → applytoken
// (the secret RSA-encrypted with the server's key) → token, cached until shortly before the
// lifetime we asked for runs out. Single flight: one applytoken at a time; workers that
// waited on a flight reuse its token, or share its error instead of each trying again.
// A token E9 refuses is dropped only if it is still the current one (compare by generation),
// so a burst of "token不存在或者超时" answers causes one applytoken, not one per worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "oa_config.h"
#include "oa_http.h"

namespace qiao::connectors::oa {

class WeaverAuth {
 public:
  WeaverAuth(Http& http, const OaSettings& settings);

  struct Token {
    std::string value;
    std::string userid;  // the user id RSA-encrypted with the server key, for the header
    uint64_t generation = 0;
  };
  Result<Token> get();
  void invalidate(uint64_t generation);

  int64_t applytokenCalls() const;
  int64_t registerCalls() const;

 private:
  struct Registration {
    std::string secret;
    std::string spk;
    std::string userid_enc;
  };
  // Under flight_mu_. fresh: register again even if a registration is known (it was refused).
  Status ensureRegistered(bool fresh);
  Status registerNow();           // one POST /api/ec/dev/auth/regist
  Result<std::string> applyToken(bool* registration_rejected);  // one applytoken call
  void loadRegistrationFile();
  void saveRegistrationFile();

  Http& http_;
  const OaSettings& s_;
  std::mutex flight_mu_;  // held for a whole register/applytoken flight
  std::optional<Registration> reg_;  // under flight_mu_
  bool reg_from_settings_ = false;

  mutable std::mutex mu_;  // the current token
  std::string token_;
  std::string userid_enc_;
  uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point refresh_at_{};
  uint64_t flights_done_ = 0;
  std::optional<Error> last_flight_error_;
  int64_t applytoken_calls_ = 0;
  int64_t register_calls_ = 0;
};

}  // namespace qiao::connectors::oa
