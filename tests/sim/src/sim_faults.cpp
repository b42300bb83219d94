#include "sim_faults.h"

namespace qiao::sim {

const char* toString(FaultMode m) {
  switch (m) {
    case FaultMode::kNone: return "none";
    case FaultMode::kStatus: return "status";
    case FaultMode::kTimeout: return "timeout";
    case FaultMode::kReset: return "reset";
    case FaultMode::kSlow: return "slow";
    case FaultMode::kTimeoutAfterCommit: return "timeout_after_commit";
    case FaultMode::kRate: return "rate";
  }
  return "none";
}

bool FaultPlan::configure(const nlohmann::json& spec, std::string* error) {
  if (!spec.is_object()) {
    *error = "fault spec must be a JSON object";
    return false;
  }
  std::string mode = spec.value("mode", std::string("none"));
  FaultMode m = FaultMode::kNone;
  bool known = false;
  for (auto candidate : {FaultMode::kNone, FaultMode::kStatus, FaultMode::kTimeout,
                         FaultMode::kReset, FaultMode::kSlow, FaultMode::kTimeoutAfterCommit,
                         FaultMode::kRate}) {
    if (mode == toString(candidate)) {
      m = candidate;
      known = true;
    }
  }
  if (!known) {
    *error = "unknown fault mode '" + mode +
             "' (none, status, timeout, reset, slow, timeout_after_commit, rate)";
    return false;
  }
  FaultAction a;
  try {
    a.status = spec.value("status", m == FaultMode::kRate ? 500 : 503);
    a.delay_ms = spec.value("delay_ms", int64_t{5000});
    if (spec.contains("retry_after")) {
      const auto& ra = spec["retry_after"];
      a.retry_after = ra.is_string() ? ra.get<std::string>() : std::to_string(ra.get<int64_t>());
    }
    if (spec.contains("body")) {
      const auto& b = spec["body"];
      a.body = b.is_string() ? b.get<std::string>() : b.dump();
    }
    remaining_ = spec.value("count", int64_t{-1});
    percent_ = spec.value("percent", 100);
    rng_.seed(spec.value("seed", uint64_t{1}));
  } catch (const nlohmann::json::exception& e) {
    *error = std::string("bad fault spec: ") + e.what();
    return false;
  }
  if (a.status < 100 || a.status > 599) {
    *error = "status must be 100..599";
    return false;
  }
  if (a.delay_ms < 0 || percent_ < 0 || percent_ > 100) {
    *error = "delay_ms must be >= 0 and percent 0..100";
    return false;
  }
  a.mode = m == FaultMode::kRate ? FaultMode::kStatus : m;
  mode_ = m;
  action_ = a;
  if (m == FaultMode::kNone) clear();
  return true;
}

void FaultPlan::clear() {
  mode_ = FaultMode::kNone;
  action_ = FaultAction{};
  remaining_ = 0;
}

FaultAction FaultPlan::next() {
  if (mode_ == FaultMode::kNone || remaining_ == 0) return {};
  if (remaining_ > 0 && --remaining_ == 0) {
    FaultAction a = action_;
    bool hit = mode_ != FaultMode::kRate ||
               std::uniform_int_distribution<int>(0, 99)(rng_) < percent_;
    clear();
    return hit ? a : FaultAction{};
  }
  if (mode_ == FaultMode::kRate && std::uniform_int_distribution<int>(0, 99)(rng_) >= percent_)
    return {};
  return action_;
}

nlohmann::json FaultPlan::describe() const {
  nlohmann::json j{{"mode", toString(mode_)}};
  if (mode_ == FaultMode::kNone) return j;
  j["remaining"] = remaining_;
  if (action_.mode == FaultMode::kStatus) j["status"] = action_.status;
  if (mode_ == FaultMode::kRate) j["percent"] = percent_;
  if (mode_ == FaultMode::kTimeout || mode_ == FaultMode::kSlow ||
      mode_ == FaultMode::kTimeoutAfterCommit)
    j["delay_ms"] = action_.delay_ms;
  if (!action_.retry_after.empty()) j["retry_after"] = action_.retry_after;
  return j;
}

}  // namespace qiao::sim
