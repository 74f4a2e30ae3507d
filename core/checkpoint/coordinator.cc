#include "core/checkpoint/coordinator.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/common/log.h"

namespace runnel::checkpoint {
namespace {

constexpr char kSymbolsSpace[] = "symbols";
constexpr char kJobSpace[] = "job";
constexpr std::string_view kFinishedKey = "finished";

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// When a checkpoint is stored, for people: calendar time (the job's clock
// may be monotonic).
int64_t WallMs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

// A symbol's key: its id, big-endian, so they list in id order.
void SymbolKey(uint32_t id, char* key) {
  for (int i = 0; i < 4; ++i) key[i] = static_cast<char>(id >> (24 - 8 * i));
}

}  // namespace

class Coordinator::TaskPart : public runtime::CheckpointTrigger {
 public:
  TaskPart(Coordinator* coordinator, runtime::Task* task, size_t index)
      : coordinator(coordinator), task(task), index(index) {
    for (size_t i = 0; i < task->source_count(); ++i) {
      external_inputs = external_inputs || task->source_external(i);
    }
  }
  Status MaybeCheckpoint() override { return coordinator->MaybeCheckpoint(this); }
  Status OnBarrier(uint64_t id) override { return coordinator->OnBarrier(this, id); }
  Status FinalCheckpoint(bool drained) override {
    return coordinator->FinalCheckpoint(this, drained);
  }
  void Failed() override { coordinator->Failed(); }

