// A multi-task Job built by hand, as the planner would: one source task
// partitioning by key into three worker tasks, each worker forwarding to one
// merge task that collects. Real threads, real rings; clean under TSan.
#include "core/runtime/job.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime/batch_ring.h"
#include "core/runtime/operator.h"
#include "core/runtime/ring_io.h"
#include "core/runtime/task.h"
#include "core/schema/row_hash.h"
#include "core/schema/symbol_table.h"

// Last: CppUTest's leak detector redefines `new`.
// clang-format off
#include <CppUTest/TestHarness.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>
// clang-format on

using runnel::Status;
using runnel::StatusCode;
using runnel::runtime::BatchRing;
using runnel::runtime::Job;
using runnel::runtime::Operator;
using runnel::runtime::PartitionSink;
using runnel::runtime::RingSink;
using runnel::runtime::RingSource;
using runnel::runtime::Sink;
using runnel::runtime::Source;
using runnel::runtime::StageStats;
using runnel::runtime::Task;
using runnel::schema::RowBatch;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;

namespace {

// Rows are (key, value, worker): the source fills key and value, a worker
// writes its index into the third slot.
constexpr uint32_t kWidth = 3;
constexpr uint32_t kBatchRows = 256;
constexpr uint32_t kRingSlots = 8;
constexpr uint32_t kWorkers = 3;
constexpr int64_t kKeys = 997;

int64_t KeyOf(int64_t value) { return (value * 7) % kKeys; }

uint32_t WorkerOfKey(int64_t key) {
  Slot slot;
  slot.i64 = key;
  const uint32_t fields[] = {0};
  return PartitionSink::PartitionOf(runnel::schema::HashFields(&slot, fields, 1), kWorkers);
}

// Emits values 0, 1, 2, ... (`limit` of them) as (key, value, -1).
class CountingSource : public Source {
 public:
  explicit CountingSource(int64_t limit) : limit_(limit) {}
  Status Open() override { return Status::Ok(); }
  Status Read(RowBatch* out, bool* done) override {
    reads_.fetch_add(1, std::memory_order_relaxed);
    int64_t next = emitted_.load(std::memory_order_relaxed);
    while (!out->full() && next < limit_) {
      Slot* row = out->Append();
      row[0].i64 = KeyOf(next);
      row[1].i64 = next;
      row[2].i64 = -1;
      ++next;
    }
    emitted_.store(next, std::memory_order_relaxed);
    *done = next == limit_;
    return Status::Ok();
  }
  int64_t emitted() const { return emitted_.load(std::memory_order_relaxed); }
  int64_t reads() const { return reads_.load(std::memory_order_relaxed); }

 private:
  int64_t limit_;
  std::atomic<int64_t> emitted_{0};
  std::atomic<int64_t> reads_{0};
};

// Copies rows through, writing `worker` into slot 2. Fails once it has
// seen more than `fail_after` rows (if >= 0).
class TagOperator : public Operator {
 public:
  TagOperator(int64_t worker, int64_t fail_after) : worker_(worker), fail_after_(fail_after) {}
  Status Process(const RowBatch& in, RowBatch* out) override {
    for (uint32_t i = 0; i < in.size(); ++i) {
      if (fail_after_ >= 0 && seen_ >= fail_after_) {
        return runnel::DataError("gave up after " + std::to_string(seen_) + " rows");
      }
      ++seen_;
      Slot* row = out->Append();
      row[0] = in.row(i)[0];
      row[1] = in.row(i)[1];
      row[2].i64 = worker_;
    }
    return Status::Ok();
  }

