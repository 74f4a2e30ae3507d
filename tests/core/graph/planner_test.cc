// Integration tests of the planner: graph text -> logical graph -> physical
// plan (tasks, rings, fusion, state, memory), then running planned jobs and
// checking what they produce.
//
// The layout tests use in-memory Connectors (a counting source, a collecting
// sink); the run tests use the real generator source and CSV sink writing to
// a temp dir, and compare the files read back.
#include "core/graph/planner.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/runtime/operator.h"
#include "tests/testing/temp_dir.h"
#include "transports/file/csv_connectors.h"
#include "transports/generator/generator_connector.h"

#include <CppUTest/TestHarness.h>

using runnel::Status;
using runnel::graph::BuildLogicalGraph;
using runnel::graph::Connectors;
using runnel::graph::Diagnostics;
using runnel::graph::GraphFile;
using runnel::graph::LogicalGraph;
using runnel::graph::LogicalSink;
using runnel::graph::LogicalSource;
using runnel::graph::MemoryBudget;
using runnel::graph::PhysicalPlan;
using runnel::graph::PlanOptions;
using runnel::runtime::Job;
using runnel::runtime::RingStats;
using runnel::runtime::Task;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::testing::ReadFile;
using runnel::testing::TempDir;

namespace {

// ---------------------------------------------------------------------------
// In-memory connectors.

// Row i of a source: i % keys in every i64 field, first_ms + i (ms) in every
// ts field, i / 4.0 in every f64 field, i % 2 in every bool field.
class SequenceSource : public runnel::runtime::Source {
 public:
  SequenceSource(Schema schema, int64_t rows, int64_t keys, int64_t first_ms)
      : schema_(std::move(schema)), rows_(rows), keys_(keys), first_ms_(first_ms) {}
  Status Open() override { return Status::Ok(); }
  Status Read(RowBatch* out, bool* done) override {
    while (!out->full() && next_ < rows_) {
      Slot* row = out->Append();
      for (uint32_t f = 0; f < schema_.size(); ++f) {
        switch (schema_.field(f).type) {
          case FieldType::kI64: row[f].i64 = next_ % keys_; break;
          case FieldType::kTs: row[f].i64 = (first_ms_ + next_) * 1000000; break;
          case FieldType::kF64: row[f].f64 = static_cast<double>(next_) / 4.0; break;
          default: row[f].i64 = next_ % 2; break;
        }
      }
      ++next_;
    }
    *done = next_ == rows_;
    return Status::Ok();
  }

 private:
  Schema schema_;
  int64_t rows_;
  int64_t keys_;
  int64_t first_ms_;
  int64_t next_ = 0;
};

using Rows = std::vector<std::vector<Slot>>;

// Appends every row it is given to *rows (one sink per task thread; read
// them after Run() returned).
class CollectingSink : public runnel::runtime::Sink {
 public:
  explicit CollectingSink(Rows* rows) : rows_(rows) {}
  Status Open() override { return Status::Ok(); }
  Status Write(const RowBatch& batch) override {
    for (uint32_t r = 0; r < batch.size(); ++r) {
      rows_->emplace_back(batch.row(r), batch.row(r) + batch.width());
    }
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }

 private:
  Rows* rows_;
};

// Sources are SequenceSources (whatever the graph says they are); source k
// (in graph order) starts its timestamps at k * 1,000,000 ms. Sinks collect
// into written[sink name].
struct MemoryConnectors {
  int64_t rows = 1000;
  int64_t keys = 1000;
  int sources_made = 0;
  int sinks_made = 0;
  std::map<std::string, Rows> written;

