// runtime_bench: Runnel's runtime against hand-written loops doing the same
// work over the same rows, in one process, so the ratio is what a user gives
// up for a planned, allocation-free, general job.
//
//   bazel run -c opt //tools/bench:runtime_bench [-- ROWS [PARTS]]
//
// ROWS (default 10,000,000) readings `device sym, ts ts, temp f64,
// humidity f64` with 10,000 devices come from Runnel's generator source,
// declared in a graph file (JSON text below) that goes through
// GraphFile::Parse, BuildLogicalGraph and Plan like any `runnel run`. The
// rows are also generated once into a flat in-memory array (untimed), which
// the hand-written loops read and which a replay source feeds to Runnel, so
// the headline comparison excludes generation. Contenders:
//
//   (a) filter "temp > 50" -> project [device, ts, temp as t] -> sink
//       Runnel (replay source), Runnel (generator source), hand loop.
//   (b) key_by device -> aggregate sum(temp), emit final, capacity 16384
//       Runnel (replay), Runnel (generator), a hand loop over the same
//       KeyedTable, a hand loop over a plain open-addressing array keyed by
//       the symbol id (the floor).
//   (c) (b) with aggregate parallelism 2: source, 2 aggregate instances and
//       the sink in 4 threads joined by rings (information only).
//
// Runnel's jobs are single-threaded in (a) and (b): parallelism 1 plans one
// task, which Job::Run runs on the calling thread. Each contender runs
// kRepetitions times (interleaved) and the best time counts; planning is not
// timed, Job::Run (open, read, process, drain, close) is. Every run's result
// is checked against the hand loop's (rows out and checksums of every output
// slot in (a); every key's sum in (b) and (c)), and the program exits 1 on a
// difference, so it cannot silently measure the wrong work.
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/common/clock.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/graph/planner.h"
#include "core/runtime/job.h"
#include "core/schema/row.h"
#include "core/schema/row_hash.h"
#include "core/schema/symbol_table.h"
#include "core/state/keyed_table.h"
#include "transports/generator/generator_connector.h"

namespace runnel::bench {
namespace {

using schema::RowBatch;
using schema::Slot;

constexpr uint64_t kDefaultRows = 10'000'000;
constexpr uint32_t kKeys = 10'000;
constexpr uint32_t kStateCapacity = 16384;
constexpr int kRepetitions = 3;
// The input schema, as the graph declares it.
constexpr uint32_t kWidth = 4;
constexpr uint32_t kDevice = 0, kTs = 1, kTemp = 2;
constexpr double kThreshold = 50;
constexpr uint32_t kBatchRows = 1024;  // the graph default, also for hand loops
constexpr uint32_t kSymbols = 65536;  // the graph default; symbol ids are below

[[noreturn]] void Die(const std::string& message) {
  fprintf(stderr, "runtime_bench: %s\n", message.c_str());
  exit(1);
}

// ---------------------------------------------------------------------------
// What a contender produced. Filled by the counting sink for Runnel and by the
// hand loops themselves, with the same code, so both sides pay for it.

struct Output {
  uint64_t rows = 0;  // rows that reached the sink
  uint64_t ints = 0;  // wrapping sum of every non-f64 output slot
  double floats = 0;  // sum of every f64 output slot, in output order
  // (b), (c): the sum of each key, indexed by symbol id (NaN: no row).
  std::vector<double> per_key;
};

// Folds `count` rows of `width` slots into *result; `is_float` says which
// columns are f64.
inline void Fold(const Slot* rows, uint32_t count, uint32_t width,
                 const bool* is_float, Output* result) {
  for (uint32_t r = 0; r < count; ++r) {
    const Slot* row = rows + size_t{r} * width;
    for (uint32_t c = 0; c < width; ++c) {
      if (is_float[c]) {
        result->floats += row[c].f64;
      } else {
        result->ints += static_cast<uint64_t>(row[c].i64);
      }
    }
  }
  result->rows += count;
}

// A (key id, sum) output row of (b).
inline void RecordKey(int64_t id, double sum, Output* result) {
  if (id < 0 || id >= static_cast<int64_t>(result->per_key.size()))
    Die("symbol id out of range");
  result->per_key[static_cast<size_t>(id)] = sum;
}

// ---------------------------------------------------------------------------
// Rows generated once, for the hand loops and the replay source.

struct Dataset {
  uint64_t rows = 0;
  std::vector<Slot> slots;        // rows * kWidth, row-major
  std::vector<uint32_t> key_ids;  // symbol id of "key-k"
};

// The Runnel sink of every job here: folds each batch into an Output (with
// (b)'s per-key sums when the output is `device, sum`), or, for capturing
// the dataset, appends the rows to it.
class CountingSink : public runtime::Sink {
 public:
  CountingSink(const schema::Schema& schema, Output* result,
               std::vector<Slot>* capture)
      : result_(result), capture_(capture), width_(schema.size()) {
    for (uint32_t c = 0; c < width_ && c < kMaxWidth; ++c) {
      is_float_[c] = schema.field(c).type == schema::FieldType::kF64;
    }
    keyed_sums_ =
        width_ == 2 && schema.field(1).type == schema::FieldType::kF64;
  }
  Status Open() override {
    if (width_ > kMaxWidth)
      return InvalidArgument("counting sink: too many fields");
    return Status::Ok();
  }
  Status Write(const RowBatch& batch) override {
    if (batch.empty()) return Status::Ok();
    if (capture_ != nullptr) {
      capture_->insert(capture_->end(), batch.row(0),
                       batch.row(0) + size_t{batch.size()} * width_);
      return Status::Ok();
    }
    Fold(batch.row(0), batch.size(), width_, is_float_, result_);
    if (keyed_sums_) {
      for (uint32_t r = 0; r < batch.size(); ++r) {
        RecordKey(batch.row(r)[0].i64, batch.row(r)[1].f64, result_);
      }
    }
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }

