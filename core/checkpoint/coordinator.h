// Coordinator: takes the checkpoints of a job and restores the newest one
// at start (docs/STATE.md).
//
// Every `interval_ms`, a task that reads external inputs begins a
// checkpoint between two of its batches. Each task then copies its stages'
// changes into their preallocated StateBuffers — source positions, operator
// state (only the blocks changed since the previous checkpoint), what each
// sink staged for commit — and goes on: a task with external inputs as soon
// as it sees the checkpoint begun, the others when their inputs deliver its
// barrier, aligned across every ring that feeds them (Flink's asynchronous
// barrier snapshots; core/runtime/ring_io.h); each passes the barrier on to
// the tasks it feeds. A task that has ended is copied by whichever thread
// gets to it first: its state is final. The last copy hands the buffers,
// with the symbols interned since, to the coordinator's writer thread, which
// stores them in the CheckpointStore as one atomic, synced LevelDB batch,
// then tells the sinks to commit. One checkpoint is taken at a time: a due
// one waits until the writer is done. A failed write is logged; the
// checkpoint before it stays the latest, nothing staged is lost, and the
// next checkpoint is a full one.
//
// When every task has ended (inputs done and drained, or stopped), the last
// one takes the final checkpoint of all of them; the others wait for it.
//
// Restore, before the job runs, reads the newest checkpoint that reads
// without error once, giving each stage its entries as they come (older
// ones are tried when a newer one cannot be read, the job planned anew when
// one failed part-way; see docs/STATE.md for what corruption does); the
// tasks' stages then resume from there.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/checkpoint/checkpoint_store.h"
#include "core/checkpoint/savepoint_match.h"
#include "core/common/clock.h"
#include "core/common/status.h"
#include "core/runtime/checkpoint_trigger.h"
#include "core/runtime/state_buffer.h"
#include "core/runtime/task.h"
#include "core/runtime/wakeup.h"
#include "core/schema/symbol_table.h"

namespace runnel::checkpoint {

struct CheckpointOptions {
  int64_t interval_ms = 10000;
  bool always_full = false;  // checkpoint.mode "full": every checkpoint all state
};

// What one checkpoint cost, for --stats and the benchmark.
struct CheckpointTimes {
  uint64_t id = 0;
  int64_t pause_ns = 0;  // the task thread's copy into the buffers
  int64_t write_ns = 0;  // the writer: store, sync, commit
  uint64_t bytes = 0;
};

class Coordinator {
 public:
  // Plan time: one buffer per stage of each of `tasks` (a job's, in its
  // order), sized by its checkpoint_bytes(), and one for the symbols. Fails
  // naming an operator that cannot be checkpointed. `tasks`, `symbols`,
  // `store` and `clock` must outlive the coordinator; `signals` (the job's)
  // end waits when the job is cancelled.
  static Result<std::unique_ptr<Coordinator>> Make(std::vector<runtime::Task*> tasks,
                                                   const runtime::JobSignals* signals,
                                                   schema::SymbolTable* symbols,
                                                   CheckpointStore* store,
                                                   const CheckpointOptions& options,
                                                   const Clock* clock = SystemClock::Get());
  ~Coordinator();

  // Before Start and before the task opens its stages: restores the newest
  // checkpoint with an id below `below` that reads without error into the
  // stages and the symbol table, and sets *restored to its id (0: there is
  // none, a fresh start) and *finished to whether the job had finished (its
  // inputs ended and it was drained): then there is nothing left to run.
  // Each checkpoint is read once, its entries given to the stages as they
  // come. One the store fails to read before any entry was given is logged
  // and the next older one tried. One it fails to read part-way (a corrupt
  // block) leaves the stages holding part of it: *spoiled is set to its id
  // and an error returned, and the caller must plan the job anew and call
  // Restore on the new job's coordinator with below = *spoiled
  // (RestoreNewest does). A stage refusing its state (another layout) is an
  // error, no fallback.
  Status Restore(uint64_t* restored, bool* finished, uint64_t* spoiled,
                 uint64_t below = UINT64_MAX);
  // Savepoints (docs/STATE.md): instead of Restore, restores the state a
  // savepoint store holds into the stages of the same names (Flink's uids:
  // a graph's operator names; savepoint_match.h), spreading the keys of an
  // operator whose parallelism changed over its new instances. Stages it
  // has no state for start empty. State of a stage this job lacks, or of
  // another layout, is an error unless `allow_non_restored` (then logged
  // and left out).
  Status RestoreSavepoint(const CheckpointStore& savepoint, bool allow_non_restored);
  // Stop with savepoint: when a stop request ends the job, its last
  // checkpoint stores all state, into the checkpoint store and `savepoint`.
  void set_savepoint(CheckpointStore* savepoint) { savepoint_ = savepoint; }

