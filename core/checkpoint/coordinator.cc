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

Coordinator::Coordinator(runtime::Task* task, schema::SymbolTable* symbols,
                         CheckpointStore* store, const CheckpointOptions& options,
                         const Clock* clock)
    : task_(task), symbols_(symbols), store_(store), options_(options), clock_(clock) {}

Result<std::unique_ptr<Coordinator>> Coordinator::Make(runtime::Task* task,
                                                       schema::SymbolTable* symbols,
                                                       CheckpointStore* store,
                                                       const CheckpointOptions& options,
                                                       const Clock* clock) {
  std::unique_ptr<Coordinator> c(new Coordinator(task, symbols, store, options, clock));
  const auto names = task->Names();
  for (size_t i = 0; i < task->source_count(); ++i) {
    c->spaces_.push_back("source/" + names.sources[i]);
    c->buffers_.push_back(
        std::make_unique<runtime::StateBuffer>(task->source(i)->checkpoint_bytes()));
  }
  for (size_t i = 0; i < task->operator_count(); ++i) {
    runtime::Operator* op = task->op(i);
    if (op->checkpointing() == runtime::Operator::Checkpointing::kUnsupported) {
      return InvalidArgument("operator '" + names.operators[i] +
                             "' cannot be checkpointed yet; remove \"checkpoint\" from the graph "
                             "or this operator (docs/STATE.md lists what can)");
    }
    op->PrepareCheckpoints();
    c->spaces_.push_back("op/" + names.operators[i]);
    c->buffers_.push_back(std::make_unique<runtime::StateBuffer>(op->checkpoint_bytes()));
  }
  for (size_t i = 0; i < task->sink_count(); ++i) {
    c->spaces_.push_back("sink/" + names.sinks[i]);
    c->buffers_.push_back(
        std::make_unique<runtime::StateBuffer>(task->sink(i)->checkpoint_bytes()));
  }
  c->spaces_.push_back(kSymbolsSpace);
  c->buffers_.push_back(std::make_unique<runtime::StateBuffer>(
      size_t{symbols->max_bytes()} +
      size_t{symbols->max_symbols()} * runtime::StateBuffer::RecordBytes(4, 0)));
  c->spaces_.push_back(kJobSpace);
  c->buffers_.push_back(
      std::make_unique<runtime::StateBuffer>(runtime::StateBuffer::RecordBytes(kFinishedKey.size(), 1)));
  return c;
}

Coordinator::~Coordinator() {
  if (writer_.joinable()) {
    WaitIdle();
    state_.store(kStopping, std::memory_order_release);
    wakeup_.Notify();
    writer_.join();
  }
}

Status Coordinator::ReadState(const CheckpointStore& from, uint64_t id, bool apply,
                              bool lenient, bool* finished, bool* applied, bool* refused) {
  *refused = false;
  const size_t sources = task_->source_count();
  const size_t operators = task_->operator_count();
  const size_t sinks = task_->sink_count();
  Status entry_status;
  uint32_t next_symbol = 0;
  *finished = false;
  std::vector<bool> restored_ops(operators, false);
  for (size_t s = 0; s < spaces_.size(); ++s) {
    const bool is_symbols = s + 2 == spaces_.size();
    const bool is_job = s + 1 == spaces_.size();
    bool first = true;
    bool skip = false;
    Status read = from.ForEach(id, spaces_[s], [&](std::string_view key, std::string_view value) {
      if (is_job) {
        *finished = *finished || key == kFinishedKey;
        return;
      }
      if (!apply || !entry_status.ok() || skip) return;
      *applied = true;
      if (is_symbols) {
        entry_status = RestoreSymbol(key, value, &next_symbol);
        return;
      }
      Status status;
      if (s < sources) {
        status = task_->source(s)->RestoreEntry(key, value);
      } else if (s < sources + operators) {
        status = task_->op(s - sources)->RestoreEntry(key, value);
        restored_ops[s - sources] = true;
      } else if (s < sources + operators + sinks) {
        status = task_->sink(s - sources - operators)->RestoreEntry(key, value);
      }
      if (!status.ok() && first && lenient) {
        // Its layout record comes first: nothing of it was restored.
        RUNNEL_LOG_WARN("%s: state not restored (%s); it starts empty "
                        "(--allow-non-restored-state)",
                        spaces_[s].c_str(), status.message().c_str());
        skip = true;
        if (s >= sources && s < sources + operators) restored_ops[s - sources] = false;
        return;
      }
      first = false;
      entry_status = status;
    });
    if (!entry_status.ok()) {
      *refused = true;
      return Status(entry_status.code(), spaces_[s] + ": " + entry_status.message());
    }
    if (!read.ok()) return read;
  }
  if (apply) {
    for (size_t i = 0; i < operators; ++i) {
      if (!restored_ops[i]) continue;
      Status done = task_->op(i)->FinishRestore();
      if (!done.ok()) {
        *refused = true;
        return Status(done.code(), spaces_[sources + i] + ": " + done.message());
      }
    }
    symbols_saved_ = symbols_->size();
  }
  return Status::Ok();
}

