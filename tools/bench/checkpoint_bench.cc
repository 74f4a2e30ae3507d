// checkpoint_bench: what checkpoints cost a window job (issue 7), in one
// process, through the real planner, Coordinator and CheckpointStore.
//
//   bazel run -c opt //tools/bench:checkpoint_bench [-- ROUNDS [ROWS [short]]]
//
// The job is a graph file (JSON below) planned in-process: readings
// `device i64, ts ts, temp f64` from a source in this driver -> key_by
// device -> tumbling window of one day (count, sum, min, max, avg of temp;
// state.capacity = keys + 1024) -> a counting sink in this driver, one task on the
// calling thread, checkpoints to a fresh LevelDB directory under /tmp.
//
//  1. Pause, write time and bytes. For 100k and 1M keys: the source first
//     gives every key a row (a window per key), then ROUNDS (default 40)
//     rounds in which 1% or 100% of the keys get a row. After each round a
//     ManualClock makes a checkpoint due at that batch boundary; the source
//     waits for the writer before the next round, so every round is one
//     checkpoint. The last round ends with a stop (final checkpoint, windows
//     not drained). CheckpointTimes per checkpoint: pause_ns (the task
//     thread's copy into the buffers: barrier to resume), write_ns (store,
//     sync, commit on the writer thread), bytes (records handed over). The
//     fill's checkpoint is left out of p50/p99 (printed apart).
//  2. Recovery: after the 1M-key, 1% run, a fresh plan, store open,
//     Coordinator::Make and Restore of that directory, then the job runs on
//     one row past the window's end: time to the first output row (the 1M
//     windows fire).
//  3. Throughput: ROWS (default 60M) rows over 100k keys (key i *
//     2654435761 mod keys), computed in the source, with checkpoints every
//     1 s (system clock), without, and with checkpoints but an interval
//     longer than the run (dirty-block tracking alone: only the final
//     checkpoint, after the timing); best of 3 each, interleaved; timed to
//     the end of the input (the drain and the final checkpoint excluded).
//
// Goals (issue 7): p99 pause <= 1 ms at 100k keys, 1% changed; recovery of
// 1M keys <= 1 s; throughput with checkpoints every second >= 0.9x without.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/checkpoint/checkpoint_store.h"
#include "core/checkpoint/coordinator.h"
#include "core/common/clock.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/graph/planner.h"
#include "core/runtime/job.h"
#include "core/runtime/operator.h"
#include "core/schema/row.h"

