// Crash recovery with real processes: a file -> window -> file graph with
// checkpoints every 5 ms is killed with SIGKILL at random points and
// restarted each time until it finishes; the output it committed (the
// sinks' part files, concatenated) must equal a failure-free run's, and a
// run without checkpoints — no row lost, none twice (docs/STATE.md).
//
// Each run is killed at a random delay after it stored its first checkpoint,
// scaled to how long the failure-free run took in this build (opt, ASan or
// emulated), so every run makes progress and it takes 20 or more kills —
// some of them during a checkpoint's write — to finish.
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/crash_testing.h"
#include "tests/testing/process.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::testing::CommittedParts;
using runnel::testing::FirstDifference;
using runnel::testing::GenerateReadings;
using runnel::testing::KilledDuringWrite;
using runnel::testing::NowMs;
using runnel::testing::Process;
using runnel::testing::ProcessResult;
using runnel::testing::ReadFile;
using runnel::testing::RunProcess;
using runnel::testing::SortedLines;
using runnel::testing::TempDir;
using runnel::testing::WaitForFirstCheckpoint;

namespace {

// Under emulation (the ARM suites) a quarter: runs are slower there anyway.
int Rows() { return std::getenv("RUNNEL_TEST_EMULATOR") != nullptr ? 250000 : 1000000; }
constexpr int kMinKills = 20;

// examples/sensors/window_avg.json with `checkpoint` (when `state` is not
// empty) and outputs named after `out`; `hot` adds a stateless branch
// (readings above 29 °C to OUT.hot.csv) and `late` (default) keeps the
// late output's sink.
std::string Graph(const std::string& state, const std::string& out, bool hot = false,
                  bool late = true) {
  std::string checkpoint;
  if (!state.empty()) {
    checkpoint = R"(, "checkpoint": { "dir": ")" + state + R"(", "interval_ms": 10 })";
  }
  return R"({
  "name": "window_avg",
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts", "unit": "ms" },
    { "name": "temp", "type": "f64" }, { "name": "humidity", "type": "f64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading", "csv": { "path": "readings.csv" },
                "event_time": { "field": "ts", "max_out_of_orderness_ms": 2000 } }],
  "operators": [
    { "name": "by_device", "input": "readings", "key_by": ["device"] },
    { "name": "windows", "input": "by_device", "window": {
        "type": "tumbling", "size_ms": 10000, "allowed_lateness_ms": 5000,
        "late_output": "late_readings",
        "values": ["count() as count", "avg(temp) as avg", "min(temp) as min",
                   "max(temp) as max"], "emit": "final" } },
    { "name": "averages", "input": "windows",
      "project": ["device", "window_start", "window_end", "count", "avg", "min", "max"] })" +
         std::string(hot ? R"(,
    { "name": "hot", "input": "readings", "filter": "temp > 29" })"
                         : "") +
         R"(
  ],
  "sinks": [
    { "name": "averages_file", "input": "averages", "csv": { "path": ")" + out + R"(.csv" } })" +
         (late ? R"(,
    { "name": "late_file", "input": "late_readings", "csv": { "path": ")" + out +
                     R"(.late.csv" } })"
               : std::string()) +
         (hot ? R"(,
    { "name": "hot_file", "input": "hot", "csv": { "path": ")" + out + R"(.hot.csv" } })"
              : std::string()) +
         R"(
  ])" + checkpoint + "\n}\n";
}

struct Kills {
  int kills = 0;
  int during_write = 0;  // between "checkpoint N writing" and "... stored"
  int resumed = 0;       // runs that resumed from a checkpoint
};

// Kills in one round of KillUntilFinished at most: under emulation a run
// gets little done between its start and a kill, and a round would take
// minutes of restarts.
constexpr int kMaxKillsPerRound = 3 * kMinKills;

