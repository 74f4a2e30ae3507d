// StagedParts: hands "checkpoint `id` staged every part file below
// `next_part`" from the task thread (PrepareCommit) to the checkpoint writer
// thread (SyncPrepared, Commit), which may still be committing an earlier
// checkpoint while the task stages the next one.
//
// A single-producer single-consumer ring of fixed capacity: Push only from
// one thread, TakeThrough only from another; lock-free, never allocates.
// Entries are pushed in id order, as PrepareCommit is called.
#pragma once

#include <atomic>
#include <cstdint>

namespace runnel::file {

class StagedParts {
 public:
  // Checkpoints staged and not yet taken by the writer thread.
  static constexpr uint32_t kCapacity = 64;

  // Producer. False (nothing pushed) when kCapacity entries wait.
  bool Push(uint64_t id, uint64_t next_part);

  // Consumer: removes the entries of checkpoints up to `id` (checkpoints
  // that failed before SyncPrepared leave entries that a later one takes)
  // and returns the largest next_part among them and `next_part`.
  uint64_t TakeThrough(uint64_t id, uint64_t next_part);

 private:
  struct Entry {
    uint64_t id;
    uint64_t next_part;
  };

  Entry entries_[kCapacity] = {};
  alignas(64) std::atomic<uint64_t> head_{0};  // next to push (producer)
  alignas(64) std::atomic<uint64_t> tail_{0};  // next to take (consumer)
};

}  // namespace runnel::file