namespace runnel::bench {
namespace {

using schema::RowBatch;
using schema::Slot;

constexpr int64_t kNsPerMs = 1000000;
constexpr int64_t kWindowMs = 86400000;  // one day: every key's window stays open

[[noreturn]] void Die(const std::string& message) {
  fprintf(stderr, "checkpoint_bench: %s\n", message.c_str());
  exit(1);
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// What the source emits.
struct Plan {
  uint32_t keys = 0;
  // Phases: the fill (every key once), then rounds of `per_round` keys
  // (every 1/fraction-th key, shifted by the round), each ending at a
  // checkpoint. Or, when `stream_rows` > 0, that many rows of hashed keys.
  uint32_t rounds = 0;
  uint32_t stride = 1;  // 1: 100% of keys per round; 100: 1%
  uint64_t stream_rows = 0;
  // Recovery: one row past the window's end.
  bool one_late_row = false;
};

class BenchSource : public runtime::Source {
 public:
  BenchSource(const Plan& plan, std::function<void(uint32_t)> at_phase_end)
      : plan_(plan), at_phase_end_(std::move(at_phase_end)) {
    if (plan_.one_late_row) {
      phase_rows_ = 1;
    } else if (plan_.stream_rows > 0) {
      phase_rows_ = plan_.stream_rows;
    } else {
      phase_rows_ = plan_.keys;
    }
  }
  Status Open() override { return Status::Ok(); }
  Status Read(RowBatch* out, bool* done) override {
    const uint64_t n = std::min<uint64_t>(out->capacity(), phase_rows_ - at_);
    for (uint64_t i = 0; i < n; ++i, ++at_, ++row_) {
      Slot* r = out->Append();
      r[0].i64 = Key();
      r[1].i64 = plan_.one_late_row ? (kWindowMs + 10000) * kNsPerMs
                                    : static_cast<int64_t>(row_ % 1000000000);
      r[2].f64 = static_cast<double>(row_ % 1000) * 0.01;
    }
    if (at_ == phase_rows_) {
      if (at_phase_end_) at_phase_end_(phase_);
      ++phase_;
      at_ = 0;
      phase_rows_ = plan_.keys / plan_.stride;
    }
    *done = plan_.one_late_row || plan_.stream_rows > 0 ? phase_ == 1
                                                        : phase_ == plan_.rounds + 1;
    return Status::Ok();
  }

 private:
  int64_t Key() const {
    if (plan_.one_late_row) return 0;
    if (plan_.stream_rows > 0) return static_cast<int64_t>((row_ * 2654435761u) % plan_.keys);
    if (phase_ == 0) return static_cast<int64_t>(at_);
    return static_cast<int64_t>((at_ * plan_.stride + phase_) % plan_.keys);
  }
  Plan plan_;
  std::function<void(uint32_t)> at_phase_end_;
  uint32_t phase_ = 0;
  uint64_t phase_rows_ = 0;
  uint64_t at_ = 0;
  uint64_t row_ = 0;
};

struct SinkCounts {
  uint64_t rows = 0;
  int64_t first_row_ns = 0;
  std::atomic<uint64_t> committed{0};
};

class CountingSink : public runtime::Sink {
 public:
  explicit CountingSink(SinkCounts* counts) : counts_(counts) {}
  Status Open() override { return Status::Ok(); }
  Status Write(const RowBatch& batch) override {
    if (counts_->rows == 0 && batch.size() > 0) counts_->first_row_ns = NowNs();
    counts_->rows += batch.size();
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  Status Commit(uint64_t) override {
    counts_->committed.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }

 private:
  SinkCounts* counts_;
};

const char kGraph[] = R"json({
  "name": "checkpoint_bench",
  "memory_limit": 8000000000,
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "i64" }, { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading", "generator": { "rows": 1 },
                "event_time": { "field": "ts", "max_out_of_orderness_ms": 0 } }],
  "operators": [
    { "name": "by_device", "input": "readings", "key_by": ["device"] },
    { "name": "windows", "input": "by_device", "window": { "size_ms": WINDOW_MS,
        "values": ["count() as count", "sum(temp) as sum", "min(temp) as min",
                   "max(temp) as max", "avg(temp) as avg"],
        "emit": "final", "state": { "capacity": CAPACITY } } } ],
  "sinks": [{ "name": "out", "input": "windows", "csv": { "path": "/dev/null" } }]
  CHECKPOINT
})json";

std::string Replace(std::string text, const std::string& name, const std::string& value) {
  const size_t at = text.find(name);
  if (at == std::string::npos) Die("template has no " + name);
  return text.replace(at, name.size(), value);
}

// A planned job, with checkpoints in `dir` unless it is empty.
struct Job {
  graph::PhysicalPlan plan;
  SinkCounts counts;
  std::unique_ptr<checkpoint::CheckpointStore> store;
  std::unique_ptr<checkpoint::Coordinator> coordinator;
  runtime::Task* task() { return plan.job->tasks()[0].get(); }
};

