// Status and Result<T>: how bitgate reports errors in untrusted input.
//
// Library code never exits or aborts for a user's mistake (a bad file, a
// bad shape, a bad command line); it returns a Status whose message names
// what was wrong and where. Programmer errors use BITGATE_CHECK instead.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>

namespace bitgate {

class Status {
 public:
  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !message_.has_value(); }
  const std::string& message() const {
    static const std::string kOk = "ok";
    return message_ ? *message_ : kOk;
  }
  // Prefixes the message with context ("reading foo.gguf: ...").
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(context + ": " + *message_);
  }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::optional<std::string> message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (status_.ok()) status_ = Status::Error("internal: Result built from an OK status");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

[[noreturn]] inline void CheckFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "bitgate: internal check failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace bitgate

// Always-on invariant check for programmer errors, kept out of hot loops.
#define BITGATE_CHECK(cond) \
  ((cond) ? (void)0 : ::bitgate::CheckFailed(#cond, __FILE__, __LINE__))

// Debug-only check, for use inside hot loops.
#ifdef NDEBUG
#define BITGATE_DCHECK(cond) ((void)0)
#else
#define BITGATE_DCHECK(cond) BITGATE_CHECK(cond)
#endif

// Returns early from a function returning Status or Result<T>.
#define BITGATE_RETURN_IF_ERROR(expr)       \
  do {                                      \
    ::bitgate::Status bitgate_status_ = (expr); \
    if (!bitgate_status_.ok()) return bitgate_status_; \
  } while (0)