 private:
  static constexpr uint32_t kMaxWidth = 16;
  Output* result_;
  std::vector<Slot>* capture_;
  uint32_t width_;
  bool is_float_[kMaxWidth] = {};
  bool keyed_sums_ = false;
};

// Feeds the dataset's rows to a job, a batch at a time (one memcpy each).
class ReplaySource : public runtime::Source {
 public:
  ReplaySource(const Dataset* data, schema::SymbolTable* symbols)
      : data_(data), symbols_(symbols) {}

  // Interns the key names as the generator does, so the ids in the rows mean
  // the same names in this job.
  Status Open() override {
    for (uint32_t k = 0; k < data_->key_ids.size(); ++k) {
      uint32_t id;
      if (!symbols_->Intern("key-" + std::to_string(k), &id) ||
          id != data_->key_ids[k]) {
        return Status(StatusCode::kInternal,
                      "replay: symbol ids differ from the dataset's");
      }
    }
    return Status::Ok();
  }

  Status Read(RowBatch* out, bool* done) override {
    const uint64_t n =
        std::min<uint64_t>(out->capacity() - out->size(), data_->rows - next_);
    if (n > 0) {
      std::memcpy(out->Append(), data_->slots.data() + next_ * kWidth,
                  sizeof(Slot) * kWidth * n);
      for (uint64_t i = 1; i < n; ++i) out->Append();
      next_ += n;
    }
    *done = next_ == data_->rows;
    return Status::Ok();
  }

 private:
  const Dataset* data_;
  schema::SymbolTable* symbols_;
  uint64_t next_ = 0;
};

// ---------------------------------------------------------------------------
// Runnel jobs.

// Replaces every "$NAME" in `text` by its value.
std::string Fill(
    std::string text,
    const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [name, value] : values) {
    for (size_t at = text.find(name); at != std::string::npos;
         at = text.find(name, at + value.size())) {
      text.replace(at, name.size(), value);
    }
  }
  return text;
}

// The sink's csv member only satisfies the graph schema (a sink names its
// kind); the connector below builds the counting sink instead.
const char kGraph[] = R"json({
  "name": "runtime_bench",
  "batch_rows": $BATCH_ROWS,
  "symbols": $SYMBOLS,
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" },
    { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" },
    { "name": "humidity", "type": "f64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading",
                "generator": { "rows": $ROWS, "keys": $KEYS, "seed": 1 } }],
  "operators": [$OPERATORS],
  "sinks": [{ "name": "out", "input": "$OUTPUT", "csv": { "path": "/dev/null" } }]
})json";

