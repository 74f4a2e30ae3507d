// window_bench: Runnel's event-time windows, planned like any graph file,
// against a hand-written keyed tumbling-window loop over the same rows, in
// one single-threaded process.
//
//   bazel run -c opt //tools/bench:window_bench [-- ROWS [PARTS]]
//
// ROWS (default 10,000,000) readings `device sym, ts ts, temp f64` with
// 10,000 devices come from Runnel's generator source (ts = start + i ms, so
// event time spans ROWS ms and rows are in order; each device gets a row
// every ~10 s on average). They are generated once into a flat in-memory
// array (untimed) that a replay source feeds to each job, so generation is
// excluded. Each job is a graph file (JSON text below) with event time on ts
// (2 s max out-of-orderness) going through GraphFile::Parse,
// BuildLogicalGraph and Plan: source -> watermarks -> key_by device ->
// window -> counting sink, one task on the calling thread. Contenders
// (PARTS, default "123456", picks them):
//
//   (1) tumbling 10 s                     (2) sliding 60 s, slide 1 s
//   (3) sliding 60 s, slide 100 ms        (4) session, gap 30 s
//   (5) a hand-written keyed tumbling 10 s window loop: per device two
//       window slots (this window and the one the watermark has not yet
//       passed) in an array indexed by symbol id, a list per window of the
//       devices it holds, firing a whole window when the watermark passes
//       its end - 1, as Runnel fires: the floor;
//   (6) the same loop keeping the windows in a KeyedTable keyed by (device,
//       window), inserted by a window's first row and erased when it fires:
//       the goal's yardstick (the state work any keyed window must do).
//
// Every window computes count, sum, min, max, avg of temp. The counting sink
// (and the hand loop, with the same code) folds each result row: rows, the
// sum of the count column, a wrapping sum of device id + window_start, and
// the sum of the sum column. Every run is checked against the same numbers
// computed independently from the data (distinct (device, window) pairs,
// sliding window coverage, session breaks), so the program exits 1 instead
// of measuring the wrong work. Each contender runs kRepetitions times
// (interleaved); the best wall time counts. Planning is not timed, Job::Run
// (open, read, process, drain, close) is.
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
constexpr int kRepetitions = 3;
// The input schema, as the graph declares it.
constexpr uint32_t kWidth = 3;
constexpr uint32_t kDevice = 0, kTs = 1, kTemp = 2;
constexpr uint32_t kBatchRows = 1024;  // the graph default, also for the hand loop
constexpr uint32_t kSymbols = 65536;   // the graph default; symbol ids are below
constexpr int64_t kNsPerMs = 1'000'000;
constexpr int64_t kOutOfOrdernessMs = 2000;

[[noreturn]] void Die(const std::string& message) {
  fprintf(stderr, "window_bench: %s\n", message.c_str());
  exit(1);
}

// ---------------------------------------------------------------------------
// What a contender produced, folded from its result rows by the same code
// for Runnel's sink and the hand loop.

struct Output {
  uint64_t rows = 0;    // result rows
  uint64_t counts = 0;  // sum of the count column
  uint64_t ints = 0;    // wrapping sum of device id + window_start
  double sums = 0;      // sum of the sum column
};

// Where the folded columns are in a result row.
struct Columns {
  uint32_t device = 0, start = 1, count = 3, sum = 4;
};

inline void FoldRow(const Slot* row, const Columns& c, Output* out) {
  ++out->rows;
  out->counts += static_cast<uint64_t>(row[c.count].i64);
  out->ints += static_cast<uint64_t>(row[c.device].i64) +
               static_cast<uint64_t>(row[c.start].i64);
  out->sums += row[c.sum].f64;
}

// ---------------------------------------------------------------------------
// Rows generated once, for the hand loop and the replay source.

struct Dataset {
  uint64_t rows = 0;
  std::vector<Slot> slots;        // rows * kWidth, row-major
  std::vector<uint32_t> key_ids;  // symbol id of "key-k"
};

