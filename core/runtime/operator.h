// The three kinds of stage a task runs: sources make batches, operators
// turn one batch into another, sinks write them out.
//
// Every call takes a whole batch, so the virtual call is paid per batch, not
// per record. After Open, Read/Process/Write/Drain must not allocate or lock:
// all memory they need is allocated when the stage is constructed (plan
// time). A stage is used by one thread; only metrics() may be called from
// another (implementations read relaxed atomics there).
#pragma once

#include <cstddef>
#include <cstdint>
#include <climits>

#include "core/common/status.h"
#include "core/runtime/job_signals.h"
#include "core/schema/row.h"

namespace runnel::runtime {

class Source {
 public:
  virtual ~Source() = default;
  // Opens the input (files, sockets). May allocate; runs before the hot path.
  virtual Status Open() = 0;
  // Appends up to out->capacity() rows to the empty batch `out`. Sets *done
  // once the input is exhausted (the batch may still hold final rows). Rows
  // appended before a failure are still processed. May wait for input.
  virtual Status Read(schema::RowBatch* out, bool* done) = 0;
  // A graceful stop. A source that buffers input returns true and from then
  // on reads nothing new: Read hands over what is already buffered
  // (complete records only), then reports done. The default returns false:
  // the task ends the source at once. Same thread as Read.
  virtual bool Stop() { return false; }
  // Bad records reported and skipped so far (any thread).
  virtual uint64_t rejected() const { return 0; }
  // Batches a producer sent that never arrived (gaps in its sequence
  // numbers), for sources fed by other processes (any thread).
  virtual uint64_t lost_batches() const { return 0; }
  // Bytes preallocated at construction (buffers), for the plan's budget.
  virtual size_t footprint_bytes() const { return 0; }
};

// What an operator reports beyond rows in and out (any thread).
struct OperatorMetrics {
  uint64_t dropped = 0;        // rows not processed by policy (state full, ...)
  uint64_t evicted = 0;        // state entries evicted to make room
  uint64_t state_entries = 0;  // live keyed-state entries
  uint64_t state_capacity = 0;
};

class Operator {
 public:
  virtual ~Operator() = default;
  // Appends the rows produced from `in` to the empty batch `out`, whose
  // capacity is at least in.size() (planned so).
  virtual Status Process(const schema::RowBatch& in, schema::RowBatch* out) = 0;
  // Operators that can produce more rows than their input (windows firing
  // many keys at once) queue them internally and report so here; the task
  // then calls Flush with an empty `out` until nothing is pending, passing
  // each batch downstream, before it gives the operator more input.
  virtual bool has_pending_output() const { return false; }
  virtual Status Flush(schema::RowBatch* out) {
    (void)out;
    return Status::Ok();
  }
  // Called after the input has ended, repeatedly until *done: appends
  // rows still held back (final aggregates, remaining timers) to the empty
  // batch `out`.
  virtual Status Drain(schema::RowBatch* out, bool* done) {
    (void)out;
    *done = true;
    return Status::Ok();
  }
  // Processing-time work (timers): the clock time (ms) at which
  // OnProcessingTime next has something to do; INT64_MAX for never.
  virtual int64_t next_processing_time_ms() const { return INT64_MAX; }
  // Called once the clock reaches next_processing_time_ms(): appends rows to
  // the empty batch `out` (if it fills, the rest waits for the next call).
  virtual Status OnProcessingTime(int64_t now_ms, schema::RowBatch* out) {
    (void)now_ms;
    (void)out;
    return Status::Ok();
  }
  virtual OperatorMetrics metrics() const { return {}; }
  // Bytes preallocated at construction (state, scratch), for the plan's budget.
  virtual size_t footprint_bytes() const { return 0; }
};

class Sink {
 public:
  virtual ~Sink() = default;
  // Called once, before Open, with the job's flags. A sink that can wait
  // (for a peer to take its rows) stops waiting at once when `cancel` is
  // set and after its own grace period once `stop` is; rows it gives up on
  // are reported by Close. The default ignores them.
  virtual void WatchSignals(const JobSignals* signals) { (void)signals; }
  virtual Status Open() = 0;
  virtual Status Write(const schema::RowBatch& batch) = 0;
  // Flushes everything written and releases the output. Called once, also
  // after a failure elsewhere, so rows already written are not lost.
  virtual Status Close() = 0;
  // Bytes preallocated at construction (buffers), for the plan's budget.
  virtual size_t footprint_bytes() const { return 0; }
};

}  // namespace runnel::runtime