const char kChainOperators[] = R"json(
    { "name": "hot", "input": "readings", "filter": "temp > 50" },
    { "name": "alerts", "input": "hot", "project": ["device", "ts", "temp as t"] })json";

const char kKeyedSumOperators[] = R"json(
    { "name": "by_device", "input": "readings", "key_by": ["device"] },
    { "name": "sums", "input": "by_device", "parallelism": $PARALLELISM,
      "aggregate": { "values": ["sum(temp)"], "emit": "final",
                     "state": { "capacity": $CAPACITY } } })json";

std::string GraphJson(uint64_t rows, const std::string& operators,
                      const std::string& output) {
  return Fill(kGraph, {{"$BATCH_ROWS", std::to_string(kBatchRows)},
                       {"$SYMBOLS", std::to_string(kSymbols)},
                       {"$ROWS", std::to_string(rows)},
                       {"$KEYS", std::to_string(kKeys)},
                       {"$OPERATORS", operators},
                       {"$OUTPUT", output}});
}

std::string KeyedSumOperators(uint32_t parallelism) {
  return Fill(kKeyedSumOperators,
              {{"$PARALLELISM", std::to_string(parallelism)},
               {"$CAPACITY", std::to_string(kStateCapacity)}});
}

enum class Input { kGenerator, kReplay };

struct PlannedJob {
  graph::PhysicalPlan plan;
  size_t tasks = 0;
};

// Parses and plans `json`; the sink folds into *result (or captures rows).
PlannedJob PlanJob(const std::string& json, Input input, const Dataset* data,
                   Output* result, std::vector<Slot>* capture) {
  auto file = graph::GraphFile::Parse("runtime_bench.json", json);
  if (!file.ok()) Die(file.status().message());
  graph::Diagnostics diagnostics;
  graph::LogicalGraph logical =
      graph::BuildLogicalGraph(file.value(), &diagnostics);
  graph::Connectors connectors;
  connectors.make_source =
      [input, data](const graph::GraphFile&, const graph::LogicalSource& s,
                    const schema::Schema& schema, schema::SymbolTable* symbols,
                    graph::Diagnostics* d) -> std::unique_ptr<runtime::Source> {
    if (input == Input::kReplay)
      return std::make_unique<ReplaySource>(data, symbols);
    return generator::MakeGeneratorSource(s, schema, symbols,
                                          SystemClock::Get(), d);
  };
  connectors.make_sink = [result, capture](
                             const graph::GraphFile&, const graph::LogicalSink&,
                             const schema::Schema& schema,
                             const schema::SymbolTable*, graph::Diagnostics*) {
    return std::make_unique<CountingSink>(schema, result, capture);
  };
  PlannedJob planned;
  if (diagnostics.empty()) {
    planned.plan =
        graph::Plan(logical, connectors, graph::PlanOptions(), &diagnostics);
  }
  if (!diagnostics.empty()) Die(file.value()->Format(diagnostics));
  planned.tasks = planned.plan.job->tasks().size();
  return planned;
}

// Wall time and the CPU time of the whole process over one measurement.
// CPU time well below wall time in a single-threaded run means the thread
// was descheduled: the machine was busy and the number is low.
struct Elapsed {
  double wall = 0;
  double cpu = 0;
};

class Stopwatch {
 public:
  Stopwatch() : wall_(std::chrono::steady_clock::now()), cpu_(CpuSeconds()) {}
  Elapsed Stop() const {
    return {
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_)
            .count(),
        CpuSeconds() - cpu_};
  }

 private:
  static double CpuSeconds() {
    timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) +
           static_cast<double>(t.tv_nsec) * 1e-9;
  }
  std::chrono::steady_clock::time_point wall_;
  double cpu_;
};

