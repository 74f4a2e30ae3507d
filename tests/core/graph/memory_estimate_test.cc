// The plan-time memory estimate: it equals what the planner then allocates
// (MemoryBudget of `runnel plan`), and a graph asking for more than its
// memory_limit or the machine is a diagnostic, never a failed allocation.
#include "core/graph/memory_estimate.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "core/common/clock.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/graph/planner.h"
#include "core/ops/process_registry.h"
#include "examples/api/debounce.h"
#include "transports/connectors/connectors.h"

#include <CppUTest/TestHarness.h>

using runnel::graph::BuildLogicalGraph;
using runnel::graph::Diagnostics;
using runnel::graph::EstimateMemory;
using runnel::graph::GraphFile;
using runnel::graph::LogicalGraph;
using runnel::graph::MemoryBudget;
using runnel::graph::MemoryEstimate;
using runnel::graph::PhysicalPlan;
using runnel::graph::PlanOptions;

namespace {

class FixedClock : public runnel::Clock {
 public:
  int64_t NowMillis() const override { return 1700000000000; }
};

const char* kHead = R"j({
  "schemas": [{ "name": "r", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" } ] }],
  "sources": [{ "name": "in", "schema": "r", "generator": { "rows": 10 },
                "event_time": { "field": "ts" } }],
)j";

// A graph with `operators` (a JSON array body) reading source "in", a sink
// on `sink_input`, and extra top-level fields `extra` (",..." or "").
std::string Graph(const std::string& operators, const std::string& sink_input,
                  const std::string& extra = "") {
  return std::string(kHead) + R"j(  "operators": [)j" + operators + R"j(],
  "sinks": [{ "name": "out", "input": ")j" + sink_input + R"j(", "csv": { "path": "-" } }])j" +
         extra + "\n}";
}

struct Planned {
  std::shared_ptr<const GraphFile> file;
  LogicalGraph logical;
  Diagnostics diagnostics;
  PhysicalPlan plan;
  MemoryEstimate estimate;
};

std::unique_ptr<Planned> PlanText(const std::string& text, uint64_t machine_bytes = 0) {
  static const FixedClock clock;
  auto planned = std::make_unique<Planned>();
  auto file = GraphFile::Parse("g.json", text);
  if (!file.ok()) FAIL(file.status().message().c_str());
  planned->file = file.value();
  runnel::ops::ProcessRegistry processes;
  processes.Register("debounce", runnel::ops::MakeProcessFactory(runnel::examples::Debounce{}));
  planned->logical = BuildLogicalGraph(planned->file, &planned->diagnostics, &processes);
  if (!planned->diagnostics.empty()) {
    FAIL(planned->file->Format(planned->diagnostics).c_str());
  }
  runnel::graph::Connectors connectors = runnel::transports::MakeConnectors({}, &clock);
  planned->estimate =
      EstimateMemory(planned->logical, connectors.source_bytes, connectors.sink_bytes);
  PlanOptions options;
  options.clock = &clock;
  options.machine_memory_bytes = machine_bytes;
  planned->plan = runnel::graph::Plan(planned->logical, connectors, options, &planned->diagnostics);
  return planned;
}

void CheckEstimateEqualsPlan(const std::string& text) {
  std::unique_ptr<Planned> p = PlanText(text);
  if (!p->plan.job) FAIL(p->file->Format(p->diagnostics).c_str());
  const MemoryBudget& e = p->estimate.budget;
  const MemoryBudget& m = p->plan.memory;
  UNSIGNED_LONGS_EQUAL(m.batches, e.batches);
  UNSIGNED_LONGS_EQUAL(m.rings, e.rings);
  UNSIGNED_LONGS_EQUAL(m.state, e.state);
  UNSIGNED_LONGS_EQUAL(m.symbols, e.symbols);
  UNSIGNED_LONGS_EQUAL(m.io, e.io);
}

std::string Errors(const Planned& p) { return p.file->Format(p.diagnostics); }

}  // namespace

TEST_GROUP(MemoryEstimate) {};

