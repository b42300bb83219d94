// Errors as values. Every failure that crosses a module boundary is an Error with a stable
// code (see docs/error-codes.md) and a delivery class that tells the runtime what to do next.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace qiao {

// What the runtime does with a failed delivery attempt.
enum class ErrorClass : uint8_t {
  kTransient,    // retry with backoff (5xx, timeouts, resets, 429)
  kPermanent,    // dead letter with the target's reason (4xx validation, mapping errors)
  kAuthExpired,  // log in again, then retry once
};

std::string_view toString(ErrorClass c);

// Stable numbered codes. Never renumber; append only.
enum class ErrorCode : uint16_t {
  kOk = 0,
  kInternal = 1,
  kInvalidArgument = 2,
  kNotFound = 3,
  kAlreadyExists = 4,
  kConflict = 5,  // the thing is busy (a job already running): try again later
  kConfigInvalid = 10,
  kStoreError = 20,
  kStoreBusy = 21,
  kLeaseLost = 22,
  kConnectorError = 30,
  kRemoteTransient = 31,
  kRemotePermanent = 32,
  kRemoteAuthExpired = 33,
  kTimeout = 34,
  kCircuitOpen = 35,
  kRateLimited = 36,
  kPluginError = 40,
  kMappingError = 50,
  kUnauthorized = 60,
  kForbidden = 61,
  kPayloadTooLarge = 62,
  kMalformedJson = 63,
};

std::string_view toString(ErrorCode c);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  ErrorClass klass = ErrorClass::kPermanent;
  std::string message;
  // For remote errors: a delay the remote asked for (Retry-After), in milliseconds; 0 = none.
  int64_t retry_after_ms = 0;

  static Error transient(ErrorCode code, std::string msg) {
    return Error{code, ErrorClass::kTransient, std::move(msg), 0};
  }
  static Error permanent(ErrorCode code, std::string msg) {
    return Error{code, ErrorClass::kPermanent, std::move(msg), 0};
  }
  static Error authExpired(std::string msg) {
    return Error{ErrorCode::kRemoteAuthExpired, ErrorClass::kAuthExpired, std::move(msg), 0};
  }
};

}  // namespace qiao
