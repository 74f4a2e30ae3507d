// Backoff: how a thread waits for a lock-free queue without a lock or a
// condition variable: spin briefly (the other side is usually microseconds
// away), then yield the core, then sleep in growing steps up to 100 µs so an
// idle gateway does not burn a core. Call Reset() after progress.
#pragma once

#include <sched.h>
#include <time.h>

#include <cstdint>

namespace runnel::runtime {

class Backoff {
 public:
  void Wait() {
    if (round_ < kSpinRounds) {
      for (int i = 0; i < 16; ++i) Relax();
    } else if (round_ < kSpinRounds + kYieldRounds) {
      sched_yield();
    } else {
      if (sleep_ns_ < kMaxSleepNs) sleep_ns_ = sleep_ns_ == 0 ? 1000 : sleep_ns_ * 2;
      if (sleep_ns_ > kMaxSleepNs) sleep_ns_ = kMaxSleepNs;
      timespec pause{0, sleep_ns_};
      nanosleep(&pause, nullptr);
    }
    ++round_;
  }

  void Reset() {
    round_ = 0;
    sleep_ns_ = 0;
  }

 private:
  static constexpr uint32_t kSpinRounds = 64;
  static constexpr uint32_t kYieldRounds = 64;
  static constexpr long kMaxSleepNs = 100'000;

  static void Relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
    asm volatile("yield" ::: "memory");
#endif
  }

  uint32_t round_ = 0;
  long sleep_ns_ = 0;
};

}  // namespace runnel::runtime
