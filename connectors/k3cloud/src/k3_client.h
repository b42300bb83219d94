// K3Client: the K/3 Cloud WebAPI protocol client shared by the sink and, later, the sources
// (customer sync, receipts). Thread-safe: one instance serves every worker of a connector.
//
// Session modes (validate_user, app_secret, sign) log in on first use and keep the session
// (kdservice-sessionid header + cookies). When K/3 answers MsgCode 1 (context lost) the client
// logs in again ONCE — single-flight: concurrent workers that saw the same lost session share
// one login (a generation counter) — then repeats the call if it is safe to repeat.
// xapi mode signs every request and never logs in.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <vector>

#include "k3_config.h"
#include "k3_response.h"
#include "k3_transport.h"

namespace qiao::connectors::k3cloud {

// Which bills an operation acts on: Ids (comma-separated, wins when set) or Numbers.
struct BillRef {
  std::string ids;
  std::vector<std::string> numbers;
};

struct BillQuery {
  std::string form_id;
  std::string field_keys;     // comma-separated, e.g. "FID,FBillNo,FDocumentStatus"
  std::string filter_string;  // SQL-like, field keys; quote text with sqlQuote()
  std::string order_string;   // give one when paging, e.g. "FID ASC"
  int start_row = 0;
  int limit = 2000;
  int top_row_count = 0;      // 0: no overall cap (a cap below StartRow+Limit empties pages)
};

// 'text' with ' doubled, inside single quotes: a FilterString literal.
std::string sqlQuote(const std::string& text);

// Whether a call may be sent again after a re-login (MsgCode 1 means K/3 did nothing).
enum class Replay {
  kSafe,   // reads and state changes: repeated transparently
  kNever,  // Save / BatchSave: the caller decides (look the bill up first)
};

class K3Client {
 public:
  K3Client(K3Config cfg, std::string instance_name);
  K3Client(const K3Client&) = delete;
  K3Client& operator=(const K3Client&) = delete;

  const K3Config& config() const { return cfg_; }

  // Makes sure a session exists (logs in if none); nothing to do in xapi mode.
  Status ensureSession();

  // Save / BatchSave: `data` is the Save data object ({"Model": ...} plus options). A lost
  // session is NOT repeated: the client logs in again and returns a kAuthExpired error whose
  // code is kRemoteAuthExpired; the caller looks the bill up before saving again.
  Result<OpReply> save(const std::string& form_id, const nlohmann::json& data);
  Result<OpReply> batchSave(const std::string& form_id, const nlohmann::json& data);
  Result<OpReply> submit(const std::string& form_id, const BillRef& bills);
  Result<OpReply> audit(const std::string& form_id, const BillRef& bills);
  Result<OpReply> unAudit(const std::string& form_id, const BillRef& bills);
  Result<OpReply> deleteBills(const std::string& form_id, const BillRef& bills);
  // ExcuteOperation (sic) with a named operation such as "Forbid" / "Enable" (base data).
  Result<OpReply> excuteOperation(const std::string& form_id, const std::string& op_number,
                                  const BillRef& bills);
  // View by number (or by id when number is empty); OpReply.result holds the object.
  Result<OpReply> view(const std::string& form_id, const std::string& number,
                       const std::string& id = "");

  // One ExecuteBillQuery page: rows as arrays in FieldKeys order.
  Result<std::vector<nlohmann::json>> executeBillQuery(const BillQuery& query);
  // Pages (StartRow += Limit) until a page has fewer than Limit rows or max_rows are read.
  Result<std::vector<nlohmann::json>> queryAll(BillQuery query, size_t max_rows);

  // Any service: `service` is the full name without the suffix, e.g.
  // "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save". Bodies in both styles; the
  // configured body_style picks one. Returns the decoded JSON (no envelope check).
  Result<nlohmann::json> call(const std::string& service, const nlohmann::json& named,
                              const nlohmann::json& positional, Replay replay,
                              const std::string& what);

  std::string serviceUrl(const std::string& service) const;
  // Logins performed by this client (tests check there is no login storm).
  int64_t loginCount() const { return logins_.load(); }
  Status health();

 private:
  struct Session {
    uint64_t generation = 0;  // 0 = no session yet
    std::string session_id;
    std::string cookie_header;  // "Cookie: a=b; c=d"
  };
  Session snapshot() const;
  // Logs in unless another worker already replaced the session `seen` was based on.
  Result<Session> relogin(uint64_t seen_generation);
  Result<Session> loginOnce();
  Result<nlohmann::json> send(const std::string& service, const std::string& body,
                              const Session& session, const std::string& what);
  Result<OpReply> operation(const std::string& method, const std::string& form_id,
                            const nlohmann::json& data, Replay replay);

  K3Config cfg_;
  std::string instance_name_;
  std::string path_prefix_;  // URL path of base_url, for the X-Api signature
  Transport transport_;
  mutable std::shared_mutex session_mu_;
  Session session_;
  std::mutex login_mu_;  // held while logging in: others wait, then reuse the new session
  // Login attempts finished, and the error of the last one if it failed (both under
  // login_mu_; the counter is read before waiting): workers that waited on a failed login
  // share its error instead of each trying again.
  std::atomic<uint64_t> login_seq_{0};
  Error last_login_error_;
  bool last_login_failed_ = false;
  std::atomic<int64_t> logins_{0};
};

// Service names (without ".common.kdsvc").
namespace service {
inline constexpr const char* kAuth = "Kingdee.BOS.WebApi.ServicesStub.AuthService.";
inline constexpr const char* kForm = "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.";
}  // namespace service

}  // namespace qiao::connectors::k3cloud