std::unique_ptr<Job> MakeJob(const Plan& p, const std::string& dir, const Clock* clock,
                             std::function<void(Job*, uint32_t)> at_phase_end,
                             int64_t interval_ms = 1000) {
  auto job = std::make_unique<Job>();
  Job* j = job.get();
  std::string json = Replace(kGraph, "WINDOW_MS", std::to_string(kWindowMs));
  // Room for the recovery's one new window beside the restored ones.
  json = Replace(json, "CAPACITY", std::to_string(p.keys + 1024));
  json = Replace(json, "CHECKPOINT",
                 dir.empty() ? "" : ", \"checkpoint\": { \"dir\": \"" + dir + "\" }");
  auto file = graph::GraphFile::Parse("checkpoint_bench.json", json);
  if (!file.ok()) Die(file.status().message());
  graph::Diagnostics diagnostics;
  graph::LogicalGraph logical = graph::BuildLogicalGraph(file.value(), &diagnostics);
  graph::Connectors connectors;
  connectors.make_source = [&](const graph::GraphFile&, const graph::LogicalSource&,
                               const schema::Schema&, schema::SymbolTable*, graph::Diagnostics*) {
    std::function<void(uint32_t)> hook;
    if (at_phase_end) hook = [j, at_phase_end](uint32_t phase) { at_phase_end(j, phase); };
    return std::make_unique<BenchSource>(p, hook);
  };
  connectors.make_sink = [j](const graph::GraphFile&, const graph::LogicalSink&,
                             const schema::Schema&, const schema::SymbolTable*,
                             graph::Diagnostics*) { return std::make_unique<CountingSink>(&j->counts); };
  if (diagnostics.empty()) {
    graph::PlanOptions options;
    options.clock = clock;
    job->plan = graph::Plan(logical, connectors, options, &diagnostics);
  }
  if (!diagnostics.empty()) Die(file.value()->Format(diagnostics));
  if (job->plan.job->tasks().size() != 1) Die("expected a one-task plan");
  if (dir.empty()) return job;
  auto store = checkpoint::CheckpointStore::Open(dir, "checkpoint_bench");
  if (!store.ok()) Die(store.status().message());
  job->store = std::move(store.value());
  checkpoint::CheckpointOptions options;
  options.interval_ms = interval_ms;
  auto coordinator =
      checkpoint::Coordinator::Make({job->task()}, job->plan.job->signals(),
                                    job->plan.job->symbols(), job->store.get(), options, clock);
  if (!coordinator.ok()) Die(coordinator.status().message());
  job->coordinator = std::move(coordinator.value());
  return job;
}

// Restores (when checkpointing), starts the writer and runs the job.
uint64_t RestoreAndRun(Job* job) {
  uint64_t restored = 0;
  if (job->coordinator) {
    bool finished = false;
    uint64_t spoiled = 0;
    Status s = job->coordinator->Restore(&restored, &finished, &spoiled);
    if (!s.ok()) Die(s.message());
    job->coordinator->Start();
  }
  Status run = job->plan.job->Run();
  if (!run.ok()) Die(run.message());
  return restored;
}

std::string FreshDir(const std::string& name) {
  const std::string dir = "/tmp/checkpoint_bench." + std::to_string(getpid()) + "." + name;
  std::filesystem::remove_all(dir);
  return dir;
}

double Percentile(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return static_cast<double>(v[i]);
}

struct RoundStats {
  uint32_t keys = 0;
  uint32_t percent = 0;
  size_t n = 0;
  double pause_p50_ms = 0, pause_p99_ms = 0, write_p50_ms = 0, write_p99_ms = 0;
  double mb = 0;         // mean bytes per checkpoint
  double fill_pause_ms = 0, fill_write_ms = 0, fill_mb = 0;
};