 private:
  int64_t worker_;
  int64_t fail_after_;
  int64_t seen_ = 0;
};

// Holds every row back (in storage preallocated for `capacity` rows) and
// emits them only when drained, a batch at a time: rows in operator state.
class HoldingOperator : public Operator {
 public:
  HoldingOperator(int64_t worker, uint32_t capacity)
      : worker_(worker), held_(kWidth, capacity) {}
  Status Process(const RowBatch& in, RowBatch* out) override {
    (void)out;
    for (uint32_t i = 0; i < in.size(); ++i) {
      if (held_.full()) return runnel::ResourceExhausted("holding too much");
      held_.AppendCopy(in.row(i));
    }
    return Status::Ok();
  }
  Status Drain(RowBatch* out, bool* done) override {
    while (next_ < held_.size() && !out->full()) {
      Slot* row = out->Append();
      row[0] = held_.row(next_)[0];
      row[1] = held_.row(next_)[1];
      row[2].i64 = worker_;
      ++next_;
    }
    *done = next_ == held_.size();
    return Status::Ok();
  }

 private:
  int64_t worker_;
  RowBatch held_;
  uint32_t next_ = 0;
};

// Wraps a sink, counting Close calls.
class CloseCountingSink : public Sink {
 public:
  CloseCountingSink(std::unique_ptr<Sink> inner, std::atomic<int>* closes)
      : inner_(std::move(inner)), closes_(closes) {}
  Status Open() override { return inner_->Open(); }
  Status Write(const RowBatch& batch) override { return inner_->Write(batch); }
  Status Close() override {
    closes_->fetch_add(1);
    return inner_->Close();
  }

 private:
  std::unique_ptr<Sink> inner_;
  std::atomic<int>* closes_;
};

// Records which values arrived (at most `capacity` distinct ones), on
// which worker, and whether each key's values came in order. All memory is
// allocated up front; it checks nothing itself (CppUTest checks belong on
// the test's thread) but counts what is wrong.
class CollectingSink : public Sink {
 public:
  explicit CollectingSink(int64_t capacity)
      : times_(static_cast<size_t>(capacity), 0),
        worker_of_key_(kKeys, -1),
        last_of_key_(kKeys, -1),
        rows_of_worker_(kWorkers, 0) {}
  Status Open() override { return Status::Ok(); }
  Status Write(const RowBatch& batch) override {
    for (uint32_t i = 0; i < batch.size(); ++i) {
      const Slot* row = batch.row(i);
      int64_t key = row[0].i64;
      int64_t value = row[1].i64;
      int64_t worker = row[2].i64;
      if (value < 0 || value >= static_cast<int64_t>(times_.size()) || key != KeyOf(value) ||
          worker < 0 || worker >= kWorkers) {
        ++bad_rows;
        continue;
      }
      ++times_[static_cast<size_t>(value)];
      ++rows_of_worker_[static_cast<size_t>(worker)];
      int64_t& known = worker_of_key_[static_cast<size_t>(key)];
      if (known == -1) known = worker;
      if (known != worker) ++keys_on_two_workers;
      int64_t& last = last_of_key_[static_cast<size_t>(key)];
      if (value <= last) ++out_of_order;
      last = value;
    }
    rows.fetch_add(batch.size(), std::memory_order_relaxed);
    return Status::Ok();
  }
  Status Close() override {
    closed.store(true);
    return Status::Ok();
  }

  // After the job: how many values in [0, n) did not arrive exactly once.
  int64_t NotExactlyOnce(int64_t n) const {
    int64_t wrong = 0;
    for (int64_t v = 0; v < static_cast<int64_t>(times_.size()); ++v) {
      if (times_[static_cast<size_t>(v)] != (v < n ? 1 : 0)) ++wrong;
    }
    return wrong;
  }
  // After the job: keys whose worker is not the one PartitionOf picks.
  int64_t KeysOnTheWrongWorker() const {
    int64_t wrong = 0;
    for (int64_t k = 0; k < kKeys; ++k) {
      int64_t w = worker_of_key_[static_cast<size_t>(k)];
      if (w != -1 && static_cast<uint32_t>(w) != WorkerOfKey(k)) ++wrong;
    }
    return wrong;
  }
  uint64_t rows_of_worker(uint32_t w) const { return rows_of_worker_[w]; }