  Coordinator* const coordinator;
  runtime::Task* const task;
  const size_t index;
  bool external_inputs = false;  // it begins checkpoints and joins them unasked
  size_t first_buffer = 0;       // its stages' buffers: first_buffer ..
  size_t end_buffer = 0;
  std::atomic<uint64_t> copied{0};  // the latest checkpoint it was copied for
  std::atomic<bool> ended{false};   // its thread is done with it (seq_cst)
  bool drained = false;             // written before `ended`
  uint64_t announced = 0;           // task thread
};

Coordinator::Coordinator(std::vector<runtime::Task*> tasks, const runtime::JobSignals* signals,
                         schema::SymbolTable* symbols, CheckpointStore* store,
                         const CheckpointOptions& options, const Clock* clock)
    : signals_(signals), symbols_(symbols), store_(store), options_(options), clock_(clock) {
  for (size_t i = 0; i < tasks.size(); ++i) {
    parts_.push_back(std::make_unique<TaskPart>(this, tasks[i], i));
  }
}

Result<std::unique_ptr<Coordinator>> Coordinator::Make(std::vector<runtime::Task*> tasks,
                                                       const runtime::JobSignals* signals,
                                                       schema::SymbolTable* symbols,
                                                       CheckpointStore* store,
                                                       const CheckpointOptions& options,
                                                       const Clock* clock) {
  std::unique_ptr<Coordinator> c(
      new Coordinator(std::move(tasks), signals, symbols, store, options, clock));
  const bool several = c->parts_.size() > 1;
  for (auto& part : c->parts_) {
    runtime::Task* task = part->task;
    const auto names = task->Names();
    // In a job of several tasks stage names repeat (ring ends, event-time
    // assigners): the task's name tells them apart.
    const std::string prefix = several ? task->name() + "/" : "";
    const auto add = [&](const char* kind, StageKind k, size_t i, const std::string& name,
                         size_t bytes) {
      c->spaces_.push_back({std::string(kind) + "/" + prefix + name, k, part->index, i, name});
      c->buffers_.push_back(std::make_unique<runtime::StateBuffer>(bytes));
    };
    part->first_buffer = c->buffers_.size();
    for (size_t i = 0; i < task->source_count(); ++i) {
      add("source", StageKind::kSource, i, names.sources[i], task->source(i)->checkpoint_bytes());
    }
    for (size_t i = 0; i < task->operator_count(); ++i) {
      runtime::Operator* op = task->op(i);
      if (op->checkpointing() == runtime::Operator::Checkpointing::kUnsupported) {
        return InvalidArgument("operator '" + names.operators[i] +
                               "' cannot be checkpointed yet; remove \"checkpoint\" from the "
                               "graph or this operator (docs/STATE.md lists what can)");
      }
      op->PrepareCheckpoints();
      add("op", StageKind::kOperator, i, names.operators[i], op->checkpoint_bytes());
    }
    for (size_t i = 0; i < task->sink_count(); ++i) {
      add("sink", StageKind::kSink, i, names.sinks[i], task->sink(i)->checkpoint_bytes());
    }
    part->end_buffer = c->buffers_.size();
  }
  c->spaces_.push_back({kSymbolsSpace, StageKind::kSymbols, 0, 0, ""});
  c->buffers_.push_back(std::make_unique<runtime::StateBuffer>(
      size_t{symbols->max_bytes()} +
      size_t{symbols->max_symbols()} * runtime::StateBuffer::RecordBytes(4, 0)));
  c->spaces_.push_back({kJobSpace, StageKind::kJob, 0, 0, ""});
  c->buffers_.push_back(std::make_unique<runtime::StateBuffer>(
      runtime::StateBuffer::RecordBytes(kFinishedKey.size(), 1)));
  return c;
}

Coordinator::~Coordinator() {
  if (writer_.joinable()) {
    while (state_.load(std::memory_order_acquire) == kPending) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    state_.store(kStopping, std::memory_order_release);
    wakeup_.Notify();
    writer_.join();
  }
}

Status Coordinator::RestoreEntry(const Space& space, std::string_view key,
                                 std::string_view value) {
  runtime::Task* task = parts_[space.task]->task;
  switch (space.kind) {
    case StageKind::kSource:
      return task->source(space.stage)->RestoreEntry(key, value);
    case StageKind::kOperator:
      return task->op(space.stage)->RestoreEntry(key, value);
    case StageKind::kSink:
      return task->sink(space.stage)->RestoreEntry(key, value);
    default:
      return Status::Ok();
  }
}

Status Coordinator::ReadState(const CheckpointStore& from, uint64_t id,
                              const std::vector<std::string>& from_spaces, bool apply,
                              bool lenient, bool* finished, bool* applied, bool* refused) {
  *refused = false;
  Status entry_status;
  *finished = false;
  std::vector<bool> restored_ops(spaces_.size(), false);
  for (size_t s = 0; s < spaces_.size(); ++s) {
    const Space& space = spaces_[s];
    if (from_spaces[s].empty()) continue;
    bool first = true;
    bool skip = false;
    Status read = from.ForEach(id, from_spaces[s], [&](std::string_view key,
                                                       std::string_view value) {
      if (space.kind == StageKind::kJob) {
        *finished = *finished || key == kFinishedKey;
        return;
      }
      if (!apply || !entry_status.ok() || skip) return;
      *applied = true;
      if (space.kind == StageKind::kSymbols) {
        entry_status = RestoreSymbol(key, value);
        return;
      }
      Status status = RestoreEntry(space, key, value);
      restored_ops[s] = space.kind == StageKind::kOperator;
      if (!status.ok() && first && lenient) {
        // Its layout record comes first: nothing of it was restored.
        RUNNEL_LOG_WARN("%s: state not restored (%s); it starts empty "
                        "(--allow-non-restored-state)",
                        space.name.c_str(), status.message().c_str());
        skip = true;
        restored_ops[s] = false;
        return;
      }
      first = false;
      entry_status = status;
    });
    if (!entry_status.ok()) {
      *refused = true;
      return Status(entry_status.code(), space.name + ": " + entry_status.message());
    }
    if (!read.ok()) return read;
  }
  if (apply) {
    for (size_t s = 0; s < spaces_.size(); ++s) {
      if (!restored_ops[s]) continue;
      Status done = parts_[spaces_[s].task]->task->op(spaces_[s].stage)->FinishRestore();
      if (!done.ok()) {
        *refused = true;
        return Status(done.code(), spaces_[s].name + ": " + done.message());
      }
    }
    symbols_saved_ = symbols_->reserved_ids();
  }
  return Status::Ok();
}

Status Coordinator::RestoreSymbol(std::string_view key, std::string_view value) {
  if (key.size() != 4) return DataError("a symbol key of " + std::to_string(key.size()) + " bytes");
  uint32_t id = 0;
  for (int i = 0; i < 4; ++i) id = (id << 8) | static_cast<unsigned char>(key[i]);
  if (id < symbols_->reserved_ids()) {
    // Interned when the graph was planned (its constants): must be the same.
    if (symbols_->state(id) != schema::SymbolTable::IdState::kPublished ||
        symbols_->Lookup(id) != value) {
      return DataError("symbol " + std::to_string(id) + " is '" + std::string(value) +
                       "' in the saved state but not in this graph (its constants changed)");
    }
    return Status::Ok();
  }
  if (!symbols_->RestoreAt(id, value)) {
    return DataError("symbol '" + std::string(value) + "' cannot get id " + std::to_string(id) +
                     " (interned twice, or past the table's capacity)");
  }
  return Status::Ok();
}

Status Coordinator::Restore(uint64_t* restored, bool* finished, uint64_t* spoiled,
                            uint64_t below) {
  *restored = 0;
  *finished = false;
  *spoiled = 0;
  const std::vector<CheckpointInfo> checkpoints = store_->Checkpoints();
  std::vector<std::string> own_names;
  for (const Space& space : spaces_) own_names.push_back(space.name);
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    if (it->id >= below) continue;  // spoiled a job planned before this one
    bool applied = false;
    bool refused = false;
    Status read = ReadState(*store_, it->id, own_names, /*apply=*/true, /*lenient=*/false,
                            finished, &applied, &refused);
    if (refused) {
      return Status(read.code(), "restoring checkpoint " + std::to_string(it->id) + ": " +
                                     read.message());
    }
    if (!read.ok()) {
      RUNNEL_LOG_WARN("checkpoint %llu cannot be read (%s); trying the one before it",
                      static_cast<unsigned long long>(it->id), read.message().c_str());
      if (!applied) continue;
      *spoiled = it->id;
      return Status(read.code(), "checkpoint " + std::to_string(it->id) +
                                     " was restored in part; plan the job again: " +
                                     read.message());
    }
    *restored = it->id;
    // Ids continue after the newest checkpoint in the store, also when it
    // could not be read (the store refuses ids not above it). Blocks restored
    // are stored already, so the next checkpoint can be incremental, unless
    // newer checkpoints were skipped: their versions would show through an
    // incremental one, so it must be full.
    last_id_ = checkpoints.back().id;
    next_full_ = options_.always_full || it->id != checkpoints.back().id;
    return Status::Ok();
  }
  if (!checkpoints.empty()) {
    return DataError("no checkpoint in the state directory can be read (tried " +
                     std::to_string(checkpoints.size()) + ")");
  }
  // A fresh start: every block written since the operators were built is
  // marked, and the rest are as a rebuilt job constructs them, so the first
  // checkpoint can be incremental too.
  last_id_ = 0;
  next_full_ = options_.always_full;
  return Status::Ok();
}