// Plans (untimed) and runs (timed) one job; returns the time Run took.
Elapsed RunJob(const std::string& json, Input input, const Dataset* data,
               size_t want_tasks, Output* result) {
  PlannedJob job = PlanJob(json, input, data, result, nullptr);
  if (job.tasks != want_tasks) {
    Die("planned " + std::to_string(job.tasks) + " tasks, expected " +
        std::to_string(want_tasks) + ":\n" + job.plan.description);
  }
  Stopwatch watch;
  Status status = job.plan.job->Run();
  Elapsed elapsed = watch.Stop();
  if (!status.ok()) Die(status.message());
  return elapsed;
}

// Runs the generator through a source -> sink job and keeps its rows.
Dataset Generate(uint64_t rows) {
  Dataset data;
  data.rows = rows;
  data.slots.reserve(rows * kWidth);
  Output unused;
  PlannedJob job = PlanJob(GraphJson(rows, "", "readings"), Input::kGenerator,
                           nullptr, &unused, &data.slots);
  Status status = job.plan.job->Run();
  if (!status.ok()) Die(status.message());
  if (data.slots.size() != rows * kWidth)
    Die("generator produced the wrong number of rows");
  for (uint32_t k = 0; k < kKeys; ++k) {
    uint32_t id;
    if (!job.plan.job->symbols()->Find("key-" + std::to_string(k), &id))
      Die("missing key");
    data.key_ids.push_back(id);
  }
  return data;
}

// ---------------------------------------------------------------------------
// Hand-written loops: what one would write for exactly this query, knowing
// the schema at compile time.

// (a): one pass, filter and project into a batch-sized buffer that is folded
// when full (as the counting sink folds Runnel's batches). Branch-free: every
// row is written and the output count advances only when temp > 50, which
// is how one writes a filter over unpredictable data.
Output HandChain(const Dataset& data) {
  static constexpr bool kIsFloat[3] = {false, false, true};
  Output result;
  static Slot out[kBatchRows * 3];
  uint32_t n = 0;
  const Slot* row = data.slots.data();
  for (uint64_t i = 0; i < data.rows; ++i, row += kWidth) {
    Slot* o = out + size_t{n} * 3;
    o[0] = row[kDevice];
    o[1] = row[kTs];
    o[2] = row[kTemp];
    n += row[kTemp].f64 > kThreshold;
    if (n == kBatchRows) {
      Fold(out, n, 3, kIsFloat, &result);
      n = 0;
    }
  }
  Fold(out, n, 3, kIsFloat, &result);
  return result;
}

constexpr bool kSumIsFloat[2] = {false, true};

// (b) with the KeyedTable the aggregate operator uses (one key slot, one
// value slot: the sum), then one (device, sum) row per key.
Output HandKeyedTable(const Dataset& data, state::KeyedTable* table) {
  Output result;
  result.per_key.assign(kSymbols, NAN);
  const int64_t now = SystemClock::Get()->NowMillis();
  const Slot* row = data.slots.data();
  for (uint64_t i = 0; i < data.rows; ++i, row += kWidth) {
    Slot* sum;
    const Slot* key = &row[kDevice];
    if (table->FindOrInsert(key, schema::HashSlots(key, 1), now, &sum) ==
        state::KeyedTable::Outcome::kFull) {
      Die("hand loop: KeyedTable full");
    }
    sum->f64 += row[kTemp].f64;
  }
  table->ForEach([&result](const Slot* key, const Slot* sum) {
    Slot out[2] = {key[0], sum[0]};
    Fold(out, 1, 2, kSumIsFloat, &result);
    RecordKey(key[0].i64, sum[0].f64, &result);
  });
  return result;
}

// (b) floor: open addressing with linear probing over (id, sum) pairs,
// twice the keys' capacity, Fibonacci hashing of the symbol id.
struct FloorEntry {
  int64_t id;  // kEmpty when free
  double sum;
};
constexpr int64_t kEmpty = -1;
constexpr uint32_t kFloorBits = 15;  // 32768 entries for up to 16384 keys

