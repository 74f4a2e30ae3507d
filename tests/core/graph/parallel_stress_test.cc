// Stress test of a multi-threaded job, meant for ThreadSanitizer as much as
// for its assertions: plans and runs the same graph 20 times — a generator
// keyed into an aggregate with three instances emitting an update per row,
// unioned with a second generator, into a CSV file — with small batches and
// rings so that producers wait on full rings and consumers on empty ones.
// Every run must deliver every row exactly once, each key's updates in order.
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/graph/planner.h"
#include "tests/testing/temp_dir.h"
#include "transports/file/csv_connectors.h"
#include "transports/generator/generator_connector.h"

#include <CppUTest/TestHarness.h>

using runnel::Status;
using runnel::graph::Connectors;
using runnel::graph::Diagnostics;
using runnel::graph::GraphFile;
using runnel::graph::LogicalGraph;
using runnel::graph::LogicalSink;
using runnel::graph::LogicalSource;
using runnel::graph::PhysicalPlan;
using runnel::schema::Schema;
using runnel::schema::SymbolTable;
using runnel::testing::ReadFile;
using runnel::testing::TempDir;

namespace {

constexpr int kRuns = 20;
constexpr long kRowsA = 12000;  // through key_by + aggregate
constexpr long kRowsB = 6000;   // straight into the union
constexpr long kKeys = 97;
constexpr long long kStartB = 1000000000;  // b's timestamps (ms) start here

Connectors TransportConnectors() {
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

std::string GraphText(const std::string& out) {
  return R"({
  "batch_rows": 64, "ring_slots": 2,
  "schemas": [
    { "name": "reading", "fields": [
      { "name": "key", "type": "sym" }, { "name": "ts", "type": "ts" },
      { "name": "v", "type": "f64" } ] },
    { "name": "tally", "fields": [
      { "name": "key", "type": "sym" }, { "name": "count", "type": "i64" },
      { "name": "ts", "type": "ts" } ] } ],
  "sources": [
    { "name": "a", "schema": "reading",
      "generator": { "rows": )" + std::to_string(kRowsA) + R"(, "keys": )" +
         std::to_string(kKeys) + R"(, "start_ms": 0 } },
    { "name": "b", "schema": "tally",
      "generator": { "rows": )" + std::to_string(kRowsB) + R"(, "keys": 13, "seed": 5,
                     "start_ms": )" + std::to_string(kStartB) + R"( } } ],
  "operators": [
    { "name": "by_key", "input": "a", "key_by": ["key"] },
    { "name": "tallies", "input": "by_key", "parallelism": 3,
      "aggregate": { "values": ["count() as count", "max(ts) as ts"], "emit": "updates",
                     "state": { "capacity": 128 } } },
    { "name": "merged", "union": ["tallies", "b"] } ],
  "sinks": [{ "name": "out", "input": "merged", "csv": { "path": ")" + out + R"(" } }]
})";
}

// Checks one run's output: every row of b once; for a, one update per row,
// each key's counts 1, 2, 3, ... in order, and each update's ts the latest
// of its key so far (so increasing per key). Returns "" or what is wrong
// (plain comparisons: a CHECK per row is slow under ThreadSanitizer).
std::string OutputProblem(const std::string& text) {
  if (text.rfind("key,count,ts\n", 0) != 0) return "no header";
  std::vector<int> seen_b(kRowsB, 0);
  std::map<std::string, long> last_count;
  std::map<std::string, long long> last_ts;
  long rows_a = 0;
  size_t at = text.find('\n') + 1;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) return "incomplete last line";
    std::string line = text.substr(at, end - at);
    at = end + 1;
    size_t c1 = line.find(','), c2 = line.rfind(',');
    if (c1 == std::string::npos || c2 <= c1) return "bad line: " + line;
    std::string key = line.substr(0, c1);
    long count = std::atol(line.c_str() + c1 + 1);
    long long ts = std::atoll(line.c_str() + c2 + 1);
    if (ts >= kStartB) {
      if (ts - kStartB >= kRowsB) return "unexpected row of b: " + line;
      ++seen_b[ts - kStartB];
      continue;
    }
    ++rows_a;
    if (count != last_count[key] + 1) return "count out of order: " + line;
    if (count > 1 && ts <= last_ts[key]) return "ts not increasing: " + line;
    last_count[key] = count;
    last_ts[key] = ts;
  }
  if (rows_a != kRowsA) return "rows of a: " + std::to_string(rows_a);
  long total = 0;
  for (const auto& entry : last_count) total += entry.second;
  if (total != kRowsA) return "final counts add up to " + std::to_string(total);
  if (static_cast<long>(last_count.size()) != kKeys) {
    return "keys: " + std::to_string(last_count.size());
  }
  for (long i = 0; i < kRowsB; ++i) {
    if (seen_b[i] != 1) return "row " + std::to_string(i) + " of b seen " +
                                std::to_string(seen_b[i]) + " times";
  }
  return "";
}

}  // namespace

TEST_GROUP(ParallelStress){};

TEST(ParallelStress, KeyedAggregateAndUnionDeliverEveryRowEveryTime) {
  TempDir dir;
  for (int run = 0; run < kRuns; ++run) {
    std::string out = "out" + std::to_string(run) + ".csv";
    auto file = GraphFile::Parse(dir.File("g.json"), GraphText(out));
    CHECK_TEXT(file.ok(), file.status().message().c_str());
    Diagnostics diagnostics;
    LogicalGraph logical = BuildLogicalGraph(file.value(), &diagnostics);
    CHECK_TEXT(diagnostics.empty(), file.value()->Format(diagnostics).c_str());
    PhysicalPlan plan =
        Plan(logical, TransportConnectors(), runnel::graph::PlanOptions(), &diagnostics);
    CHECK_TEXT(plan.job != nullptr, file.value()->Format(diagnostics).c_str());
    // source a, 3 aggregate instances, source b, the union (with the sink).
    LONGS_EQUAL(6, plan.job->tasks().size());
    LONGS_EQUAL(3 + 3 + 1, plan.job->Rings().size());

    Status status = plan.job->Run();
    CHECK_TEXT(status.ok(), status.message().c_str());

    uint64_t sources_out = 0, aggregates_in = 0, aggregates_out = 0, sink_in = 0;
    for (const auto& s : plan.job->Stats()) {
      if (s.kind == "source") sources_out += s.rows_out;
      if (s.kind == "operator") aggregates_in += s.rows_in;
      if (s.kind == "operator") aggregates_out += s.rows_out;
      if (s.kind == "sink") sink_in += s.rows_in;
    }
    LONGS_EQUAL(kRowsA + kRowsB, sources_out);
    LONGS_EQUAL(kRowsA, aggregates_in);
    LONGS_EQUAL(kRowsA, aggregates_out);
    LONGS_EQUAL(kRowsA + kRowsB, sink_in);
    for (const auto& ring : plan.job->Rings()) LONGS_EQUAL(0, ring.fill);  // all drained

    STRCMP_EQUAL_TEXT("", OutputProblem(ReadFile(dir.File(out))).c_str(),
                      ("run " + std::to_string(run)).c_str());
  }
}