Status RestoreNewest(Coordinator* first, const std::function<Result<Coordinator*>()>& rebuild,
                     uint64_t* restored, bool* finished) {
  Coordinator* coordinator = first;
  uint64_t below = UINT64_MAX;
  for (;;) {
    uint64_t spoiled = 0;
    Status status = coordinator->Restore(restored, finished, &spoiled, below);
    if (spoiled == 0) return status;
    Result<Coordinator*> next = rebuild();
    if (!next.ok()) return next.status();
    coordinator = next.value();
    below = spoiled;
  }
}

Status Coordinator::RestoreSavepoint(const CheckpointStore& savepoint, bool allow_non_restored) {
  const std::vector<CheckpointInfo> saved = savepoint.Checkpoints();
  if (saved.empty()) return InvalidArgument("the savepoint holds no state");
  const uint64_t id = saved.back().id;
  auto spaces = savepoint.Spaces(id);
  if (!spaces.ok()) return spaces.status();
  std::vector<JobSpace> job;
  for (const Space& space : spaces_) {
    const char* kind = space.kind == StageKind::kSource     ? "source"
                       : space.kind == StageKind::kOperator ? "op"
                       : space.kind == StageKind::kSink     ? "sink"
                                                            : "";
    job.push_back({space.name, kind, space.stage_name});
  }
  std::vector<std::string> saved_names;
  for (const auto& space : spaces.value()) saved_names.push_back(space.space);
  const SavepointMatch match = MatchSavepoint(job, saved_names);
  if (!match.conflicts.empty()) return InvalidArgument(match.conflicts.front());
  for (const std::string& left : match.unmatched) {
    if (!allow_non_restored) {
      const auto info = std::find_if(spaces.value().begin(), spaces.value().end(),
                                     [&](const auto& space) { return space.space == left; });
      return InvalidArgument("the savepoint holds state of '" + left + "' (" +
                             std::to_string(info->entries) +
                             " entries), which this graph does not have; pass "
                             "--allow-non-restored-state to leave it out");
    }
    RUNNEL_LOG_WARN("savepoint state of '%s' left out: this graph does not have it",
                    left.c_str());
  }
  // Read twice (a savepoint is restored rarely): first everything, so an
  // unreadable savepoint is refused before it half-restores the job.
  bool finished = false;
  bool applied = false;
  bool refused = false;
  RUNNEL_RETURN_IF_ERROR(ReadState(savepoint, id, match.restore_from, /*apply=*/false, false,
                                   &finished, &applied, &refused));
  for (const RescaledOperator& op : match.rescaled) {
    for (const std::string& space : op.saved) {
      RUNNEL_RETURN_IF_ERROR(
          savepoint.ForEach(id, space, [](std::string_view, std::string_view) {}));
    }
  }
  RUNNEL_RETURN_IF_ERROR(ReadState(savepoint, id, match.restore_from, /*apply=*/true,
                                   allow_non_restored, &finished, &applied, &refused));
  for (const RescaledOperator& op : match.rescaled) {
    RUNNEL_RETURN_IF_ERROR(RestoreRescaled(savepoint, id, op, allow_non_restored));
  }
  last_id_ = 0;
  next_full_ = true;  // the checkpoint store holds nothing of it yet
  return Status::Ok();
}