Output HandFloor(const Dataset& data, std::vector<FloorEntry>* table) {
  Output result;
  result.per_key.assign(kSymbols, NAN);
  FloorEntry* t = table->data();
  constexpr uint64_t kMask = (uint64_t{1} << kFloorBits) - 1;
  const Slot* row = data.slots.data();
  for (uint64_t i = 0; i < data.rows; ++i, row += kWidth) {
    const int64_t id = row[kDevice].i64;
    uint64_t b = (static_cast<uint64_t>(id) * 0x9E3779B97F4A7C15ull) >>
                 (64 - kFloorBits);
    while (t[b].id != id) {
      if (t[b].id == kEmpty) {
        t[b].id = id;
        break;
      }
      b = (b + 1) & kMask;
    }
    t[b].sum += row[kTemp].f64;
  }
  for (const FloorEntry& e : *table) {
    if (e.id == kEmpty) continue;
    Slot out[2];
    out[0].i64 = e.id;
    out[1].f64 = e.sum;
    Fold(out, 1, 2, kSumIsFloat, &result);
    RecordKey(e.id, e.sum, &result);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Checking and reporting.

bool Near(double a, double b, double relative) {
  return std::fabs(a - b) <= relative * std::max(std::fabs(a), std::fabs(b));
}

double SumOfSums(const Output& r) {
  double total = 0;
  for (double s : r.per_key) {
    if (!std::isnan(s)) total += s;
  }
  return total;
}

// (a): same rows out, same slots (sums of ids and timestamps exact, of
// temperatures equal to 1e-9: both add them in row order).
void CheckChain(const char* name, const Output& got, const Output& want) {
  if (got.rows != want.rows || got.ints != want.ints ||
      !Near(got.floats, want.floats, 1e-9)) {
    Die(std::string("(a) ") + name + " differs from the hand loop: rows " +
        std::to_string(got.rows) + " vs " + std::to_string(want.rows) +
        ", ints " + std::to_string(got.ints) + " vs " +
        std::to_string(want.ints) + ", floats " + std::to_string(got.floats) +
        " vs " + std::to_string(want.floats));
  }
}

// (b), (c): same keys with the same sum each (every contender adds a key's
// temperatures in row order), and the sum of sums within 1e-6 relative.
void CheckSums(const char* name, const Output& got, const Output& want) {
  size_t keys = 0, differ = 0;
  for (size_t id = 0; id < want.per_key.size(); ++id) {
    double a = got.per_key[id], b = want.per_key[id];
    if (std::isnan(a) != std::isnan(b) || (!std::isnan(a) && !Near(a, b, 1e-9)))
      ++differ;
    keys += !std::isnan(b);
  }
  double total = SumOfSums(got), want_total = SumOfSums(want);
  if (got.rows != want.rows || got.ints != want.ints || differ != 0 ||
      !Near(total, want_total, 1e-6)) {
    Die(std::string(name) +
        " differs from the open-addressing loop: keys out " +
        std::to_string(got.rows) + " vs " + std::to_string(want.rows) + ", " +
        std::to_string(differ) + " of " + std::to_string(keys) +
        " key sums differ, sum of sums " + std::to_string(total) + " vs " +
        std::to_string(want_total));
  }
}

// "model name (family F, model M)" of the first CPU in /proc/cpuinfo (VMs
// often hide the model name; the family and model still tell the core).
std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, name = "unknown", family = "?", model = "?";
  auto value = [&line] {
    size_t colon = line.find(':');
    return colon == std::string::npos ? std::string() : line.substr(colon + 2);
  };
  while (std::getline(in, line) && !line.empty()) {
    if (line.rfind("model name", 0) == 0) {
      name = value();
    } else if (line.rfind("cpu family", 0) == 0) {
      family = value();
    } else if (line.rfind("model", 0) == 0) {
      model = value();
    }
  }
  return name + " (family " + family + ", model " + model + ")";
}

std::string LoadAverage() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

int Cpus() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
  return CPU_COUNT(&set);
}

