// The checkpoint coordinator with a real window operator planned from a
// graph, a real Task and real LevelDB directories: checkpoints taken between
// batches (a ManualClock makes them due), restored by a fresh job, a newest
// checkpoint that cannot be read, and a disk that fails while the job runs
// (faults injected through the store's leveldb::Env).
//
// Output is checked against an uninterrupted run: the rows a job wrote
// before the checkpoint it is restored from (its sink records the count in
// the checkpoint) followed by what the restored job writes must be exactly
// the uninterrupted run's rows.
#include "core/checkpoint/coordinator.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <leveldb/env.h>

#include "core/checkpoint/checkpoint_store.h"
#include "core/common/clock.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/graph/planner.h"
#include "core/ops/process_registry.h"
#include "core/runtime/operator.h"
#include "core/runtime/state_buffer.h"
#include "core/schema/row.h"
#include "examples/api/debounce.h"
#include "tests/testing/faulty_env.h"
#include "tests/testing/leveldb_env_started.h"
#include "tests/testing/temp_dir.h"

// CppUTest last: its leak detector redefines `new` for what follows.
// clang-format off
#include <CppUTest/TestHarness.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>
// clang-format on

using runnel::ManualClock;
using runnel::Status;
using runnel::checkpoint::CheckpointInfo;
using runnel::checkpoint::CheckpointOptions;
using runnel::checkpoint::CheckpointStore;
using runnel::checkpoint::Coordinator;
using runnel::checkpoint::StoreOptions;
using runnel::runtime::StateBuffer;
using runnel::schema::RowBatch;
using runnel::schema::Slot;
using runnel::testing::TempDir;

namespace {

constexpr uint64_t kRows = 6000;
constexpr uint32_t kDevices = 50;
constexpr int64_t kNsPerMs = 1000000;
constexpr int64_t kIntervalMs = 1000;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Readings (device i64, ts, temp): device i % 50, 7 ms apart, in order.
struct Reading {
  int64_t device;
  int64_t ts;
  double temp;
};

std::vector<Reading> Readings() {
  std::vector<Reading> rows;
  for (uint64_t i = 0; i < kRows; ++i) {
    rows.push_back({static_cast<int64_t>(i % kDevices), static_cast<int64_t>(i) * 7 * kNsPerMs,
                    20.0 + static_cast<double>((i * 37) % 100) / 10.0});
  }
  return rows;
}

// Replays the readings, a batch at a time; batches end at every `point`,
// where `at_point(k)` (k = 0, 1, ...) runs on the task thread once the rows
// up to it are in the batch. Keeps its position in checkpoints.
class ReplaySource : public runnel::runtime::Source {
 public:
  ReplaySource(const std::vector<Reading>* rows, std::vector<uint64_t> points,
               std::function<void(size_t)> at_point)
      : rows_(rows), points_(std::move(points)), at_point_(std::move(at_point)) {}

  Status Open() override { return Status::Ok(); }
  Status Read(RowBatch* out, bool* done) override {
    uint64_t end = std::min<uint64_t>(rows_->size(), next_ + out->capacity());
    while (point_ < points_.size() && points_[point_] <= next_) ++point_;
    if (point_ < points_.size()) end = std::min(end, points_[point_]);
    for (; next_ < end; ++next_) {
      Slot* row = out->Append();
      row[0].i64 = (*rows_)[next_].device;
      row[1].i64 = (*rows_)[next_].ts;
      row[2].f64 = (*rows_)[next_].temp;
    }
    if (point_ < points_.size() && next_ == points_[point_] && at_point_) at_point_(point_);
    *done = next_ == rows_->size();
    return Status::Ok();
  }
  bool replayable() const override { return true; }
  bool SavePosition(StateBuffer* out) override {
    return out->Put("next", std::string_view(reinterpret_cast<const char*>(&next_), 8));
  }
  Status RestoreEntry(std::string_view key, std::string_view value) override {
    if (key != "next" || value.size() != 8) return runnel::DataError("bad position");
    std::memcpy(&next_, value.data(), 8);
    return Status::Ok();
  }
  size_t checkpoint_bytes() const override { return StateBuffer::RecordBytes(4, 8); }

  uint64_t next() const { return next_; }

