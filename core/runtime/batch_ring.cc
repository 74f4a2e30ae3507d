#include "core/runtime/batch_ring.h"

#include "core/common/byte_count.h"
#include "core/runtime/backoff.h"

namespace runnel::runtime {
namespace {

uint32_t RoundUpToPowerOfTwo(uint32_t n) {
  uint32_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

}  // namespace

BatchRing::BatchRing(uint32_t slots, uint32_t width, uint32_t batch_rows)
    : mask_(RoundUpToPowerOfTwo(slots < 1 ? 1 : slots) - 1) {
  for (uint32_t i = 0; i <= mask_; ++i) {
    batches_.push_back(std::make_unique<schema::RowBatch>(width, batch_rows));
  }
}

schema::RowBatch* BatchRing::BeginWrite(const std::atomic<bool>& cancel) {
  uint64_t head = head_.load(std::memory_order_relaxed);
  if (head - producer_cached_tail_ > mask_) {
    producer_cached_tail_ = tail_.load(std::memory_order_acquire);
    if (head - producer_cached_tail_ > mask_) {
      full_waits_.fetch_add(1, std::memory_order_relaxed);
      Backoff backoff;
      do {
        if (cancel.load(std::memory_order_relaxed)) return nullptr;
        backoff.Wait();
        producer_cached_tail_ = tail_.load(std::memory_order_acquire);
      } while (head - producer_cached_tail_ > mask_);
    }
  }
  schema::RowBatch* batch = batches_[head & mask_].get();
  batch->Clear();
  return batch;
}

void BatchRing::EndWrite() {
  head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void BatchRing::Close() { closed_.store(true, std::memory_order_release); }

const schema::RowBatch* BatchRing::TryBeginRead(bool* closed) {
  uint64_t tail = tail_.load(std::memory_order_relaxed);
  if (tail == consumer_cached_head_) {
    // Read closed_ before head_: a producer publishes its last batch before
    // closing, so "closed and still empty" means drained.
    bool was_closed = closed_.load(std::memory_order_acquire);
    consumer_cached_head_ = head_.load(std::memory_order_acquire);
    if (tail == consumer_cached_head_) {
      *closed = was_closed;
      return nullptr;
    }
  }
  *closed = false;
  return batches_[tail & mask_].get();
}

void BatchRing::EndRead() {
  tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

uint32_t BatchRing::fill() const {
  uint64_t tail = tail_.load(std::memory_order_acquire);
  uint64_t head = head_.load(std::memory_order_acquire);
  return static_cast<uint32_t>(head - tail);
}

uint64_t BatchRing::footprint_bytes() const {
  const schema::RowBatch& b = *batches_[0];
  return FootprintBytes(mask_ + 1, b.width(), b.capacity());
}

uint64_t BatchRing::FootprintBytes(uint32_t slots, uint32_t width, uint32_t batch_rows) {
  const uint64_t batches = RoundUpToPowerOfTwo(slots < 1 ? 1 : slots);
  return SaturatingAdd(
      sizeof(BatchRing),
      SaturatingMul(batches, SaturatingAdd(sizeof(schema::RowBatch),
                                           schema::RowBatch::SlotBytes(width, batch_rows))));
}

}  // namespace runnel::runtime
