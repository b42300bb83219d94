// Result<T>: a value or an Error (std::expected arrives only in C++23).
#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "qiao/core/error.h"

namespace qiao {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { assert(!ok()); return std::get<1>(v_); }
  Error&& takeError() { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Status: a Result with no value.
struct Unit {};
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status okStatus() { return Status(); }
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { assert(!ok_); return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace qiao

#define QIAO_CONCAT_INNER(a, b) a##b
#define QIAO_CONCAT(a, b) QIAO_CONCAT_INNER(a, b)
// QIAO_ASSIGN_OR_RETURN(auto x, expr): unwraps a Result or returns its Error.
#define QIAO_ASSIGN_OR_RETURN(lhs, expr)                           \
  auto QIAO_CONCAT(qiao_r_, __LINE__) = (expr);                    \
  if (!QIAO_CONCAT(qiao_r_, __LINE__).ok())                        \
    return QIAO_CONCAT(qiao_r_, __LINE__).takeError();             \
  lhs = std::move(QIAO_CONCAT(qiao_r_, __LINE__)).value()
#define QIAO_RETURN_IF_ERROR(expr)                                 \
  do {                                                             \
    auto qiao_s_ = (expr);                                         \
    if (!qiao_s_.ok()) return qiao_s_.error();                     \
  } while (0)