 private:
  const std::vector<Reading>* rows_;
  std::vector<uint64_t> points_;
  std::function<void(size_t)> at_point_;
  size_t point_ = 0;
  uint64_t next_ = 0;
};

// What a job's sink saw.
struct SinkLog {
  std::vector<std::string> rows;            // each row's slots as bytes
  std::map<uint64_t, uint64_t> prepared;     // checkpoint id -> rows before it
  std::atomic<uint64_t> committed{0};        // checkpoints committed (writer thread)
  uint64_t restored_rows = 0;                // rows before the restored checkpoint
  std::function<Status()> before_write;      // when set, runs first in each Write
};

class LogSink : public runnel::runtime::Sink {
 public:
  LogSink(uint32_t width, SinkLog* log) : width_(width), log_(log) {}
  Status Open() override { return Status::Ok(); }
  Status Write(const RowBatch& batch) override {
    if (log_->before_write) RUNNEL_RETURN_IF_ERROR(log_->before_write());
    for (uint32_t r = 0; r < batch.size(); ++r) {
      log_->rows.emplace_back(reinterpret_cast<const char*>(batch.row(r)), sizeof(Slot) * width_);
    }
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  Status PrepareCommit(uint64_t id, bool full, StateBuffer* out) override {
    (void)full;
    const uint64_t rows = log_->restored_rows + log_->rows.size();
    log_->prepared[id] = rows;
    if (!out->Put("rows", std::string_view(reinterpret_cast<const char*>(&rows), 8))) {
      return runnel::ResourceExhausted("sink buffer");
    }
    return Status::Ok();
  }
  Status Commit(uint64_t) override {
    log_->committed.fetch_add(1);
    return Status::Ok();
  }
  Status RestoreEntry(std::string_view key, std::string_view value) override {
    if (key != "rows" || value.size() != 8) return runnel::DataError("bad sink entry");
    std::memcpy(&log_->restored_rows, value.data(), 8);
    return Status::Ok();
  }
  size_t checkpoint_bytes() const override { return StateBuffer::RecordBytes(4, 8); }

 private:
  uint32_t width_;
  SinkLog* log_;
};

// source -> key_by device -> tumbling 1 s window (count, sum, min, max of
// temp) -> sink; `checkpoint` (",\"checkpoint\": ..." or "") and
// `operator_extra` (more members of the window operator) vary.
std::string WindowGraph(const std::string& checkpoint, const std::string& operator_extra = "") {
  return R"j({
  "name": "coordinator_test",
  "batch_rows": 64,
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "i64" }, { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading", "generator": { "rows": 1 },
                "event_time": { "field": "ts", "max_out_of_orderness_ms": 0 } }],
  "operators": [
    { "name": "by_device", "input": "readings", "key_by": ["device"] },
    { "name": "windows", "input": "by_device", "window": { "size_ms": 1000,
        "values": ["count() as count", "sum(temp) as sum", "min(temp) as min",
                   "max(temp) as max"],
        "state": { "capacity": 4096 } } )j" +
         operator_extra + R"j( } ],
  "sinks": [{ "name": "out", "input": "windows", "csv": { "path": "/dev/null" } }])j" +
         checkpoint + "\n}";
}

std::string CheckpointMember(const std::string& dir) {
  return R"j(, "checkpoint": { "dir": ")j" + dir + R"j(", "interval_ms": 1000 })j";
}

struct Planned {
  std::shared_ptr<const runnel::graph::GraphFile> file;
  runnel::graph::Diagnostics diagnostics;
  runnel::graph::PhysicalPlan plan;
  std::string Errors() const { return file->Format(diagnostics); }
};

// Plans `json` with the replay source and the logging sink.
std::unique_ptr<Planned> PlanGraph(const std::string& json, const ManualClock* clock,
                                   const std::vector<Reading>* rows,
                                   std::vector<uint64_t> points,
                                   std::function<void(size_t)> at_point, SinkLog* log) {
  auto planned = std::make_unique<Planned>();
  auto file = runnel::graph::GraphFile::Parse("coordinator_test.json", json);
  if (!file.ok()) FAIL(file.status().message().c_str());
  planned->file = file.value();
  runnel::ops::ProcessRegistry processes;
  processes.Register("debounce", runnel::ops::MakeProcessFactory(runnel::examples::Debounce{}));
  runnel::graph::LogicalGraph logical =
      runnel::graph::BuildLogicalGraph(planned->file, &planned->diagnostics, &processes);
  if (!planned->diagnostics.empty()) FAIL(planned->Errors().c_str());
  runnel::graph::Connectors connectors;
  connectors.make_source = [&](const runnel::graph::GraphFile&,
                               const runnel::graph::LogicalSource&,
                               const runnel::schema::Schema&, runnel::schema::SymbolTable*,
                               runnel::graph::Diagnostics*) {
    return std::make_unique<ReplaySource>(rows, points, at_point);
  };
  connectors.make_sink = [log](const runnel::graph::GraphFile&, const runnel::graph::LogicalSink&,
                               const runnel::schema::Schema& schema,
                               const runnel::schema::SymbolTable*, runnel::graph::Diagnostics*) {
    return std::make_unique<LogSink>(schema.size(), log);
  };
  runnel::graph::PlanOptions options;
  options.clock = clock;
  planned->plan = runnel::graph::Plan(logical, connectors, options, &planned->diagnostics);
  return planned;
}