  // A savepoint of the running job (any thread but the task's; one at a
  // time): at the task's next batch boundary a full checkpoint is taken and
  // its records go to `target` too. Blocks until it is written and returns
  // its outcome, setting *checkpoint to the checkpoint's id. When the task
  // has not taken the request after `timeout_ms` (the job is stopping or
  // failed) or `*cancel` becomes true before then, the request is withdrawn
  // and an error returned; once taken, the call waits for the write. A
  // request still open when the job stops is served by its final checkpoint.
  Status TakeSavepoint(CheckpointStore* target, int64_t timeout_ms,
                       const std::atomic<bool>* cancel, uint64_t* checkpoint);
  // Whether a TakeSavepoint request is open (asked for or being written);
  // any thread.
  bool savepoint_asked() const {
    return request_.load(std::memory_order_acquire) != kNoRequest;
  }

  // Makes each task call the coordinator (Task::set_checkpoint_trigger)
  // and starts the writer thread; checkpoint ids continue after the
  // restored one.
  void Start();

  // Completed checkpoints' costs, oldest first (read after the job ends).
  const std::vector<CheckpointTimes>& times() const { return times_; }
  uint64_t failed() const { return failed_.load(std::memory_order_relaxed); }
  // Whether a checkpoint is being taken: copied by the tasks or written
  // (any thread). Tests
  // and benchmarks wait for false before making the next one due, so it is
  // taken at that batch boundary rather than a later one.
  bool writing() const { return state_.load(std::memory_order_acquire) != kIdle; }

 private:
  // The writer's state: idle; a checkpoint being copied by the tasks
  // (kCapturing: whoever moved it there from kIdle began it); copied and
  // handed to the writer; shutting down.
  enum State : int { kIdle, kCapturing, kPending, kStopping };
  // Savepoint requests (TakeSavepoint): none, asked for, taken by the task.
  enum Request : int { kNoRequest, kClaimed, kAsked, kTaken };
  enum class StageKind { kSource, kOperator, kSink, kSymbols, kJob };
  // One task's part: its trigger (the task calls the coordinator through
  // it) and its checkpoint bookkeeping.
  class TaskPart;
  // A space of the store and the stage it belongs to.
  struct Space {
    std::string name;
    StageKind kind;
    size_t task = 0;
    size_t stage = 0;  // index among the task's sources, operators or sinks
    std::string stage_name;
  };

  Coordinator(std::vector<runtime::Task*> tasks, const runtime::JobSignals* signals,
              schema::SymbolTable* symbols, CheckpointStore* store,
              const CheckpointOptions& options, const Clock* clock);

  // The task calls (through its TaskPart).
  Status MaybeCheckpoint(TaskPart* part);
  Status OnBarrier(TaskPart* part, uint64_t id);
  Status FinalCheckpoint(TaskPart* part, bool drained);
  void Failed();

  // Begins checkpoint last_id_ + 1 if the writer is idle (`finished`: the
  // job's last; `take_request`: it serves an open savepoint request); sets
  // *id. False when another one is being taken.
  bool Begin(bool finished, bool take_request, uint64_t* id);
  // Copies `part`'s stages into their buffers for checkpoint `id`, unless
  // it was copied for it already; `running`: on the task's own thread,
  // which then passes the barrier on. The last copy of a checkpoint hands
  // it to the writer.
  Status Capture(TaskPart* part, uint64_t id, bool running);
  // Copies every ended task not yet copied for checkpoint `id`.
  Status CaptureEnded(uint64_t id);
  // Adds the symbols and the job's record and hands the buffers to the writer.
  void HandOver(uint64_t id);
  // The last task to end: waits for a checkpoint being taken, serves an
  // open savepoint request, takes the final checkpoint.
  Status TakeFinal();
  // Task thread, writer idle (a checkpoint being begun): takes an asked-for
  // savepoint into it (made full). False when none is asked for.
  bool TakeRequest();
  // Hands the outcome of the request being served to its requester.
  void FinishRequest(const Status& status, uint64_t checkpoint);
  // The last task to end, when the job failed: a savepoint request taken
  // by a checkpoint that will never complete is answered (one being
  // written is answered by the writer).
  void AbandonRequest();
  void WriterLoop();
  // Writer thread: stores checkpoint pending_id_ (and the savepoint).
  Status Write();
  Status WriteSavepoint(CheckpointStore* target);
  // Waits until the writer is idle; false if the job was cancelled first.
  bool WaitIdle();
  // Tells `part`'s sources about a checkpoint stored since the last call
  // (Source::CheckpointCompleted), on its task's thread.
  void AnnounceCompleted(TaskPart* part);
  // Reads checkpoint `id` of `from` (giving each stage its entries when
  // `apply`; *applied turns true with the first one given): space
  // from_spaces[i] of `from` into spaces_[i] (none when empty); `lenient`: a
  // stage whose first entry it refuses starts empty. *refused: the error is
  // a stage refusing its state, not the store failing to read it.
  Status ReadState(const CheckpointStore& from, uint64_t id,
                   const std::vector<std::string>& from_spaces, bool apply, bool lenient,
                   bool* finished, bool* applied, bool* refused);
  // Restores the saved instances of `op` one at a time into an operator
  // built like its instances and moves their keys into them.
  Status RestoreRescaled(const CheckpointStore& from, uint64_t id, const RescaledOperator& op,
                         bool lenient);
  Status RestoreEntry(const Space& space, std::string_view key, std::string_view value);
  // Interns at its id (or, for ids the plan interned, compares) one symbol.
  Status RestoreSymbol(std::string_view key, std::string_view value);