Status Coordinator::RestoreSymbol(std::string_view key, std::string_view value,
                                  uint32_t* next) {
  char expected[4];
  SymbolKey(*next, expected);
  if (key.size() != 4 || std::memcmp(expected, key.data(), 4) != 0) {
    return DataError("symbol ids are not contiguous at " + std::to_string(*next));
  }
  if (*next < symbols_->size()) {
    // Interned when the graph was planned (its constants): must be the same.
    if (symbols_->Lookup(*next) != value) {
      return DataError("symbol " + std::to_string(*next) + " is '" + std::string(value) +
                       "' in the saved state but '" + std::string(symbols_->Lookup(*next)) +
                       "' in this graph (its constants changed)");
    }
  } else {
    uint32_t got = 0;
    if (!symbols_->Intern(value, &got) || got != *next) {
      return DataError("symbol '" + std::string(value) + "' did not get id " +
                       std::to_string(*next));
    }
  }
  ++*next;
  return Status::Ok();
}

Status Coordinator::Restore(uint64_t* restored, bool* finished, uint64_t* spoiled,
                            uint64_t below) {
  *restored = 0;
  *finished = false;
  *spoiled = 0;
  const std::vector<CheckpointInfo> checkpoints = store_->Checkpoints();
  for (auto it = checkpoints.rbegin(); it != checkpoints.rend(); ++it) {
    if (it->id >= below) continue;  // spoiled a job planned before this one
    bool applied = false;
    bool refused = false;
    Status read = ReadState(*store_, it->id, /*apply=*/true, /*lenient=*/false, finished, &applied,
                            &refused);
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
  for (const auto& space : spaces.value()) {
    if (std::find(spaces_.begin(), spaces_.end(), space.space) != spaces_.end()) continue;
    if (!allow_non_restored) {
      return InvalidArgument("the savepoint holds state of '" + space.space + "' (" +
                             std::to_string(space.entries) +
                             " entries), which this graph does not have; pass "
                             "--allow-non-restored-state to leave it out");
    }
    RUNNEL_LOG_WARN("savepoint state of '%s' left out: this graph does not have it",
                    space.space.c_str());
  }
  // Read twice (a savepoint is restored rarely): first everything, so an
  // unreadable savepoint is refused before it half-restores the job.
  bool finished = false;
  bool applied = false;
  bool refused = false;
  RUNNEL_RETURN_IF_ERROR(
      ReadState(savepoint, id, /*apply=*/false, false, &finished, &applied, &refused));
  RUNNEL_RETURN_IF_ERROR(
      ReadState(savepoint, id, /*apply=*/true, allow_non_restored, &finished, &applied, &refused));
  last_id_ = 0;
  next_full_ = true;  // the checkpoint store holds nothing of it yet
  return Status::Ok();
}

void Coordinator::Start() {
  next_due_ms_ = clock_->NowMillis() + options_.interval_ms;
  writer_ = std::thread([this] { WriterLoop(); });
}

Status Coordinator::Capture(bool finished) {
  // Sources acknowledge what their last SavePosition wrote: that must be
  // of the checkpoint they are told about.
  AnnounceCompleted();
  const int64_t start = MonotonicNs();
  const uint64_t id = last_id_ + 1;
  const bool full = next_full_ || options_.always_full;
  for (auto& buffer : buffers_) buffer->Clear();
  size_t b = 0;
  bool fits = true;
  for (size_t i = 0; i < task_->source_count() && fits; ++i) {
    fits = task_->source(i)->SavePosition(buffers_[b++].get());
  }
  for (size_t i = 0; i < task_->operator_count() && fits; ++i) {
    fits = task_->op(i)->Snapshot(full, buffers_[b++].get());
  }
  for (size_t i = 0; i < task_->sink_count() && fits; ++i) {
    Status prepared = task_->sink(i)->PrepareCommit(id, full, buffers_[b++].get());
    if (!prepared.ok()) return prepared;
  }
  if (!fits) {
    return ResourceExhausted("checkpoint " + std::to_string(id) + ": " + spaces_[b - 1] +
                             " wrote more than its planned checkpoint buffer");
  }
  runtime::StateBuffer* symbols = buffers_[buffers_.size() - 2].get();
  const uint32_t symbol_count = symbols_->size();
  // A full checkpoint deletes what it does not put: it holds every symbol.
  if (full) symbols_saved_ = 0;
  char key[4];
  for (uint32_t s = symbols_saved_; s < symbol_count; ++s) {
    SymbolKey(s, key);
    if (!symbols->Put(std::string_view(key, 4), symbols_->Lookup(s))) {
      return ResourceExhausted("checkpoint symbols buffer full");
    }
  }
  symbols_saved_ = symbol_count;
  if (finished) buffers_.back()->Put(kFinishedKey, "1");
  last_id_ = id;
  next_full_ = false;
  pending_id_ = id;
  pending_full_ = full;
  pending_pause_ns_ = MonotonicNs() - start;
  state_.store(kPending, std::memory_order_release);
  wakeup_.Notify();
  return Status::Ok();
}

void Coordinator::AnnounceCompleted() {
  const uint64_t completed = completed_.load(std::memory_order_acquire);
  if (completed == announced_) return;
  announced_ = completed;
  for (size_t i = 0; i < task_->source_count(); ++i) {
    task_->source(i)->CheckpointCompleted(completed);
  }
}

Status Coordinator::MaybeCheckpoint() {
  AnnounceCompleted();
  const bool asked = request_.load(std::memory_order_relaxed) == kAsked;
  if (!asked && clock_->NowMillis() < next_due_ms_) return Status::Ok();
  if (state_.load(std::memory_order_acquire) != kIdle) return Status::Ok();  // writer busy
  if (!writer_status_.ok()) {
    // The previous one failed (logged by the writer): its blocks were taken
    // from the dirty sets, so this one stores everything.
    writer_status_ = Status::Ok();
    next_full_ = true;
  }
  if (asked) TakeRequest();
  next_due_ms_ = clock_->NowMillis() + options_.interval_ms;
  return CaptureOrFailRequest(/*finished=*/false);
}

Status Coordinator::CaptureOrFailRequest(bool finished) {
  Status captured = Capture(finished);
  if (!captured.ok() && pending_request_) {
    pending_savepoint_ = nullptr;
    FinishRequest(captured, 0);
  }
  return captured;
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

void Coordinator::WaitIdle() {
  while (state_.load(std::memory_order_acquire) == kPending) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

Status Coordinator::FinalCheckpoint(bool drained) {
  WaitIdle();
  if (!writer_status_.ok()) next_full_ = true;
  if (TakeRequest()) {
    // A savepoint asked for while the job was stopping: served first.
    RUNNEL_RETURN_IF_ERROR(CaptureOrFailRequest(/*finished=*/false));
    WaitIdle();
    if (!writer_status_.ok()) next_full_ = true;
  }
  if (savepoint_ != nullptr && !drained) {
    next_full_ = true;  // a savepoint holds all state
    pending_savepoint_ = savepoint_;
  }
  RUNNEL_RETURN_IF_ERROR(Capture(/*finished=*/drained));
  WaitIdle();
  AnnounceCompleted();
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
    if (spaces_[s] == kJobSpace) continue;
    buffers_[s]->ForEach([&](bool is_delete, std::string_view key, std::string_view value) {
      if (!is_delete) target->Put(spaces_[s], key, value);
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
    const std::string& space = spaces_[s];
    buffers_[s]->ForEach([&](bool is_delete, std::string_view key, std::string_view value) {
      if (is_delete) {
        store_->Delete(space, key);
      } else {
        store_->Put(space, key, value);
      }
    });
    bytes += buffers_[s]->size();
  }
  const size_t first_sink = task_->source_count() + task_->operator_count();
  for (size_t i = 0; i < task_->sink_count(); ++i) {
    Status synced = task_->sink(i)->SyncPrepared(id);
    if (!synced.ok()) {
      return Status(synced.code(), "checkpoint " + std::to_string(id) + ": " +
                                       spaces_[first_sink + i] + ": " + synced.message());
    }
  }
  RUNNEL_RETURN_IF_ERROR(store_->CommitCheckpoint(WallMs()));
  for (size_t i = 0; i < task_->sink_count(); ++i) {
    Status committed = task_->sink(i)->Commit(id);
    if (!committed.ok()) {
      return Status(committed.code(), "checkpoint " + std::to_string(id) + " stored but " +
                                          spaces_[first_sink + i] +
                                          " did not commit: " + committed.message());
    }
  }
  times_.push_back({id, pending_pause_ns_, MonotonicNs() - start, bytes});
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