Status Coordinator::RestoreRescaled(const CheckpointStore& from, uint64_t id,
                                    const RescaledOperator& op, bool lenient) {
  std::vector<runtime::Operator*> instances;
  for (size_t space : op.instances) {
    instances.push_back(parts_[spaces_[space].task]->task->op(spaces_[space].stage));
  }
  const std::string change = "operator '" + op.name + "' from " +
                             std::to_string(op.saved.size()) + " instance(s) to " +
                             std::to_string(instances.size());
  for (size_t k = 0; k < op.saved.size(); ++k) {
    std::unique_ptr<runtime::Operator> saved = instances[0]->NewInstance();
    if (!saved) {
      return InvalidArgument("the savepoint holds " + change +
                             ", but this operator cannot change its parallelism");
    }
    Status status = Status::Ok();
    size_t entries = 0;
    Status read = from.ForEach(id, op.saved[k], [&](std::string_view key, std::string_view value) {
      if (!status.ok()) return;
      status = saved->RestoreEntry(key, value);
      ++entries;
    });
    RUNNEL_RETURN_IF_ERROR(read);
    if (!status.ok()) {
      // The layout record comes first: when it does not fit, nothing was
      // restored (instances share one layout, so the first shows it).
      if (lenient && k == 0 && entries == 1) {
        RUNNEL_LOG_WARN("%s: state not restored (%s); it starts empty "
                        "(--allow-non-restored-state)",
                        op.name.c_str(), status.message().c_str());
        return Status::Ok();
      }
      return Status(status.code(), op.saved[k] + ": " + status.message());
    }
    status = saved->FinishRestore();
    if (status.ok()) status = saved->MoveStateTo(instances.data(), instances.size(), k == 0);
    if (!status.ok()) {
      return Status(status.code(), "rescaling " + change + ": " + status.message());
    }
  }
  RUNNEL_LOG_INFO("savepoint: %s", ("rescaled " + change).c_str());
  return Status::Ok();
}