// Runs `graph` until it finishes, each run killed with SIGKILL at a random
// point up to `spread` ms after it stored its first checkpoint (so every
// run makes progress) and restarted; after kMaxKillsPerRound kills, the
// last run is left to finish. False if it never finished.
bool KillUntilFinished(const std::string& graph, std::mt19937* random, int64_t spread,
                       Kills* k) {
  std::uniform_int_distribution<int64_t> extra(0, spread);
  for (int attempt = 0; attempt < 500; ++attempt) {
    Process process({"tools/runnel", "run", graph, "--log-level", "debug"});
    CHECK(process.started());
    WaitForFirstCheckpoint(&process);
    const int wait_ms = attempt < kMaxKillsPerRound ? static_cast<int>(extra(*random)) : 600000;
    const bool finished = process.exited() || process.Wait(wait_ms);
    if (!finished) {
      CHECK(process.Signal(SIGKILL));
      CHECK(process.Wait(10000));
      ++k->kills;
      if (KilledDuringWrite(process.Err())) ++k->during_write;
    } else {
      LONGS_EQUAL_TEXT(0, process.exit_code(), process.Err().c_str());
    }
    if (process.Err().find("resuming from checkpoint") != std::string::npos) ++k->resumed;
    if (finished) return true;
  }
  return false;
}

}  // namespace

TEST_GROUP(CheckpointCrash){};

TEST(CheckpointCrash, KilledAtRandomPointsTheCommittedOutputIsExactlyOnce) {
  TempDir dir;
  dir.Write("readings.csv", GenerateReadings(Rows(), /*very_late=*/true));

  // Without checkpoints: one file per sink.
  const std::string plain = dir.Write("plain.json", Graph("", "plain"));
  ProcessResult run = RunProcess({"tools/runnel", "run", plain});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  const std::string expected = ReadFile(dir.File("plain.csv"));
  const std::string expected_late = ReadFile(dir.File("plain.late.csv"));
  CHECK(expected.size() > 100000);
  // Some readings come too late (the header and more than a few rows).
  CHECK(std::count(expected_late.begin(), expected_late.end(), '\n') > 5);

  // With checkpoints, no failure: the parts hold the same rows.
  const std::string reference = dir.Write("reference.json", Graph("reference_state", "ref"));
  const int64_t started = NowMs();
  run = RunProcess({"tools/runnel", "run", reference});
  const int64_t duration_ms = std::max<int64_t>(NowMs() - started, 200);
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  int in_progress = 0;
  STRCMP_EQUAL("", FirstDifference(expected, CommittedParts(dir, "ref.csv", &in_progress)).c_str());
  STRCMP_EQUAL("",
               FirstDifference(expected_late, CommittedParts(dir, "ref.late.csv", &in_progress))
                   .c_str());
  LONGS_EQUAL(0, in_progress);

  // Rounds of: killed and restarted until it finishes, each run killed at a
  // random point after it stored its first checkpoint (so every run makes
  // progress), up to `spread` ms later. A round that finishes with fewer
  // than kMinKills kills in all is followed by another, on a fresh state
  // directory, with half the spread. Every round's output is checked.
  std::mt19937 random(5);
  int64_t spread = std::max<int64_t>(duration_ms / 60, 2);
  Kills k;
  for (int round = 0; round < 4 && k.kills < kMinKills; ++round, spread = spread / 2 + 1) {
    const std::string out = "out" + std::to_string(round);
    const std::string crashing =
        dir.Write(out + ".json", Graph("state" + std::to_string(round), out));
    const bool finished = KillUntilFinished(crashing, &random, spread, &k);
    printf("\ncheckpoint_crash_test: round %d (spread %lld ms): %d kills so far (%d during a "
           "checkpoint's write), %d resumed runs; failure-free run %lld ms\n",
           round, static_cast<long long>(spread), k.kills, k.during_write, k.resumed,
           static_cast<long long>(duration_ms));
    CHECK_TEXT(finished, "the job never finished");
    STRCMP_EQUAL("",
                 FirstDifference(expected, CommittedParts(dir, out + ".csv", &in_progress)).c_str());
    STRCMP_EQUAL("", FirstDifference(expected_late,
                                     CommittedParts(dir, out + ".late.csv", &in_progress))
                         .c_str());
    LONGS_EQUAL(0, in_progress);
  }
  CHECK_TEXT(k.kills >= kMinKills, ("only " + std::to_string(k.kills) + " kills").c_str());
  CHECK(k.during_write > 0);
  CHECK(k.resumed > 0);

  // A finished job's state directory: nothing left to run.
  run = RunProcess({"tools/runnel", "run", dir.File("out0.json")});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS("nothing to run", run.err.c_str());
}

