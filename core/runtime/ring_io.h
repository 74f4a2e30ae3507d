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
// Each Write publishes what it wrote before returning, so rows never wait in
// a half-filled ring batch (latency stays low at low rates). Writers wait
// when a ring is full (backpressure) and give up only when the job is
// cancelled. Close() closes the rings so the consumer can finish.
#pragma once

#include <memory>
#include <vector>

#include "core/runtime/batch_ring.h"
#include "core/runtime/operator.h"
#include "core/runtime/task.h"

namespace runnel::runtime {

class RingSource : public Source {
 public:
  RingSource(std::vector<BatchRing*> rings, const JobSignals* signals);
  Status Open() override { return Status::Ok(); }
  Status Read(schema::RowBatch* out, bool* done) override;

 private:
  // Backoff rounds (spins, yields, then sleeps up to 100 µs) before an
  // empty return: about 10 ms.
  static constexpr uint32_t kIdleRounds = 230;

  std::vector<BatchRing*> rings_;
  std::vector<bool> closed_;
  size_t next_ = 0;  // ring to look at first, for fairness
  const JobSignals* signals_;
};

class RingSink : public Sink {
 public:
  RingSink(BatchRing* ring, const JobSignals* signals)
      : ring_(ring), signals_(signals) {}
  Status Open() override { return Status::Ok(); }
  Status Write(const schema::RowBatch& batch) override;
  Status Close() override;

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

  // The ring (of `partitions`) a key hash goes to. Uses the hash's high
  // bits; keyed state tables use the low bits.
  static uint32_t PartitionOf(uint64_t key_hash, uint32_t partitions) {
    return static_cast<uint32_t>(((key_hash >> 32) * partitions) >> 32);
  }

 private:
  std::vector<BatchRing*> rings_;
  std::vector<uint32_t> key_fields_;
  const JobSignals* signals_;
  std::vector<schema::RowBatch*> open_;  // batch being filled per ring
};

class RebalanceSink : public Sink {
 public:
  RebalanceSink(std::vector<BatchRing*> rings, const JobSignals* signals)
      : rings_(std::move(rings)), signals_(signals) {}
  Status Open() override { return Status::Ok(); }
  Status Write(const schema::RowBatch& batch) override;
  Status Close() override;

 private:
  std::vector<BatchRing*> rings_;
  size_t next_ = 0;
  const JobSignals* signals_;
};

}  // namespace runnel::runtime
