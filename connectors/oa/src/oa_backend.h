// What the Weaver and generic clients share: the submit protocol around the idempotency key
// (remembered ids, a remote lookup when an earlier try may have reached the OA, then create).
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "qiao/oa/oa_client.h"

namespace qiao::connectors::oa {

struct Submitted {
  std::string request_id;
  std::string state;     // normalised state right after the submit
  bool existing = false; // found (remembered or looked up), nothing created
};

class OaBackend : public qiao::oa::OaClient {
 public:
  using qiao::oa::OaClient::submit;
  Result<std::string> submit(const std::string& record_json, const std::string& key,
                             int attempt) override;
  // submit() with the state after it; what the sink reports.
  Result<Submitted> submitFull(const std::string& record_json, const std::string& key, int attempt);

  int64_t lookups() const;  // remote lookups made (tests)

 protected:
  // The OA's request id for the key, or "" when the OA has none.
  virtual Result<std::string> lookup(const std::string& key) = 0;
  virtual Result<Submitted> create(const std::string& record_json, const std::string& key) = 0;
  // The state a remembered or found request is reported with until its status is read.
  virtual std::string initialState() const = 0;

 private:
  void remember(const std::string& key, const std::string& id);
  static constexpr size_t kRemembered = 100'000;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::string> ids_;  // idempotency key → request id
  std::deque<std::string> order_;                     // oldest first, for the bound
  int64_t lookups_ = 0;
};

}  // namespace qiao::connectors::oa