  Connectors Get() {
    Connectors c;
    c.make_source = [this](const GraphFile&, const LogicalSource&, const Schema& schema,
                           SymbolTable*, Diagnostics*)
        -> std::unique_ptr<runnel::runtime::Source> {
      int64_t first_ms = int64_t{sources_made++} * 1000000;
      return std::make_unique<SequenceSource>(schema, rows, keys, first_ms);
    };
    c.make_sink = [this](const GraphFile&, const LogicalSink& sink, const Schema&,
                         const SymbolTable*, Diagnostics*)
        -> std::unique_ptr<runnel::runtime::Sink> {
      ++sinks_made;
      return std::make_unique<CollectingSink>(&written[sink.name]);
    };
    return c;
  }
};

// The real transports: generator and CSV sources, CSV sinks.
Connectors FileConnectors() {
  Connectors c;
  c.make_source = [](const GraphFile& file, const LogicalSource& source, const Schema& schema,
                     SymbolTable* symbols, Diagnostics* diagnostics)
      -> std::unique_ptr<runnel::runtime::Source> {
    if (source.def->generator()) {
      return runnel::generator::MakeGeneratorSource(source, schema, symbols,
                                                    runnel::SystemClock::Get(), diagnostics);
    }
    return runnel::file::MakeCsvSource(file, source, schema, symbols, {}, diagnostics);
  };
  c.make_sink = [](const GraphFile& file, const LogicalSink& sink, const Schema& schema,
                   const SymbolTable* symbols, Diagnostics* diagnostics) {
    return runnel::file::MakeCsvSink(file, sink, schema, symbols, {}, diagnostics);
  };
  return c;
}

// ---------------------------------------------------------------------------
// Planning.

// A graph file, its logical graph and its plan, kept together (the plan's
// job is destroyed first).
struct Planned {
  std::shared_ptr<const GraphFile> file;
  LogicalGraph logical;
  Diagnostics diagnostics;
  PhysicalPlan plan;

  Job* job() const { return plan.job.get(); }
  // The diagnostics as "file:line: field: message" lines.
  std::string errors() const { return file ? file->Format(diagnostics) : ""; }
};

// Parses `text` as the graph file `path`, checks it (there must be no
// logical errors) and plans it.
std::unique_ptr<Planned> PlanText(const std::string& text, const Connectors& connectors,
                                  const std::string& path = "g.json") {
  auto planned = std::make_unique<Planned>();
  auto file = GraphFile::Parse(path, text);
  CHECK_TEXT(file.ok(), file.status().message().c_str());
  planned->file = file.value();
  planned->logical = BuildLogicalGraph(planned->file, &planned->diagnostics);
  CHECK_TEXT(planned->diagnostics.empty(), planned->errors().c_str());
  planned->plan = Plan(planned->logical, connectors, PlanOptions(), &planned->diagnostics);
  return planned;
}

// Plans `text` and requires a job.
std::unique_ptr<Planned> PlanOk(const std::string& text, const Connectors& connectors,
                                const std::string& path = "g.json") {
  std::unique_ptr<Planned> planned = PlanText(text, connectors, path);
  CHECK_TEXT(planned->job() != nullptr, planned->errors().c_str());
  return planned;
}

void RunOk(const Planned& planned) {
  Status status = planned.job()->Run();
  CHECK_TEXT(status.ok(), status.message().c_str());
}

std::vector<std::string> TaskNames(const Job& job) {
  std::vector<std::string> names;
  for (const auto& task : job.tasks()) names.push_back(task->name());
  return names;
}

std::vector<std::string> RingNames(const Job& job) {
  std::vector<std::string> names;
  for (const RingStats& r : job.Rings()) names.push_back(r.name);
  return names;
}

// The task named `name`; fails the test if there is none.
const Task& TaskNamed(const Job& job, const std::string& name) {
  for (const auto& task : job.tasks()) {
    if (task->name() == name) return *task;
  }
  FAIL(("no task named " + name).c_str());
  return *job.tasks()[0];
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : " | ") + item;
  return out;
}

void StringsEqual(const std::vector<std::string>& expected,
                  const std::vector<std::string>& actual) {
  STRCMP_EQUAL(Join(expected).c_str(), Join(actual).c_str());
}

// ---------------------------------------------------------------------------
// Graph text.

// The schema in-memory graphs use: no sym field, so SequenceSource can fill
// every field without symbols.
constexpr const char* kItemSchema = R"(
  "schemas": [{ "name": "item", "fields": [
    { "name": "id", "type": "i64" }, { "name": "ts", "type": "ts" },
    { "name": "v", "type": "f64" } ] }],)";

// The schema generator graphs use: key-k, k, a timestamp, a value in [0, 100).
constexpr const char* kReadingSchema = R"(
  "schemas": [{ "name": "reading", "fields": [
    { "name": "key", "type": "sym" }, { "name": "n", "type": "i64" },
    { "name": "ts", "type": "ts" }, { "name": "v", "type": "f64" } ] }],)";

// A graph of `schemas` plus `rest` (sources, operators, sinks, options).
std::string Graph(const char* schemas, const std::string& rest) {
  return std::string("{") + schemas + rest + "}";
}

// One in-memory source named `name` (the kind is ignored by MemoryConnectors).
std::string ItemSource(const std::string& name) {
  return R"({ "name": ")" + name + R"(", "schema": "item", "generator": {} })";
}

