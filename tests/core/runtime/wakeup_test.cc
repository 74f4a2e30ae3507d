// Wakeup under stress (run it under ThreadSanitizer too: bazel test
// --config=tsan): a producer publishes items one at a time with random
// pauses, a consumer sleeps whenever it has caught up. A lost wake-up would
// leave the consumer asleep until its (long) timeout with an item waiting:
// the test counts such sleeps and requires none, and every item arrives.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>

#include "core/runtime/wakeup.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::runtime::Wakeup;

TEST_GROUP(Wakeup){};

TEST(Wakeup, NoWakeUpIsLostAndEveryItemArrives) {
  constexpr uint64_t kItems = 20000;
  constexpr int64_t kTimeoutUs = 2000000;  // far longer than any pause
  Wakeup wakeup;
  std::atomic<uint64_t> published{0};
  std::thread producer([&] {
    std::mt19937 random(11);
    for (uint64_t i = 1; i <= kItems; ++i) {
      if (random() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(random() % 50));
      published.store(i, std::memory_order_release);
      wakeup.Notify();
    }
  });
  uint64_t consumed = 0;
  uint64_t sleeps = 0;
  uint64_t stalls = 0;  // sleeps that ended by timeout with an item waiting
  while (consumed < kItems) {
    uint64_t available = published.load(std::memory_order_acquire);
    if (available > consumed) {
      consumed = available;
      continue;
    }
    uint32_t ticket = wakeup.Prepare();
    if (published.load(std::memory_order_acquire) > consumed) {
      wakeup.Cancel();
      continue;
    }
    auto start = std::chrono::steady_clock::now();
    wakeup.Wait(ticket, kTimeoutUs);
    ++sleeps;
    if (std::chrono::steady_clock::now() - start >= std::chrono::microseconds(kTimeoutUs)) {
      ++stalls;
    }
  }
  producer.join();
  UNSIGNED_LONGLONGS_EQUAL(kItems, consumed);
  UNSIGNED_LONGLONGS_EQUAL(0, stalls);
  CHECK(sleeps > 0);  // the consumer did sleep, so the wake path was exercised
}