  std::atomic<uint64_t> rows{0};
  std::atomic<bool> closed{false};
  int64_t bad_rows = 0;
  int64_t keys_on_two_workers = 0;
  int64_t out_of_order = 0;

 private:
  std::vector<uint8_t> times_;
  std::vector<int64_t> worker_of_key_;
  std::vector<int64_t> last_of_key_;
  std::vector<uint64_t> rows_of_worker_;
};

enum class WorkerKind { kTag, kHold };

// source -> (partition by key) -> 3 workers -> merge -> collect.
struct Pipeline {
  std::unique_ptr<Job> job;
  CountingSource* source = nullptr;
  CollectingSink* collect = nullptr;
  std::vector<BatchRing*> to_workers;
  std::vector<BatchRing*> to_merge;
  // Close calls: [0] the source's partitioner, [1..3] the workers' ring
  // sinks, [4] the collecting sink.
  std::atomic<int> closes[2 + kWorkers];

  Pipeline(int64_t source_rows, int64_t collect_capacity, WorkerKind kind,
           int failing_worker = -1, int64_t fail_after = -1)
      : job(std::make_unique<Job>(std::make_unique<SymbolTable>(16, 256))) {
    for (auto& c : closes) c = 0;
    const auto* signals = job->signals();
    for (uint32_t w = 0; w < kWorkers; ++w) {
      to_workers.push_back(job->AddRing("source -> worker#" + std::to_string(w), kRingSlots,
                                        kWidth, kBatchRows));
      to_merge.push_back(job->AddRing("worker#" + std::to_string(w) + " -> merge", kRingSlots,
                                      kWidth, kBatchRows));
    }

    Task* source_task = job->AddTask("source", kBatchRows);
    uint32_t s = source_task->AddStream(kWidth);
    auto counting = std::make_unique<CountingSource>(source_rows);
    source = counting.get();
    source_task->AddSource("numbers", std::move(counting), s, /*external=*/true);
    source_task->AddSink("=> workers (partition by key)",
                         std::make_unique<CloseCountingSink>(
                             std::make_unique<PartitionSink>(to_workers,
                                                             std::vector<uint32_t>{0}, signals),
                             &closes[0]),
                         s, /*internal=*/true);

    for (uint32_t w = 0; w < kWorkers; ++w) {
      Task* worker = job->AddTask("worker#" + std::to_string(w), kBatchRows);
      uint32_t in = worker->AddStream(kWidth);
      uint32_t out = worker->AddStream(kWidth);
      worker->AddSource("<= rings (1)",
                        std::make_unique<RingSource>(std::vector<BatchRing*>{to_workers[w]},
                                                     signals),
                        in, /*external=*/false);
      std::unique_ptr<Operator> op;
      if (kind == WorkerKind::kHold) {
        op = std::make_unique<HoldingOperator>(w, static_cast<uint32_t>(collect_capacity));
      } else {
        op = std::make_unique<TagOperator>(
            w, static_cast<int>(w) == failing_worker ? fail_after : -1);
      }
      worker->AddOperator("tag#" + std::to_string(w), std::move(op), in, out);
      worker->AddSink("=> merge (forward)",
                      std::make_unique<CloseCountingSink>(
                          std::make_unique<RingSink>(to_merge[w], signals), &closes[1 + w]),
                      out, /*internal=*/true);
    }

    Task* merge = job->AddTask("merge", kBatchRows);
    uint32_t m = merge->AddStream(kWidth);
    merge->AddSource("<= rings (3)", std::make_unique<RingSource>(to_merge, signals), m,
                     /*external=*/false);
    auto collecting = std::make_unique<CollectingSink>(collect_capacity);
    collect = collecting.get();
    merge->AddSink("collect",
                   std::make_unique<CloseCountingSink>(std::move(collecting),
                                                       &closes[1 + kWorkers]),
                   m);
  }

  // Every sink closed exactly once.
  bool AllClosedOnce() const {
    for (const auto& c : closes) {
      if (c.load() != 1) return false;
    }
    return true;
  }

