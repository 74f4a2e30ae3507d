#include "core/runtime/ring_io.h"

#include <cstring>

#include "core/runtime/backoff.h"
#include "core/schema/row_hash.h"

namespace runnel::runtime {
namespace {

// Copies all of `from` into the empty batch `to` of the same width.
// REQUIRES: to->capacity() >= from.size().
void CopyBatch(const schema::RowBatch& from, schema::RowBatch* to) {
  if (from.empty()) return;
  std::memcpy(to->Append(), from.row(0), sizeof(schema::Slot) * from.width() * from.size());
  for (uint32_t i = 1; i < from.size(); ++i) to->Append();
}

}  // namespace

RingSource::RingSource(std::vector<BatchRing*> rings, const JobSignals* signals)
    : rings_(std::move(rings)), closed_(rings_.size(), false), signals_(signals) {}

Status RingSource::Read(schema::RowBatch* out, bool* done) {
  Backoff backoff;
  uint32_t idle_rounds = 0;
  while (true) {
    size_t open = 0;
    for (size_t k = 0; k < rings_.size(); ++k) {
      size_t i = (next_ + k) % rings_.size();
      if (closed_[i]) continue;
      bool closed = false;
      const schema::RowBatch* batch = rings_[i]->TryBeginRead(&closed);
      if (batch != nullptr) {
        CopyBatch(*batch, out);
        rings_[i]->EndRead();
        next_ = i + 1;
        *done = false;
        return Status::Ok();
      }
      if (closed) {
        closed_[i] = true;
      } else {
        ++open;
      }
    }
    if (open == 0) {
      *done = true;
      return Status::Ok();
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

PartitionSink::PartitionSink(std::vector<BatchRing*> rings,
                             std::vector<uint32_t> key_fields,
                             const JobSignals* signals)
    : rings_(std::move(rings)),
      key_fields_(std::move(key_fields)),
      signals_(signals),
      open_(rings_.size(), nullptr) {}

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
  for (uint32_t p = 0; p < partitions; ++p) {
    if (open_[p] == nullptr) continue;
    rings_[p]->EndWrite();
    open_[p] = nullptr;
  }
  return Status::Ok();
}

Status PartitionSink::Close() {
  for (BatchRing* ring : rings_) ring->Close();
  return Status::Ok();
}

Status RebalanceSink::Write(const schema::RowBatch& batch) {
  BatchRing* ring = rings_[next_];
  next_ = (next_ + 1) % rings_.size();
  schema::RowBatch* out = ring->BeginWrite(signals_->cancel);
  if (out == nullptr) return Cancelled();
  CopyBatch(batch, out);
  ring->EndWrite();
  return Status::Ok();
}

Status RebalanceSink::Close() {
  for (BatchRing* ring : rings_) ring->Close();
  return Status::Ok();
}

}  // namespace runnel::runtime
