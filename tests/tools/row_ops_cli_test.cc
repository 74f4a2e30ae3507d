// dedupe, debounce and lookup through the real runnel binary: `runnel check`
// reports their mistakes as FILE:LINE: FIELD: MESSAGE and exits 2; a lookup
// with on_missing fail stops the run (exit 1) naming the key; `runnel plan`
// lists their keyed state. (Their results are tested by the examples,
// tests/examples/.)
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::testing::ProcessResult;
using runnel::testing::RunProcess;
using runnel::testing::TempDir;

namespace {

ProcessResult Runnel(std::vector<std::string> args) {
  args.insert(args.begin(), "tools/runnel");
  return RunProcess(args, "");
}

// Readings from `input` (event time on ts when `timed`), then `operators`
// (JSON list items), the last writing stream `out` to standard output.
std::string Graph(const std::string& input, const std::string& operators, bool timed = true) {
  return R"({
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading", "csv": { "path": ")" +
         input + "\" }" + (timed ? R"(, "event_time": { "field": "ts" })" : "") + R"( }],
  "operators": [
)" + operators + R"(
  ],
  "sinks": [{ "name": "print", "input": "out", "csv": { "path": "-" } }]
})";
}

void Contains(const std::string& text, const std::string& part) {
  CHECK_TEXT(text.find(part) != std::string::npos, ("missing: " + part + "\nin: " + text).c_str());
}

}  // namespace

TEST_GROUP(RowOpsCli) {
  TempDir dir;
};

TEST(RowOpsCli, CheckReportsEveryMistake) {
  std::string graph = dir.Write("g.json", Graph("in.csv", R"j(
    { "name": "k", "input": "readings", "key_by": ["device"] },
    { "name": "d1", "input": "k", "dedupe": { "fields": ["tmp"] } },
    { "name": "d2", "input": "readings", "dedupe": {} },
    { "name": "d3", "input": "k", "dedupe": { "fields": ["device"] } },
    { "name": "b1", "input": "k", "debounce": { "when": "temp + 1", "consecutive": 0 } },
    { "name": "l1", "input": "readings", "lookup": { "key": ["device"],
        "fields": [{ "name": "site", "type": "sym" }], "rows": ["a, x", "b"] } },
    { "name": "l2", "input": "readings", "lookup": { "key": ["device"],
        "fields": [{ "name": "site", "type": "sym" }], "rows": ["a, x"], "on_missing": "keep" } },
    { "name": "out", "input": "readings", "dedupe": { "fields": ["device"] } })j",
                                                false));
  ProcessResult check = Runnel({"check", graph});
  LONGS_EQUAL_TEXT(2, check.exit_code, check.err.c_str());
  Contains(check.err, "g.json:9: operators[1].dedupe.fields[0]: unknown field 'tmp'");
  Contains(check.err, "g.json:10: operators[2].dedupe.fields: a dedupe needs a key");
  Contains(check.err, "operators[3].dedupe.fields[0]: field 'device' is already part of the key");
  Contains(check.err, "operators[4].debounce.when:");
  Contains(check.err, "operators[4].debounce.consecutive: must be at least 1");
  Contains(check.err, "operators[5].lookup.rows[1]: expected 2 comma-separated values");
  Contains(check.err, "operators[6].lookup.defaults: on_missing keep needs");
}

TEST(RowOpsCli, WithinNeedsEventTime) {
  std::string graph = dir.Write("g.json", Graph("in.csv", R"j(
    { "name": "out", "input": "readings", "dedupe": { "fields": ["device"], "within_ms": 100 } })j",
                                                false));
  ProcessResult check = Runnel({"check", graph});
  LONGS_EQUAL_TEXT(2, check.exit_code, check.err.c_str());
  Contains(check.err, "operators[0].dedupe.within_ms: a span is in event time");
}

TEST(RowOpsCli, LookupFailStopsTheRunNamingTheKey) {
  dir.Write("in.csv", "device,ts,temp\na,1,20\ndev-9,2,21\n");
  std::string graph = dir.Write("g.json", Graph(dir.File("in.csv"), R"j(
    { "name": "out", "input": "readings", "lookup": { "key": ["device"],
        "fields": [{ "name": "site", "type": "sym" }], "rows": ["a, north"],
        "on_missing": "fail" } })j"));
  ProcessResult run = Runnel({"run", graph});
  LONGS_EQUAL_TEXT(1, run.exit_code, run.err.c_str());
  Contains(run.err, "device=dev-9");
  Contains(run.out, "device,ts,temp,site\n");
}

TEST(RowOpsCli, PlanListsTheirState) {
  std::string graph = dir.Write("g.json", Graph("in.csv", R"j(
    { "name": "k", "input": "readings", "key_by": ["device"] },
    { "name": "d", "input": "k", "parallelism": 2,
      "dedupe": { "fields": ["ts"], "state": { "capacity": 100, "on_full": "evict_oldest" } } },
    { "name": "k2", "input": "d", "key_by": ["device"] },
    { "name": "out", "input": "k2", "debounce": { "when": "temp > 30", "consecutive": 3 } })j"));
  ProcessResult plan = Runnel({"plan", graph});
  LONGS_EQUAL_TEXT(0, plan.exit_code, plan.err.c_str());
  Contains(plan.out, "d: 100 keys x 2 instance(s)");
  Contains(plan.out, "on_full evict_oldest");
  Contains(plan.out, "out: 65536 keys x 1 instance(s)");
}