  const StageStats* Stage(const std::vector<StageStats>& stats, const std::string& name) {
    for (const StageStats& s : stats) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }
};

}  // namespace

TEST_GROUP(Job) {
  // Task threads new and delete (statuses, messages) off the main thread.
  void setup() override { MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads(); }
  void teardown() override {
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }
};

TEST(Job, AMillionRowsThroughThreeWorkersArriveExactlyOnce) {
  const int64_t kRows = 1'000'000;
  Pipeline p(kRows, kRows, WorkerKind::kTag);
  LONGS_EQUAL(5, p.job->tasks().size());
  Status status = p.job->Run();
  CHECK_TEXT(status.ok(), status.message().c_str());

  CollectingSink& c = *p.collect;
  CHECK(p.source->emitted() == kRows);
  CHECK(c.rows.load() == static_cast<uint64_t>(kRows));
  LONGS_EQUAL(0, c.bad_rows);
  CHECK(c.NotExactlyOnce(kRows) == 0);
  // key_by: each key went through one worker, the one PartitionOf picks,
  // and its rows stayed in order on the way.
  LONGS_EQUAL(0, c.keys_on_two_workers);
  LONGS_EQUAL(0, c.KeysOnTheWrongWorker());
  LONGS_EQUAL(0, c.out_of_order);
  for (uint32_t w = 0; w < kWorkers; ++w) {
    CHECK_TEXT(c.rows_of_worker(w) > static_cast<uint64_t>(kRows) / 5,
               std::to_string(w).c_str());
  }
  CHECK(p.AllClosedOnce());
  CHECK(c.closed.load());

  // Stats: the external source, the three operators and the real sink.
  std::vector<StageStats> stats = p.job->Stats();
  LONGS_EQUAL(5, stats.size());
  const StageStats* numbers = p.Stage(stats, "numbers");
  CHECK(numbers != nullptr);
  CHECK(numbers->rows_out == static_cast<uint64_t>(kRows));
  uint64_t through_workers = 0;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    const StageStats* tag = p.Stage(stats, "tag#" + std::to_string(w));
    CHECK(tag != nullptr);
    CHECK(tag->rows_in == tag->rows_out);
    CHECK(tag->rows_in == c.rows_of_worker(w));
    through_workers += tag->rows_in;
  }
  CHECK(through_workers == static_cast<uint64_t>(kRows));
  const StageStats* sink = p.Stage(stats, "collect");
  CHECK(sink != nullptr);
  CHECK(sink->rows_in == static_cast<uint64_t>(kRows));
  // Every ring is drained.
  LONGS_EQUAL(6, p.job->Rings().size());
  for (const auto& ring : p.job->Rings()) LONGS_EQUAL_TEXT(0, ring.fill, ring.name.c_str());
}

TEST(Job, AFailingOperatorCancelsTheJobAndItsErrorIsReported) {
  // The source never ends by itself: only the cancellation stops the job.
  Pipeline p(/*source_rows=*/INT64_MAX, /*collect_capacity=*/1, WorkerKind::kTag,
             /*failing_worker=*/1, /*fail_after=*/1000);
  Status status = p.job->Run();
  CHECK_FALSE(status.ok());
  CHECK(status.code() == StatusCode::kDataError);
  STRCMP_EQUAL("operator 'tag#1': gave up after 1000 rows", status.message().c_str());
  CHECK(p.AllClosedOnce());  // every sink closed, also after the failure
  CHECK(p.collect->closed.load());
  CHECK(p.job->signals()->cancel.load());
}