std::string MemorySink(const std::string& name, const std::string& input) {
  return R"({ "name": ")" + name + R"(", "input": ")" + input +
         R"(", "csv": { "path": "-" } })";
}

std::string CsvSink(const std::string& name, const std::string& input,
                    const std::string& path) {
  return R"({ "name": ")" + name + R"(", "input": ")" + input + R"(", "csv": { "path": ")" +
         path + R"(" } })";
}

// ---------------------------------------------------------------------------
// CSV read back.

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = text.find(separator, at);
    if (end == std::string::npos) end = text.size();
    parts.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return parts;
}

// The lines of a CSV file after its header (which must be `header`).
std::vector<std::string> CsvRows(const std::string& path, const std::string& header) {
  std::string text = ReadFile(path);
  CHECK_TEXT(!text.empty() && text.back() == '\n', ("incomplete file " + path).c_str());
  std::vector<std::string> lines = Split(text.substr(0, text.size() - 1), '\n');
  STRCMP_EQUAL(header.c_str(), lines[0].c_str());
  lines.erase(lines.begin());
  return lines;
}

std::vector<std::string> Sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

}  // namespace

// ===========================================================================
// Physical layout.

TEST_GROUP(PlannerLayout) {
  MemoryConnectors memory;
};

TEST(PlannerLayout, FusesAFilterProjectChainIntoOneTaskWithoutRings) {
  auto p = PlanOk(Graph(kItemSchema, R"(
    "sources": [)" + ItemSource("items") + R"(],
    "operators": [
      { "name": "slim", "input": "big", "project": ["id", "v as value"] },
      { "name": "big", "input": "items", "filter": "id >= 500" } ],
    "sinks": [)" + MemorySink("out", "slim") + "]"),
                  memory.Get());
  const Job& job = *p->job();
  LONGS_EQUAL(1, job.tasks().size());
  LONGS_EQUAL(0, job.Rings().size());
  Task::StageNames names = job.tasks()[0]->Names();
  StringsEqual({"items"}, names.sources);
  StringsEqual({"big", "slim"}, names.operators);  // dependency order
  StringsEqual({"out"}, names.sinks);
  CHECK(p->plan.description.rfind("1 task (one thread each), 0 rings, batches of 1024 rows\n",
                                  0) == 0);
  CHECK(p->plan.description.find("rings (") == std::string::npos);
  CHECK(p->plan.description.find("keyed state") == std::string::npos);
  LONGS_EQUAL(0, p->plan.memory.rings);
  LONGS_EQUAL(0, p->plan.memory.state);

  RunOk(*p);
  const Rows& out = memory.written["out"];
  LONGS_EQUAL(500, out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    LONGS_EQUAL(2, out[i].size());
    LONGS_EQUAL(500 + static_cast<int64_t>(i), out[i][0].i64);
    DOUBLES_EQUAL((500.0 + static_cast<double>(i)) / 4.0, out[i][1].f64, 0);
  }
}