TEST(MemoryEstimate, EqualsThePlanForFilterProjectAndParallelAggregates) {
  CheckEstimateEqualsPlan(Graph(R"j(
    { "name": "hot", "input": "in", "filter": "temp > 30" },
    { "name": "p", "input": "hot", "project": ["device", "ts", "temp * 2 as t2"] },
    { "name": "k", "input": "p", "key_by": ["device"] },
    { "name": "sum", "input": "k", "parallelism": 3,
      "aggregate": { "values": ["sum(t2)", "p99(t2)", "count_distinct(device)"],
                     "state": { "capacity": 1000, "on_full": "evict_oldest" } } })j",
                                "sum", R"j(, "batch_rows": 256, "ring_slots": 5)j"));
}

TEST(MemoryEstimate, EqualsThePlanForEveryWindowType) {
  for (const char* window :
       {R"j("size_ms": 1000)j", R"j("type": "sliding", "size_ms": 1000, "slide_ms": 300,
          "early_every_rows": 2)j",
        R"j("type": "session", "gap_ms": 500, "emit": "final")j",
        R"j("type": "count", "count": 4, "count_slide": 2)j",
        R"j("time": "processing", "size_ms": 1000, "early_every_ms": 10,
          "state": { "capacity": 77, "on_full": "evict_oldest" })j"}) {
    std::string state = strstr(window, "state") ? "" : R"j(, "state": { "capacity": 1000 })j";
    CheckEstimateEqualsPlan(Graph(std::string(R"j(
      { "name": "k", "input": "in", "key_by": ["device"] },
      { "name": "w", "input": "k", "parallelism": 2,
        "window": { "values": ["avg(temp)", "p50(temp)"], )j") + window + state + " } }",
                                  "w"));
  }
}

TEST(MemoryEstimate, EqualsThePlanForProcessSplitUnionAndLateOutput) {
  CheckEstimateEqualsPlan(Graph(R"j(
    { "name": "k", "input": "in", "key_by": ["device"] },
    { "name": "d", "input": "k", "parallelism": 2,
      "process": { "function": "debounce", "timers": 100, "state": { "capacity": 50 } } },
    { "name": "s", "input": "in", "split": [
      { "name": "a", "when": "temp > 50" }, { "name": "b", "when": "temp > 20" },
      { "name": "c" } ] },
    { "name": "u", "union": ["a", "b", "c"] },
    { "name": "uk", "input": "u", "key_by": ["device"] },
    { "name": "w", "input": "uk", "window": { "size_ms": 10, "values": ["count()"],
      "allowed_lateness_ms": 5, "late_output": "late" } })j",
                                "w"));
  CheckEstimateEqualsPlan(Graph(R"j(
    { "name": "k", "input": "in", "key_by": ["device"] },
    { "name": "d", "input": "k", "parallelism": 2,
      "process": { "function": "debounce" } })j",
                                "d"));
}

// Before this check a capacity of 2e9 made `runnel plan` abort on a failed
// allocation (tests/fuzz planned only "modest" graphs).
TEST(MemoryEstimate, AHugeCapacityIsADiagnosticNotAnAbort) {
  std::unique_ptr<Planned> p = PlanText(Graph(R"j(
    { "name": "k", "input": "in", "key_by": ["device"] },
    { "name": "sum", "input": "k",
      "aggregate": { "values": ["sum(temp)"], "state": { "capacity": 2000000000 } } })j",
                                              "sum"));
  CHECK(p->plan.job == nullptr);
  LONGS_EQUAL(1, p->diagnostics.size());
  std::string errors = Errors(*p);
  STRCMP_CONTAINS("g.json:10: operators[1].aggregate.state.capacity: the plan needs ",
                  errors.c_str());
  STRCMP_CONTAINS("but memory_limit is 268435456; the largest part is the state of 'sum' "
                  "(2000000000 keys x 1 instance): ",
                  errors.c_str());
  // In 64 bits on every target: a 32-bit size_t wrapped this modulo 2^32.
  UNSIGNED_LONGLONGS_EQUAL(138359738368ull, p->estimate.budget.state);
}

