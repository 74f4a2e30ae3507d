// BatchRing: a bounded single-producer single-consumer ring of preallocated
// RowBatches, the only way rows cross from one thread to another.
//
// The ring owns `slots` batches, allocated by the constructor; producer and
// consumer fill and drain them in place, so passing a batch never allocates
// or copies a pointer table. Indices are monotonically increasing 64-bit
// counters on their own cache lines: the producer publishes a batch with a
// release store of head_, the consumer frees one with a release store of
// tail_; each side reads the other's index with acquire. No mutex anywhere.
//
// A full ring makes the producer wait (backpressure): rows are never dropped.
// Waiting uses Backoff (spin, yield, short sleeps) and gives up only when the
// job's cancel flag is set. Thread safety: exactly one producer thread and one
// consumer thread; fill() and the counters may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/schema/row.h"

namespace runnel::runtime {

class BatchRing {
 public:
  // `slots` is rounded up to a power of two.
  BatchRing(uint32_t slots, uint32_t width, uint32_t batch_rows);

  BatchRing(const BatchRing&) = delete;
  BatchRing& operator=(const BatchRing&) = delete;

  // Producer: the next batch to fill (cleared), waiting while the ring is
  // full. nullptr if `cancel` becomes true while waiting.
  schema::RowBatch* BeginWrite(const std::atomic<bool>& cancel);
  // Producer: publishes the batch from BeginWrite.
  void EndWrite();
  // Producer: no more batches will come. Batches already published are
  // still delivered.
  void Close();

  // Consumer: the next published batch, or nullptr if there is none right
  // now (*closed says whether none will ever come again).
  const schema::RowBatch* TryBeginRead(bool* closed);
  // Consumer: returns the batch from TryBeginRead to the producer.
  void EndRead();

  uint32_t slots() const { return mask_ + 1; }
  // Batches published and not yet consumed (any thread; a snapshot).
  uint32_t fill() const;
  // Times the producer found the ring full (any thread).
  uint64_t full_waits() const { return full_waits_.load(std::memory_order_relaxed); }
  uint64_t footprint_bytes() const;
  // Bytes BatchRing(slots, width, batch_rows) allocates, without allocating
  // (plan-time memory checks: 64 bits on every target, saturating;
  // core/common/byte_count.h).
  static uint64_t FootprintBytes(uint32_t slots, uint32_t width, uint32_t batch_rows);

 private:
  alignas(64) std::atomic<uint64_t> head_{0};  // next batch to publish
  alignas(64) std::atomic<uint64_t> tail_{0};  // next batch to consume
  alignas(64) std::atomic<bool> closed_{false};
  std::atomic<uint64_t> full_waits_{0};
  // Each side's last view of the other's index, to touch the shared cache
  // line only when the ring looks full or empty.
  alignas(64) uint64_t producer_cached_tail_ = 0;
  alignas(64) uint64_t consumer_cached_head_ = 0;
  uint32_t mask_;
  std::vector<std::unique_ptr<schema::RowBatch>> batches_;
};

}  // namespace runnel::runtime
