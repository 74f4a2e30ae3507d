// The ends of the rings that connect tasks, as a task's Source and Sinks:
//
//   RingSource      reads the rings feeding one task (merging several
//                   producers), waiting for batches; done when every ring is
//                   closed and drained. After about 10 ms without input it
//                   returns an empty batch so the task can fire timers.
//   RingSink        forwards each batch to one ring (one producer, one
//                   consumer).
//   PartitionSink   routes each row to one of N rings by the hash of its key
//                   fields (key_by), so each key always reaches the same
//                   parallel instance.
//   RebalanceSink   sends batches round-robin over N rings.
//
// Event time: writers pass each batch's watermark on, and send a newer
// watermark to every ring, with rows or without (an empty batch), so no
// instance waits for time that has passed elsewhere.
//
// Checkpoint barriers (docs/STATE.md, Multi-task jobs): Barrier(id) sends an
// empty batch carrying the barrier to every ring. RingSource aligns them
// (Flink's aligned checkpoints): a ring whose barrier has come is not read
// until every ring still open has delivered it (or closed); then Read
// returns an empty batch carrying the barrier, after every row before it.
//
// Each Write publishes what it wrote before returning, so rows never wait in
// a half-filled ring batch (latency stays low at low rates). Writers wait
// when a ring is full (backpressure) and give up only when the job is
// cancelled. Close() closes the rings so the consumer can finish.
#pragma once

#include <memory>
#include <vector>

#include "core/common/clock.h"
#include "core/runtime/batch_ring.h"
#include "core/runtime/operator.h"
#include "core/runtime/task.h"
#include "core/schema/row_hash.h"

namespace runnel::runtime {

class RingSource : public Source {
 public:
  // `watermark_slot`: the rows' hidden watermark slot when the stream
  // carries event time, else -1. The output watermark is the minimum over
  // the rings still open (Flink's rule for operators with several inputs).
  // With `idle_timeout_ms` > 0, a ring that has delivered nothing for that
  // long (on `clock`) stops holding the watermark back until it delivers
  // again, unless every ring is idle.
  RingSource(std::vector<BatchRing*> rings, const JobSignals* signals,
             int watermark_slot = -1, int64_t idle_timeout_ms = 0,
             const Clock* clock = SystemClock::Get());
  Status Open() override { return Status::Ok(); }
  Status Read(schema::RowBatch* out, bool* done) override;

 private:
  // Backoff rounds (spins, yields, then sleeps up to 100 µs) before an
  // empty return: about 10 ms.
  static constexpr uint32_t kIdleRounds = 230;

  int64_t MinWatermark() const;
  // Folds the batch just read from `ring` into the per-ring watermarks.
  void MergeWatermarks(size_t ring, schema::RowBatch* out);

  // Whether every ring is closed or blocked at barrier `id`.
  bool Aligned(uint64_t id) const;

  std::vector<BatchRing*> rings_;
  std::vector<bool> closed_;
  std::vector<uint64_t> blocked_;  // per ring: the barrier it waits at (0: none)
  std::vector<int64_t> latest_;  // newest watermark seen per ring
  std::vector<int64_t> last_delivery_ms_;  // per ring, when idle timeouts apply
  int64_t idle_timeout_ms_;
  const Clock* clock_;
  int64_t now_ms_ = 0;
  int64_t last_sent_ = INT64_MIN;  // newest watermark handed on
  size_t next_ = 0;              // ring to look at first, for fairness
  const JobSignals* signals_;
  int watermark_slot_;
};


class RingSink : public Sink {
 public:
  RingSink(BatchRing* ring, const JobSignals* signals)
      : ring_(ring), signals_(signals) {}
  Status Open() override { return Status::Ok(); }
  Status Write(const schema::RowBatch& batch) override;
  Status Close() override;
  Status Barrier(uint64_t id) override;

 private:
  BatchRing* ring_;
  const JobSignals* signals_;
};

class PartitionSink : public Sink {
 public:
  PartitionSink(std::vector<BatchRing*> rings, std::vector<uint32_t> key_fields,
                const JobSignals* signals);
  Status Open() override { return Status::Ok(); }
  Status Write(const schema::RowBatch& batch) override;
  Status Close() override;
  Status Barrier(uint64_t id) override;

  // The ring (of `partitions`) a key hash goes to (schema::InstanceOf).
  static uint32_t PartitionOf(uint64_t key_hash, uint32_t partitions) {
    return schema::InstanceOf(key_hash, partitions);
  }

 private:
  std::vector<BatchRing*> rings_;
  std::vector<uint32_t> key_fields_;
  const JobSignals* signals_;
  std::vector<schema::RowBatch*> open_;  // batch being filled per ring
  std::vector<int64_t> sent_watermark_;  // per ring
};

class RebalanceSink : public Sink {
 public:
  RebalanceSink(std::vector<BatchRing*> rings, const JobSignals* signals)
      : rings_(std::move(rings)),
        signals_(signals),
        sent_watermark_(rings_.size(), schema::RowBatch::kNoWatermark) {}
  Status Open() override { return Status::Ok(); }
  Status Write(const schema::RowBatch& batch) override;
  Status Close() override;
  Status Barrier(uint64_t id) override;

 private:
  std::vector<BatchRing*> rings_;
  size_t next_ = 0;
  const JobSignals* signals_;
  std::vector<int64_t> sent_watermark_;  // per ring
};

}  // namespace runnel::runtime