// One job with checkpoints, as `runnel run` sets it up: the store (opened
// here, with `env`), a coordinator restoring the newest readable checkpoint.
struct CheckpointedJob {
  ManualClock clock{1000000};
  SinkLog log;
  std::unique_ptr<Planned> planned;
  std::unique_ptr<CheckpointStore> store;
  std::unique_ptr<Coordinator> coordinator;
  uint64_t restored = 0;
  bool finished = false;

  runnel::runtime::Task* task() { return planned->plan.job->tasks()[0].get(); }
  ReplaySource* source() { return static_cast<ReplaySource*>(task()->source(0)); }
  // Writer done with `n` checkpoints (stored or failed) and idle, so the
  // next one made due is taken at this batch boundary.
  void WaitForCheckpoints(uint64_t n) {
    while (log.committed.load() + coordinator->failed() < n || coordinator->writing()) {
      usleep(200);
    }
  }
  // Makes a checkpoint due at the next batch boundary.
  void MakeDue() { clock.Advance(kIntervalMs); }
  void RequestStop() { planned->plan.job->RequestStop(); }
};

std::unique_ptr<CheckpointedJob> StartJob(const std::string& dir,
                                          const std::vector<Reading>* rows,
                                          std::vector<uint64_t> points,
                                          std::function<void(CheckpointedJob*, size_t)> at_point,
                                          leveldb::Env* env = nullptr,
                                          const std::string& operator_extra = "") {
  auto job = std::make_unique<CheckpointedJob>();
  CheckpointedJob* j = job.get();
  job->planned = PlanGraph(WindowGraph(CheckpointMember(dir), operator_extra), &job->clock, rows,
                           points,
                           [j, at_point](size_t k) { at_point(j, k); }, &job->log);
  if (!job->planned->plan.job) FAIL(job->planned->Errors().c_str());
  StoreOptions store_options;
  store_options.env = env;
  auto store = CheckpointStore::Open(dir, "coordinator_test", store_options);
  if (!store.ok()) FAIL(store.status().message().c_str());
  job->store = std::move(store.value());
  CheckpointOptions options;
  options.interval_ms = kIntervalMs;
  std::vector<runnel::runtime::Task*> tasks;
  for (const auto& task : job->planned->plan.job->tasks()) tasks.push_back(task.get());
  auto coordinator =
      Coordinator::Make(tasks, job->planned->plan.job->signals(),
                        job->planned->plan.job->symbols(), job->store.get(), options, &job->clock);
  if (!coordinator.ok()) FAIL(coordinator.status().message().c_str());
  job->coordinator = std::move(coordinator.value());
  return job;
}

// Starts the restored job's checkpoints and runs it.
Status RunRestored(CheckpointedJob* job) {
  job->coordinator->Start();
  return job->planned->plan.job->Run();
}

Status RestoreAndRun(CheckpointedJob* job) {
  uint64_t spoiled = 0;
  Status restored = job->coordinator->Restore(&job->restored, &job->finished, &spoiled);
  if (!restored.ok()) return restored;
  return RunRestored(job);
}

// Restores as runnel run does (RestoreNewest): a checkpoint that fails
// part-way spoils the job, which `start` builds again for the next older one.
Status RestoreReplanning(std::unique_ptr<CheckpointedJob>* job,
                         const std::function<std::unique_ptr<CheckpointedJob>()>& start) {
  uint64_t restored = 0;
  bool finished = false;
  const Status status = runnel::checkpoint::RestoreNewest(
      (*job)->coordinator.get(),
      [&]() -> runnel::Result<Coordinator*> {
        job->reset();  // closes its store before the next job opens it
        *job = start();
        return (*job)->coordinator.get();
      },
      &restored, &finished);
  (*job)->restored = restored;
  (*job)->finished = finished;
  return status;
}