TEST(Job, AFailingOperatorWithABoundedSourceIsReportedToo) {
  // Here the source may well finish before the failure; the failing
  // worker's error is still the job's.
  Pipeline p(/*source_rows=*/200000, /*collect_capacity=*/200000, WorkerKind::kTag,
             /*failing_worker=*/2, /*fail_after=*/0);
  Status status = p.job->Run();
  CHECK(status.code() == StatusCode::kDataError);
  STRCMP_EQUAL("operator 'tag#2': gave up after 0 rows", status.message().c_str());
  CHECK(p.AllClosedOnce());
  // Nothing reached the sink from the failed worker, nothing arrived twice.
  CHECK(p.collect->rows_of_worker(2) == 0);
  LONGS_EQUAL(0, p.collect->bad_rows);
}

TEST(Job, StopBeforeRunEndsExternalSourcesAndFlushesWhatIsInFlight) {
  const int64_t kInFlight = 3 * 5 * kBatchRows;  // 5 full batches per ring
  // (Were the source read, the holding operators would overflow and fail.)
  Pipeline p(/*source_rows=*/INT64_MAX, /*collect_capacity=*/kInFlight, WorkerKind::kHold);
  // Rows already on their way to the workers when the stop comes: written
  // into the source's rings (as its partitioner would) before Run.
  const std::atomic<bool>& cancel = p.job->signals()->cancel;
  int64_t value = 0;
  for (uint32_t w = 0; w < kWorkers; ++w) {
    for (int b = 0; b < 5; ++b) {
      RowBatch* batch = p.to_workers[w]->BeginWrite(cancel);
      CHECK(batch != nullptr);
      while (!batch->full()) {
        Slot* row = batch->Append();
        row[0].i64 = KeyOf(value);
        row[1].i64 = value++;
        row[2].i64 = -1;
      }
      p.to_workers[w]->EndWrite();
    }
  }
  p.job->RequestStop();
  Status status = p.job->Run();
  CHECK_TEXT(status.ok(), status.message().c_str());

  // The external source was never read: the stop ended it.
  CHECK(p.source->reads() == 0);
  CHECK(p.source->emitted() == 0);
  // Everything in the rings went through the workers, whose operators held
  // it until they were drained, and reached the sink.
  CollectingSink& c = *p.collect;
  CHECK(c.rows.load() == static_cast<uint64_t>(kInFlight));
  CHECK(c.NotExactlyOnce(kInFlight) == 0);
  LONGS_EQUAL(0, c.bad_rows);
  for (uint32_t w = 0; w < kWorkers; ++w) CHECK(c.rows_of_worker(w) == 5 * kBatchRows);
  CHECK(p.AllClosedOnce());
}

TEST(Job, StopWhileRunningDeliversEveryRowTheSourceEmitted) {
  const int64_t kCap = 20'000'000;  // the source ends by itself only here
  Pipeline p(/*source_rows=*/kCap, /*collect_capacity=*/kCap, WorkerKind::kTag);
  Status status;
  std::thread runner([&] { status = p.job->Run(); });
  // Like SIGINT after a while: once rows are flowing.
  for (int i = 0; i < 20000 && p.collect->rows.load() < 50000; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  p.job->RequestStop();
  runner.join();
  CHECK_TEXT(status.ok(), status.message().c_str());

  const int64_t emitted = p.source->emitted();
  CHECK(emitted >= 50000);
  CHECK(emitted < kCap);  // the stop ended the source, not its end
  CollectingSink& c = *p.collect;
  CHECK(c.rows.load() == static_cast<uint64_t>(emitted));
  CHECK(c.NotExactlyOnce(emitted) == 0);
  LONGS_EQUAL(0, c.bad_rows);
  LONGS_EQUAL(0, c.keys_on_two_workers);
  LONGS_EQUAL(0, c.out_of_order);
  CHECK(p.AllClosedOnce());
}

TEST(Job, CancelBeforeRunStopsEveryTaskAndClosesEverySink) {
  Pipeline p(/*source_rows=*/INT64_MAX, /*collect_capacity=*/1, WorkerKind::kTag);
  p.job->Cancel();
  Status status = p.job->Run();
  CHECK(status.code() == StatusCode::kCancelled);
  CHECK(p.AllClosedOnce());
  LONGS_EQUAL(0, p.collect->rows.load());
}
