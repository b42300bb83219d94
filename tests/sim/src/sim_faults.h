// Fault injection shared by every simulator: a plan set at runtime through an admin endpoint
// (`POST .../_faults`) that decides, request by request, what misbehaviour to act out.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace qiao::sim {

enum class FaultMode { kNone, kStatus, kTimeout, kReset, kSlow, kTimeoutAfterCommit, kRate };

const char* toString(FaultMode m);

// What to do with one request.
struct FaultAction {
  FaultMode mode = FaultMode::kNone;  // kRate never appears here: a hit becomes kStatus
  int status = 0;                     // kStatus: the reply status
  int64_t delay_ms = 0;               // kTimeout, kSlow, kTimeoutAfterCommit
  std::string retry_after;            // kStatus: Retry-After value ("" = none)
  std::string body;                   // kStatus: reply body ("" = a default JSON error)
};

// Not thread-safe: the owner calls it under its own lock.
class FaultPlan {
 public:
  // {"mode":"status|timeout|reset|slow|timeout_after_commit|rate|none", "count":N, ...}.
  // An omitted count means "until cleared".
  bool configure(const nlohmann::json& spec, std::string* error);
  void clear();
  // Consumes one request's worth of the plan.
  FaultAction next();
  nlohmann::json describe() const;

 private:
  FaultMode mode_ = FaultMode::kNone;
  FaultAction action_;
  int64_t remaining_ = 0;  // -1 = unlimited
  int percent_ = 0;
  std::mt19937_64 rng_{1};
};

}  // namespace qiao::sim