TEST(PlannerLayout, KeyedAggregateWithParallelismThreeGetsOneTaskPerInstanceAndRings) {
  memory.keys = 10;
  auto p = PlanOk(Graph(kItemSchema, R"(
    "sources": [)" + ItemSource("items") + R"(],
    "operators": [
      { "name": "by_id", "input": "items", "key_by": ["id"] },
      { "name": "totals", "input": "by_id", "parallelism": 3,
        "aggregate": { "values": ["count() as n", "sum(v) as total"], "emit": "final",
                       "state": { "capacity": 777 } } } ],
    "sinks": [)" + MemorySink("out", "totals") + "]"),
                  memory.Get());
  const Job& job = *p->job();
  StringsEqual({"source items", "totals#0", "totals#1", "totals#2", "out"}, TaskNames(job));
  StringsEqual({"by_id -> totals#0", "by_id -> totals#1", "by_id -> totals#2",
                "totals#0 -> out", "totals#1 -> out", "totals#2 -> out"},
               RingNames(job));
  for (const RingStats& r : job.Rings()) LONGS_EQUAL(8, r.slots);

  Task::StageNames source = TaskNamed(job, "source items").Names();
  StringsEqual({"items"}, source.sources);
  StringsEqual({}, source.operators);
  StringsEqual({"=> totals (partition by key)"}, source.sinks);
  for (int i = 0; i < 3; ++i) {
    std::string name = "totals#" + std::to_string(i);
    Task::StageNames instance = TaskNamed(job, name).Names();
    StringsEqual({"<= rings (1)"}, instance.sources);
    StringsEqual({name}, instance.operators);
    StringsEqual({"=> out (forward)"}, instance.sinks);
  }
  Task::StageNames sink = TaskNamed(job, "out").Names();
  StringsEqual({"<= rings (3)"}, sink.sources);
  StringsEqual({"out"}, sink.sinks);

  const std::string& d = p->plan.description;
  CHECK_TEXT(d.rfind("5 tasks (one thread each), 6 rings, batches of 1024 rows\n", 0) == 0,
             d.c_str());
  STRCMP_CONTAINS("rings (8 batches each):\n  by_id -> totals#0\n", d.c_str());
  STRCMP_CONTAINS("task 0: source items\n  in   items\n  out  => totals (partition by key)\n",
                  d.c_str());
  STRCMP_CONTAINS("keyed state:\n  totals: 777 keys x 3 instance(s), ", d.c_str());

  // Every key reaches one instance: 10 final rows, 100 rows each.
  RunOk(*p);
  Rows out = memory.written["out"];
  LONGS_EQUAL(10, out.size());
  std::sort(out.begin(), out.end(),
            [](const std::vector<Slot>& a, const std::vector<Slot>& b) { return a[0].i64 < b[0].i64; });
  for (int64_t k = 0; k < 10; ++k) {
    LONGS_EQUAL(k, out[k][0].i64);
    LONGS_EQUAL(100, out[k][1].i64);
    // sum over i = 10j + k, j < 100, of i / 4
    DOUBLES_EQUAL((49500.0 + 100.0 * static_cast<double>(k)) / 4.0, out[k][2].f64, 0);
  }
  // Each instance owns some of the keys; together they saw every row once.
  uint64_t rows_in = 0;
  int busy_instances = 0;
  for (const auto& s : job.Stats()) {
    if (s.name.rfind("totals#", 0) != 0) continue;
    rows_in += s.rows_in;
    busy_instances += s.rows_in > 0;
    LONGS_EQUAL(777, s.metrics.state_capacity);
  }
  LONGS_EQUAL(1000, rows_in);
  CHECK(busy_instances >= 2);
}

TEST(PlannerLayout, UnionReadsRingsFromBothInputs) {
  auto p = PlanOk(Graph(kItemSchema, R"(
    "sources": [)" + ItemSource("a") + ", " + ItemSource("b") + R"(],
    "operators": [{ "name": "merged", "union": ["a", "b"] }],
    "sinks": [)" + MemorySink("out", "merged") + "]"),
                  memory.Get());
  const Job& job = *p->job();
  StringsEqual({"source a", "source b", "merged"}, TaskNames(job));
  StringsEqual({"a -> merged", "b -> merged"}, RingNames(job));
  StringsEqual({"=> merged (forward)"}, TaskNamed(job, "source a").Names().sinks);
  StringsEqual({"=> merged (forward)"}, TaskNamed(job, "source b").Names().sinks);
  Task::StageNames merged = TaskNamed(job, "merged").Names();
  StringsEqual({"<= rings (2)"}, merged.sources);
  StringsEqual({}, merged.operators);  // a union does no work of its own
  StringsEqual({"out"}, merged.sinks);  // fused with the sink after it

  RunOk(*p);
  const Rows& out = memory.written["out"];
  LONGS_EQUAL(2000, out.size());
  std::set<int64_t> seen;
  for (const auto& row : out) seen.insert(row[1].i64 / 1000000);
  LONGS_EQUAL(2000, seen.size());  // source a: ts 0..999, source b: 1000000..
  LONGS_EQUAL(0, *seen.begin());
  LONGS_EQUAL(1000999, *seen.rbegin());
}

