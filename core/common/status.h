// Status and Result<T>: how every fallible Runnel call reports failure.
//
// Errors are values, never exceptions. A Status carries a code and a message;
// the message is built only when something went wrong, so an OK status costs
// nothing and never allocates. Callers must look at every Status
// ([[nodiscard]]). Result<T> is a value or a non-OK Status.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace runnel {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // a graph file, flag or value a user wrote is wrong
  kDataError,          // an input record or frame is malformed
  kIoError,            // a file, pipe or device failed
  kResourceExhausted,  // a planned capacity ran out
  kCancelled,          // stopped because another part of the job failed
  kInternal,           // a bug in Runnel
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}
inline Status DataError(std::string message) {
  return Status(StatusCode::kDataError, std::move(message));
}
inline Status IoError(std::string message) {
  return Status(StatusCode::kIoError, std::move(message));
}
inline Status ResourceExhausted(std::string message) {
  return Status(StatusCode::kResourceExhausted, std::move(message));
}
inline Status Cancelled() { return Status(StatusCode::kCancelled, "cancelled"); }

// A value of type T, or the Status that explains why there is none.
// REQUIRES: value() only when ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {}  // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace runnel

// Returns early from the enclosing function when `expr` is not OK.
#define RUNNEL_RETURN_IF_ERROR(expr)          \
  do {                                        \
    ::runnel::Status runnel_status_ = (expr); \
    if (!runnel_status_.ok()) return runnel_status_; \
  } while (0)
