#pragma once

#include <chrono>
#include <cstdint>

namespace qiao {

// Wall clock in UTC milliseconds; injectable so tests control time.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t nowMs() const = 0;
  static Clock& system();
};

inline int64_t steadyNowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace qiao