// The uninterrupted run without checkpoints.
std::vector<std::string> UninterruptedRows(const std::vector<Reading>* rows) {
  ManualClock clock(1000000);
  SinkLog log;
  auto planned = PlanGraph(WindowGraph(""), &clock, rows, {}, nullptr, &log);
  if (!planned->plan.job) FAIL(planned->Errors().c_str());
  const Status run = planned->plan.job->Run();
  if (!run.ok()) FAIL(run.message().c_str());
  return log.rows;
}

// Rows [0, before) of `first` followed by all of `second` equal `want`.
void CheckResumedOutput(const std::vector<std::string>& want, const std::vector<std::string>& first,
                        uint64_t before, const std::vector<std::string>& second) {
  CHECK(before <= first.size());
  std::vector<std::string> got(first.begin(), first.begin() + static_cast<long>(before));
  got.insert(got.end(), second.begin(), second.end());
  UNSIGNED_LONGS_EQUAL(want.size(), got.size());
  CHECK(want == got);
}

// Captures what the process writes to stderr (where the log goes) while
// alive.
class StderrCapture {
 public:
  explicit StderrCapture(std::string path) : path_(std::move(path)) {
    fflush(stderr);
    saved_ = dup(STDERR_FILENO);
    const int fd = open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    close(fd);
  }
  ~StderrCapture() { Restore(); }
  // Stops capturing; returns what was written.
  std::string Finish() {
    Restore();
    return runnel::testing::ReadFile(path_);
  }

 private:
  void Restore() {
    if (saved_ < 0) return;
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    saved_ = -1;
  }
  std::string path_;
  int saved_ = -1;
};

// The table file (NNNNNN.ldb) with the highest number in `dir`.
std::string NewestTable(const std::string& dir) {
  std::string newest;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    const std::string name = file.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".ldb") == 0 && name > newest) {
      newest = name;
    }
  }
  return newest.empty() ? "" : dir + "/" + newest;
}

// Flips four bytes in the middle of `path`.
void CorruptMiddle(const std::string& path) {
  std::string contents = runnel::testing::ReadFile(path);
  CHECK(contents.size() > 64);
  for (size_t i = 0; i < 4; ++i) contents[contents.size() / 2 + i] ^= 0x5a;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
}


// An Env whose reads of one file fail (EIO) the next `failures` times, as a
// flaky SD card's might.
class FlakyReadEnv : public leveldb::EnvWrapper {
 public:
  FlakyReadEnv() : EnvWrapper(leveldb::Env::Default()) {}
  void FailReads(std::string file, int failures) {
    file_ = std::move(file);
    failures_.store(failures);
  }
  leveldb::Status NewRandomAccessFile(const std::string& name,
                                      leveldb::RandomAccessFile** result) override {
    leveldb::Status s = target()->NewRandomAccessFile(name, result);
    if (s.ok()) *result = new File(this, name, *result);
    return s;
  }

 private:
  class File : public leveldb::RandomAccessFile {
   public:
    File(FlakyReadEnv* env, std::string name, leveldb::RandomAccessFile* file)
        : env_(env), name_(std::move(name)), file_(file) {}
    leveldb::Status Read(uint64_t offset, size_t n, leveldb::Slice* result,
                         char* scratch) const override {
      if (name_ == env_->file_ && env_->failures_.fetch_sub(1) > 0) {
        return leveldb::Status::IOError(name_, strerror(EIO));
      }
      return file_->Read(offset, n, result, scratch);
    }

   private:
    FlakyReadEnv* env_;
    std::string name_;
    std::unique_ptr<leveldb::RandomAccessFile> file_;
  };

  std::string file_;
  std::atomic<int> failures_{0};
};

// Leaves `dir` with checkpoints 1 and 2 (after 1500 and 3000 rows) in one
// table file and checkpoint 3 (after 4500 rows) alone in the newest; returns
// the rows the first job wrote and, in *before_two, how many came before
// checkpoint 2.
std::vector<std::string> ThreeCheckpointsInTwoTables(const std::string& dir,
                                                     const std::vector<Reading>* rows,
                                                     uint64_t* before_two) {
  auto first = StartJob(dir, rows, {1500, 3000}, [](CheckpointedJob* j, size_t k) {
    j->WaitForCheckpoints(k);
    if (k == 0) j->MakeDue();
    if (k == 1) j->RequestStop();
  });
  Status run = RestoreAndRun(first.get());
  if (!run.ok()) FAIL(run.message().c_str());
  UNSIGNED_LONGS_EQUAL(2, first->coordinator->times().size());
  *before_two = first->log.prepared.at(2);
  const std::vector<std::string> first_rows = first->log.rows;
  first.reset();
  // Opening moves the log (checkpoints 1, 2) into a table file; checkpoint
  // 3 reaches a table of its own when the store is next opened.
  auto second = StartJob(dir, rows, {4500}, [](CheckpointedJob* j, size_t) { j->RequestStop(); });
  run = RestoreAndRun(second.get());
  if (!run.ok()) FAIL(run.message().c_str());
  UNSIGNED_LONGS_EQUAL(2, second->restored);
  second.reset();
  const std::string before_reopen = NewestTable(dir);
  {
    auto reopened = CheckpointStore::Open(dir, "coordinator_test");
    CHECK(reopened.ok());
  }
  CHECK(NewestTable(dir) != before_reopen);
  return first_rows;
}