void Coordinator::Start() {
  for (auto& part : parts_) part->task->set_checkpoint_trigger(part.get());
  next_due_ms_.store(clock_->NowMillis() + options_.interval_ms, std::memory_order_relaxed);
  writer_ = std::thread([this] { WriterLoop(); });
}

void Coordinator::AnnounceCompleted(TaskPart* part) {
  const uint64_t completed = completed_.load(std::memory_order_acquire);
  if (completed == part->announced) return;
  part->announced = completed;
  for (size_t i = 0; i < part->task->source_count(); ++i) {
    part->task->source(i)->CheckpointCompleted(completed);
  }
}

bool Coordinator::Begin(bool finished, bool take_request, uint64_t* id) {
  int idle = kIdle;
  if (!state_.compare_exchange_strong(idle, kCapturing, std::memory_order_acq_rel)) return false;
  if (!writer_status_.ok()) {
    // The previous one failed (logged by the writer): its blocks were taken
    // from the dirty sets, so this one stores everything.
    writer_status_ = Status::Ok();
    next_full_ = true;
  }
  if (take_request) TakeRequest();
  *id = ++last_id_;
  active_full_ = next_full_ || options_.always_full;
  active_finished_ = finished;
  next_full_ = false;
  copied_.store(0, std::memory_order_relaxed);
  pause_ns_.store(0, std::memory_order_relaxed);
  next_due_ms_.store(clock_->NowMillis() + options_.interval_ms, std::memory_order_relaxed);
  active_.store(*id, std::memory_order_seq_cst);
  return true;
}

Status Coordinator::Capture(TaskPart* part, uint64_t id, bool running) {
  uint64_t before = part->copied.load(std::memory_order_acquire);
  if (before >= id ||
      !part->copied.compare_exchange_strong(before, id, std::memory_order_acq_rel)) {
    return Status::Ok();  // copied already, or being copied by another thread
  }
  copying_.fetch_add(1, std::memory_order_acq_rel);
  struct Done {
    std::atomic<int>* copying;
    ~Done() { copying->fetch_sub(1, std::memory_order_acq_rel); }
  } done{&copying_};
  if (running) AnnounceCompleted(part);
  const int64_t start = MonotonicNs();
  runtime::Task* task = part->task;
  const bool full = active_full_;
  size_t b = part->first_buffer;
  for (size_t i = part->first_buffer; i < part->end_buffer; ++i) buffers_[i]->Clear();
  bool fits = true;
  for (size_t i = 0; i < task->source_count() && fits; ++i) {
    fits = task->source(i)->SavePosition(buffers_[b++].get());
  }
  for (size_t i = 0; i < task->operator_count() && fits; ++i) {
    fits = task->op(i)->Snapshot(full, buffers_[b++].get());
  }
  Status status;
  for (size_t i = 0; i < task->sink_count() && fits && status.ok(); ++i) {
    status = task->sink(i)->PrepareCommit(id, full, buffers_[b++].get());
  }
  if (status.ok() && !fits) {
    status = ResourceExhausted("checkpoint " + std::to_string(id) + ": " + spaces_[b - 1].name +
                               " wrote more than its planned checkpoint buffer");
  }
  if (!status.ok()) {
    // The checkpoint cannot complete: its requester hears so now. The
    // task fails, and the job with it.
    if (pending_request_) {
      pending_savepoint_ = nullptr;
      FinishRequest(status, 0);
    }
    return status;
  }
  if (running) {
    const int64_t pause = MonotonicNs() - start;
    int64_t longest = pause_ns_.load(std::memory_order_relaxed);
    while (pause > longest &&
           !pause_ns_.compare_exchange_weak(longest, pause, std::memory_order_relaxed)) {
    }
  }
  if (copied_.fetch_add(1, std::memory_order_acq_rel) + 1 == parts_.size()) {
    // Not after a task failed (Failed): its sinks may be closing.
    handing_over_.fetch_add(1, std::memory_order_seq_cst);
    if (!task_failed_.load(std::memory_order_seq_cst)) HandOver(id);
    handing_over_.fetch_sub(1, std::memory_order_release);
  }
  // The tasks this one feeds save theirs once the barrier is through.
  return running ? task->EmitBarrier(id) : Status::Ok();
}