// A job of several tasks (two parallel window instances fed by key, each in
// its own thread, the sinks in another) checkpoints with barriers aligned
// across the rings between them: killed at random points and restarted, its
// committed output holds the failure-free run's rows. Rows are compared
// sorted: the instances' rows reach the sinks in an order that depends on
// thread timing.
TEST(CheckpointCrash, AParallelJobKilledAtRandomPointsCommitsEveryRowOnce) {
  TempDir dir;
  dir.Write("readings.csv", GenerateReadings(Rows() / 4, /*very_late=*/true));
  const auto parallel = [](std::string graph) {
    const std::string op = R"("name": "windows", "input": "by_device",)";
    graph.insert(graph.find(op) + op.size(), R"( "parallelism": 2,)");
    return graph;
  };
  ProcessResult run = RunProcess({"tools/runnel", "run", dir.Write("plain.json", Graph("", "plain"))});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  const std::string expected = SortedLines(ReadFile(dir.File("plain.csv")));
  const std::string expected_late = SortedLines(ReadFile(dir.File("plain.late.csv")));

  const std::string reference = dir.Write("ref.json", parallel(Graph("ref_state", "ref")));
  run = RunProcess({"tools/runnel", "plan", reference});
  STRCMP_CONTAINS("windows#1", run.out.c_str());  // really several tasks
  const int64_t started = NowMs();
  run = RunProcess({"tools/runnel", "run", reference});
  const int64_t duration_ms = std::max<int64_t>(NowMs() - started, 200);
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  int in_progress = 0;
  STRCMP_EQUAL("", FirstDifference(expected, SortedLines(CommittedParts(dir, "ref.csv",
                                                                         &in_progress)))
                       .c_str());

  std::mt19937 random(9);
  int64_t spread = std::max<int64_t>(duration_ms / 10, 2);
  Kills k;
  for (int round = 0; round < 4 && (k.kills < 10 || k.during_write == 0);
       ++round, spread = spread / 2 + 1) {
    const std::string out = "out" + std::to_string(round);
    const std::string crashing =
        dir.Write(out + ".json", parallel(Graph("state" + std::to_string(round), out)));
    const bool finished = KillUntilFinished(crashing, &random, spread, &k);
    printf("\ncheckpoint_crash_test: parallel round %d (spread %lld ms): %d kills so far (%d "
           "during a checkpoint's write), %d resumed runs; failure-free run %lld ms\n",
           round, static_cast<long long>(spread), k.kills, k.during_write, k.resumed,
           static_cast<long long>(duration_ms));
    CHECK_TEXT(finished, "the job never finished");
    STRCMP_EQUAL("", FirstDifference(expected, SortedLines(CommittedParts(dir, out + ".csv",
                                                                           &in_progress)))
                         .c_str());
    STRCMP_EQUAL("", FirstDifference(expected_late,
                                     SortedLines(CommittedParts(dir, out + ".late.csv",
                                                                &in_progress)))
                         .c_str());
    LONGS_EQUAL(0, in_progress);
  }
  CHECK(k.kills >= 10);
  CHECK(k.during_write > 0);
  CHECK(k.resumed > 0);
}