std::vector<uint64_t> Ids(const CheckpointStore& store) {
  std::vector<uint64_t> ids;
  for (const CheckpointInfo& info : store.Checkpoints()) ids.push_back(info.id);
  return ids;
}

}  // namespace

TEST_GROUP(Coordinator) {
  // The checkpoint writer (and a savepoint's asker) allocate on their own
  // threads while the test's thread does.
  void setup() override { MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads(); }
  void teardown() override {
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }
  TempDir temp;
  std::vector<Reading> rows = Readings();
  std::string dir() { return temp.File("state"); }
};

TEST(Coordinator, RestoredJobContinuesExactlyWhereItsCheckpointWas) {
  const std::vector<std::string> want = UninterruptedRows(&rows);
  CHECK(want.size() > 1000);
  // Checkpoints 1 and 2 on the clock, 3 at a stop.
  auto first = StartJob(dir(), &rows, {1500, 3000, 4500}, [](CheckpointedJob* j, size_t k) {
    if (k < 2) j->WaitForCheckpoints(k);
    if (k < 2) j->MakeDue();
    if (k == 2) j->RequestStop();
  });
  const Status run = RestoreAndRun(first.get());
  if (!run.ok()) FAIL(run.message().c_str());
  UNSIGNED_LONGS_EQUAL(0, first->restored);
  UNSIGNED_LONGS_EQUAL(3, first->coordinator->times().size());
  UNSIGNED_LONGS_EQUAL(0, first->coordinator->failed());
  UNSIGNED_LONGS_EQUAL(4500, first->source()->next());
  const uint64_t before = first->log.prepared.at(3);
  const std::vector<std::string> first_rows = first->log.rows;
  first.reset();

  auto second = StartJob(dir(), &rows, {}, [](CheckpointedJob*, size_t) {});
  const Status resumed = RestoreAndRun(second.get());
  if (!resumed.ok()) FAIL(resumed.message().c_str());
  UNSIGNED_LONGS_EQUAL(3, second->restored);
  CHECK_FALSE(second->finished);
  UNSIGNED_LONGS_EQUAL(before, second->log.restored_rows);
  CheckResumedOutput(want, first_rows, before, second->log.rows);
}

TEST(Coordinator, NewestCheckpointThatCannotBeReadFallsBackToThePreviousOne) {
  const std::vector<std::string> want = UninterruptedRows(&rows);
  uint64_t before_two = 0;
  const std::vector<std::string> first_rows = ThreeCheckpointsInTwoTables(dir(), &rows, &before_two);
  // The first read of checkpoint 3's table fails; reading checkpoint 2
  // (which also visits that table) then succeeds.
  FlakyReadEnv env;
  auto start = [&] { return StartJob(dir(), &rows, {}, [](CheckpointedJob*, size_t) {}, &env); };
  auto third = start();
  CHECK((std::vector<uint64_t>{1, 2, 3}) == Ids(*third->store));
  env.FailReads(NewestTable(dir()), 1);
  StderrCapture capture(temp.File("stderr"));
  Status run = RestoreReplanning(&third, start);
  if (run.ok()) run = RunRestored(third.get());
  const std::string logged = capture.Finish();
  if (!run.ok()) FAIL((run.message() + "\nlog:\n" + logged).c_str());
  UNSIGNED_LONGS_EQUAL(2, third->restored);
  CHECK(Contains(logged, "WARN checkpoint 3 cannot be read"));
  CHECK(Contains(logged, "checkpoint 3 of " + dir()));
  CHECK(Contains(logged, "trying the one before it"));
  CHECK_FALSE(Contains(logged, "checkpoint 2 cannot be read"));
  UNSIGNED_LONGS_EQUAL(before_two, third->log.restored_rows);
  CheckResumedOutput(want, first_rows, before_two, third->log.rows);
  // Ids go on after the unreadable 3, and the first checkpoint after the
  // fallback is full, so nothing of 3 shows through it.
  CHECK((std::vector<uint64_t>{2, 3, 4}) == Ids(*third->store));
  CHECK(third->store->Checkpoints().back().full);
}