Status Coordinator::CaptureEnded(uint64_t id) {
  for (auto& part : parts_) {
    if (!part->ended.load(std::memory_order_seq_cst)) continue;
    RUNNEL_RETURN_IF_ERROR(Capture(part.get(), id, /*running=*/false));
  }
  return Status::Ok();
}

void Coordinator::HandOver(uint64_t id) {
  runtime::StateBuffer* symbols = buffers_[buffers_.size() - 2].get();
  symbols->Clear();
  buffers_.back()->Clear();
  // Several tasks may intern at once: ids are published out of order, and
  // one lost in a race is never published. Every published id is stored;
  // those from the first still pending on are looked at again next time.
  const uint32_t reserved = symbols_->reserved_ids();
  // A full checkpoint deletes what it does not put: it holds every symbol.
  if (active_full_) symbols_saved_ = 0;
  uint32_t pending = reserved;
  char key[4];
  for (uint32_t s = symbols_saved_; s < reserved; ++s) {
    const schema::SymbolTable::IdState state = symbols_->state(s);
    if (state == schema::SymbolTable::IdState::kPending && pending == reserved) pending = s;
    if (state != schema::SymbolTable::IdState::kPublished) continue;
    SymbolKey(s, key);
    // Sized for every symbol the table can hold: always fits.
    symbols->Put(std::string_view(key, 4), symbols_->Lookup(s));
  }
  symbols_saved_ = pending;
  if (active_finished_) buffers_.back()->Put(kFinishedKey, "1");
  pending_id_ = id;
  pending_full_ = active_full_;
  state_.store(kPending, std::memory_order_release);
  wakeup_.Notify();
}

Status Coordinator::MaybeCheckpoint(TaskPart* part) {
  AnnounceCompleted(part);
  if (!part->external_inputs) return Status::Ok();  // it copies at barriers
  const uint64_t active = active_.load(std::memory_order_acquire);
  if (active > part->copied.load(std::memory_order_relaxed)) {
    return Capture(part, active, /*running=*/true);  // begun by another task
  }
  const bool asked = request_.load(std::memory_order_relaxed) == kAsked;
  if (!asked && clock_->NowMillis() < next_due_ms_.load(std::memory_order_relaxed)) {
    return Status::Ok();
  }
  if (state_.load(std::memory_order_acquire) != kIdle) return Status::Ok();  // writer busy
  uint64_t id = 0;
  if (!Begin(/*finished=*/false, /*take_request=*/true, &id)) return Status::Ok();
  // Tasks that ended are copied now: nothing of theirs changes any more.
  RUNNEL_RETURN_IF_ERROR(CaptureEnded(id));
  return Capture(part, id, /*running=*/true);
}

Status Coordinator::OnBarrier(TaskPart* part, uint64_t id) {
  return Capture(part, id, /*running=*/true);
}

void Coordinator::FinishRequest(const Status& status, uint64_t checkpoint) {
  pending_request_ = false;
  request_status_ = status;
  request_checkpoint_ = checkpoint;
  request_.store(kNoRequest, std::memory_order_release);
}

bool Coordinator::TakeRequest() {
  int asked = kAsked;
  if (!request_.compare_exchange_strong(asked, kTaken, std::memory_order_acquire)) return false;
  pending_savepoint_ = request_target_;
  pending_request_ = true;
  next_full_ = true;  // a savepoint holds all state
  return true;
}

