// Wakeup: lets one thread sleep until another has published work, without a
// lock: an event count over a futex. The waker pays one uncontended atomic
// read-modify-write per Notify, and a system call only when the sleeper is
// (about to be) asleep, so a busy pipeline never enters the kernel for it.
//
// Sleeper:  uint32_t ticket = wakeup.Prepare();
//           if (work is visible) wakeup.Cancel(); else wakeup.Wait(ticket, us);
// Waker:    publish the work (a release store); wakeup.Notify();
// Why no wake-up is lost: the sleeper's announcement and the waker's check
// are read-modify-writes of one flag, so one comes first. If the waker's
// comes first, it synchronizes with the sleeper, who then sees the work. If
// the sleeper's does, the waker sees it and bumps the epoch, which the
// sleeper read before announcing (all sequentially consistent), so the
// futex wait returns at once or is woken. One sleeper, any number of wakers.
// (No fences: ThreadSanitizer does not model them.)
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

namespace runnel::runtime {

class Wakeup {
 public:
  // Announces the sleep; check for work after this, then Wait or Cancel.
  uint32_t Prepare() {
    uint32_t ticket = epoch_.load(std::memory_order_seq_cst);
    sleeping_.exchange(1, std::memory_order_seq_cst);
    return ticket;
  }
  // Sleeps until Notify (after Prepare returned `ticket`) or `timeout_us`.
  void Wait(uint32_t ticket, int64_t timeout_us) {
    struct timespec timeout = {static_cast<time_t>(timeout_us / 1000000),
                               static_cast<long>(timeout_us % 1000000) * 1000};
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&epoch_), FUTEX_WAIT_PRIVATE, ticket,
            &timeout, nullptr, 0);
    Cancel();
  }
  void Cancel() { sleeping_.store(0, std::memory_order_seq_cst); }

  // Wakes the sleeper if it sleeps or is about to.
  void Notify() {
    if (sleeping_.fetch_add(0, std::memory_order_seq_cst) == 0) return;
    epoch_.fetch_add(1, std::memory_order_seq_cst);
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&epoch_), FUTEX_WAKE_PRIVATE, 1, nullptr,
            nullptr, 0);
  }

 private:
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex word");
  std::atomic<uint32_t> epoch_{0};
  std::atomic<uint32_t> sleeping_{0};
};

}  // namespace runnel::runtime
