// Every example under examples/ (but sensors/ and api/, tested in
// tests/tools/) runs as the README says — `runnel run examples/NAME/graph.json`
// — and writes exactly its expected output: each OUT.out.csv equals
// OUT.expected.csv byte for byte. Each example is copied into a fresh
// directory first, since a graph writes its output next to itself. Runs
// again with other batch sizes: results must not depend on batching.
// checkpointed/ writes part files (docs/STATE.md): their concatenation is
// compared, and a second run must find nothing to do.
#include <dirent.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::testing::ProcessResult;
using runnel::testing::ReadFile;
using runnel::testing::RunProcess;
using runnel::testing::TempDir;

namespace {

struct Example {
  std::string dir;                  // under examples/
  std::vector<std::string> inputs;  // files the graph reads
  std::vector<std::string> outputs; // NAME for NAME.out.csv / NAME.expected.csv
  bool parts = false;  // checkpoints: NAME.out.csv.part-* instead of NAME.out.csv
};

// The part files of `path` in `dir`, concatenated in order.
std::string ReadParts(const TempDir& dir, const std::string& path) {
  std::vector<std::string> parts;
  if (DIR* d = opendir(dir.path().c_str())) {
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name.compare(0, path.size() + 6, path + ".part-") == 0) parts.push_back(name);
    }
    closedir(d);
  }
  std::sort(parts.begin(), parts.end());
  std::string all;
  for (const std::string& part : parts) all += ReadFile(dir.File(part));
  return all;
}

// Copies the example into `dir` and returns its graph's path there; with
// `batch_rows`, the graph gets that batch size.
std::string CopyExample(const Example& example, const TempDir& dir, int batch_rows) {
  std::string from = "examples/" + example.dir + "/";
  for (const std::string& input : example.inputs) {
    std::string text = ReadFile(from + input);
    CHECK_TEXT(!text.empty(), (from + input).c_str());
    dir.Write(input, text);
  }
  std::string graph = ReadFile(from + "graph.json");
  CHECK_TEXT(!graph.empty(), (from + "graph.json").c_str());
  if (batch_rows > 0) {
    std::string name = "\"name\": \"" + example.dir + "\",";
    size_t at = graph.find(name);
    CHECK_TEXT(at != std::string::npos, name.c_str());
    graph.insert(at + name.size(), " \"batch_rows\": " + std::to_string(batch_rows) + ",");
  }
  return dir.Write("graph.json", graph);
}

void RunsAsExpected(const Example& example, int batch_rows = 0) {
  TempDir dir;
  ProcessResult run = RunProcess({"tools/runnel", "run", CopyExample(example, dir, batch_rows)});
  LONGS_EQUAL_TEXT(0, run.exit_code, (example.dir + ": " + run.err).c_str());
  for (const std::string& output : example.outputs) {
    std::string expected = ReadFile("examples/" + example.dir + "/" + output + ".expected.csv");
    std::string actual = example.parts ? ReadParts(dir, output + ".out.csv")
                                       : ReadFile(dir.File(output + ".out.csv"));
    CHECK_TEXT(!expected.empty(), (example.dir + "/" + output + ".expected.csv").c_str());
    STRCMP_EQUAL_TEXT(expected.c_str(), actual.c_str(), (example.dir + "/" + output).c_str());
  }
  if (example.parts) {
    ProcessResult again = RunProcess({"tools/runnel", "run", dir.File("graph.json")});
    LONGS_EQUAL_TEXT(0, again.exit_code, again.err.c_str());
    STRCMP_CONTAINS("nothing to run", again.err.c_str());
  }
}

const Example kAveraging{"averaging", {"readings.csv"}, {"averages", "late"}};
const Example kDebounce{"debounce", {"readings.csv"}, {"alerts"}};
const Example kDedupe{"dedupe", {"readings.csv"}, {"unique"}};
const Example kTwoStage{"two_stage", {"readings.csv"}, {"device_summaries", "site_rollup"}};
const Example kEnrich{"enrich", {"readings.csv"}, {"celsius"}};
const Example kJsonl{"jsonl", {"readings.jsonl"}, {"summaries"}};
const Example kMissing{"missing", {"readings.csv"}, {"checked", "summaries"}};
const Example kCheckpointed{"checkpointed", {"readings.csv"}, {"averages", "late"}, true};

}  // namespace

TEST_GROUP(Examples){};

TEST(Examples, AveragingPerDeviceWindows) { RunsAsExpected(kAveraging); }
TEST(Examples, DebounceAlertsAfterConsecutiveReadings) { RunsAsExpected(kDebounce); }
TEST(Examples, DedupeDropsRepeatedReadings) { RunsAsExpected(kDedupe); }
TEST(Examples, TwoStagePreAggregationAndRollup) { RunsAsExpected(kTwoStage); }
TEST(Examples, EnrichConvertsAndLooksUp) { RunsAsExpected(kEnrich); }
TEST(Examples, JsonlSkipsBadLinesAndSummarises) { RunsAsExpected(kJsonl); }
TEST(Examples, MissingValuesAreNullsSkippedByAggregates) { RunsAsExpected(kMissing); }
TEST(Examples, CheckpointedCommitsPartFiles) { RunsAsExpected(kCheckpointed); }

// Batches of 7 rows split every input and every burst of window results.
TEST(Examples, ResultsDoNotDependOnBatchSize) {
  for (const Example& example : {kAveraging, kDebounce, kDedupe, kTwoStage, kEnrich, kJsonl, kMissing,
                                 kCheckpointed}) {
    RunsAsExpected(example, /*batch_rows=*/7);
    RunsAsExpected(example, /*batch_rows=*/64);
  }
}

// One row per batch: two_stage's first window fires four devices at once,
// so the rollup window must not see the new watermark before the last of
// those results (the window holds the batch watermark back while results
// wait in its queue).
TEST(Examples, RowAtATimeGivesTheSameResults) {
  for (const Example& example : {kAveraging, kDebounce, kDedupe, kTwoStage, kEnrich, kJsonl, kMissing,
                                 kCheckpointed}) {
    RunsAsExpected(example, /*batch_rows=*/1);
  }
}

// runnel check accepts every example (exit 0, no message).
TEST(Examples, CheckAcceptsEveryExample) {
  for (const Example& example : {kAveraging, kDebounce, kDedupe, kTwoStage, kEnrich, kJsonl, kMissing,
                                 kCheckpointed}) {
    TempDir dir;
    ProcessResult check = RunProcess({"tools/runnel", "check", CopyExample(example, dir, 0)});
    LONGS_EQUAL_TEXT(0, check.exit_code, (example.dir + ": " + check.err).c_str());
  }
}