TEST(PlannerLayout, SplitBranchesStayFusedWithTheirInput) {
  auto p = PlanOk(Graph(kItemSchema, R"(
    "sources": [)" + ItemSource("items") + R"(],
    "operators": [{ "name": "by_v", "input": "items", "split": [
      { "name": "low", "when": "v < 100" },
      { "name": "mid", "when": "v < 200" },
      { "name": "high" } ] }],
    "sinks": [)" + MemorySink("low_out", "low") + ", " + MemorySink("mid_out", "mid") + ", " +
                      MemorySink("high_out", "high") + "]"),
                  memory.Get());
  const Job& job = *p->job();
  LONGS_EQUAL(1, job.tasks().size());
  LONGS_EQUAL(0, job.Rings().size());
  Task::StageNames names = job.tasks()[0]->Names();
  StringsEqual({"low", "mid", "high"}, names.operators);
  StringsEqual({"low_out", "mid_out", "high_out"}, names.sinks);

  RunOk(*p);  // v = i / 4
  LONGS_EQUAL(400, memory.written["low_out"].size());
  LONGS_EQUAL(400, memory.written["mid_out"].size());
  LONGS_EQUAL(200, memory.written["high_out"].size());
  DOUBLES_EQUAL(99.75, memory.written["low_out"].back()[2].f64, 0);
  DOUBLES_EQUAL(100.0, memory.written["mid_out"].front()[2].f64, 0);
  DOUBLES_EQUAL(200.0, memory.written["high_out"].front()[2].f64, 0);
}

TEST(PlannerLayout, ParallelSplitBranchesStayInTheirInputsTasks) {
  memory.keys = 10;
  auto p = PlanOk(Graph(kItemSchema, R"(
    "sources": [)" + ItemSource("items") + R"(],
    "operators": [
      { "name": "by_id", "input": "items", "key_by": ["id"] },
      { "name": "counts", "input": "by_id", "parallelism": 2,
        "aggregate": { "values": ["count() as n"] } },
      { "name": "route", "input": "counts", "parallelism": 2, "split": [
        { "name": "first", "when": "n == 1" }, { "name": "again" } ] } ],
    "sinks": [)" + MemorySink("first_out", "first") + ", " +
                      MemorySink("again_out", "again") + "]"),
                  memory.Get());
  const Job& job = *p->job();
  StringsEqual({"source items", "counts#0", "counts#1", "first_out", "again_out"},
               TaskNames(job));
  for (int i = 0; i < 2; ++i) {
    std::string n = std::to_string(i);
    Task::StageNames instance = TaskNamed(job, "counts#" + n).Names();
    StringsEqual({"counts#" + n, "first#" + n, "again#" + n}, instance.operators);
    StringsEqual({"=> first_out (forward)", "=> again_out (forward)"}, instance.sinks);
  }
  LONGS_EQUAL(6, job.Rings().size());

  RunOk(*p);  // one update per row: the first of each of the 10 keys has n == 1
  LONGS_EQUAL(10, memory.written["first_out"].size());
  LONGS_EQUAL(990, memory.written["again_out"].size());
}

TEST(PlannerLayout, DescribesTheStateCapacityOfEachAggregate) {
  auto plan_with = [&](int capacity) {
    return PlanOk(Graph(kItemSchema, R"(
      "sources": [)" + ItemSource("items") + R"(],
      "operators": [
        { "name": "by_id", "input": "items", "key_by": ["id"] },
        { "name": "counts", "input": "by_id", "parallelism": 2,
          "aggregate": { "values": ["count() as count"], "state": { "capacity": )" +
                              std::to_string(capacity) + R"(,
            "on_full": "evict_oldest", "ttl_ms": 5000 } } },
        { "name": "overall", "input": "items", "aggregate": { "values": ["max(v) as top"] } } ],
      "sinks": [)" + MemorySink("a", "counts") + ", " + MemorySink("b", "overall") + "]"),
                  memory.Get());
  };
  auto p = plan_with(1234);
  const std::string& d = p->plan.description;
  STRCMP_CONTAINS("keyed state:\n", d.c_str());
  STRCMP_CONTAINS("  counts: 1234 keys x 2 instance(s), ", d.c_str());
  STRCMP_CONTAINS(" each, on_full evict_oldest, ttl 5000 ms\n", d.c_str());
  STRCMP_CONTAINS("  overall: 65536 keys x 1 instance(s), ", d.c_str());  // the default
  STRCMP_CONTAINS(" each, on_full fail\n", d.c_str());
  for (const auto& s : p->job()->Stats()) {
    if (s.name.rfind("counts#", 0) == 0) LONGS_EQUAL(1234, s.metrics.state_capacity);
    if (s.name == "overall") LONGS_EQUAL(65536, s.metrics.state_capacity);
  }
  // State memory follows the capacity.
  auto bigger = plan_with(4 * 1234);
  CHECK(p->plan.memory.state > 0);
  CHECK(bigger->plan.memory.state > p->plan.memory.state);
}

