// The three kinds of stage a task runs: sources make batches, operators
// turn one batch into another, sinks write them out.
//
// Every call takes a whole batch, so the virtual call is paid per batch, not
// per record. After Open, Read/Process/Write/Drain must not allocate or lock:
// all memory they need is allocated when the stage is constructed (plan
// time). A stage is used by one thread; only metrics() may be called from
// another (implementations read relaxed atomics there).
//
// Checkpoints (docs/STATE.md): every stage also says what it saves. A
// source saves its position (replayable sources rewind to it on recovery),
// an operator its state, a sink what it has staged for commit. Snapshot,
// SavePosition and PrepareCommit run on the task's thread between batches,
// write into a preallocated StateBuffer and must not allocate; RestoreEntry
// runs before Open with the entries of the checkpoint being restored, and
// may allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <climits>
#include <memory>
#include <string_view>

#include "core/common/status.h"
#include "core/runtime/job_signals.h"
#include "core/runtime/state_buffer.h"
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
  virtual uint64_t footprint_bytes() const { return 0; }

  // Checkpoints. A replayable source can rewind to a position saved in a
  // checkpoint, so a recovered job reads again exactly what the checkpoint
  // had not seen (exactly-once); any other source is at-most-once across a
  // recovery.
  virtual bool replayable() const { return false; }
  // Writes the position after the last row Read returned. False when the
  // buffer is full.
  virtual bool SavePosition(StateBuffer* out) {
    (void)out;
    return true;
  }
  // Task thread, between batches: checkpoint `id` (the latest whose
  // SavePosition this source wrote) is stored. A source whose producers
  // keep rows until the receiver's checkpoint holds them (an exactly-once
  // ZeroMQ link) tells them so here.
  virtual void CheckpointCompleted(uint64_t id) { (void)id; }
  // Before Open: one entry SavePosition wrote; Open resumes there.
  virtual Status RestoreEntry(std::string_view key, std::string_view value) {
    (void)key;
    (void)value;
    return Status(StatusCode::kInternal, "this source keeps no position");
  }
  // The most bytes SavePosition writes (StateBuffer::RecordBytes).
  virtual size_t checkpoint_bytes() const { return 0; }
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
  virtual uint64_t footprint_bytes() const { return 0; }

  // Checkpoints. kStateless: nothing to save (the output depends on the
  // current batch only). kSnapshots: Snapshot/RestoreEntry below keep the
  // state. kUnsupported (the default): a graph with checkpoints enabled is
  // refused at plan time.
  enum class Checkpointing { kStateless, kSnapshots, kUnsupported };
  virtual Checkpointing checkpointing() const { return Checkpointing::kUnsupported; }
  // Plan time, when the job checkpoints, before any row: start tracking
  // what changes, for incremental snapshots.
  virtual void PrepareCheckpoints() {}
  // Writes the state changed since the previous Snapshot (all of it when
  // `full`). Called only when !has_pending_output(). False when the buffer
  // is full (the checkpoint fails; the next one must then be full).
  virtual bool Snapshot(bool full, StateBuffer* out) {
    (void)full;
    (void)out;
    return true;
  }
  // Before the first Process: one entry of the restored checkpoint (the
  // union of every Snapshot up to it: the latest record per key, deletes
  // applied), then FinishRestore once all are given.
  virtual Status RestoreEntry(std::string_view key, std::string_view value) {
    (void)key;
    (void)value;
    return Status(StatusCode::kInternal, "this operator keeps no state");
  }
  virtual Status FinishRestore() { return Status::Ok(); }
  // The most bytes one Snapshot writes (a full one).
  virtual size_t checkpoint_bytes() const { return 0; }

  // Changing parallelism across a savepoint (docs/STATE.md). A keyed
  // operator that supports it returns from NewInstance an empty operator
  // built like itself; the coordinator restores one saved instance into
  // it, then calls its MoveStateTo with the new instances (`count` of them,
  // in instance order, built like it and holding only what earlier calls
  // moved): every key's state goes to the instance the partitioner now
  // routes the key to, and clocks, watermarks and counters are merged into
  // every instance (`first`: the first saved instance, whose clocks they
  // take as they are). Restore time only; may allocate. An error (a new
  // instance has no room) names what to raise.
  virtual std::unique_ptr<Operator> NewInstance() const { return nullptr; }
  virtual Status MoveStateTo(Operator* const* to, uint32_t count, bool first) {
    (void)to;
    (void)count;
    (void)first;
    return Status(StatusCode::kInternal, "this operator cannot change its parallelism");
  }
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
  // Multi-task checkpoints: the task has saved its state for checkpoint
  // `id` after the rows written so far; a sink to another task (a ring
  // writer) passes the barrier on to every task it feeds. Others ignore it.
  virtual Status Barrier(uint64_t id) {
    (void)id;
    return Status::Ok();
  }
  // Bytes preallocated at construction (buffers), for the plan's budget.
  virtual uint64_t footprint_bytes() const { return 0; }
  // Processing-time duties of a sink that sends on its own schedule (a
  // batch's latency deadline, a heartbeat): the task calls
  // OnProcessingTime between batches once the clock reaches
  // next_processing_time_ms(). Idle sources return every 10-100 ms, so a
  // duty runs that late at worst.
  virtual int64_t next_processing_time_ms() const { return INT64_MAX; }
  virtual Status OnProcessingTime(int64_t now_ms) {
    (void)now_ms;
    return Status::Ok();
  }

  // Checkpoints. A transactional sink's output holds every row written
  // before the latest completed checkpoint exactly once after a recovery
  // (two-phase commit); any other sink is at-least-once (rows after the
  // restored checkpoint are written again).
  virtual bool transactional() const { return false; }
  // Task thread, once the inputs have ended and the operators are drained,
  // before the job's final checkpoint marks it finished: a sink whose rows
  // are safe only once a peer confirms them (an exactly-once ZeroMQ link)
  // waits for that here. An error leaves the job unfinished: the next run
  // resumes from the latest checkpoint.
  virtual Status Finish() { return Status::Ok(); }
  // Task thread, at checkpoint `id`, after every row before it was
  // written: stages those rows for commit (e.g. flushes and closes the part
  // file being written) and writes what recovery needs. A `full`
  // checkpoint keeps only the records written into it.
  virtual Status PrepareCommit(uint64_t id, bool full, StateBuffer* out) {
    (void)id;
    (void)full;
    (void)out;
    return Status::Ok();
  }
  // Checkpoint writer thread: makes what PrepareCommit(id) staged durable
  // (fsync), before checkpoint `id` is stored. Must not touch what the
  // task thread is writing meanwhile.
  virtual Status SyncPrepared(uint64_t id) {
    (void)id;
    return Status::Ok();
  }
  // Checkpoint writer thread: checkpoint `id` is stored; makes its staged
  // output visible (e.g. renames the part file). Same rule as SyncPrepared.
  virtual Status Commit(uint64_t id) {
    (void)id;
    return Status::Ok();
  }
  // Before Open: one entry PrepareCommit wrote in the restored checkpoint;
  // Open then commits what that checkpoint staged and discards output
  // written after it.
  virtual Status RestoreEntry(std::string_view key, std::string_view value) {
    (void)key;
    (void)value;
    return Status(StatusCode::kInternal, "this sink keeps no state");
  }
  // The most bytes PrepareCommit writes.
  virtual size_t checkpoint_bytes() const { return 0; }
};

}  // namespace runnel::runtime
