#include "qiao/core/error.h"

#include "qiao/core/clock.h"

namespace qiao {

std::string_view toString(ErrorClass c) {
  switch (c) {
    case ErrorClass::kTransient: return "transient";
    case ErrorClass::kPermanent: return "permanent";
    case ErrorClass::kAuthExpired: return "auth_expired";
  }
  return "unknown";
}

std::string_view toString(ErrorCode c) {
  switch (c) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInternal: return "internal";
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kAlreadyExists: return "already_exists";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kConfigInvalid: return "config_invalid";
    case ErrorCode::kStoreError: return "store_error";
    case ErrorCode::kStoreBusy: return "store_busy";
    case ErrorCode::kLeaseLost: return "lease_lost";
    case ErrorCode::kConnectorError: return "connector_error";
    case ErrorCode::kRemoteTransient: return "remote_transient";
    case ErrorCode::kRemotePermanent: return "remote_permanent";
    case ErrorCode::kRemoteAuthExpired: return "remote_auth_expired";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kCircuitOpen: return "circuit_open";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kPluginError: return "plugin_error";
    case ErrorCode::kMappingError: return "mapping_error";
    case ErrorCode::kUnauthorized: return "unauthorized";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kMalformedJson: return "malformed_json";
  }
  return "unknown";
}

namespace {
class SystemClock final : public Clock {
 public:
  int64_t nowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};
}  // namespace

Clock& Clock::system() {
  static SystemClock clock;
  return clock;
}

}  // namespace qiao