// Known limitation (docs/STATE.md promises a fallback): reading any
// checkpoint scans every version of every key of a space, newer ones too,
// so a corrupt block of the newest checkpoint's table breaks the older
// retained checkpoints as well. Restore then fails cleanly, naming the
// directory, and restores nothing.
TEST(Coordinator, CorruptNewestTableLeavesNoCheckpointReadable) {
  uint64_t before_two = 0;
  ThreeCheckpointsInTwoTables(dir(), &rows, &before_two);
  CorruptMiddle(NewestTable(dir()));
  auto start = [&] { return StartJob(dir(), &rows, {}, [](CheckpointedJob*, size_t) {}); };
  auto third = start();
  CHECK((std::vector<uint64_t>{1, 2, 3}) == Ids(*third->store));
  StderrCapture capture(temp.File("stderr"));
  const Status restored = RestoreReplanning(&third, start);
  const std::string logged = capture.Finish();
  CHECK_FALSE(restored.ok());
  CHECK(Contains(restored.message(), "no checkpoint in the state directory can be read (tried 3)"));
  UNSIGNED_LONGS_EQUAL(0, third->restored);
  UNSIGNED_LONGS_EQUAL(0, third->log.restored_rows);
  CHECK(Contains(logged, "checkpoint 3 of " + dir() + ", space 'op/windows': Corruption"));
  CHECK(Contains(logged, "checkpoint 2 cannot be read"));
}

TEST(Coordinator, FullDiskIsLoggedAndTheJobGoesOnWithAFullCheckpointAfterIt) {
  const std::vector<std::string> want = UninterruptedRows(&rows);
  runnel::testing::FaultyEnv env;
  const std::string state = dir();
  std::vector<uint64_t> readable_during_fault;
  uint64_t failed_seen = 0;
  // 1 stored; 2 and 3 fail (disk full); 4 after the fault clears; stop at 5.
  auto first = StartJob(
      state, &rows, {1000, 2000, 3000, 4000, 5000},
      [&](CheckpointedJob* j, size_t k) {
        j->WaitForCheckpoints(k);
        if (k == 1) env.set_fault(runnel::testing::FaultyEnv::Fault::kWrite);
        if (k == 3) {
          // The writer is idle. The job's store lists checkpoint 1 but
          // stays closed until the next commit reopens it; the directory,
          // as a restart would find it now, reads checkpoint 1.
          failed_seen = j->coordinator->failed();
          CHECK((std::vector<uint64_t>{1}) == Ids(*j->store));
          const Status closed = j->store->ForEach(1, "op/windows", [](auto, auto) {});
          CHECK(Contains(closed.message(), "closed after a failed write"));
          {
            auto restarted = CheckpointStore::Open(state, "coordinator_test");
            if (!restarted.ok()) FAIL(restarted.status().message().c_str());
            readable_during_fault = Ids(*restarted.value());
            const Status read = restarted.value()->ForEach(1, "op/windows", [](auto, auto) {});
            if (!read.ok()) FAIL(read.message().c_str());
          }
          env.set_fault(runnel::testing::FaultyEnv::Fault::kNone);
        }
        if (k < 4) j->MakeDue();
        if (k == 4) j->RequestStop();
      },
      &env);
  StderrCapture capture(temp.File("stderr"));
  const Status run = RestoreAndRun(first.get());
  const std::string logged = capture.Finish();
  if (!run.ok()) FAIL((run.message() + "\nlog:\n" + logged).c_str());
  UNSIGNED_LONGS_EQUAL(2, failed_seen);
  UNSIGNED_LONGS_EQUAL(2, first->coordinator->failed());
  CHECK((std::vector<uint64_t>{1}) == readable_during_fault);
  CHECK(Contains(logged, "ERROR checkpoint 2 not written to " + state));
  CHECK(Contains(logged, "No space left on device"));
  CHECK(Contains(logged, "checkpoint 1 stays the latest"));
  CHECK(Contains(logged, "ERROR checkpoint 3 not written to " + state));
  const std::vector<CheckpointInfo> infos = first->store->Checkpoints();
  CHECK((std::vector<uint64_t>{1, 4, 5}) == Ids(*first->store));
  CHECK(infos[1].full);
  CHECK_FALSE(infos[2].full);
  // The job's own output is whole.
  UNSIGNED_LONGS_EQUAL(5000, first->source()->next());
  const uint64_t before = first->log.prepared.at(5);
  const std::vector<std::string> first_rows = first->log.rows;
  first.reset();

  auto second = StartJob(state, &rows, {}, [](CheckpointedJob*, size_t) {});
  const Status resumed = RestoreAndRun(second.get());
  if (!resumed.ok()) FAIL(resumed.message().c_str());
  UNSIGNED_LONGS_EQUAL(5, second->restored);
  UNSIGNED_LONGS_EQUAL(before, second->log.restored_rows);
  CheckResumedOutput(want, first_rows, before, second->log.rows);
}

