// Task: runs one thread's share of a job — a small dataflow graph of
// inputs, fused operators and outputs — batch by batch.
//
// Built once by the planner (which allocates every batch and stage); Run()
// then moves rows without allocating or locking. Each stream of the task
// has one preallocated batch: an input fills its stream's batch, each
// operator (in dependency order) reads its input stream's batch and fills
// its own, and sinks write the batches of the streams they consume. Inputs
// are real sources (files, sockets) or ring readers fed by other tasks;
// sinks are real sinks or ring writers to other tasks.
//
// When the inputs end, operators are drained in order (final aggregates,
// timers) and sinks closed. A stop request ends the task's external inputs
// as if they had ended, so everything in flight is still processed and
// flushed. A failing stage stops the task with a message naming it; sinks
// are closed even then, so rows already processed are flushed.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/common/status.h"
#include "core/runtime/checkpoint_trigger.h"
#include "core/runtime/operator.h"
#include "core/schema/row.h"

namespace runnel::runtime {

// Rows counted per stage while the task runs; readable from any thread.
struct StageStats {
  std::string kind;  // "source", "operator", "sink"
  std::string name;  // with "#i" for an instance of a parallel operator
  uint64_t rows_in = 0;
  uint64_t rows_out = 0;
  uint64_t rejected = 0;  // sources: bad records skipped
  uint64_t lost_batches = 0;  // sources: batches missing in a producer's sequence
  OperatorMetrics metrics;
};

class Task {
 public:
  Task(std::string name, uint32_t batch_rows, const JobSignals* signals);

  // Building (plan time). Streams are numbered in the order they are added.
  uint32_t AddStream(uint32_t width);
  // `external` inputs (files, sockets) end on a stop request; ring inputs
  // are drained.
  void AddSource(std::string name, std::unique_ptr<Source> source,
                 uint32_t output_stream, bool external);
  // REQUIRES: operators are added after the stage producing their input.
  void AddOperator(std::string name, std::unique_ptr<Operator> op,
                   uint32_t input_stream, uint32_t output_stream);
  // `internal` sinks (ring writers) are not listed in Stats().
  void AddSink(std::string name, std::unique_ptr<Sink> sink,
               uint32_t input_stream, bool internal = false);

  // The clock processing-time timers follow (default: the system's).
  void set_clock(const Clock* clock) { clock_ = clock; }
  // Checkpoints: the coordinator the task calls between batches. When a
  // stop request ends the inputs, operators are then not drained (a resumed
  // job continues their windows) but checkpointed as they are.
  void set_checkpoint_trigger(CheckpointTrigger* trigger) { trigger_ = trigger; }

  // The stages, in the order they were added (the coordinator's view).
  size_t source_count() const { return sources_.size(); }
  Source* source(size_t i) { return sources_[i].source.get(); }
  bool source_external(size_t i) const { return sources_[i].external; }
  size_t operator_count() const { return operators_.size(); }
  Operator* op(size_t i) { return operators_[i].op.get(); }
  size_t sink_count() const { return sinks_.size(); }
  Sink* sink(size_t i) { return sinks_[i].sink.get(); }

  const std::string& name() const { return name_; }
  uint32_t batch_rows() const { return batch_rows_; }
  size_t stream_count() const { return batches_.size(); }
  // Bytes of the stream batches this task preallocated.
  uint64_t batch_bytes() const;

  // Opens every stage and runs until all inputs are done and drained.
  Status Run();
  // Checkpoints: passes barrier `id` on to every sink (ring writers send it
  // to the tasks they feed). Task thread.
  Status EmitBarrier(uint64_t id);

  // One entry per stage, inputs first, then operators, then sinks.
  std::vector<StageStats> Stats() const;
  struct StageNames {
    std::vector<std::string> sources, operators, sinks;
  };
  StageNames Names() const;

 private:
  struct Counter {  // written by the task's thread only, read by any
    std::atomic<uint64_t> value{0};
    void Add(uint64_t n) {
      value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }
    uint64_t Get() const { return value.load(std::memory_order_relaxed); }
  };
  struct SourceStage {
    std::string name;
    std::unique_ptr<Source> source;
    uint32_t output;
    bool external;
    bool done = false;
    bool stopped = false;  // told to stop; drains its buffer first
    std::unique_ptr<Counter> rows_out = std::make_unique<Counter>();
  };
  struct OperatorStage {
    std::string name;
    std::unique_ptr<Operator> op;
    uint32_t input;
    uint32_t output;
    std::unique_ptr<Counter> rows_in = std::make_unique<Counter>();
    std::unique_ptr<Counter> rows_out = std::make_unique<Counter>();
  };
  struct SinkStage {
    std::string name;
    std::unique_ptr<Sink> sink;
    uint32_t input;
    bool internal;
    std::unique_ptr<Counter> rows_in = std::make_unique<Counter>();
  };

  Status Open();
  // Runs operators from index `first_operator` on, then the sinks, over the
  // rows now in the stream batches; then clears every batch.
  Status Propagate(size_t first_operator);
  Status DrainOperators();
  // Lets operators and sinks whose processing-time work is due run it.
  Status FireProcessingTime();
  // Sink::Finish on every sink, once the inputs ended and were drained.
  Status FinishSinks();
  // Closes the ring writers (`internal`: the tasks they feed can then
  // finish) or the other sinks; returns the first failure.
  Status CloseSinks(bool internal);

  std::string name_;
  uint32_t batch_rows_;
  const JobSignals* signals_;
  const Clock* clock_ = SystemClock::Get();
  CheckpointTrigger* trigger_ = nullptr;
  std::vector<std::unique_ptr<schema::RowBatch>> batches_;  // one per stream
  std::vector<SourceStage> sources_;
  std::vector<OperatorStage> operators_;
  std::vector<SinkStage> sinks_;
};

}  // namespace runnel::runtime