// The sink of every window job: folds result rows (columns found by name),
// or, for capturing the dataset, appends the rows to it.
class CountingSink : public runtime::Sink {
 public:
  CountingSink(const schema::Schema& schema, Output* result,
               std::vector<Slot>* capture)
      : result_(result), capture_(capture), width_(schema.size()) {
    if (capture_ != nullptr) return;
    auto index = [&schema](const char* name) -> uint32_t {
      for (uint32_t c = 0; c < schema.size(); ++c) {
        if (schema.field(c).name == name) return c;
      }
      Die(std::string("result has no field ") + name);
    };
    columns_.device = index("device");
    columns_.start = index("window_start");
    columns_.count = index("count");
    columns_.sum = index("sum");
  }
  Status Open() override { return Status::Ok(); }
  Status Write(const RowBatch& batch) override {
    if (capture_ != nullptr) {
      for (uint32_t r = 0; r < batch.size(); ++r) {
        capture_->insert(capture_->end(), batch.row(r), batch.row(r) + width_);
      }
      return Status::Ok();
    }
    for (uint32_t r = 0; r < batch.size(); ++r) {
      FoldRow(batch.row(r), columns_, result_);
    }
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }

 private:
  Output* result_;
  std::vector<Slot>* capture_;
  uint32_t width_;
  Columns columns_;
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
// kind); the connector below builds the counting sink instead. $EVENT_TIME
// is empty for generating the dataset.
const char kGraph[] = R"json({
  "name": "window_bench",
  "batch_rows": $BATCH_ROWS,
  "symbols": $SYMBOLS,
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" },
    { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading",
                "generator": { "rows": $ROWS, "keys": $KEYS, "seed": 1 }$EVENT_TIME }],
  "operators": [$OPERATORS],
  "sinks": [{ "name": "out", "input": "$OUTPUT", "csv": { "path": "/dev/null" } }]
})json";

const char kEventTime[] = R"json(,
                "event_time": { "field": "ts", "max_out_of_orderness_ms": $BOUND })json";

const char kWindowOperators[] = R"json(
    { "name": "by_device", "input": "readings", "key_by": ["device"] },
    { "name": "windows", "input": "by_device",
      "window": { $WINDOW,
                  "values": ["count() as count", "sum(temp) as sum",
                             "min(temp) as min", "max(temp) as max",
                             "avg(temp) as avg"],
                  "state": { "capacity": $CAPACITY } } })json";

std::string GraphJson(uint64_t rows, bool event_time,
                      const std::string& operators, const std::string& output) {
  return Fill(kGraph,
              {{"$BATCH_ROWS", std::to_string(kBatchRows)},
               {"$SYMBOLS", std::to_string(kSymbols)},
               {"$ROWS", std::to_string(rows)},
               {"$KEYS", std::to_string(kKeys)},
               {"$EVENT_TIME",
                event_time ? Fill(kEventTime, {{"$BOUND", std::to_string(
                                                              kOutOfOrdernessMs)}})
                           : ""},
               {"$OPERATORS", operators},
               {"$OUTPUT", output}});
}

enum class Input { kGenerator, kReplay };

struct PlannedJob {
  graph::PhysicalPlan plan;
  size_t tasks = 0;
};