namespace {

// Runs a job that, after its first point, asks for a savepoint into
// `target` from another thread (as the control socket does) and stops at
// its second; sets *taken and *id to what TakeSavepoint returned.
std::unique_ptr<CheckpointedJob> RunAskingForASavepoint(const std::string& dir,
                                                        const std::vector<Reading>* rows,
                                                        CheckpointStore* target, Status* taken,
                                                        uint64_t* id) {
  std::thread asker;
  auto job = StartJob(dir, rows, {1500, 3000}, [&](CheckpointedJob* j, size_t k) {
    if (k == 0) {
      asker = std::thread(
          [=] { *taken = j->coordinator->TakeSavepoint(target, 60000, nullptr, id); });
      // Taken at the next batch boundary, once asked for.
      while (!j->coordinator->savepoint_asked()) usleep(200);
    }
    if (k == 1) j->RequestStop();
  });
  const Status run = RestoreAndRun(job.get());
  asker.join();
  if (!run.ok()) FAIL(run.message().c_str());
  return job;
}

}  // namespace

// A savepoint asked for while the job runs is taken at a batch boundary as
// a full checkpoint: the target store holds the windows' state and the
// checkpoint's id is the job's. Asked for of a job whose task is not
// running, it is withdrawn after its timeout, and can be asked for again.
TEST(Coordinator, SavepointAskedForWhileRunningHoldsAllStateAndIsWithdrawnWhenNotTaken) {
  auto target = CheckpointStore::Open(temp.File("savepoint"), "savepoint");
  if (!target.ok()) FAIL(target.status().message().c_str());
  Status taken = Status::Ok();
  uint64_t id = 0;
  auto job = RunAskingForASavepoint(dir(), &rows, target.value().get(), &taken, &id);
  if (!taken.ok()) FAIL(taken.message().c_str());
  UNSIGNED_LONGS_EQUAL(job->coordinator->times().front().id, id);
  auto spaces = target.value()->Spaces(target.value()->Checkpoints().back().id);
  if (!spaces.ok()) FAIL(spaces.status().message().c_str());
  uint64_t window_entries = 0;
  for (const auto& space : spaces.value()) {
    if (space.space == "op/windows") window_entries = space.entries;
  }
  CHECK(window_entries > 1);  // the layout record and blocks

  auto idle = StartJob(temp.File("idle"), &rows, {}, [](CheckpointedJob*, size_t) {});
  idle->coordinator->Start();  // its task never runs
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Status refused = idle->coordinator->TakeSavepoint(target.value().get(), 20, nullptr, &id);
    CHECK(refused.code() == runnel::StatusCode::kCancelled);
    STRCMP_CONTAINS("took no savepoint", refused.message().c_str());
  }
}

// A job of several tasks that fails while it serves a savepoint request —
// the request's checkpoint begun, a task behind it failing before the
// barrier reaches it — answers the requester with the failure instead of
// leaving it waiting (and the control thread with it) forever.
TEST(Coordinator, ASavepointRequestServedByAJobThatFailsIsAnswered) {
  auto target = CheckpointStore::Open(temp.File("savepoint"), "savepoint");
  if (!target.ok()) FAIL(target.status().message().c_str());
  std::atomic<bool> answered{false};
  std::atomic<bool> give_up{false};  // as the control socket's, once the job ended
  Status taken = Status::Ok();
  uint64_t id = 0;
  std::thread asker;
  auto job = StartJob(
      dir(), &rows, {500},
      [&](CheckpointedJob* j, size_t) {
        asker = std::thread([&, j] {
          taken = j->coordinator->TakeSavepoint(target.value().get(), 60000, &give_up, &id);
          answered = true;
        });
        while (!j->coordinator->savepoint_asked()) usleep(200);
      },
      nullptr, R"j(, "parallelism": 2)j");
  CHECK(job->planned->plan.job->tasks().size() > 2);
  // The sink holds its first batch until released, then fails: the tasks
  // before it go on, up to row 500 and the savepoint's checkpoint.
  std::atomic<bool> release{false};
  job->log.before_write = [&] {
    while (!release) usleep(200);
    return runnel::IoError("the sink failed on purpose");
  };
  job->coordinator->Start();
  Status run;
  std::thread runner([&] { run = job->planned->plan.job->Run(); });
  // The checkpoint (due only when asked: the clock stands still) begun.
  bool begun = false;
  for (int64_t waited = 0; !begun && waited < 10000000; waited += 200) {
    begun = job->coordinator->writing();
    usleep(200);
  }
  release = true;
  runner.join();
  give_up = true;
  for (int64_t waited = 0; !answered && waited < 10000000; waited += 200) usleep(200);
  if (!answered) {
    // The asker is stuck for good (the bug this test is about): no way to
    // end this test but to end the process.
    std::fprintf(stderr, "the savepoint request was never answered\n");
    std::abort();
  }
  asker.join();
  CHECK_TEXT(begun, "the savepoint's checkpoint never began");
  STRCMP_CONTAINS("failed on purpose", run.message().c_str());
  CHECK(taken.code() == runnel::StatusCode::kCancelled);
  STRCMP_CONTAINS("the job failed before checkpoint", taken.message().c_str());
  CHECK(target.value()->Checkpoints().empty());
}

