#include "transports/file/staged_parts.h"

namespace runnel::file {

bool StagedParts::Push(uint64_t id, uint64_t next_part) {
  const uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - tail_.load(std::memory_order_acquire) == kCapacity) return false;
  entries_[head % kCapacity] = Entry{id, next_part};
  head_.store(head + 1, std::memory_order_release);
  return true;
}

uint64_t StagedParts::TakeThrough(uint64_t id, uint64_t next_part) {
  uint64_t tail = tail_.load(std::memory_order_relaxed);
  const uint64_t head = head_.load(std::memory_order_acquire);
  while (tail != head && entries_[tail % kCapacity].id <= id) {
    if (entries_[tail % kCapacity].next_part > next_part) {
      next_part = entries_[tail % kCapacity].next_part;
    }
    ++tail;
  }
  tail_.store(tail, std::memory_order_release);
  return next_part;
}

}  // namespace runnel::file