// Parses and plans `json`; the sink folds into *result (or captures rows).
PlannedJob PlanJob(const std::string& json, Input input, const Dataset* data,
                   Output* result, std::vector<Slot>* capture) {
  auto file = graph::GraphFile::Parse("window_bench.json", json);
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
Elapsed RunJob(const std::string& json, const Dataset* data, Output* result) {
  PlannedJob job = PlanJob(json, Input::kReplay, data, result, nullptr);
  if (job.tasks != 1)
    Die("planned " + std::to_string(job.tasks) + " tasks, expected 1:\n" +
        job.plan.description);
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
  PlannedJob job =
      PlanJob(GraphJson(rows, /*event_time=*/false, "", "readings"),
              Input::kGenerator, nullptr, &unused, &data.slots);
  Status status = job.plan.job->Run();
  if (!status.ok()) Die(status.message());
  if (data.slots.size() != rows * kWidth)
    Die("generator produced the wrong number of rows");
  for (uint32_t k = 0; k < kKeys; ++k) {
    uint32_t id;
    if (!job.plan.job->symbols()->Find("key-" + std::to_string(k), &id))
      Die("missing key");
    if (id >= kSymbols) Die("symbol id out of range");
    data.key_ids.push_back(id);
  }
  for (uint64_t i = 1; i < rows; ++i) {
    if (data.slots[i * kWidth + kTs].i64 < data.slots[(i - 1) * kWidth + kTs].i64)
      Die("generated rows are not in event-time order");
  }
  return data;
}

// ---------------------------------------------------------------------------
// The expected results, computed from the data without windows: the rows
// are in event-time order and nothing is late (out-of-orderness 2 s), so
// per device:
//   tumbling  a result per distinct window index floor(ts / size);
//   sliding   a result per window start s (a multiple of slide) with
//             s <= ts < s + size for some row, each row counted in
//             size / slide windows;
//   session   a result per run of rows with gaps <= gap (windows [ts,
//             ts + gap) that meet merge, as in Flink), window_start the
//             run's first ts.
// Output's fields then hold what every contender must fold.

enum class Kind { kTumbling, kSliding, kSession };

struct WindowCase {
  const char* label;
  Kind kind;
  int64_t size_ms = 0, slide_ms = 0, gap_ms = 0;
  uint32_t capacity = 0;  // window.state.capacity
  std::string json;       // the job
  Output want;
};

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

Output Expected(const Dataset& data, const WindowCase& c) {
  Output want;
  const int64_t size = c.size_ms * kNsPerMs;
  const int64_t slide = c.slide_ms * kNsPerMs;
  const int64_t gap = c.gap_ms * kNsPerMs;
  // Per device: the last window index (tumbling), the last window start
  // counted (sliding), the last row's ts (session); INT64_MIN for none.
  std::vector<int64_t> last(kSymbols, INT64_MIN);
  const Slot* row = data.slots.data();
  for (uint64_t i = 0; i < data.rows; ++i, row += kWidth) {
    const uint32_t id = static_cast<uint32_t>(row[kDevice].i64);
    const int64_t ts = row[kTs].i64;
    const double temp = row[kTemp].f64;
    int64_t& l = last[id];
    switch (c.kind) {
      case Kind::kTumbling: {
        const int64_t w = FloorDiv(ts, size);
        if (w != l) {
          ++want.rows;
          want.ints += id + static_cast<uint64_t>(w * size);
          l = w;
        }
        want.sums += temp;
        ++want.counts;
        break;
      }
      case Kind::kSliding: {
        // Window starts holding ts: (ts - size, ts], multiples of slide.
        int64_t lo = (FloorDiv(ts - size, slide) + 1) * slide;
        const int64_t hi = FloorDiv(ts, slide) * slide;
        if (l != INT64_MIN) lo = std::max(lo, l + slide);
        if (lo <= hi) {
          const uint64_t n = static_cast<uint64_t>((hi - lo) / slide + 1);
          want.rows += n;
          // sum of lo, lo + slide, ..., hi (wrapping, as the fold)
          want.ints += n * id +
                       n * static_cast<uint64_t>(lo) +
                       static_cast<uint64_t>(slide) * (n * (n - 1) / 2);
          l = hi;
        }
        const int64_t per_row = size / slide;
        want.sums += temp * static_cast<double>(per_row);
        want.counts += static_cast<uint64_t>(per_row);
        break;
      }
      case Kind::kSession:
        if (l == INT64_MIN || ts - l > gap) {
          ++want.rows;
          want.ints += id + static_cast<uint64_t>(ts);
        }
        l = ts;
        want.sums += temp;
        ++want.counts;
        break;
    }
  }
  return want;
}

bool Near(double a, double b, double relative) {
  return std::fabs(a - b) <= relative * std::max(std::fabs(a), std::fabs(b));
}

// Same rows, counts and (device, window_start) sums; the sums of the sum
// column agree to 1e-9 (contenders add the same temperatures in different
// orders: per pane, per window).
void Check(const std::string& name, const Output& got, const Output& want) {
  if (got.rows != want.rows || got.counts != want.counts ||
      got.ints != want.ints || !Near(got.sums, want.sums, 1e-9)) {
    Die(name + " differs from the expected results: rows " +
        std::to_string(got.rows) + " vs " + std::to_string(want.rows) +
        ", counts " + std::to_string(got.counts) + " vs " +
        std::to_string(want.counts) + ", device+start " +
        std::to_string(got.ints) + " vs " + std::to_string(want.ints) +
        ", sums " + std::to_string(got.sums) + " vs " +
        std::to_string(want.sums));
  }
}

// ---------------------------------------------------------------------------
// (5), (6) The hand-written keyed tumbling window: what one would write for
// exactly this query knowing the schema and that the out-of-orderness is
// below the window size (so at most two windows, this one and the previous,
// are open at once; a row needing a third stops the program). The loop is
// the same for both; where a (device, window)'s count, sum, min and max live
// differs:
//   (5) DirectWindows: an array indexed by symbol id and window parity — it
//       also knows that keys are symbol ids below kSymbols: the floor;
//   (6) TableWindows: the KeyedTable Runnel's operators use, keyed by
//       (device, window number), an entry inserted by a window's first row
//       and erased when it fires — the same state work Runnel's window
//       operator must do at least.

// A window's state in a store: count, sum, min, max.
enum : uint32_t { kCount, kSum, kMin, kMax, kStateSlots };

class DirectWindows {
 public:
  DirectWindows() : windows_(size_t{kSymbols} * 2 * (1 + kStateSlots)) {}
  void Reset() {
    for (size_t i = 0; i < windows_.size(); i += 1 + kStateSlots)
      windows_[i].i64 = INT64_MIN;
  }
  // The state of (id, w); *fresh when it was not there (then uninitialized).
  Slot* Upsert(uint32_t id, int64_t w, bool* fresh) {
    Slot* s = At(id, w);
    *fresh = s[0].i64 != w;
    s[0].i64 = w;
    return s + 1;
  }
  const Slot* Get(uint32_t id, int64_t w) { return At(id, w) + 1; }
  void Release(uint32_t, int64_t) {}  // the slot is reused two windows on

 private:
  Slot* At(uint32_t id, int64_t w) {
    return windows_.data() + (size_t{id} * 2 + static_cast<uint32_t>(w & 1)) *
                                 (1 + kStateSlots);
  }
  std::vector<Slot> windows_;  // 2 per symbol id, by parity: window number, state
};

class TableWindows {
 public:
  TableWindows() : table_(Options()) {}
  void Reset() {
    if (table_.size() != 0) Die("hand loop: windows left in the table");
  }
  Slot* Upsert(uint32_t id, int64_t w, bool* fresh) {
    SetKey(id, w);
    Slot* value;
    const state::KeyedTable::Outcome outcome =
        table_.FindOrInsert(key_, schema::HashSlots(key_, 2), 0, &value);
    if (outcome == state::KeyedTable::Outcome::kFull) Die("hand loop: table full");
    *fresh = outcome == state::KeyedTable::Outcome::kInserted;
    return value;
  }
  const Slot* Get(uint32_t id, int64_t w) {
    SetKey(id, w);
    return table_.Find(key_, schema::HashSlots(key_, 2));
  }
  void Release(uint32_t id, int64_t w) {
    SetKey(id, w);
    table_.Erase(key_, schema::HashSlots(key_, 2));
  }

 private:
  static state::KeyedTableOptions Options() {
    state::KeyedTableOptions o;
    o.capacity = 32768;  // as Runnel's tumbling job
    o.key_slots = 2;
    o.value_slots = kStateSlots;
    o.recency = false;  // as Runnel's window state without evict_oldest
    return o;
  }
  void SetKey(uint32_t id, int64_t w) {
    key_[0].i64 = id;
    key_[1].i64 = w;
  }
  state::KeyedTable table_;
  Slot key_[2];
};

template <typename Windows>
class HandTumbling {
 public:
  HandTumbling(int64_t size_ns, int64_t out_of_orderness_ns)
      : size_(size_ns),
        bound_(out_of_orderness_ns),
        members_{std::vector<uint32_t>(kSymbols), std::vector<uint32_t>(kSymbols)},
        out_(size_t{kBatchRows} * kOutWidth) {}

  Output Run(const Dataset& data) {
    result_ = Output();
    windows_.Reset();
    open_ = 0;
    out_rows_ = 0;
    int64_t max_ts = INT64_MIN;
    uint64_t late = 0;
    const Slot* row = data.slots.data();
    for (uint64_t i = 0; i < data.rows; ++i, row += kWidth) {
      // The watermark in effect before this row fires what it passed.
      const int64_t watermark =
          max_ts == INT64_MIN ? INT64_MIN : max_ts - bound_ - 1;
      while (open_ > 0 && End(oldest_) - 1 <= watermark) FireOldest();
      const int64_t ts = row[kTs].i64;
      const int64_t w = FloorDiv(ts, size_);
      if (End(w) - 1 <= watermark) {
        ++late;
        continue;
      }
      if (open_ == 0) {
        oldest_ = w;
        open_ = 1;
      } else if (w > oldest_ + open_ - 1) {
        if (w - oldest_ >= 2) Die("hand loop: a third open window");
        open_ = 2;
      }
      const uint32_t id = static_cast<uint32_t>(row[kDevice].i64);
      const double temp = row[kTemp].f64;
      bool fresh;
      Slot* s = windows_.Upsert(id, w, &fresh);
      if (fresh) {
        s[kCount].i64 = 1;
        s[kSum].f64 = s[kMin].f64 = s[kMax].f64 = temp;
        const uint32_t parity = static_cast<uint32_t>(w & 1);
        members_[parity][members_size_[parity]++] = id;
      } else {
        ++s[kCount].i64;
        s[kSum].f64 += temp;
        s[kMin].f64 = std::min(s[kMin].f64, temp);
        s[kMax].f64 = std::max(s[kMax].f64, temp);
      }
      max_ts = std::max(max_ts, ts);
    }
    while (open_ > 0) FireOldest();  // the final watermark
    Flush();
    if (late != 0) Die("hand loop: late rows in ordered data");
    return result_;
  }

 private:
  static constexpr uint32_t kOutWidth = 9;  // the window's result row

  int64_t End(int64_t w) const { return w * size_ + size_; }

  // Emits the oldest open window for each device it holds, in order of the
  // device's first row in it (as Runnel orders equal-time firings).
  void FireOldest() {
    const uint32_t parity = static_cast<uint32_t>(oldest_ & 1);
    const int64_t start = oldest_ * size_, end = start + size_;
    const uint32_t* ids = members_[parity].data();
    for (uint32_t m = 0; m < members_size_[parity]; ++m) {
      const Slot* s = windows_.Get(ids[m], oldest_);
      Slot* o = out_.data() + size_t{out_rows_} * kOutWidth;
      o[0].i64 = ids[m];
      o[1].i64 = start;
      o[2].i64 = end;
      o[3].i64 = s[kCount].i64;
      o[4].f64 = s[kSum].f64;
      o[5].f64 = s[kMin].f64;
      o[6].f64 = s[kMax].f64;
      o[7].f64 = s[kSum].f64 / static_cast<double>(s[kCount].i64);
      o[8].i64 = 0;  // is_update
      windows_.Release(ids[m], oldest_);
      if (++out_rows_ == kBatchRows) Flush();
    }
    members_size_[parity] = 0;
    ++oldest_;
    --open_;
  }

  // The counting sink's work on a full batch.
  void Flush() {
    const Columns columns;
    for (uint32_t r = 0; r < out_rows_; ++r) {
      FoldRow(out_.data() + size_t{r} * kOutWidth, columns, &result_);
    }
    out_rows_ = 0;
  }

  const int64_t size_;
  const int64_t bound_;
  Windows windows_;
  std::vector<uint32_t> members_[2];        // devices of window w, by parity
  uint32_t members_size_[2] = {0, 0};       // of members_
  std::vector<Slot> out_;                   // one batch of result rows
  uint32_t out_rows_ = 0;
  int64_t oldest_ = 0;  // oldest open window
  int open_ = 0;        // open windows: oldest_, oldest_ + 1
  Output result_;
};

// ---------------------------------------------------------------------------
// Reporting.

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

// The best (least wall time) of a contender's repetitions, and the worst
// wall time: memory-bound runs vary on a shared machine even at full CPU.
struct Timing {
  Elapsed best{1e300, 0};
  double worst = 0;
  void Add(Elapsed e) {
    if (e.wall < best.wall) best = e;
    worst = std::max(worst, e.wall);
  }
};

int g_descheduled = 0;

void PrintRate(const char* label, uint64_t rows, uint64_t out_rows,
               const Timing& t) {
  const bool short_of_cpu = t.best.cpu < 0.95 * t.best.wall;
  g_descheduled += short_of_cpu;
  printf("%-34s %9.3f M rows/s %8.1f ns/row %6.1f ns/result %11" PRIu64
         " results (%.3f s, cpu %.3f s, worst %.3f s%s)\n",
         label, rows / t.best.wall / 1e6, t.best.wall / rows * 1e9,
         t.best.wall / out_rows * 1e9, out_rows, t.best.wall, t.best.cpu,
         t.worst, short_of_cpu ? ", DESCHEDULED: machine busy" : "");
}

int Main(int argc, char** argv) {
  uint64_t rows = kDefaultRows;
  if (argc > 1) rows = std::strtoull(argv[1], nullptr, 10);
  if (rows < kKeys) Die("ROWS must be at least " + std::to_string(kKeys));
  const std::string parts = argc > 2 ? argv[2] : "123456";
  auto runs = [&parts](char part) {
    return parts.find(part) != std::string::npos;
  };

  printf("machine: nproc %d, %s; load average %s at start\n", Cpus(),
         CpuModel().c_str(), LoadAverage().c_str());
#ifdef __OPTIMIZE__
  const char* optimized = "optimized";
#else
  const char* optimized = "NOT OPTIMIZED (use -c opt)";
#endif
  printf("build: g++ %s, %s\n", __VERSION__, optimized);
  printf("rows: %" PRIu64
         " (device sym, ts ts 1 ms apart, temp f64), %u devices, event time "
         "on ts with %" PRId64 " ms out-of-orderness, batches of %u, best of %d\n\n",
         rows, kKeys, kOutOfOrdernessMs, kBatchRows, kRepetitions);

  Stopwatch generating;
  const Dataset data = Generate(rows);
  printf("generated the in-memory copy in %.2f s (%.0f MB)\n\n",
         generating.Stop().wall, data.slots.size() * sizeof(Slot) / 1e6);

  // Capacities: live (device, window / pane / session) entries, with room
  // to spare: tumbling ~1.3 windows per device, sliding the panes of the
  // last 60 s + 2 s (~6.2 rows per device, each its own pane at 100 ms).
  std::vector<WindowCase> cases = {
      {"(1) tumbling 10 s", Kind::kTumbling, 10000, 0, 0, 32768, "", {}},
      {"(2) sliding 60 s / 1 s", Kind::kSliding, 60000, 1000, 0, 131072, "", {}},
      {"(3) sliding 60 s / 100 ms", Kind::kSliding, 60000, 100, 0, 131072, "", {}},
      {"(4) session gap 30 s", Kind::kSession, 0, 0, 30000, 32768, "", {}},
  };
  for (WindowCase& c : cases) {
    std::string window;
    switch (c.kind) {
      case Kind::kTumbling:
        window = "\"type\": \"tumbling\", \"size_ms\": " + std::to_string(c.size_ms);
        break;
      case Kind::kSliding:
        window = "\"type\": \"sliding\", \"size_ms\": " + std::to_string(c.size_ms) +
                 ", \"slide_ms\": " + std::to_string(c.slide_ms);
        break;
      case Kind::kSession:
        window = "\"type\": \"session\", \"gap_ms\": " + std::to_string(c.gap_ms);
        break;
    }
    c.json = GraphJson(rows, /*event_time=*/true,
                       Fill(kWindowOperators,
                            {{"$WINDOW", window},
                             {"$CAPACITY", std::to_string(c.capacity)}}),
                       "windows");
    c.want = Expected(data, c);
  }

  Timing timings[4], direct, table;
  HandTumbling<DirectWindows> direct_loop(cases[0].size_ms * kNsPerMs,
                                          kOutOfOrdernessMs * kNsPerMs);
  HandTumbling<TableWindows> table_loop(cases[0].size_ms * kNsPerMs,
                                        kOutOfOrdernessMs * kNsPerMs);
  // Each run's time also goes to stderr as it ends: a run cut short still
  // tells something.
  auto run_hand = [&](const char* label, auto* loop, Timing* timing) {
    Stopwatch watch;
    Output got = loop->Run(data);
    const Elapsed e = watch.Stop();
    timing->Add(e);
    Check(label, got, cases[0].want);
    fprintf(stderr, "  %s: %.3f s (cpu %.3f s)\n", label, e.wall, e.cpu);
  };
  for (int rep = 0; rep < kRepetitions; ++rep) {
    if (runs('5')) run_hand("(5) hand loop, direct", &direct_loop, &direct);
    if (runs('6')) run_hand("(6) hand loop, KeyedTable", &table_loop, &table);
    for (size_t i = 0; i < cases.size(); ++i) {
      if (!runs(static_cast<char>('1' + i))) continue;
      Output got;
      const Elapsed e = RunJob(cases[i].json, &data, &got);
      timings[i].Add(e);
      Check(cases[i].label, got, cases[i].want);
      fprintf(stderr, "  %s: %.3f s (cpu %.3f s)\n", cases[i].label, e.wall,
              e.cpu);
    }
    fprintf(stderr, "repetition %d of %d done\n", rep + 1, kRepetitions);
  }

  printf("%-34s %18s %15s %17s %11s\n", "", "input rows/s", "per input row",
         "per result row", "results");
  for (size_t i = 0; i < cases.size(); ++i) {
    if (runs(static_cast<char>('1' + i)))
      PrintRate(cases[i].label, rows, cases[i].want.rows, timings[i]);
  }
  if (runs('5'))
    PrintRate("(5) hand loop tumbling, direct", rows, cases[0].want.rows, direct);
  if (runs('6'))
    PrintRate("(6) hand loop tumbling, KeyedTable", rows, cases[0].want.rows, table);
  printf("\n");
  if (runs('1')) {
    printf("tumbling results: %" PRIu64
           " distinct (device, 10 s window) pairs in the data (checked; "
           "%.2f per device and window of the %" PRIu64 " x %" PRIu64
           " possible)\n",
           cases[0].want.rows,
           cases[0].want.rows / (static_cast<double>(kKeys) *
                                 static_cast<double>((rows + 9999) / 10000)),
           uint64_t{kKeys}, (rows + 9999) / 10000);
  }
  if (runs('1') && runs('5')) {
    printf("ratio tumbling / hand loop, direct (rows/s): %.3f (the floor)\n",
           direct.best.wall / timings[0].best.wall);
  }
  if (runs('1') && runs('6')) {
    const double ratio = table.best.wall / timings[0].best.wall;
    printf("ratio tumbling / hand loop, KeyedTable (rows/s): %.3f  goal >= 0.5: %s\n",
           ratio, ratio >= 0.5 ? "met" : "MISSED");
  }
  if (runs('2') && runs('3')) {
    const Timing& a = timings[1];
    const Timing& b = timings[2];
    const double per_row = b.best.wall / a.best.wall;
    const double per_result = (b.best.wall / cases[2].want.rows) /
                              (a.best.wall / cases[1].want.rows);
    printf(
        "sliding 60 s/100 ms vs 60 s/1 s: cost per input row x%.2f, per "
        "result row x%.2f, results x%.2f; goal per input row within 20%%: "
        "%s\n",
        per_row, per_result,
        static_cast<double>(cases[2].want.rows) / cases[1].want.rows,
        per_row <= 1.2 && per_row >= 1 / 1.2 ? "met" : "MISSED");
  }
  printf(
      "\nchecks: every run matched the results computed from the data (rows, "
      "sum of counts, device + window_start, sum of sums to 1e-9)\n");
  printf("load average %s at end\n", LoadAverage().c_str());
  if (g_descheduled > 0) {
    printf(
        "WARNING: %d best run(s) got under 95%% of a core; run again on a "
        "quiet machine\n",
        g_descheduled);
  }
  return 0;
}

}  // namespace
}  // namespace runnel::bench

int main(int argc, char** argv) { return runnel::bench::Main(argc, argv); }