TEST(PlannerLayout, MemoryBudgetCountsEveryComponent) {
  TempDir dir;
  dir.Write("in.csv", "id,ts,v\n1,1000,2.5\n");
  auto plan_with = [&](int ring_slots) {
    return PlanOk(Graph(kItemSchema, R"(
      "ring_slots": )" + std::to_string(ring_slots) + R"(,
      "sources": [{ "name": "items", "schema": "item", "csv": { "path": "in.csv" } }],
      "operators": [
        { "name": "by_id", "input": "items", "key_by": ["id"] },
        { "name": "totals", "input": "by_id", "parallelism": 3,
          "aggregate": { "values": ["count() as n"], "state": { "capacity": 100 } } } ],
      "sinks": [)" + CsvSink("out", "totals", "out.csv") + "]"),
                  FileConnectors(), dir.File("g.json"));
  };
  auto p = plan_with(8);
  const MemoryBudget& m = p->plan.memory;
  CHECK(m.batches > 0);
  CHECK(m.rings > 0);
  CHECK(m.state > 0);
  CHECK(m.symbols > 0);
  CHECK(m.io > 0);
  LONGS_EQUAL(m.batches + m.rings + m.state + m.symbols + m.io, m.total());
  LONGS_EQUAL(p->job()->batch_bytes(), m.batches);
  LONGS_EQUAL(p->job()->ring_bytes(), m.rings);
  LONGS_EQUAL(p->job()->symbols()->footprint_bytes(), m.symbols);
  // A CSV source's line and field buffers plus a CSV sink's write buffer.
  LONGS_EQUAL(3 * 65536, m.io);
  // 6 rings of 8 batches of 1024 rows of at least one 8-byte slot.
  CHECK(m.rings >= 6 * 8 * 1024 * 8);

  const std::string& d = p->plan.description;
  STRCMP_CONTAINS(("(" + std::to_string(m.total()) + " bytes)\n").c_str(), d.c_str());
  STRCMP_CONTAINS(("  batches  " + std::to_string(m.batches) + "\n").c_str(), d.c_str());
  STRCMP_CONTAINS(("  rings    " + std::to_string(m.rings) + "\n").c_str(), d.c_str());
  STRCMP_CONTAINS(("  state    " + std::to_string(m.state) + "\n").c_str(), d.c_str());
  STRCMP_CONTAINS(("  symbols  " + std::to_string(m.symbols) + "\n").c_str(), d.c_str());
  STRCMP_CONTAINS(("  io       " + std::to_string(m.io) + "\n").c_str(), d.c_str());

  // Twice the ring slots, about twice the ring memory; nothing else changes.
  auto wider = plan_with(16);
  CHECK(wider->plan.memory.rings > m.rings * 19 / 10);
  LONGS_EQUAL(m.batches, wider->plan.memory.batches);
  LONGS_EQUAL(m.state, wider->plan.memory.state);
}

TEST(PlannerLayout, ZeroBatchRowsOrRingSlotsAreDiagnosedByName) {
  auto graph = [](const std::string& options) {
    return std::string("{\n") + options + ",\n" + (kItemSchema + 1) + R"(
      "sources": [)" + ItemSource("items") + R"(],
      "operators": [
        { "name": "by_id", "input": "items", "key_by": ["id"] },
        { "name": "totals", "input": "by_id", "parallelism": 2,
          "aggregate": { "values": ["count() as count"] } } ],
      "sinks": [)" + MemorySink("out", "totals") + "]}";
  };
  auto zero_rows = PlanText(graph(R"(  "batch_rows": 0)"), memory.Get());
  CHECK(zero_rows->job() == nullptr);
  LONGS_EQUAL(1, zero_rows->diagnostics.size());
  STRCMP_EQUAL("batch_rows", zero_rows->diagnostics.items()[0].field_path.c_str());
  STRCMP_EQUAL("g.json:2: batch_rows: expected 1 to 1048576, found 0",
               zero_rows->errors().c_str());

  auto zero_slots = PlanText(graph(R"(  "ring_slots": 0)"), memory.Get());
  CHECK(zero_slots->job() == nullptr);
  LONGS_EQUAL(1, zero_slots->diagnostics.size());
  STRCMP_EQUAL("g.json:2: ring_slots: expected 1 to 4096, found 0",
               zero_slots->errors().c_str());

  auto both = PlanText(graph(R"(  "batch_rows": 0, "ring_slots": 0)"), memory.Get());
  CHECK(both->job() == nullptr);
  LONGS_EQUAL(2, both->diagnostics.size());
  STRCMP_CONTAINS("batch_rows: ", both->errors().c_str());
  STRCMP_CONTAINS("ring_slots: ", both->errors().c_str());

  auto too_big = PlanText(graph(R"(  "batch_rows": 1048577, "ring_slots": 4097)"),
                          memory.Get());
  CHECK(too_big->job() == nullptr);
  STRCMP_CONTAINS("batch_rows: expected 1 to 1048576, found 1048577", too_big->errors().c_str());
  STRCMP_CONTAINS("ring_slots: expected 1 to 4096, found 4097", too_big->errors().c_str());

  // Nothing was opened or built for the invalid plans.
  LONGS_EQUAL(0, memory.sources_made);
  LONGS_EQUAL(0, memory.sinks_made);
}