// SIGTERM with checkpoints: the job stops after what it read, keeps its
// windows unfired in a last checkpoint, and the next run continues them:
// the output equals a run that was never stopped.
TEST(CheckpointCrash, StoppedWithSigtermAndResumedWritesEveryRowOnce) {
  TempDir dir;
  dir.Write("readings.csv", GenerateReadings(Rows(), /*very_late=*/true));
  const std::string plain = dir.Write("plain.json", Graph("", "plain"));
  ProcessResult run = RunProcess({"tools/runnel", "run", plain});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  const std::string expected = ReadFile(dir.File("plain.csv"));

  const std::string graph = dir.Write("stopped.json", Graph("state", "out"));
  // Three runs stopped right after their first checkpoint, then one to the
  // end.
  int stopped = 0;
  for (int stop = 0; stop < 3; ++stop) {
    Process process({"tools/runnel", "run", graph, "--log-level", "debug"});
    CHECK(process.started());
    WaitForFirstCheckpoint(&process);
    if (!process.exited()) {
      CHECK(process.Signal(SIGTERM));
      ++stopped;
    }
    CHECK(process.Wait(120000));
    LONGS_EQUAL_TEXT(0, process.exit_code(), process.Err().c_str());
  }
  CHECK(stopped >= 1);
  run = RunProcess({"tools/runnel", "run", graph});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  int in_progress = 0;
  STRCMP_EQUAL("", FirstDifference(expected, CommittedParts(dir, "out.csv", &in_progress)).c_str());
  LONGS_EQUAL(0, in_progress);
}

// The state of one graph is never loaded into another: changing what the
// job computes (here the window size) is refused with a message naming the
// directory, while changing only the checkpoint settings is not (even with
// a '}' in the directory's name).
TEST(CheckpointCrash, AStateDirectoryOfAnotherGraphIsRefused) {
  TempDir dir;
  dir.Write("readings.csv", "device,ts,temp,humidity\nd1,1700000000000,20.5,50\n");
  const std::string graph = Graph("st}ate", "out");
  ProcessResult run = RunProcess({"tools/runnel", "run", dir.Write("g.json", graph)});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());

  std::string other = graph;
  other.replace(other.find("\"size_ms\": 10000"), 16, "\"size_ms\": 20000");
  run = RunProcess({"tools/runnel", "run", dir.Write("g.json", other)});
  LONGS_EQUAL_TEXT(1, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS(dir.File("st}ate").c_str(), run.err.c_str());
  STRCMP_CONTAINS("fingerprint", run.err.c_str());

  std::string retuned = graph;
  retuned.replace(retuned.find("\"interval_ms\": 10"), 18, "\"interval_ms\": 99");
  run = RunProcess({"tools/runnel", "run", dir.Write("g.json", retuned)});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS("nothing to run", run.err.c_str());
}