RoundStats MeasureRounds(uint32_t keys, uint32_t stride, uint32_t rounds, const std::string& dir) {
  ManualClock clock(1000000);
  Plan p;
  p.keys = keys;
  p.rounds = rounds;
  p.stride = stride;
  auto job = MakeJob(p, dir, &clock, [&clock, rounds](Job* j, uint32_t phase) {
    // Wait until the writer stored every checkpoint so far, then make the
    // next one due at this batch boundary.
    while (j->counts.committed.load() + j->coordinator->failed() < phase ||
           j->coordinator->writing()) {
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    // The last round ends with a stop: its checkpoint is the final one and
    // the job is not drained (the recovery below restores live windows).
    if (phase == rounds) {
      j->plan.job->RequestStop();
    } else {
      clock.Advance(1000);
    }
  });
  RestoreAndRun(job.get());
  if (job->coordinator->failed() != 0) Die("a checkpoint failed");
  const auto& times = job->coordinator->times();
  // One per phase: the fill, then the rounds (the last one at the stop).
  if (times.size() != rounds + 1) {
    Die("expected " + std::to_string(rounds + 1) + " checkpoints, got " +
        std::to_string(times.size()));
  }
  std::vector<int64_t> pause, write;
  double bytes = 0;
  for (size_t i = 1; i < times.size(); ++i) {
    pause.push_back(times[i].pause_ns);
    write.push_back(times[i].write_ns);
    bytes += static_cast<double>(times[i].bytes);
  }
  RoundStats s;
  s.keys = keys;
  s.percent = 100 / stride;
  s.n = pause.size();
  s.pause_p50_ms = Percentile(pause, 0.5) / 1e6;
  s.pause_p99_ms = Percentile(pause, 0.99) / 1e6;
  s.write_p50_ms = Percentile(write, 0.5) / 1e6;
  s.write_p99_ms = Percentile(write, 0.99) / 1e6;
  s.mb = bytes / static_cast<double>(pause.size()) / 1e6;
  s.fill_pause_ms = static_cast<double>(times[0].pause_ns) / 1e6;
  s.fill_write_ms = static_cast<double>(times[0].write_ns) / 1e6;
  s.fill_mb = static_cast<double>(times[0].bytes) / 1e6;
  return s;
}

struct Recovery {
  double plan_ms = 0, restore_ms = 0, first_row_ms = 0;
  uint64_t restored = 0, rows = 0;
};

Recovery MeasureRecovery(uint32_t keys, const std::string& dir) {
  Recovery r;
  const int64_t start = NowNs();
  Plan p;
  p.keys = keys;
  p.one_late_row = true;
  auto job = MakeJob(p, dir, SystemClock::Get(), nullptr);
  r.plan_ms = static_cast<double>(NowNs() - start) / 1e6;  // plan, store open, Make
  bool finished = false;
  uint64_t spoiled = 0;
  Status s = job->coordinator->Restore(&r.restored, &finished, &spoiled);
  if (!s.ok()) Die(s.message());
  r.restore_ms = static_cast<double>(NowNs() - start) / 1e6;
  job->coordinator->Start();
  Status run = job->plan.job->Run();
  if (!run.ok()) Die(run.message());
  r.first_row_ms = static_cast<double>(job->counts.first_row_ns - start) / 1e6;
  r.rows = job->counts.rows;
  return r;
}

// What a throughput run checkpoints.
enum class Checkpoints { kNone, kTrackingOnly, kEverySecond };

double MeasureThroughput(uint64_t rows, Checkpoints mode, size_t* taken) {
  Plan p;
  p.keys = 100000;
  p.stream_rows = rows;
  const bool checkpoints = mode != Checkpoints::kNone;
  const std::string dir = checkpoints ? FreshDir("throughput") : "";
  int64_t input_end = 0;
  constexpr int64_t kLongerThanTheRun = int64_t{1} << 40;
  auto job = MakeJob(p, dir, SystemClock::Get(),
                     [&input_end](Job*, uint32_t) { input_end = NowNs(); },
                     mode == Checkpoints::kTrackingOnly ? kLongerThanTheRun : 1000);
  const int64_t start = NowNs();
  RestoreAndRun(job.get());
  // Up to the end of the input: the drain (100k windows fire) and the final
  // checkpoint are left out of both runs.
  const double seconds = static_cast<double>(input_end - start) / 1e9;
  if (job->counts.rows != p.keys) Die("throughput run: wrong output row count");
  *taken = checkpoints ? job->coordinator->times().size() : 0;
  job.reset();
  if (checkpoints) std::filesystem::remove_all(dir);
  return static_cast<double>(rows) / seconds / 1e6;
}

double LoadAverage() {
  double load[1] = {0};
  return getloadavg(load, 1) == 1 ? load[0] : -1;
}

int Main(int argc, char** argv) {
  const uint32_t rounds = argc > 1 ? static_cast<uint32_t>(atoi(argv[1])) : 40;
  const uint64_t stream_rows = argc > 2 ? strtoull(argv[2], nullptr, 10) : 60000000;
  printf("checkpoint_bench: %u rounds per case, throughput %" PRIu64 " rows; load %.2f\n",
         rounds, stream_rows, LoadAverage());

  std::vector<RoundStats> cases;
  std::string recovery_dir;
  // A third argument "short": only the 1M-key, 1% case (recovery needs it).
  const bool only_recovery = argc > 3 && std::string(argv[3]) == "short";
  for (uint32_t keys : {100000u, 1000000u}) {
    for (uint32_t stride : {100u, 1u}) {
      if (only_recovery && (keys != 1000000 || stride != 100)) continue;
      const std::string dir = FreshDir(std::to_string(keys) + "." + std::to_string(stride));
      cases.push_back(MeasureRounds(keys, stride, rounds, dir));
      if (keys == 1000000 && stride == 100) {
        recovery_dir = dir;
      } else {
        std::filesystem::remove_all(dir);
      }
      fprintf(stderr, "  done %u keys, %u%% (load %.2f)\n", keys, 100 / stride, LoadAverage());
    }
  }
  printf("\n| keys | changed | checkpoints | pause p50 | pause p99 | write p50 | write p99 | MB/checkpoint |\n");
  printf("|---|---|---|---|---|---|---|---|\n");
  for (const RoundStats& s : cases) {
    printf("| %u | %u%% | %zu | %.3f ms | %.3f ms | %.1f ms | %.1f ms | %.2f |\n", s.keys, s.percent,
           s.n, s.pause_p50_ms, s.pause_p99_ms, s.write_p50_ms, s.write_p99_ms, s.mb);
  }
  printf("\nfirst checkpoint (after the fill, all keys new):\n");
  for (const RoundStats& s : cases) {
    if (s.percent != 1) continue;
    printf("  %u keys: pause %.2f ms, write %.1f ms, %.1f MB\n", s.keys, s.fill_pause_ms,
           s.fill_write_ms, s.fill_mb);
  }

  uint64_t store_bytes = 0;
  for (const auto& file : std::filesystem::recursive_directory_iterator(recovery_dir)) {
    if (file.is_regular_file()) store_bytes += file.file_size();
  }
  printf("\nstore of the 1M-key case on disk: %.1f MB\n", static_cast<double>(store_bytes) / 1e6);
  const Recovery r = MeasureRecovery(1000000, recovery_dir);
  std::filesystem::remove_all(recovery_dir);
  printf("\nrecovery of 1M keys (checkpoint %" PRIu64 "): plan + store open + Make %.0f ms, "
         "+ Restore %.0f ms, first output row at %.0f ms (%" PRIu64 " rows out)\n",
         r.restored, r.plan_ms, r.restore_ms, r.first_row_ms, r.rows);

  double with = 0, without = 0, tracking = 0;
  size_t taken = 0;
  for (int rep = 0; rep < 3; ++rep) {
    size_t none = 0;
    without = std::max(without, MeasureThroughput(stream_rows, Checkpoints::kNone, &none));
    tracking =
        std::max(tracking, MeasureThroughput(stream_rows, Checkpoints::kTrackingOnly, &none));
    size_t t = 0;
    const double w = MeasureThroughput(stream_rows, Checkpoints::kEverySecond, &t);
    if (w > with) {
      with = w;
      taken = t;
    }
  }
  printf("\nthroughput, 100k keys, best of 3: without checkpoints %.1f M rows/s, with a "
         "checkpoint every 1 s %.1f M rows/s (%zu checkpoints incl. the final one): %.3fx; "
         "tracking alone (no checkpoint during the run) %.1f M rows/s: %.3fx\n",
         without, with, taken, with / without, tracking, tracking / without);

  const RoundStats& small = cases[0];
  if (!only_recovery) {
    printf("\ngoal p99 pause <= 1 ms at 100k keys, 1%% changed: %.3f ms: %s\n",
           small.pause_p99_ms, small.pause_p99_ms <= 1.0 ? "goal met" : "MISSED");
  }
  printf("goal recovery of 1M keys <= 1 s (to first output): %.0f ms: %s\n", r.first_row_ms,
         r.first_row_ms <= 1000 ? "goal met" : "MISSED");
  printf("goal throughput with checkpoints every 1 s >= 0.9x: %.3fx: %s\n", with / without,
         with / without >= 0.9 ? "goal met" : "MISSED");
  printf("load at the end %.2f\n", LoadAverage());
  return 0;
}

}  // namespace
}  // namespace runnel::bench

int main(int argc, char** argv) { return runnel::bench::Main(argc, argv); }