TEST(PlannerLayout, AConnectorsDiagnosticFailsThePlan) {
  Connectors connectors = memory.Get();
  connectors.make_sink = [](const GraphFile&, const LogicalSink& sink, const Schema&,
                            const SymbolTable*, Diagnostics* diagnostics)
      -> std::unique_ptr<runnel::runtime::Sink> {
    diagnostics->Add(sink.field_path + ".csv.path", "cannot write here");
    return nullptr;
  };
  auto p = PlanText(Graph(kItemSchema, R"(
    "sources": [)" + ItemSource("items") + R"(],
    "sinks": [)" + MemorySink("out", "items") + "]"),
                    connectors);
  CHECK(p->job() == nullptr);
  STRCMP_CONTAINS("sinks[0].csv.path: cannot write here", p->errors().c_str());
}

// ===========================================================================
// Running planned jobs over the real generator and CSV transports.

TEST_GROUP(PlannerRun) {
  TempDir dir;

  // Plans and runs `rest` (with the reading schema) as dir/g.json.
  void PlanAndRun(const std::string& rest) {
    auto p = PlanOk(Graph(kReadingSchema, rest), FileConnectors(), dir.File("g.json"));
    RunOk(*p);
  }
};

TEST(PlannerRun, KeyedAggregateGivesTheSameResultsAtAnyParallelism) {
  std::vector<std::string> expected;
  for (int parallelism : {1, 2, 4}) {
    std::string out = "totals_" + std::to_string(parallelism) + ".csv";
    PlanAndRun(R"(
      "sources": [{ "name": "readings", "schema": "reading",
                    "generator": { "rows": 200000, "keys": 500 } }],
      "operators": [
        { "name": "by_key", "input": "readings", "key_by": ["key"] },
        { "name": "totals", "input": "by_key", "parallelism": )" +
               std::to_string(parallelism) + R"(, "aggregate": {
          "values": ["count() as rows", "sum(v) as total", "min(v) as lo", "max(v) as hi",
                     "avg(v) as mean", "max(ts) as last", "sum(n) as n_total"],
          "emit": "final", "state": { "capacity": 512 } } } ],
      "sinks": [)" + CsvSink("out", "totals", out) + "]");
    std::vector<std::string> rows =
        Sorted(CsvRows(dir.File(out), "key,rows,total,lo,hi,mean,last,n_total"));
    LONGS_EQUAL(500, rows.size());
    long total_rows = 0;
    for (const std::string& row : rows) {
      std::vector<std::string> fields = Split(row, ',');
      LONGS_EQUAL(8, fields.size());
      long count = std::atol(fields[1].c_str());
      total_rows += count;
      // n is the key's number: sum(n) = count * k.
      long k = std::atol(fields[0].c_str() + 4);
      LONGS_EQUAL(count * k, std::atol(fields[7].c_str()));
    }
    LONGS_EQUAL(200000, total_rows);
    if (expected.empty()) {
      expected = rows;
    } else {
      // Each key's rows reach one instance in their order, so even the f64
      // sums are bit for bit the same.
      for (size_t i = 0; i < rows.size(); ++i) {
        STRCMP_EQUAL(expected[i].c_str(), rows[i].c_str());
      }
    }
  }
}