// Stop with savepoint, change the graph, resume from the savepoint: the
// unchanged part's output (windows) equals an uninterrupted run's; an
// added stateless branch starts from the savepoint's source position; state
// the new graph has no stage for is refused unless allowed.
TEST(CheckpointCrash, SavepointRestoresIntoAChangedGraph) {
  TempDir dir;
  dir.Write("readings.csv", GenerateReadings(Rows(), /*very_late=*/true));
  ProcessResult run = RunProcess(
      {"tools/runnel", "run", dir.Write("plain.json", Graph("", "plain", /*hot=*/true))});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  const std::string expected = ReadFile(dir.File("plain.csv"));
  const std::string all_hot = ReadFile(dir.File("plain.hot.csv"));

  const std::string first = dir.Write("first.json", Graph("state1", "first"));
  Process process({"tools/runnel", "run", first, "--savepoint", dir.File("savepoint"),
                   "--log-level", "debug"});
  WaitForFirstCheckpoint(&process);
  CHECK(process.Signal(SIGTERM));
  CHECK(process.Wait(120000));
  LONGS_EQUAL_TEXT(0, process.exit_code(), process.Err().c_str());
  STRCMP_CONTAINS("savepoint written", process.Err().c_str());

  run = RunProcess({"tools/runnel", "savepoint", "inspect", dir.File("savepoint")});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS("op/windows", run.out.c_str());
  STRCMP_CONTAINS("source/readings", run.out.c_str());

  // Without the late output's sink: its saved state has no stage.
  const std::string smaller =
      dir.Write("smaller.json", Graph("state2", "second", /*hot=*/true, /*late=*/false));
  run = RunProcess({"tools/runnel", "run", smaller, "--from-savepoint", dir.File("savepoint")});
  LONGS_EQUAL_TEXT(1, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS("sink/late_file", run.err.c_str());
  STRCMP_CONTAINS("--allow-non-restored-state", run.err.c_str());

  run = RunProcess({"tools/runnel", "run", smaller, "--from-savepoint", dir.File("savepoint"),
                    "--allow-non-restored-state"});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS("starting from savepoint", run.err.c_str());
  int in_progress = 0;
  const std::string windows = CommittedParts(dir, "first.csv", &in_progress) +
                              CommittedParts(dir, "second.csv", &in_progress);
  STRCMP_EQUAL("", FirstDifference(expected, windows).c_str());
  LONGS_EQUAL(0, in_progress);
  // The new branch saw only the readings after the savepoint: a proper
  // suffix of all hot readings (after its header line).
  const std::string hot = CommittedParts(dir, "second.hot.csv", &in_progress);
  const std::string hot_rows = hot.substr(hot.find('\n') + 1);
  CHECK(!hot_rows.empty());
  CHECK(hot_rows.size() < all_hot.size() - all_hot.find('\n') - 1);
  CHECK(all_hot.compare(all_hot.size() - hot_rows.size(), hot_rows.size(), hot_rows) == 0);
}


// Changing parallelism across savepoints (docs/STATE.md): a job of one
// task is stopped with a savepoint, resumed with its windows in 3
// instances, stopped again and resumed with 2, which finishes. The windows'
// keys are spread over the new instances each time; the committed output
// of the three runs together holds the failure-free run's rows, each once.
// The input is a paced generator, so each run is stopped while it reads.
TEST(CheckpointCrash, SavepointsRestoreIntoAnotherParallelism) {
  TempDir dir;
  const auto graph = [&](const std::string& name, int parallelism, int rate) {
    const std::string checkpoint =
        parallelism == 0 ? ""
                         : R"(, "checkpoint": { "dir": "state_)" + name +
                               R"(", "interval_ms": 10 })";
    return dir.Write(name + ".json", R"({
  "name": "rescaled",
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts", "unit": "ms" },
    { "name": "temp", "type": "f64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading",
                "generator": { "rows": 300000, "keys": 1000, "rate": )" +
                                       std::to_string(rate) + R"( },
                "event_time": { "field": "ts" } }],
  "operators": [
    { "name": "by_device", "input": "readings", "key_by": ["device"] },
    { "name": "windows", "input": "by_device", "parallelism": )" +
                                       std::to_string(std::max(parallelism, 1)) + R"(,
      "window": { "type": "tumbling", "size_ms": 10000, "state": { "capacity": 8192 },
                  "values": ["count() as count", "avg(temp) as avg"], "emit": "final" } }
  ],
  "sinks": [{ "name": "out", "input": "windows", "csv": { "path": ")" +
                                       name + R"(.csv" } }])" + checkpoint + "\n}\n");
  };
  ProcessResult run = RunProcess({"tools/runnel", "run", graph("plain", 0, 0)});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  const std::string expected = SortedLines(ReadFile(dir.File("plain.csv")));

  const std::string runs[] = {"first", "second", "third"};
  const int parallelism[] = {1, 3, 2};
  for (int r = 0; r < 3; ++r) {
    std::vector<std::string> args = {"tools/runnel", "run", graph(runs[r], parallelism[r], 100000),
                                     "--log-level", "debug"};
    if (r > 0) args.insert(args.end(), {"--from-savepoint", dir.File("savepoint_" + runs[r - 1])});
    if (r < 2) args.insert(args.end(), {"--savepoint", dir.File("savepoint_" + runs[r])});
    Process process(args);
    WaitForFirstCheckpoint(&process);
    if (r < 2) {
      process.Wait(300);
      CHECK_TEXT(process.Signal(SIGTERM), "the input ended before the stop");
    }
    CHECK(process.Wait(120000));
    LONGS_EQUAL_TEXT(0, process.exit_code(), process.Err().c_str());
    if (r < 2) STRCMP_CONTAINS("savepoint written", process.Err().c_str());
    if (r > 0) {
      const std::string rescaled = "rescaled operator 'windows' from " +
                                   std::to_string(parallelism[r - 1]) + " instance(s) to " +
                                   std::to_string(parallelism[r]);
      STRCMP_CONTAINS(rescaled.c_str(), process.Err().c_str());
    }
  }
  int in_progress = 0;
  std::string windows;
  // Every run wrote part of the rows, and all of them together once.
  for (const std::string& name : runs) {
    const std::string committed = CommittedParts(dir, name + ".csv", &in_progress);
    CHECK(committed.size() > 100);
    windows += committed;
  }
  STRCMP_EQUAL("", FirstDifference(expected, SortedLines(windows)).c_str());
  LONGS_EQUAL(0, in_progress);
}


