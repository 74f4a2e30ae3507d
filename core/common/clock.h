// Clock: where operators get processing time (state TTL, processing-time
// timers), behind one interface so tests can set the time. Read once per
// batch, not per row.
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>

namespace runnel {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds on a clock that never goes backwards.
  virtual int64_t NowMillis() const = 0;
};

// CLOCK_MONOTONIC. Thread-safe.
class SystemClock : public Clock {
 public:
  int64_t NowMillis() const override {
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return int64_t{now.tv_sec} * 1000 + now.tv_nsec / 1000000;
  }
  static const SystemClock* Get() {
    static const SystemClock clock;
    return &clock;
  }
};

// A clock a test moves by hand. Thread-safe.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now_ms = 0) : now_ms_(now_ms) {}
  int64_t NowMillis() const override { return now_ms_.load(std::memory_order_relaxed); }
  void Set(int64_t now_ms) { now_ms_.store(now_ms, std::memory_order_relaxed); }
  void Advance(int64_t ms) { now_ms_.fetch_add(ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_ms_;
};

}  // namespace runnel
