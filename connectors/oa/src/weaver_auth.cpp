#include "weaver_auth.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "oa_rsa.h"
#include "qiao/core/log.h"

namespace qiao::connectors::oa {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// {"msg":"...","code":-1,"status":false} is E9's auth failure shape [secondary].
bool authFailed(const json& j) {
  if (!j.is_object()) return true;
  if (j.contains("status") && j["status"].is_boolean() && !j["status"].get<bool>()) return true;
  if (j.contains("code")) {
    const json& c = j["code"];
    if (c.is_number_integer() && c.get<int64_t>() != 0) return true;
    if (c.is_string() && c != "0" && c != "SUCCESS") return true;
  }
  return false;
}

std::string authMessage(const json& j, const std::string& body) {
  if (j.is_object() && j.contains("msg") && j["msg"].is_string()) return excerpt(j["msg"].get<std::string>());
  return excerpt(body);
}

}  // namespace

WeaverAuth::WeaverAuth(Http& http, const OaSettings& settings) : http_(http), s_(settings) {
  const auto& w = s_.weaver;
  if (!w.secret.empty()) {
    log::registerSecret(w.secret);
    reg_ = Registration{w.secret, w.server_public_key, ""};
    reg_from_settings_ = true;
  }
}

int64_t WeaverAuth::applytokenCalls() const {
  std::lock_guard lk(mu_);
  return applytoken_calls_;
}

int64_t WeaverAuth::registerCalls() const {
  std::lock_guard lk(mu_);
  return register_calls_;
}

void WeaverAuth::invalidate(uint64_t generation) {
  std::lock_guard lk(mu_);
  if (generation == generation_) token_.clear();
}

void WeaverAuth::loadRegistrationFile() {
  const std::string& path = s_.weaver.registration_file;
  if (path.empty()) return;
  std::ifstream in(path);
  if (!in) return;
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  // Kept only for the same OA and appid: a changed base_url or app_id registers again.
  if (!j.is_object() || j.value("base_url", "") != s_.base_url || j.value("app_id", "") != s_.weaver.app_id)
    return;
  std::string secret = j.value("secret", ""), spk = j.value("spk", "");
  if (secret.empty() || spk.empty()) return;
  log::registerSecret(secret);
  reg_ = Registration{secret, spk, ""};
}

void WeaverAuth::saveRegistrationFile() {
  const std::string& path = s_.weaver.registration_file;
  if (path.empty() || !reg_) return;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return;  // memory only; registering again after a restart is harmless
    out << json{{"base_url", s_.base_url}, {"app_id", s_.weaver.app_id},
                {"secret", reg_->secret}, {"spk", reg_->spk}}.dump();
  }
  ::chmod(tmp.c_str(), 0600);
  std::rename(tmp.c_str(), path.c_str());
}

Status WeaverAuth::registerNow() {
  {
    std::lock_guard lk(mu_);
    ++register_calls_;
  }
  QIAO_ASSIGN_OR_RETURN(std::string cpk, newClientPublicKey());
  QIAO_ASSIGN_OR_RETURN(auto reply, http_.send("POST", s_.base_url + "/api/ec/dev/auth/regist",
                                               {"appid: " + s_.weaver.app_id, "cpk: " + cpk}, "",
                                               "weaver register"));
  if (reply.status < 200 || reply.status > 299) return httpStatusError(reply, "weaver register");
  json j = json::parse(reply.body, nullptr, false);
  if (authFailed(j))
    return Error::permanent(ErrorCode::kRemotePermanent,
                            "weaver register refused (check app_id and that the appid is enabled in the OA): " +
                                authMessage(j, reply.body));
  // Some builds spell it "secrit" [secondary].
  std::string secret = j.value("secret", j.value("secrit", ""));
  std::string spk = j.value("spk", "");
  if (secret.empty() || spk.empty())
    return Error::transient(ErrorCode::kRemoteTransient, "weaver register: the answer has no secret or spk");
  log::registerSecret(secret);
  reg_ = Registration{secret, spk, ""};
  saveRegistrationFile();
  return {};
}