TEST(PlannerRun, UnionDeliversEveryRowOfBothInputsExactlyOnce) {
  // b goes through a parallel project (rebalanced over two instances) and the
  // union runs twice, so rows cross rings from three producers twice over.
  PlanAndRun(R"(
    "batch_rows": 256, "ring_slots": 2,
    "sources": [
      { "name": "a", "schema": "reading",
        "generator": { "rows": 30000, "keys": 50, "start_ms": 0 } },
      { "name": "b", "schema": "reading",
        "generator": { "rows": 20000, "keys": 70, "seed": 9, "start_ms": 1000000000 } } ],
    "operators": [
      { "name": "b2", "input": "b", "parallelism": 2, "project": ["key", "n", "ts", "v"] },
      { "name": "merged", "union": ["a", "b2"], "parallelism": 2 } ],
    "sinks": [)" + CsvSink("out", "merged", "out.csv") + "]");
  std::vector<std::string> rows = CsvRows(dir.File("out.csv"), "key,n,ts,v");
  LONGS_EQUAL(50000, rows.size());
  // Plain comparisons in the loops: a CHECK per row is slow under TSan.
  std::vector<int> seen_a(30000, 0), seen_b(20000, 0);
  std::string unexpected;
  for (const std::string& row : rows) {
    long long ts = std::atoll(Split(row, ',')[2].c_str());
    if (ts >= 0 && ts < 30000) {
      ++seen_a[ts];
    } else if (ts >= 1000000000 && ts < 1000000000 + 20000) {
      ++seen_b[ts - 1000000000];
    } else {
      unexpected += row + "\n";
    }
  }
  STRCMP_EQUAL("", unexpected.c_str());
  LONGS_EQUAL(30000, std::count(seen_a.begin(), seen_a.end(), 1));
  LONGS_EQUAL(20000, std::count(seen_b.begin(), seen_b.end(), 1));
}

TEST(PlannerRun, SplitDeliversEveryRowToExactlyOneBranch) {
  for (int parallelism : {1, 3}) {
    std::string p = std::to_string(parallelism);
    PlanAndRun(R"(
      "sources": [{ "name": "readings", "schema": "reading",
                    "generator": { "rows": 50000, "keys": 40, "start_ms": 0 } }],
      "operators": [
        { "name": "by_key", "input": "readings", "key_by": ["key"] },
        { "name": "route", "input": "by_key", "parallelism": )" + p + R"(, "split": [
          { "name": "low", "when": "v < 25" },
          { "name": "mid", "when": "v < 75.5" },
          { "name": "high" } ] } ],
      "sinks": [)" + CsvSink("low", "low", "low" + p + ".csv") + ", " +
               CsvSink("mid", "mid", "mid" + p + ".csv") + ", " +
               CsvSink("high", "high", "high" + p + ".csv") + "]");
    std::vector<int> seen(50000, 0);
    std::map<std::string, size_t> counts;
    std::string misrouted;
    for (const std::string branch : {"low", "mid", "high"}) {
      for (const std::string& row : CsvRows(dir.File(branch + p + ".csv"), "key,n,ts,v")) {
        std::vector<std::string> fields = Split(row, ',');
        long long ts = std::atoll(fields[2].c_str());
        double v = std::strtod(fields[3].c_str(), nullptr);
        bool fits = branch == "low" ? v < 25 : branch == "mid" ? v >= 25 && v < 75.5 : v >= 75.5;
        if (ts < 0 || ts >= 50000 || !fits) {
          misrouted += branch + ": " + row + "\n";
          continue;
        }
        ++seen[ts];
        ++counts[branch];
      }
    }
    STRCMP_EQUAL("", misrouted.c_str());
    LONGS_EQUAL(50000, std::count(seen.begin(), seen.end(), 1));
    // v is uniform in [0, 100): every branch gets its share.
    CHECK(counts["low"] > 10000 && counts["mid"] > 20000 && counts["high"] > 10000);
  }
}

TEST(PlannerRun, OneRowBatchesAndOneSlotRingsStillDeliverEverything) {
  PlanAndRun(R"(
    "batch_rows": 1, "ring_slots": 1,
    "sources": [{ "name": "readings", "schema": "reading",
                  "generator": { "rows": 3000, "keys": 30 } }],
    "operators": [
      { "name": "by_key", "input": "readings", "key_by": ["key"] },
      { "name": "counts", "input": "by_key", "parallelism": 3,
        "aggregate": { "values": ["count() as rows"], "emit": "final" } } ],
    "sinks": [)" + CsvSink("out", "counts", "out.csv") + "]");
  std::vector<std::string> rows = CsvRows(dir.File("out.csv"), "key,rows");
  LONGS_EQUAL(30, rows.size());
  long total = 0;
  for (const std::string& row : rows) total += std::atol(Split(row, ',')[1].c_str());
  LONGS_EQUAL(3000, total);
}