// The best (least wall time) of a contender's repetitions.
struct Timing {
  Elapsed best{1e300, 0};
  void Add(Elapsed e) {
    if (e.wall < best.wall) best = e;
  }
};

// Single-threaded runs whose CPU time fell short of their wall time.
int g_descheduled = 0;

void PrintRate(const char* label, uint64_t rows, const Timing& t,
               bool single_threaded = true) {
  const bool short_of_cpu = single_threaded && t.best.cpu < 0.95 * t.best.wall;
  g_descheduled += short_of_cpu;
  printf("%-52s %8.1f M rows/s  (%.3f s, cpu %.3f s%s)\n", label,
         rows / t.best.wall / 1e6, t.best.wall, t.best.cpu,
         short_of_cpu ? ", DESCHEDULED: machine busy" : "");
}

void PrintRatio(const char* label, const Timing& runnel, const Timing& hand) {
  printf("%-52s %8.2f\n", label, hand.best.wall / runnel.best.wall);
}

int Main(int argc, char** argv) {
  uint64_t rows = kDefaultRows;
  if (argc > 1) rows = std::strtoull(argv[1], nullptr, 10);
  if (rows < kKeys) Die("ROWS must be at least " + std::to_string(kKeys));
  // PARTS (default "abc") picks the parts to run, e.g. "b" when profiling.
  const std::string parts = argc > 2 ? argv[2] : "abc";
  const bool run_a = parts.find('a') != std::string::npos;
  const bool run_b = parts.find('b') != std::string::npos;
  const bool run_c = parts.find('c') != std::string::npos;

  printf("machine: nproc %d, %s; load average %s at start\n", Cpus(),
         CpuModel().c_str(), LoadAverage().c_str());
#ifdef __OPTIMIZE__
  const char* optimized = "optimized";
#else
  const char* optimized = "NOT OPTIMIZED (use -c opt)";
#endif
  printf("build: g++ %s, %s\n", __VERSION__, optimized);
  printf("rows: %" PRIu64
         " (device sym, ts ts, temp f64, humidity f64), %u keys, "
         "batches of %u, best of %d\n\n",
         rows, kKeys, kBatchRows, kRepetitions);

  Stopwatch generating;
  const Dataset data = Generate(rows);
  printf("generated the in-memory copy in %.2f s (%.0f MB)\n\n",
         generating.Stop().wall, data.slots.size() * sizeof(Slot) / 1e6);

  const std::string chain = GraphJson(rows, kChainOperators, "alerts");
  const std::string keyed = GraphJson(rows, KeyedSumOperators(1), "sums");
  const std::string keyed2 = GraphJson(rows, KeyedSumOperators(2), "sums");

  Timing a_hand, a_replay, a_gen, b_floor, b_table, b_replay, b_gen, c_replay,
      c_gen;
  Output a_want, b_want;
  state::KeyedTableOptions table_options;
  table_options.capacity = kStateCapacity;
  table_options.key_slots = 1;
  table_options.value_slots = 1;
  for (int rep = 0; rep < kRepetitions; ++rep) {
    if (run_a) {
      Stopwatch watch;
      Output hand = HandChain(data);
      a_hand.Add(watch.Stop());
      if (rep == 0) a_want = hand;
      CheckChain("hand loop", hand, a_want);
      Output r;
      a_replay.Add(RunJob(chain, Input::kReplay, &data, 1, &r));
      CheckChain("Runnel (replay)", r, a_want);
      r = Output();
      a_gen.Add(RunJob(chain, Input::kGenerator, nullptr, 1, &r));
      CheckChain("Runnel (generator)", r, a_want);
    }
    if (run_b || run_c) {
      // The hand loops are (b)'s baselines and (c)'s reference result.
      std::vector<FloorEntry> floor_table(size_t{1} << kFloorBits,
                                          FloorEntry{kEmpty, 0.0});
      Stopwatch watch;
      Output hand = HandFloor(data, &floor_table);
      b_floor.Add(watch.Stop());
      if (rep == 0) b_want = hand;
      CheckSums("(b) open-addressing loop", hand, b_want);
      state::KeyedTable table(table_options);
      watch = Stopwatch();
      hand = HandKeyedTable(data, &table);
      b_table.Add(watch.Stop());
      CheckSums("(b) KeyedTable loop", hand, b_want);
    }
    for (Input input : {Input::kReplay, Input::kGenerator}) {
      const bool replay = input == Input::kReplay;
      Output r;
      if (run_b) {
        r.per_key.assign(kSymbols, NAN);
        (replay ? b_replay : b_gen).Add(RunJob(keyed, input, &data, 1, &r));
        CheckSums(replay ? "(b) Runnel (replay)" : "(b) Runnel (generator)", r,
                  b_want);
      }
      if (run_c) {  // source, two aggregate instances, sink
        r = Output();
        r.per_key.assign(kSymbols, NAN);
        (replay ? c_replay : c_gen).Add(RunJob(keyed2, input, &data, 4, &r));
        CheckSums(replay ? "(c) Runnel (replay)" : "(c) Runnel (generator)", r,
                  b_want);
      }
    }
    fprintf(stderr, "repetition %d of %d done\n", rep + 1, kRepetitions);
  }

  if (run_a) {
    printf("(a) filter temp > 50 -> project [device, ts, temp as t]; %" PRIu64
           " rows out\n",
           a_want.rows);
    PrintRate("  hand-written loop (in-memory rows)", rows, a_hand);
    PrintRate("  Runnel, 1 task, replay source (headline)", rows, a_replay);
    PrintRate("  Runnel, 1 task, generator source", rows, a_gen);
    PrintRatio("  ratio Runnel (replay) / hand loop", a_replay, a_hand);
    PrintRatio("  ratio Runnel (generator) / hand loop", a_gen, a_hand);
    printf("  goal >= 50 M rows/s on one core (replay source): %s\n\n",
           rows / a_replay.best.wall >= 50e6 ? "met" : "MISSED");
  }
  if (run_b || run_c) {
    printf("(b) key_by device -> sum(temp), emit final, capacity %u; %" PRIu64
           " keys out\n",
           kStateCapacity, b_want.rows);
    PrintRate("  hand loop, open-addressing array by symbol id", rows, b_floor);
    PrintRate("  hand loop, KeyedTable", rows, b_table);
  }
  if (run_b) {
    PrintRate("  Runnel, 1 task, replay source (headline)", rows, b_replay);
    PrintRate("  Runnel, 1 task, generator source", rows, b_gen);
    PrintRatio("  ratio Runnel (replay) / KeyedTable loop", b_replay, b_table);
    PrintRatio("  ratio Runnel (replay) / open-addressing loop", b_replay,
               b_floor);
    PrintRatio("  ratio KeyedTable loop / open-addressing loop", b_table,
               b_floor);
    printf(
        "  goal Runnel >= 0.5 x hand loop (replay source, KeyedTable loop): "
        "%s\n",
        b_table.best.wall / b_replay.best.wall >= 0.5 ? "met" : "MISSED");
  }
  if (run_c) {
    printf(
        "\n(c) as (b), aggregate parallelism 2 (4 threads: source, 2 x "
        "aggregate, sink)\n");
    PrintRate("  Runnel, replay source", rows, c_replay, false);
    PrintRate("  Runnel, generator source", rows, c_gen, false);
    if (run_b)
      PrintRatio("  ratio (c) / (b), replay source", c_replay, b_replay);
  }
  printf(
      "\nchecks: every run matched the hand loops (a: rows out, sums of ids, "
      "timestamps and "
      "temperatures; b, c: every key's sum, and the sum of sums within "
      "1e-6)\n");
  printf("load average %s at end\n", LoadAverage().c_str());
  if (g_descheduled > 0) {
    printf(
        "WARNING: %d single-threaded best run(s) got under 95%% of a core; run "
        "again on a "
        "quiet machine\n",
        g_descheduled);
  }
  return 0;
}

}  // namespace
}  // namespace runnel::bench

int main(int argc, char** argv) { return runnel::bench::Main(argc, argv); }