TEST(MemoryEstimate, HugeProductsSaturateInsteadOfWrapping) {
  std::unique_ptr<Planned> p = PlanText(Graph(R"j(
    { "name": "k", "input": "in", "key_by": ["device"] },
    { "name": "w", "input": "k", "parallelism": 256,
      "window": { "type": "sliding", "size_ms": 10, "slide_ms": 1,
                  "values": ["p99(temp)", "p50(temp)", "count_distinct(device)"],
                  "state": { "capacity": 4294967295 } } })j",
                                              "w",
                                              R"j(, "batch_rows": 1048576, "ring_slots": 4096,
  "memory_limit": 18446744073709551615)j"),
                                        /*machine_bytes=*/uint64_t{1} << 30);
  CHECK(p->plan.job == nullptr);
  STRCMP_CONTAINS("but this machine has 1073741824", Errors(*p).c_str());
  CHECK(p->estimate.budget.state > uint64_t{1} << 40);
  CHECK(p->estimate.budget.rings > uint64_t{1} << 40);
}

// Within memory_limit and the machine, but past what a 32-bit process can
// address: refused there (its sizes would wrap), planned where size_t is 64
// bits.
TEST(MemoryEstimate, APlanPastTheAddressSpaceIsRefusedOnlyWhereItIs) {
  MemoryEstimate estimate;
  estimate.budget.state = uint64_t{5} << 30;
  estimate.items.push_back({"operators[1].aggregate.state.capacity", "the state of 'sum'",
                            estimate.budget.state});
  Diagnostics diagnostics;
  runnel::graph::CheckMemory(estimate, /*memory_limit=*/uint64_t{1} << 40,
                             /*machine_bytes=*/uint64_t{1} << 36, &diagnostics);
  if (sizeof(size_t) >= 8) {
    CHECK(diagnostics.empty());
  } else {
    LONGS_EQUAL(1, diagnostics.size());
    STRCMP_EQUAL("operators[1].aggregate.state.capacity",
                 diagnostics.items()[0].field_path.c_str());
    STRCMP_CONTAINS("the plan needs 5368709120 bytes (state 5368709120, ",
                    diagnostics.items()[0].message.c_str());
    STRCMP_CONTAINS("but a 32-bit build can address at most 4294967295",
                    diagnostics.items()[0].message.c_str());
  }
}

TEST(MemoryEstimate, MemoryLimitBelowTheSmallestPlan) {
  std::unique_ptr<Planned> p = PlanText(Graph(R"j(
    { "name": "hot", "input": "in", "filter": "temp > 30" })j",
                                              "hot", R"j(, "memory_limit": 1000)j"));
  CHECK(p->plan.job == nullptr);
  // The symbol table is most of this plan: it is named.
  STRCMP_CONTAINS("g.json:1: symbol_bytes: the plan needs ", Errors(*p).c_str());
  STRCMP_CONTAINS("but memory_limit is 1000; the largest part is the symbol table",
                  Errors(*p).c_str());
}

TEST(MemoryEstimate, TooManySymbolsOrTimersAreRangeErrors) {
  std::unique_ptr<Planned> p = PlanText(Graph(R"j(
    { "name": "hot", "input": "in", "filter": "temp > 30" })j",
                                              "hot", R"j(, "symbols": 4294967295)j"));
  STRCMP_CONTAINS("symbols: expected 1 to 1073741824, found 4294967295", Errors(*p).c_str());
}

TEST(MemoryEstimate, APlanWithinTheLimitIsPlanned) {
  std::unique_ptr<Planned> p = PlanText(Graph(R"j(
    { "name": "k", "input": "in", "key_by": ["device"] },
    { "name": "sum", "input": "k",
      "aggregate": { "values": ["sum(temp)"], "state": { "capacity": 1000 } } })j",
                                              "sum", R"j(, "memory_limit": 4194304)j"));
  CHECK(p->plan.job != nullptr);
  CHECK(p->plan.memory.total() <= 4194304);
}

TEST(MemoryEstimate, EqualsThePlanForTheBundledExamples) {
  // Add the other examples' graphs (and their BUILD data) as they land.
  for (const char* path : {"examples/sensors/window_avg.json", "examples/sensors/device_totals.json",
                           "examples/sensors/hot_readings.json"}) {
    FILE* f = fopen(path, "r");
    if (f == nullptr) FAIL(path);
    std::string text;
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof(buffer), f)) > 0;) text.append(buffer, n);
    fclose(f);
    CheckEstimateEqualsPlan(text);
  }
}