Status Coordinator::TakeSavepoint(CheckpointStore* target, int64_t timeout_ms,
                                  const std::atomic<bool>* cancel, uint64_t* checkpoint) {
  int none = kNoRequest;
  if (!request_.compare_exchange_strong(none, kClaimed, std::memory_order_acquire)) {
    return InvalidArgument("a savepoint is being taken already");
  }
  request_target_ = target;
  request_.store(kAsked, std::memory_order_release);
  const int64_t deadline = MonotonicNs() + timeout_ms * 1000000;
  for (;;) {
    const int request = request_.load(std::memory_order_acquire);
    if (request == kNoRequest) break;  // written (or failed)
    if (request == kAsked &&
        (MonotonicNs() > deadline || (cancel != nullptr && cancel->load()))) {
      int asked = kAsked;
      if (request_.compare_exchange_strong(asked, kNoRequest)) {
        return Status(StatusCode::kCancelled,
                      "the job took no savepoint within " + std::to_string(timeout_ms) +
                          " ms (it is stopping, has stopped, or is writing a long checkpoint)");
      }
      continue;  // the task took it just now: wait for the write
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  *checkpoint = request_checkpoint_;
  return request_status_;
}

bool Coordinator::WaitIdle() {
  while (state_.load(std::memory_order_acquire) != kIdle) {
    if (signals_ != nullptr && signals_->cancel.load(std::memory_order_relaxed)) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

Status Coordinator::FinalCheckpoint(TaskPart* part, bool drained) {
  part->drained = drained;
  part->ended.store(true, std::memory_order_seq_cst);
  // A checkpoint begun that this task has not copied: its state is final.
  const uint64_t active = active_.load(std::memory_order_seq_cst);
  if (active > part->copied.load(std::memory_order_acquire)) {
    RUNNEL_RETURN_IF_ERROR(Capture(part, active, /*running=*/false));
  }
  if (ended_.fetch_add(1, std::memory_order_acq_rel) + 1 == parts_.size()) {
    final_status_ = TakeFinal();
    if (!final_status_.ok()) AbandonRequest();
    final_done_.store(true, std::memory_order_release);
  } else {
    while (!final_done_.load(std::memory_order_acquire)) {
      if (signals_ != nullptr && signals_->cancel.load(std::memory_order_relaxed)) {
        // The job failed elsewhere. This task's sinks close next: not while
        // another thread copies them or the writer commits them.
        while (copying_.load(std::memory_order_acquire) > 0 ||
               state_.load(std::memory_order_acquire) == kPending) {
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        return Cancelled();
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }
  AnnounceCompleted(part);
  return final_status_;
}

void Coordinator::Failed() {
  // This task's sinks close next: no checkpoint goes to the writer from now
  // on, and one it has is committed first.
  task_failed_.store(true, std::memory_order_seq_cst);
  while (handing_over_.load(std::memory_order_seq_cst) > 0 ||
         state_.load(std::memory_order_acquire) == kPending) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (ended_.fetch_add(1, std::memory_order_acq_rel) + 1 == parts_.size()) AbandonRequest();
}

void Coordinator::AbandonRequest() {
  // Every task has ended: only the writer may still use the request.
  while (state_.load(std::memory_order_acquire) == kPending) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (!pending_request_) return;
  pending_savepoint_ = nullptr;
  FinishRequest(Status(StatusCode::kCancelled,
                       "the job failed before checkpoint " +
                           std::to_string(active_.load(std::memory_order_acquire)) +
                           " of the savepoint was complete (see its log)"),
                0);
}

Status Coordinator::TakeFinal() {
  // Every task has ended: one being taken is completed with their final
  // states.
  if (state_.load(std::memory_order_acquire) == kCapturing) {
    RUNNEL_RETURN_IF_ERROR(CaptureEnded(active_.load(std::memory_order_acquire)));
  }
  if (!WaitIdle()) return Cancelled();
  bool drained = true;
  for (auto& part : parts_) drained = drained && part->drained;
  uint64_t id = 0;
  if (request_.load(std::memory_order_acquire) == kAsked) {
    // A savepoint asked for while the job was stopping: served first.
    Begin(/*finished=*/false, /*take_request=*/true, &id);
    RUNNEL_RETURN_IF_ERROR(CaptureEnded(id));
    if (!WaitIdle()) return Cancelled();
  }
  Begin(/*finished=*/drained, /*take_request=*/false, &id);
  if (savepoint_ != nullptr && !drained) {
    active_full_ = true;  // a savepoint holds all state
    pending_savepoint_ = savepoint_;
  }
  RUNNEL_RETURN_IF_ERROR(CaptureEnded(id));
  if (!WaitIdle()) return Cancelled();
  return writer_status_;
}

void Coordinator::WriterLoop() {
  for (;;) {
    const uint32_t ticket = wakeup_.Prepare();
    const int state = state_.load(std::memory_order_acquire);
    if (state == kStopping) {
      wakeup_.Cancel();
      return;
    }
    if (state != kPending) {
      wakeup_.Wait(ticket, 100000);
      continue;
    }
    wakeup_.Cancel();
    writer_status_ = Write();
    if (!writer_status_.ok()) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      RUNNEL_LOG_ERROR("%s", writer_status_.message().c_str());
    }
    pending_savepoint_ = nullptr;
    if (pending_request_) {
      FinishRequest(writer_status_.ok() ? savepoint_status_ : writer_status_, pending_id_);
    }
    state_.store(kIdle, std::memory_order_release);
  }
}

Status Coordinator::WriteSavepoint(CheckpointStore* target) {
  const std::vector<CheckpointInfo> earlier = target->Checkpoints();
  target->BeginCheckpoint(earlier.empty() ? 1 : earlier.back().id + 1, /*full=*/true);
  for (size_t s = 0; s < buffers_.size(); ++s) {
    if (spaces_[s].kind == StageKind::kJob) continue;
    buffers_[s]->ForEach([&](bool is_delete, std::string_view key, std::string_view value) {
      if (!is_delete) target->Put(spaces_[s].name, key, value);
    });
  }
  Status stored = target->CommitCheckpoint(WallMs());
  if (!stored.ok()) return Status(stored.code(), "savepoint: " + stored.message());
  RUNNEL_LOG_INFO("savepoint written (checkpoint %llu)",
                  static_cast<unsigned long long>(pending_id_));
  return Status::Ok();
}

Status Coordinator::Write() {
  const int64_t start = MonotonicNs();
  const uint64_t id = pending_id_;
  RUNNEL_LOG_DEBUG("checkpoint %llu writing", static_cast<unsigned long long>(id));
  store_->BeginCheckpoint(id, pending_full_);
  uint64_t bytes = 0;
  for (size_t s = 0; s < buffers_.size(); ++s) {
    const std::string& space = spaces_[s].name;
    buffers_[s]->ForEach([&](bool is_delete, std::string_view key, std::string_view value) {
      if (is_delete) {
        store_->Delete(space, key);
      } else {
        store_->Put(space, key, value);
      }
    });
    bytes += buffers_[s]->size();
  }
  for (const Space& space : spaces_) {
    if (space.kind != StageKind::kSink) continue;
    Status synced = parts_[space.task]->task->sink(space.stage)->SyncPrepared(id);
    if (!synced.ok()) {
      return Status(synced.code(), "checkpoint " + std::to_string(id) + ": " + space.name +
                                       ": " + synced.message());
    }
  }
  RUNNEL_RETURN_IF_ERROR(store_->CommitCheckpoint(WallMs()));
  for (const Space& space : spaces_) {
    if (space.kind != StageKind::kSink) continue;
    Status committed = parts_[space.task]->task->sink(space.stage)->Commit(id);
    if (!committed.ok()) {
      return Status(committed.code(), "checkpoint " + std::to_string(id) + " stored but " +
                                          space.name + " did not commit: " + committed.message());
    }
  }
  times_.push_back({id, pause_ns_.load(std::memory_order_relaxed), MonotonicNs() - start, bytes});
  completed_.store(id, std::memory_order_release);
  // After the checkpoint is stored and committed: a savepoint that cannot
  // be written fails only itself (a requested one) or the stop (--savepoint).
  if (pending_savepoint_ != nullptr) {
    Status saved = WriteSavepoint(pending_savepoint_);
    if (pending_request_) {
      savepoint_status_ = saved;
    } else {
      RUNNEL_RETURN_IF_ERROR(saved);
    }
  }
  RUNNEL_LOG_DEBUG("checkpoint %llu stored (%llu bytes)", static_cast<unsigned long long>(id),
                   static_cast<unsigned long long>(bytes));
  return Status::Ok();
}

}  // namespace runnel::checkpoint
