// Rows and batches: Runnel's unit of data.
//
// A row is `width` 8-byte slots, one per schema field, holding plain data
// (integers, doubles, 0/1, ns timestamps, symbol ids), so rows can be copied,
// hashed and snapshotted with memcpy. Rows travel in RowBatches whose storage
// is allocated once, at plan time; filling, reading and clearing a batch never
// allocates. A batch is owned by one thread at a time.
//
// Event time: a stream that carries event time has one hidden slot after its
// schema's fields holding the watermark in effect just before that row (ns;
// Flink's "a watermark after every record", made part of the row so results
// never depend on how rows were batched), and each batch carries the
// watermark in effect after its last row (watermark()).
#pragma once

#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>

#include "core/common/byte_count.h"

namespace runnel::schema {

union Slot {
  int64_t i64;  // i64, bool (0/1), ts (ns), sym (symbol id)
  double f64;
};
static_assert(sizeof(Slot) == 8, "a slot is 8 bytes");

// Copies n slots. Keys and rows are a few slots: an inlined loop beats a
// memcpy call whose size is only known at run time.
inline void CopySlots(Slot* dst, const Slot* src, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) dst[i] = src[i];
}

class RowBatch {
 public:
  // Bytes of slot storage a batch of `capacity` rows of `width` slots
  // allocates (what the constructor below takes), in 64 bits and saturating
  // on every target (core/common/byte_count.h).
  static uint64_t SlotBytes(uint32_t width, uint32_t capacity) {
    return SaturatingMul(sizeof(Slot) * uint64_t{width}, capacity);
  }

  // Allocates storage for `capacity` rows of `width` slots.
  RowBatch(uint32_t width, uint32_t capacity)
      : width_(width),
        capacity_(capacity),
        slots_(new Slot[static_cast<size_t>(width) * capacity]()) {}

  RowBatch(const RowBatch&) = delete;
  RowBatch& operator=(const RowBatch&) = delete;

  uint32_t width() const { return width_; }
  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  bool full() const { return size_ == capacity_; }

  // REQUIRES: index < size() (or < capacity() while filling).
  Slot* row(uint32_t index) { return slots_.get() + size_t{index} * width_; }
  const Slot* row(uint32_t index) const {
    return slots_.get() + size_t{index} * width_;
  }

  // Adds a row and returns its slots for the caller to fill.
  // REQUIRES: !full().
  Slot* Append() { return row(size_++); }

  // Adds a copy of `source`, which has width() slots. REQUIRES: !full().
  void AppendCopy(const Slot* source) {
    std::memcpy(Append(), source, sizeof(Slot) * width_);
  }

  // Forgets the row just appended (a parser that rejects it).
  // REQUIRES: !empty().
  void DropLast() { --size_; }

  // Empties the batch and forgets its watermark and barrier.
  void Clear() {
    size_ = 0;
    watermark_ = kNoWatermark;
    barrier_ = 0;
  }

  static constexpr int64_t kNoWatermark = INT64_MIN;
  // The event-time watermark after the batch's last row (ns), or
  // kNoWatermark when the stream carries no event time.
  int64_t watermark() const { return watermark_; }
  void set_watermark(int64_t watermark) { watermark_ = watermark; }
  // Checkpoints of multi-task jobs (docs/STATE.md): a batch between tasks
  // may carry checkpoint barrier `barrier()` (0: none), after its rows.
  uint64_t barrier() const { return barrier_; }
  void set_barrier(uint64_t id) { barrier_ = id; }

 private:
  uint32_t width_;
  uint32_t capacity_;
  uint32_t size_ = 0;
  int64_t watermark_ = kNoWatermark;
  uint64_t barrier_ = 0;
  std::unique_ptr<Slot[]> slots_;
};

}  // namespace runnel::schema
