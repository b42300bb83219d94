// OaClient: submit an approval request to an OA system and read its state back, normalised.
// One client per `oa` connector settings block (the same JSON the connector takes), for the
// approval gate of a route. Thread-safe: one instance serves every worker.
//
//   auto client = qiao::oa::OaClient::create(settings_json);   // kind: weaver | generic
//   auto id = (*client)->submit(record_json, idempotency_key);  // the OA's request id
//   auto st = (*client)->status(*id);  // st->state: draft | in_approval | approved | ...
//
// Errors carry their ErrorClass: transient (5xx, timeouts, resets, OA "inner error"),
// permanent (the OA refused the request, bad settings), never a secret in the message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "qiao/core/result.h"

namespace qiao::oa {

// The normalised states (docs/connectors/oa.md, "States").
inline constexpr const char* kDraft = "draft";
inline constexpr const char* kInApproval = "in_approval";
inline constexpr const char* kApproved = "approved";
inline constexpr const char* kRejected = "rejected";
inline constexpr const char* kWithdrawn = "withdrawn";
inline constexpr const char* kTerminated = "terminated";

// True for the six names above.
bool isNormalisedState(const std::string& state);
// approved, rejected, withdrawn, terminated: the OA will not change its mind by itself.
bool isFinalState(const std::string& state);

struct ApprovalStatus {
  std::string state;      // one of the six normalised states
  std::string approver;   // who acted last, when the OA says ("" otherwise)
  std::string comment;    // their comment / sign-off opinion ("" otherwise)
  int64_t updated_ms = 0; // when the OA last changed it (UTC ms), 0 = the OA does not say
  std::string raw_state;  // the OA's own value the state was derived from (for the journal)
};

class OaClient {
 public:
  virtual ~OaClient() = default;

  // Builds a client from the `oa` connector's settings (JSON text). Bad settings give a
  // permanent kConfigInvalid error naming the key ("oa: 'workflow_id' is required ...").
  static Result<std::unique_ptr<OaClient>> create(const std::string& settings_json);

  // Submits an approval request built from the record (JSON text) and returns the OA's
  // request id. Idempotent on idempotency_key: a key this client submitted before returns
  // the first id; with attempt > 1 (an earlier try may have reached the OA) the OA is
  // searched for the key before anything is created.
  Result<std::string> submit(const std::string& record_json, const std::string& idempotency_key) {
    return submit(record_json, idempotency_key, 1);
  }
  virtual Result<std::string> submit(const std::string& record_json,
                                     const std::string& idempotency_key, int attempt) = 0;

  // The request's current state, normalised, with the approver and comment when known.
  virtual Result<ApprovalStatus> status(const std::string& request_id) = 0;

  // Whether the OA answers (weaver: a token can be obtained; generic: a TCP connection).
  virtual Status health() = 0;

  // Weaver: applytoken calls made so far (0 for generic); tests and metrics.
  virtual int64_t tokenFetches() const { return 0; }
};

}  // namespace qiao::oa