  std::vector<std::unique_ptr<TaskPart>> parts_;
  const runtime::JobSignals* signals_;
  schema::SymbolTable* symbols_;
  CheckpointStore* store_;
  const CheckpointOptions options_;
  const Clock* clock_;
  // Spaces ("source/NAME", ...; "source/TASK/NAME" in a job of several
  // tasks) and buffers: each task's sources, operators, sinks, then the
  // symbols and the job's own record.
  std::vector<Space> spaces_;
  std::vector<std::unique_ptr<runtime::StateBuffer>> buffers_;
  uint32_t symbols_saved_ = 0;  // ids below this one are stored (or unused)

  // Written by the thread that begins a checkpoint (state kCapturing),
  // before it publishes active_; read after active_ (acquire).
  std::atomic<int64_t> next_due_ms_{0};
  uint64_t last_id_ = 0;
  bool next_full_ = true;
  bool active_full_ = false;
  bool active_finished_ = false;
  std::atomic<uint64_t> active_{0};  // the checkpoint begun last
  std::atomic<uint32_t> copied_{0};  // tasks copied for it
  std::atomic<int> copying_{0};      // copies in progress (any thread)
  // A task ended with an error (Failed): checkpoints are no longer handed
  // to the writer; handing_over_ counts threads deciding whether to.
  std::atomic<bool> task_failed_{false};
  std::atomic<int> handing_over_{0};
  std::atomic<int64_t> pause_ns_{0};  // the longest copy on a task's thread
  std::atomic<int> state_{kIdle};
  runtime::Wakeup wakeup_;  // the writer sleeps on it
  uint64_t pending_id_ = 0;
  bool pending_full_ = false;
  CheckpointStore* pending_savepoint_ = nullptr;  // where this checkpoint also goes
  CheckpointStore* savepoint_ = nullptr;
  // TakeSavepoint's request: the requester claims it (kClaimed), writes
  // request_target_, then publishes kAsked (release); the task moves it to
  // kTaken; the writer (or the task, when the capture fails) sets the
  // outcome, then kNoRequest (release), which the requester waits for.
  std::atomic<int> request_{kNoRequest};
  CheckpointStore* request_target_ = nullptr;
  bool pending_request_ = false;  // task and writer: this checkpoint serves it
  Status request_status_;
  Status savepoint_status_;  // writer: the requested savepoint's write
  uint64_t request_checkpoint_ = 0;
  // Written by the writer before it returns to kIdle, read by the task
  // thread after it sees kIdle (acquire).
  Status writer_status_;
  std::vector<CheckpointTimes> times_;
  // The latest checkpoint stored (writer, release).
  std::atomic<uint64_t> completed_{0};
  // Tasks ended, and the final checkpoint's outcome (written before
  // final_done_, release).
  std::atomic<uint32_t> ended_{0};
  Status final_status_;
  std::atomic<bool> final_done_{false};
  std::atomic<uint64_t> failed_{0};
  std::thread writer_;
};

// Restores the newest readable checkpoint as a job must: starting with
// `first`, and after a checkpoint that failed part-way (Restore's
// *spoiled) with the coordinator of a job planned anew by `rebuild`, for
// the checkpoints below it. Returns the last Restore's status.
Status RestoreNewest(Coordinator* first, const std::function<Result<Coordinator*>()>& rebuild,
                     uint64_t* restored, bool* finished);

}  // namespace runnel::checkpoint