// A requested savepoint that cannot be written (its disk is full) fails
// only itself: the requester gets the error, while the checkpoint that
// served it is stored and committed and the job goes on.
TEST(Coordinator, SavepointThatCannotBeWrittenFailsOnlyItself) {
  runnel::testing::FaultyEnv env;
  StoreOptions options;
  options.env = &env;
  auto target = CheckpointStore::Open(temp.File("savepoint"), "savepoint", options);
  if (!target.ok()) FAIL(target.status().message().c_str());
  env.set_fault(runnel::testing::FaultyEnv::Fault::kWrite);
  Status taken = Status::Ok();
  uint64_t id = 0;
  auto job = RunAskingForASavepoint(dir(), &rows, target.value().get(), &taken, &id);
  CHECK_FALSE(taken.ok());
  STRCMP_CONTAINS("savepoint", taken.message().c_str());
  UNSIGNED_LONGS_EQUAL(0, job->coordinator->failed());
  UNSIGNED_LONGS_EQUAL(2, job->coordinator->times().size());  // served, then the final one
  UNSIGNED_LONGS_EQUAL(2, job->log.committed.load());
}

namespace {

std::unique_ptr<Planned> PlanOnly(const std::string& json) {
  static const ManualClock clock(0);
  static const std::vector<Reading> none;
  static SinkLog log;
  return PlanGraph(json, &clock, &none, {}, nullptr, &log);
}

}  // namespace

TEST(Coordinator, PlannerRefusesAProcessOperatorWithCheckpoints) {
  std::string json = WindowGraph(CheckpointMember(dir()));
  const std::string window_op = R"j({ "name": "windows", "input": "by_device")j";
  const size_t at = json.find(window_op);
  CHECK(at != std::string::npos);
  json.insert(at, R"j({ "name": "debounced", "input": "by_device",
      "process": { "function": "debounce", "state": { "capacity": 64 } } },
    )j");
  auto planned = PlanOnly(json);
  CHECK(planned->plan.job == nullptr);
  const std::string errors = planned->Errors();
  CHECK(Contains(errors, "operator 'debounced' cannot be checkpointed yet"));
  CHECK_FALSE(Contains(errors, "'windows'"));
  // The same graph without checkpoints plans.
  std::string plain = WindowGraph("");
  plain.insert(plain.find(window_op), R"j({ "name": "debounced", "input": "by_device",
      "process": { "function": "debounce", "state": { "capacity": 64 } } },
    )j");
  auto ok = PlanOnly(plain);
  if (!ok->plan.job) FAIL(ok->Errors().c_str());
}

// A plan of several tasks checkpoints too (barriers between them; the
// crash test kills one): its buffers count every task's stages.
TEST(Coordinator, AMultiTaskPlanCountsEveryTasksCheckpointBuffers) {
  auto one = PlanOnly(WindowGraph(CheckpointMember(dir())));
  auto two = PlanOnly(WindowGraph(CheckpointMember(dir()), R"j(, "parallelism": 2)j"));
  if (!one->plan.job) FAIL(one->Errors().c_str());
  if (!two->plan.job) FAIL(two->Errors().c_str());
  CHECK(two->plan.job->tasks().size() > 1);
  CHECK(two->plan.memory.checkpoints > one->plan.memory.checkpoints);
}
