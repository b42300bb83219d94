#include "k3_client.h"

#include "k3_sign.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"

namespace qiao::connectors::k3cloud {
namespace {

using nlohmann::json;

constexpr const char* kSuffix = ".common.kdsvc";

bool sessionLost(const json& body) {
  auto st = findResponseStatus(body);
  return st && !st->is_success && st->msg_code == static_cast<int>(MsgCode::kContextLost);
}

std::string urlPath(const std::string& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return "/";
  auto slash = url.find('/', scheme_end + 3);
  return slash == std::string::npos ? "/" : url.substr(slash);
}

std::string loginMethod(AuthMode m) {
  switch (m) {
    case AuthMode::kValidateUser: return "ValidateUser";
    case AuthMode::kAppSecret: return "LoginByAppSecret";
    case AuthMode::kSign: return "LoginBySign";
    case AuthMode::kXApi: break;
  }
  return "";
}

}  // namespace

std::string sqlQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

K3Client::K3Client(K3Config cfg, std::string instance_name)
    : cfg_(std::move(cfg)),
      instance_name_(std::move(instance_name)),
      path_prefix_(urlPath(cfg_.base_url)),
      transport_(cfg_) {
  if (!cfg_.password.empty()) log::registerSecret(cfg_.password);
  if (!cfg_.app_secret.empty()) log::registerSecret(cfg_.app_secret);
}

std::string K3Client::serviceUrl(const std::string& service) const {
  return cfg_.base_url + service + kSuffix;
}

K3Client::Session K3Client::snapshot() const {
  std::shared_lock lock(session_mu_);
  return session_;
}

Status K3Client::ensureSession() {
  if (cfg_.auth == AuthMode::kXApi) return {};
  if (snapshot().generation != 0) return {};
  auto s = relogin(0);
  if (!s.ok()) return s.takeError();
  return {};
}

Result<K3Client::Session> K3Client::relogin(uint64_t seen_generation) {
  uint64_t seq_before = login_seq_.load();
  std::lock_guard login_lock(login_mu_);
  {
    // Another worker logged in while this one waited: reuse its session.
    std::shared_lock lock(session_mu_);
    if (session_.generation != seen_generation) return session_;
  }
  // A login that finished while this worker waited failed: share its answer (no storm of
  // doomed logins with wrong credentials).
  if (login_seq_.load() != seq_before && last_login_failed_) return last_login_error_;
  auto s = loginOnce();
  last_login_failed_ = !s.ok();
  if (!s.ok()) last_login_error_ = s.error();
  login_seq_.fetch_add(1);  // counted when finished: whoever waited on it sees the change
  return s;
}

Result<K3Client::Session> K3Client::loginOnce() {
  const std::string method = loginMethod(cfg_.auth);
  const std::string what = "K/3 " + method;
  json body;
  bool named = cfg_.body_style == BodyStyle::kNamed;
  switch (cfg_.auth) {
    case AuthMode::kValidateUser:
      body = named ? json{{"acctid", cfg_.acct_id}, {"username", cfg_.username},
                          {"password", cfg_.password}, {"lcid", cfg_.lcid}}
                   : json{{"parameters", {cfg_.acct_id, cfg_.username, cfg_.password, cfg_.lcid}}};
      break;
    case AuthMode::kAppSecret:
      body = named ? json{{"acctid", cfg_.acct_id}, {"username", cfg_.username},
                          {"appid", cfg_.app_id}, {"appsecret", cfg_.app_secret},
                          {"lcid", cfg_.lcid}}
                   : json{{"parameters", {cfg_.acct_id, cfg_.username, cfg_.app_id,
                                          cfg_.app_secret, cfg_.lcid}}};
      break;
    case AuthMode::kSign: {
      // Only the positional form is documented for LoginBySign (reference §2.3).
      int64_t ts = Clock::system().nowMs() / 1000;
      std::string sign =
          loginBySignSignature(cfg_.acct_id, cfg_.username, cfg_.app_id, cfg_.app_secret, ts);
      body = json{{"parameters", {cfg_.acct_id, cfg_.username, cfg_.app_id, ts, sign, cfg_.lcid}}};
      break;
    }
    case AuthMode::kXApi:
      return Error::permanent(ErrorCode::kInternal, "k3cloud: xapi mode has no login");
  }
  int64_t start = steadyNowUs();
  logins_.fetch_add(1);
  auto reply = transport_.post(serviceUrl(std::string(service::kAuth) + method), body.dump(),
                               {}, what);
  if (!reply.ok()) return reply.takeError();
  auto decoded = decodeReply(*reply, what, Clock::system().nowMs());
  if (!decoded.ok()) return decoded.takeError();
  auto login = parseLoginReply(*decoded, what);
  if (!login.ok()) {
    Error e = login.takeError();
    e.message += " (acct_id " + cfg_.acct_id + ", user " + cfg_.username + ")";
    log::warn("k3cloud.login_failed", {{"connector", instance_name_}, {"auth", toString(cfg_.auth)},
                                       {"error", e.message}});
    return e;
  }
  Session s;
  s.session_id = login->session_id;
  log::registerSecret(s.session_id);
  std::string cookies;
  bool has_kd_cookie = false;
  for (const auto& raw : reply->set_cookies) {
    auto [name, value] = parseSetCookie(raw);
    if (name.empty()) continue;
    if (value.size() >= 8) log::registerSecret(value);
    has_kd_cookie = has_kd_cookie || name == "kdservice-sessionid";
    cookies += (cookies.empty() ? "" : "; ") + name + "=" + value;
  }
  if (!has_kd_cookie)
    cookies += (cookies.empty() ? "" : "; ") + std::string("kdservice-sessionid=") + s.session_id;
  s.cookie_header = "Cookie: " + cookies;
  {
    std::unique_lock lock(session_mu_);
    s.generation = session_.generation + 1;
    session_ = s;
  }
  log::info("k3cloud.login", {{"connector", instance_name_}, {"auth", toString(cfg_.auth)},
                              {"user", cfg_.username}, {"generation", static_cast<long long>(s.generation)},
                              {"ms", static_cast<long long>((steadyNowUs() - start) / 1000)}});
  return s;
}

Result<json> K3Client::send(const std::string& service, const std::string& body,
                            const Session& session, const std::string& what) {
  std::vector<std::string> headers;
  if (cfg_.auth == AuthMode::kXApi) {
    XApiInput in;
    in.app_id = cfg_.app_id;
    in.app_secret = cfg_.app_secret;
    in.acct_id = cfg_.acct_id;
    in.username = cfg_.username;
    in.lcid = cfg_.lcid;
    in.org_num = cfg_.org_num;
    in.path = path_prefix_ + service + kSuffix;
    in.timestamp_ms = Clock::system().nowMs();
    for (auto& [k, v] : xapiHeaders(in)) headers.push_back(k + ": " + v);
  } else {
    headers.push_back("kdservice-sessionid: " + session.session_id);
    headers.push_back(session.cookie_header);
  }
  auto reply = transport_.post(serviceUrl(service), body, headers, what);
  if (!reply.ok()) return reply.takeError();
  return decodeReply(*reply, what, Clock::system().nowMs());
}

Result<json> K3Client::call(const std::string& service, const json& named,
                            const json& positional, Replay replay, const std::string& what) {
  const std::string body =
      cfg_.body_style == BodyStyle::kNamed ? named.dump() : positional.dump();
  if (cfg_.auth == AuthMode::kXApi) {
    auto out = send(service, body, Session{}, what);
    if (out.ok() && sessionLost(*out)) {
      // Signed requests carry no session: MsgCode 1 means the signature or the identity in
      // it was refused (reference §2.7).
      return Error::authExpired(
          what + " refused: K/3 MsgCode 1 (context lost) on a signed request; check app_id, "
                 "app_secret, username, acct_id and lcid");
    }
    return out;
  }
  Session s = snapshot();
  if (s.generation == 0) {
    auto fresh = relogin(0);
    if (!fresh.ok()) return fresh.takeError();
    s = std::move(fresh).value();
  }
  auto out = send(service, body, s, what);
  if (!out.ok() || !sessionLost(*out)) return out;

  log::info("k3cloud.session_lost", {{"connector", instance_name_}, {"call", what},
                                     {"generation", static_cast<long long>(s.generation)}});
  auto fresh = relogin(s.generation);
  if (!fresh.ok()) return fresh.takeError();
  if (replay == Replay::kNever) {
    return Error::authExpired(what + ": K/3 session lost (MsgCode 1) before the call took "
                                     "effect; logged in again");
  }
  out = send(service, body, *fresh, what);
  if (out.ok() && sessionLost(*out)) {
    return Error::authExpired(what + ": K/3 answered MsgCode 1 (context lost) again right "
                                     "after a fresh login");
  }
  return out;
}

Result<OpReply> K3Client::operation(const std::string& method, const std::string& form_id,
                                    const json& data, Replay replay) {
  std::string what = "K/3 " + method + " " + form_id;
  json named = {{"formid", form_id}, {"data", data}};
  json positional = {{"parameters", {form_id, data.dump()}}};
  auto body = call(std::string(service::kForm) + method, named, positional, replay, what);
  if (!body.ok()) return body.takeError();
  return parseOpReply(*body, what);
}

Result<OpReply> K3Client::save(const std::string& form_id, const json& data) {
  return operation("Save", form_id, data, Replay::kNever);
}

Result<OpReply> K3Client::batchSave(const std::string& form_id, const json& data) {
  return operation("BatchSave", form_id, data, Replay::kNever);
}

namespace {
json refData(const BillRef& bills) {
  return json{{"CreateOrgId", 0}, {"Numbers", bills.numbers}, {"Ids", bills.ids}};
}
}  // namespace

Result<OpReply> K3Client::submit(const std::string& form_id, const BillRef& bills) {
  return operation("Submit", form_id, refData(bills), Replay::kSafe);
}

Result<OpReply> K3Client::audit(const std::string& form_id, const BillRef& bills) {
  return operation("Audit", form_id, refData(bills), Replay::kSafe);
}

Result<OpReply> K3Client::unAudit(const std::string& form_id, const BillRef& bills) {
  return operation("UnAudit", form_id, refData(bills), Replay::kSafe);
}

Result<OpReply> K3Client::excuteOperation(const std::string& form_id, const std::string& op_number,
                                         const BillRef& bills) {
  // [formid, opNumber, data] / {formid, opNumber, data} (reference 1.2).
  std::string what = "K/3 " + op_number + " " + form_id;
  json data = refData(bills);
  json named = {{"formid", form_id}, {"opNumber", op_number}, {"data", data}};
  json positional = {{"parameters", {form_id, op_number, data.dump()}}};
  auto body = call(std::string(service::kForm) + "ExcuteOperation", named, positional, Replay::kSafe, what);
  if (!body.ok()) return body.takeError();
  return parseOpReply(*body, what);
}

Result<OpReply> K3Client::deleteBills(const std::string& form_id, const BillRef& bills) {
  return operation("Delete", form_id, refData(bills), Replay::kSafe);
}

Result<OpReply> K3Client::view(const std::string& form_id, const std::string& number,
                               const std::string& id) {
  json data = {{"CreateOrgId", 0}, {"Number", number}, {"Id", id}, {"IsSortBySeq", false}};
  return operation("View", form_id, data, Replay::kSafe);
}

Result<std::vector<json>> K3Client::executeBillQuery(const BillQuery& q) {
  json data = {{"FormId", q.form_id},         {"FieldKeys", q.field_keys},
               {"FilterString", q.filter_string}, {"OrderString", q.order_string},
               {"TopRowCount", q.top_row_count},  {"StartRow", q.start_row},
               {"Limit", q.limit},                {"SubSystemId", ""}};
  std::string what = "K/3 ExecuteBillQuery " + q.form_id;
  auto body = call(std::string(service::kForm) + "ExecuteBillQuery", json{{"data", data}},
                   json{{"parameters", {data.dump()}}}, Replay::kSafe, what);
  if (!body.ok()) return body.takeError();
  return parseQueryReply(*body, what);
}

Result<std::vector<json>> K3Client::queryAll(BillQuery q, size_t max_rows) {
  if (q.limit <= 0) q.limit = 2000;
  std::vector<json> all;
  // Bounded: one page more than max_rows needs.
  size_t max_pages = max_rows / static_cast<size_t>(q.limit) + 2;
  for (size_t page = 0; page < max_pages && all.size() < max_rows; ++page) {
    auto rows = executeBillQuery(q);
    if (!rows.ok()) return rows.takeError();
    size_t n = rows->size();
    for (auto& r : *rows) {
      if (all.size() >= max_rows) break;
      all.push_back(std::move(r));
    }
    if (n < static_cast<size_t>(q.limit)) break;
    q.start_row += q.limit;
  }
  return all;
}

Status K3Client::health() {
  QIAO_RETURN_IF_ERROR(transport_.connectOnly(cfg_.base_url));
  return ensureSession();
}

}  // namespace qiao::connectors::k3cloud