Status WeaverAuth::ensureRegistered(bool fresh) {
  if (fresh) reg_.reset();
  else if (!reg_) loadRegistrationFile();
  if (!reg_) QIAO_RETURN_IF_ERROR(registerNow());
  if (reg_->userid_enc.empty()) {
    QIAO_ASSIGN_OR_RETURN(reg_->userid_enc, rsaEncryptBase64(reg_->spk, s_.weaver.user_id));
  }
  return {};
}

Result<std::string> WeaverAuth::applyToken(bool* registration_rejected) {
  *registration_rejected = false;
  {
    std::lock_guard lk(mu_);
    ++applytoken_calls_;
  }
  QIAO_ASSIGN_OR_RETURN(std::string enc_secret, rsaEncryptBase64(reg_->spk, reg_->secret));
  const int64_t ttl_s = s_.weaver.token_ttl_ms / 1000;
  QIAO_ASSIGN_OR_RETURN(auto reply,
                        http_.send("POST", s_.base_url + "/api/ec/dev/auth/applytoken",
                                   {"appid: " + s_.weaver.app_id, "secret: " + enc_secret,
                                    "time: " + std::to_string(ttl_s)},
                                   "", "weaver applytoken"));
  if (reply.status < 200 || reply.status > 299) return httpStatusError(reply, "weaver applytoken");
  json j = json::parse(reply.body, nullptr, false);
  if (authFailed(j)) {
    // "secret解密失败" and unknown-appid answers: the registration no longer holds.
    *registration_rejected = true;
    return Error::permanent(ErrorCode::kRemotePermanent,
                            "weaver applytoken refused: " + authMessage(j, reply.body));
  }
  std::string token = j.value("token", "");
  if (token.empty())
    return Error::transient(ErrorCode::kRemoteTransient, "weaver applytoken: the answer has no token");
  return token;
}

Result<WeaverAuth::Token> WeaverAuth::get() {
  uint64_t seen_flights = 0;
  {
    std::lock_guard lk(mu_);
    if (!token_.empty() && Clock::now() < refresh_at_) return Token{token_, userid_enc_, generation_};
    seen_flights = flights_done_;
  }
  std::lock_guard flight(flight_mu_);
  {
    std::lock_guard lk(mu_);
    if (!token_.empty() && Clock::now() < refresh_at_) return Token{token_, userid_enc_, generation_};
    if (flights_done_ != seen_flights && last_flight_error_) return *last_flight_error_;
  }
  const auto started = Clock::now();
  Result<std::string> token = Error::transient(ErrorCode::kInternal, "");
  Status reg = ensureRegistered(false);
  if (reg.ok()) {
    bool rejected = false;
    token = applyToken(&rejected);
    // A registration loaded from a file (or from an earlier run of the OA) may be gone on
    // the server: register again, once, and ask again.
    if (!token.ok() && rejected && !reg_from_settings_) {
      reg = ensureRegistered(/*fresh=*/true);
      if (reg.ok()) token = applyToken(&rejected);
    }
  }
  std::lock_guard lk(mu_);
  ++flights_done_;
  if (!reg.ok()) {
    last_flight_error_ = reg.error();
    return reg.error();
  }
  if (!token.ok()) {
    last_flight_error_ = token.error();
    return token.error();
  }
  last_flight_error_.reset();
  token_ = std::move(token).value();
  userid_enc_ = reg_->userid_enc;
  ++generation_;
  const auto ttl = std::chrono::milliseconds(s_.weaver.token_ttl_ms);
  const auto margin = std::min<Clock::duration>(std::chrono::seconds(300), ttl / 2);
  refresh_at_ = started + ttl - margin;
  return Token{token_, userid_enc_, generation_};
}

}  // namespace qiao::connectors::oa