// A savepoint of a running job (runnel savepoint STATE_DIR DIR, through the
// job's control socket): the job goes on and writes its whole output once;
// a new job started from the savepoint writes exactly the uninterrupted
// run's output after the savepoint (windows spanning it included, so their
// state was in it). With no job running, runnel savepoint fails, naming the
// socket.
TEST(CheckpointCrash, SavepointOfARunningJobRestoresIntoANewOne) {
  TempDir dir(/*short_path=*/true);  // the control socket's path must fit
  dir.Write("readings.csv", GenerateReadings(Rows(), /*very_late=*/true));
  ProcessResult run = RunProcess({"tools/runnel", "run", dir.Write("plain.json", Graph("", "plain"))});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  const std::string expected = ReadFile(dir.File("plain.csv"));

  Process process(
      {"tools/runnel", "run", dir.Write("first.json", Graph("state1", "first")), "--log-level", "debug"});
  CHECK(process.started());
  WaitForFirstCheckpoint(&process);
  CHECK_TEXT(!process.exited(), "the job ended before its savepoint was asked for");
  run = RunProcess({"tools/runnel", "savepoint", dir.File("state1"), dir.File("savepoint")});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS("checkpoint", run.out.c_str());
  CHECK(process.Wait(120000));
  LONGS_EQUAL_TEXT(0, process.exit_code(), process.Err().c_str());
  STRCMP_CONTAINS("asked for on the control socket", process.Err().c_str());
  int in_progress = 0;
  STRCMP_EQUAL("", FirstDifference(expected, CommittedParts(dir, "first.csv", &in_progress)).c_str());
  LONGS_EQUAL(0, in_progress);

  run = RunProcess({"tools/runnel", "run", dir.Write("second.json", Graph("state2", "second")),
                    "--from-savepoint", dir.File("savepoint")});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  const std::string resumed = CommittedParts(dir, "second.csv", &in_progress);
  // After its header line: a non-empty proper suffix of the expected rows
  // that starts at a line.
  const std::string rows = resumed.substr(resumed.find('\n') + 1);
  CHECK(!rows.empty());
  CHECK(rows.size() < expected.size() - expected.find('\n') - 1);
  const size_t at = expected.size() - rows.size();
  CHECK_TEXT(expected.compare(at, rows.size(), rows) == 0 && expected[at - 1] == '\n',
             "the resumed job's windows are not the uninterrupted run's");

  run = RunProcess({"tools/runnel", "savepoint", dir.File("state1"), dir.File("savepoint2")});
  LONGS_EQUAL_TEXT(1, run.exit_code, run.err.c_str());
  STRCMP_CONTAINS("nothing listens on ipc://", run.err.c_str());
}
