#include "core/runtime/ring_io.h"

#include <cstring>

#include "core/runtime/backoff.h"
#include "core/schema/row_hash.h"

namespace runnel::runtime {
namespace {

// Copies all of `from` into the empty batch `to` of the same width.
// REQUIRES: to->capacity() >= from.size().
void CopyBatch(const schema::RowBatch& from, schema::RowBatch* to) {
  to->set_watermark(from.watermark());
  if (from.empty()) return;
  std::memcpy(to->Append(), from.row(0), sizeof(schema::Slot) * from.width() * from.size());
  for (uint32_t i = 1; i < from.size(); ++i) to->Append();
}

// An empty batch carrying barrier `id` to each of `count` rings.
Status SendBarrier(BatchRing* const* rings, size_t count, uint64_t id,
                   const JobSignals* signals) {
  for (size_t i = 0; i < count; ++i) {
    BatchRing* ring = rings[i];
    schema::RowBatch* out = ring->BeginWrite(signals->cancel);
    if (out == nullptr) return Cancelled();
    out->set_barrier(id);
    ring->EndWrite();
  }
  return Status::Ok();
}

}  // namespace

RingSource::RingSource(std::vector<BatchRing*> rings, const JobSignals* signals,
                       int watermark_slot, int64_t idle_timeout_ms, const Clock* clock)
    : rings_(std::move(rings)),
      closed_(rings_.size(), false),
      blocked_(rings_.size(), 0),
      latest_(rings_.size(), schema::RowBatch::kNoWatermark),
      last_delivery_ms_(rings_.size(), clock->NowMillis()),
      idle_timeout_ms_(idle_timeout_ms),
      clock_(clock),
      signals_(signals),
      watermark_slot_(watermark_slot) {}

int64_t RingSource::MinWatermark() const {
  int64_t min = INT64_MAX, min_active = INT64_MAX;
  for (size_t i = 0; i < rings_.size(); ++i) {
    if (closed_[i]) continue;
    if (latest_[i] < min) min = latest_[i];
    // A ring held at a barrier is waited for, not idle.
    bool idle = idle_timeout_ms_ > 0 && blocked_[i] == 0 &&
                now_ms_ - last_delivery_ms_[i] > idle_timeout_ms_;
    if (!idle && latest_[i] < min_active) min_active = latest_[i];
  }
  // Idle inputs are left out, unless all are idle.
  return min_active != INT64_MAX ? min_active : min;
}

void RingSource::MergeWatermarks(size_t ring, schema::RowBatch* out) {
  if (rings_.size() > 1) {
    // An operator's watermark is the minimum over its inputs: each row's
    // watermark slot becomes that minimum as of the row.
    for (uint32_t r = 0; r < out->size(); ++r) {
      schema::Slot& slot = out->row(r)[watermark_slot_];
      if (slot.i64 > latest_[ring]) latest_[ring] = slot.i64;
      slot.i64 = MinWatermark();
    }
  }
  if (out->watermark() > latest_[ring]) latest_[ring] = out->watermark();
  out->set_watermark(MinWatermark());
  if (out->watermark() > last_sent_) last_sent_ = out->watermark();
}

bool RingSource::Aligned(uint64_t id) const {
  for (size_t i = 0; i < rings_.size(); ++i) {
    if (!closed_[i] && blocked_[i] != id) return false;
  }
  return true;
}

Status RingSource::Read(schema::RowBatch* out, bool* done) {
  Backoff backoff;
  uint32_t idle_rounds = 0;
  while (true) {
    size_t open = 0;
    bool ended_now = false;
    uint64_t barrier = 0;  // one some ring is blocked at
    for (size_t k = 0; k < rings_.size(); ++k) {
      size_t i = (next_ + k) % rings_.size();
      if (closed_[i]) continue;
      if (blocked_[i] != 0) {  // waits for the others' barrier
        barrier = blocked_[i];
        ++open;
        continue;
      }
      bool closed = false;
      const schema::RowBatch* batch = rings_[i]->TryBeginRead(&closed);
      if (batch != nullptr && batch->barrier() != 0) {
        blocked_[i] = barrier = batch->barrier();
        rings_[i]->EndRead();
        ++open;
        continue;
      }
      if (batch != nullptr) {
        CopyBatch(*batch, out);
        rings_[i]->EndRead();
        if (idle_timeout_ms_ > 0) last_delivery_ms_[i] = now_ms_ = clock_->NowMillis();
        if (watermark_slot_ >= 0) MergeWatermarks(i, out);
        next_ = i + 1;
        *done = false;
        return Status::Ok();
      }
      if (closed) {
        closed_[i] = true;  // an ended input no longer holds time back
        ended_now = true;
      } else {
        ++open;
      }
    }
    if (barrier != 0 && Aligned(barrier)) {
      for (uint64_t& b : blocked_) b = 0;
      out->set_barrier(barrier);
      *done = false;
      return Status::Ok();
    }
    if (open == 0) {
      *done = true;
      return Status::Ok();
    }
    if (ended_now && watermark_slot_ >= 0) {
      // The inputs left may be further on in time: say so.
      int64_t now = MinWatermark();
      if (now != INT64_MAX && now > last_sent_) {
        out->set_watermark(now);
        last_sent_ = now;
        *done = false;
        return Status::Ok();
      }
    }
    if (idle_timeout_ms_ > 0 && watermark_slot_ >= 0 && idle_rounds == 0) {
      // Time passes while we wait: idle inputs may stop holding time back.
      now_ms_ = clock_->NowMillis();
      int64_t before = out->watermark();
      int64_t now = MinWatermark();
      if (now > before && now != INT64_MAX && now > last_sent_) {
        out->set_watermark(now);
        last_sent_ = now;
        *done = false;
        return Status::Ok();
      }
    }
    if (signals_->cancel.load(std::memory_order_relaxed)) return Cancelled();
    if (++idle_rounds > kIdleRounds) {
      *done = false;  // nothing yet: let the task run its timers
      return Status::Ok();
    }
    backoff.Wait();
  }
}

Status RingSink::Write(const schema::RowBatch& batch) {
  schema::RowBatch* out = ring_->BeginWrite(signals_->cancel);
  if (out == nullptr) return Cancelled();
  CopyBatch(batch, out);
  ring_->EndWrite();
  return Status::Ok();
}

Status RingSink::Close() {
  ring_->Close();
  return Status::Ok();
}

Status RingSink::Barrier(uint64_t id) { return SendBarrier(&ring_, 1, id, signals_); }

PartitionSink::PartitionSink(std::vector<BatchRing*> rings,
                             std::vector<uint32_t> key_fields,
                             const JobSignals* signals)
    : rings_(std::move(rings)),
      key_fields_(std::move(key_fields)),
      signals_(signals),
      open_(rings_.size(), nullptr),
      sent_watermark_(rings_.size(), schema::RowBatch::kNoWatermark) {}

Status PartitionSink::Write(const schema::RowBatch& batch) {
  const uint32_t partitions = static_cast<uint32_t>(rings_.size());
  const uint32_t key_count = static_cast<uint32_t>(key_fields_.size());
  const uint32_t* keys = key_fields_.data();
  for (uint32_t r = 0; r < batch.size(); ++r) {
    const schema::Slot* row = batch.row(r);
    uint32_t p = PartitionOf(schema::HashFields(row, keys, key_count), partitions);
    if (open_[p] == nullptr) {
      open_[p] = rings_[p]->BeginWrite(signals_->cancel);
      if (open_[p] == nullptr) return Cancelled();
    }
    open_[p]->AppendCopy(row);
  }
  // Ring batches hold as many rows as the input batch, so none overflowed.
  // Every instance hears of a newer watermark, rows or not (Flink
  // broadcasts watermarks to all channels).
  for (uint32_t p = 0; p < partitions; ++p) {
    bool newer = batch.watermark() > sent_watermark_[p];
    if (open_[p] == nullptr && !newer) continue;
    if (open_[p] == nullptr) {
      open_[p] = rings_[p]->BeginWrite(signals_->cancel);
      if (open_[p] == nullptr) return Cancelled();
    }
    open_[p]->set_watermark(batch.watermark());
    if (newer) sent_watermark_[p] = batch.watermark();
    rings_[p]->EndWrite();
    open_[p] = nullptr;
  }
  return Status::Ok();
}

Status PartitionSink::Close() {
  for (BatchRing* ring : rings_) ring->Close();
  return Status::Ok();
}

// Write publishes every batch it fills: nothing is pending here.
Status PartitionSink::Barrier(uint64_t id) {
  return SendBarrier(rings_.data(), rings_.size(), id, signals_);
}

Status RebalanceSink::Write(const schema::RowBatch& batch) {
  size_t target = next_;
  next_ = (next_ + 1) % rings_.size();
  for (size_t i = 0; i < rings_.size(); ++i) {
    // The rows go to one ring; a newer watermark goes to all.
    bool newer = batch.watermark() > sent_watermark_[i];
    if (i != target && !newer) continue;
    schema::RowBatch* out = rings_[i]->BeginWrite(signals_->cancel);
    if (out == nullptr) return Cancelled();
    if (i == target) {
      CopyBatch(batch, out);
    } else {
      out->set_watermark(batch.watermark());
    }
    if (newer) sent_watermark_[i] = batch.watermark();
    rings_[i]->EndWrite();
  }
  return Status::Ok();
}

Status RebalanceSink::Close() {
  for (BatchRing* ring : rings_) ring->Close();
  return Status::Ok();
}

Status RebalanceSink::Barrier(uint64_t id) {
  return SendBarrier(rings_.data(), rings_.size(), id, signals_);
}

}  // namespace runnel::runtime
