// Runs the real runnel binary on multi-threaded graphs: `plan`, `run` with
// --stats and --stats-interval, graceful shutdown on SIGTERM and SIGINT of a
// process reading a pipe that stays open, and strict-mode failures in a job
// of several threads.
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/process.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

#include <CppUTest/TestHarness.h>

using runnel::testing::Process;
using runnel::testing::ProcessResult;
using runnel::testing::ReadFile;
using runnel::testing::RunProcess;
using runnel::testing::TempDir;

namespace {

constexpr const char* kRunnel = "tools/runnel";
constexpr const char* kDeviceTotals = "examples/sensors/device_totals.json";
constexpr int kTimeoutMs = 30000;  // generous: sanitizer builds are slow

ProcessResult Runnel(std::vector<std::string> args) {
  args.insert(args.begin(), kRunnel);
  return RunProcess(args);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  for (std::string part; std::getline(in, part, separator);) parts.push_back(part);
  return parts;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// The rows_out of source `name` in the last --stats table of `err`, or -1.
long SourceRowsOut(const std::string& err, const std::string& name) {
  long rows = -1;
  for (const std::string& line : Lines(err)) {
    std::vector<std::string> w = Words(line);
    if (w.size() >= 4 && w[0] == "source" && w[1] == name) rows = std::atol(w[3].c_str());
  }
  return rows;
}

// `rows` readings "dev-K,TS,TEMP,HUMIDITY" for rows first..first+rows-1.
std::string Readings(int first, int rows) {
  std::string text;
  for (int i = first; i < first + rows; ++i) {
    text += "dev-" + std::to_string(i % 7) + "," + std::to_string(1700000000000LL + i) + "," +
            std::to_string(20 + i % 15) + ".5," + std::to_string(40 + i % 20) + "\n";
  }
  return text;
}

constexpr const char* kReadingHeader = "device,ts,temp,humidity\n";

constexpr const char* kReadingSchema = R"(
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" }, { "name": "humidity", "type": "f64" } ] }],)";

// A graph that copies every reading from `input` to `output` (one task).
std::string CopyGraph(const std::string& input, const std::string& output) {
  return std::string("{") + kReadingSchema + R"(
  "sources": [{ "name": "readings", "schema": "reading", "csv": { "path": ")" +
         input + R"(" } }],
  "operators": [{ "name": "all", "input": "readings", "filter": "temp > -1000" }],
  "sinks": [{ "name": "out", "input": "all", "csv": { "path": ")" + output + R"(" } }]
})";
}

// A graph of four threads: readings from `input`, keyed by device into a
// count with two instances emitting an update per row, written to `output`.
std::string CountGraph(const std::string& input, const std::string& output) {
  return std::string("{") + kReadingSchema + R"(
  "sources": [{ "name": "readings", "schema": "reading", "csv": { "path": ")" +
         input + R"(" } }],
  "operators": [
    { "name": "by_device", "input": "readings", "key_by": ["device"] },
    { "name": "counts", "input": "by_device", "parallelism": 2,
      "aggregate": { "values": ["count() as n", "max(ts) as last"] } } ],
  "sinks": [{ "name": "out", "input": "counts", "csv": { "path": ")" + output + R"(" } }]
})";
}

// Checks the output of CountGraph over Readings(0, rows): one update per
// row, each device's counts 1, 2, 3, ... in order.
void CheckCounts(const std::string& text, int rows) {
  std::vector<std::string> lines = Lines(text);
  CHECK(!lines.empty());
  STRCMP_EQUAL("device,n,last", lines[0].c_str());
  LONGS_EQUAL(rows + 1, lines.size());
  std::map<std::string, long> last;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = Split(lines[i], ',');
    LONGS_EQUAL(3, f.size());
    long n = std::atol(f[1].c_str());
    CHECK_TEXT(n == last[f[0]] + 1, lines[i].c_str());
    last[f[0]] = n;
  }
  long total = 0;
  for (const auto& entry : last) total += entry.second;
  LONGS_EQUAL(rows, total);
}

// Starts `runnel run GRAPH --stats-interval 0.05` on a graph reading stdin,
// feeds it readings in two parts (waiting each time until the source has
// read them all, with the pipe left open), then sends `signal`. Returns the
// process, exited.
std::unique_ptr<Process> FeedAndStop(const std::string& graph, int signal, int first_part,
                                     int second_part) {
  auto process = std::make_unique<Process>(
      std::vector<std::string>{kRunnel, "run", graph, "--stats-interval", "0.05"});
  CHECK(process->started());
  auto has_read = [](long rows) {
    return [rows](const std::string& err) { return SourceRowsOut(err, "readings") == rows; };
  };
  std::string part1 = kReadingHeader + Readings(0, first_part);
  LONGS_EQUAL(part1.size(), process->Write(part1));
  CHECK_TEXT(process->WaitForErr(has_read(first_part), kTimeoutMs), process->Err().c_str());
  std::string part2 = Readings(first_part, second_part);
  LONGS_EQUAL(part2.size(), process->Write(part2));
  CHECK_TEXT(process->WaitForErr(has_read(first_part + second_part), kTimeoutMs),
             process->Err().c_str());
  // Its input is still open: it keeps running until told to stop.
  CHECK_FALSE(process->Wait(100));
  CHECK(process->Signal(signal));
  CHECK_TEXT(process->Wait(kTimeoutMs), "no exit after the signal");
  return process;
}

}  // namespace

TEST_GROUP(CliRuntime) {
  TempDir dir;
};

// --- runnel plan -----------------------------------------------------------

TEST(CliRuntime, PlanShowsTasksRingsStateAndMemory) {
  ProcessResult plan = Runnel({"plan", kDeviceTotals});
  LONGS_EQUAL(0, plan.exit_code);
  STRCMP_EQUAL("", plan.err.c_str());
  const std::string& out = plan.out;
  CHECK_TEXT(out.rfind("plan of examples/sensors/device_totals.json: 4 tasks (one thread "
                       "each), 4 rings, batches of 1024 rows\n",
                       0) == 0,
             out.c_str());
  STRCMP_CONTAINS("task 0: source readings\n  in   readings\n"
                  "  out  => totals (partition by key)\n",
                  out.c_str());
  STRCMP_CONTAINS("task 1: totals#0\n  in   <= rings (1)\n  op   totals#0\n"
                  "  out  => console (forward)\n",
                  out.c_str());
  STRCMP_CONTAINS("task 3: console\n  in   <= rings (2)\n  out  console\n", out.c_str());
  STRCMP_CONTAINS("rings (8 batches each):\n  by_device -> totals#0\n  by_device -> totals#1\n"
                  "  totals#0 -> console\n  totals#1 -> console\n",
                  out.c_str());
  STRCMP_CONTAINS("keyed state:\n  totals: 1024 keys x 2 instance(s), ", out.c_str());
  STRCMP_CONTAINS("memory preallocated: ", out.c_str());
  // The total is the sum of the components listed under it.
  unsigned long long total = 0, sum = 0;
  int components = 0;
  for (const std::string& line : Lines(out)) {
    size_t open = line.find(" (");
    if (line.rfind("memory preallocated: ", 0) == 0 && open != std::string::npos) {
      total = std::strtoull(line.c_str() + open + 2, nullptr, 10);
    }
    std::vector<std::string> w = Words(line);
    if (w.size() == 2 && (w[0] == "batches" || w[0] == "rings" || w[0] == "state" ||
                          w[0] == "symbols" || w[0] == "io")) {
      unsigned long long bytes = std::strtoull(w[1].c_str(), nullptr, 10);
      CHECK_TEXT(bytes > 0, line.c_str());
      sum += bytes;
      ++components;
    }
  }
  LONGS_EQUAL(5, components);
  CHECK(total > 0);
  CHECK_EQUAL(total, sum);
}

TEST(CliRuntime, PlanOpensNothing) {
  std::string graph = dir.Write("g.json", CountGraph("absent.csv", "out.csv"));
  ProcessResult plan = Runnel({"plan", graph});
  LONGS_EQUAL(0, plan.exit_code);
  STRCMP_CONTAINS("4 tasks (one thread each)", plan.out.c_str());
  STRCMP_EQUAL("", ReadFile(dir.File("out.csv")).c_str());  // not even created
}

TEST(CliRuntime, PlanOfABrokenGraphExitsTwoWithFileAndLine) {
  std::string text = CountGraph("in.csv", "out.csv");
  size_t at = text.find("\"parallelism\": 2");
  text.replace(at, 16, "\"parallelism\": 0");
  std::string line = std::to_string(1 + std::count(text.begin(), text.begin() + at, '\n'));
  std::string graph = dir.Write("broken.json", text);
  ProcessResult plan = Runnel({"plan", graph});
  LONGS_EQUAL(2, plan.exit_code);
  STRCMP_EQUAL("", plan.out.c_str());
  STRCMP_CONTAINS((graph + ":" + line + ": operators[1].parallelism: expected 1 to 256, found 0").c_str(),
                  plan.err.c_str());
  STRCMP_CONTAINS(("runnel: 1 error in " + graph).c_str(), plan.err.c_str());

  // Errors the planner finds are located the same way.
  std::string planner = dir.Write("slots.json", "{\n  \"ring_slots\": 0,\n" +
                                                    CountGraph("in.csv", "out.csv").substr(1));
  ProcessResult slots = Runnel({"plan", planner});
  LONGS_EQUAL(2, slots.exit_code);
  STRCMP_CONTAINS((planner + ":2: ring_slots: expected 1 to 4096, found 0").c_str(),
                  slots.err.c_str());
}

// A board's RUNNEL_THREADS (docs/DEPLOY.md) caps the plan's task threads.
TEST(CliRuntime, TheDeviceThreadLimitRefusesAPlanWithMoreTasks) {
  ProcessResult unlimited = Runnel({"plan", kDeviceTotals});
  LONGS_EQUAL(0, unlimited.exit_code);
  // "plan of GRAPH: N tasks (one thread each), ..." on the first line.
  const std::string tasks = Words(Lines(unlimited.out).at(0)).at(3);
  STRCMP_EQUAL("tasks", Words(Lines(unlimited.out).at(0)).at(4).c_str());
  CHECK(std::stoi(tasks) > 1);
  auto plan_with = [](const std::string& threads) {
    const std::vector<std::string> environment = {"RUNNEL_THREADS=" + threads};
    return RunProcess({kRunnel, "plan", kDeviceTotals}, "", &environment);
  };
  ProcessResult enough = plan_with(tasks);
  LONGS_EQUAL(0, enough.exit_code);
  ProcessResult fewer = plan_with(std::to_string(std::stoi(tasks) - 1));
  LONGS_EQUAL(2, fewer.exit_code);
  STRCMP_CONTAINS(("the plan needs " + tasks + " threads").c_str(), fewer.err.c_str());
  STRCMP_CONTAINS(("this device allows " + std::to_string(std::stoi(tasks) - 1) +
                   " (RUNNEL_THREADS)").c_str(),
                  fewer.err.c_str());
  ProcessResult bad = plan_with("lots");
  LONGS_EQUAL(2, bad.exit_code);
  STRCMP_CONTAINS("RUNNEL_THREADS: expected a thread count from 1 to 1024, found 'lots'",
                  bad.err.c_str());
}

// --- runnel run ------------------------------------------------------------

TEST(CliRuntime, RunsDeviceTotals) {
  ProcessResult run = Runnel({"run", kDeviceTotals});
  LONGS_EQUAL(0, run.exit_code);
  STRCMP_EQUAL("", run.err.c_str());
  std::vector<std::string> lines = Lines(run.out);
  LONGS_EQUAL(9, lines.size());
  STRCMP_EQUAL("device,n,avg_temp,min_temp,max_temp", lines[0].c_str());
  std::set<std::string> devices;
  long n = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<std::string> f = Split(lines[i], ',');
    LONGS_EQUAL(5, f.size());
    devices.insert(f[0]);
    n += std::atol(f[1].c_str());
    double avg = std::strtod(f[2].c_str(), nullptr);
    double lo = std::strtod(f[3].c_str(), nullptr);
    double hi = std::strtod(f[4].c_str(), nullptr);
    CHECK_TEXT(lo <= avg && avg <= hi, lines[i].c_str());
  }
  LONGS_EQUAL(8, devices.size());
  for (int d = 1; d <= 8; ++d) CHECK(devices.count("dev-" + std::to_string(d)));
  LONGS_EQUAL(3360, n);
}

TEST(CliRuntime, StatsListEveryStageAndRing) {
  ProcessResult run = Runnel({"run", kDeviceTotals, "--stats"});
  LONGS_EQUAL(0, run.exit_code);
  LONGS_EQUAL(9, Lines(run.out).size());
  std::map<std::string, std::vector<std::string>> stages;
  std::vector<std::string> rings;
  for (const std::string& line : Lines(run.err)) {
    std::vector<std::string> w = Words(line);
    if (w.empty()) continue;
    if (w[0] == "source" || w[0] == "operator" || w[0] == "sink") stages[w[1]] = w;
    if (w[0] == "ring") rings.push_back(line);
  }
  STRCMP_CONTAINS("stage    name", run.err.c_str());
  LONGS_EQUAL(4, stages.size());
  STRCMP_EQUAL("3360", stages["readings"][3].c_str());  // rows_out
  STRCMP_EQUAL("0", stages["readings"][4].c_str());     // rejected
  STRCMP_EQUAL("0", stages["readings"][5].c_str());     // lost (batches)
  STRCMP_CONTAINS("rejected      lost   dropped", run.err.c_str());
  long aggregated = std::atol(stages["totals#0"][2].c_str()) +
                    std::atol(stages["totals#1"][2].c_str());
  LONGS_EQUAL(3360, aggregated);
  long keys = std::atol(stages["totals#0"][3].c_str()) + std::atol(stages["totals#1"][3].c_str());
  LONGS_EQUAL(8, keys);
  STRCMP_CONTAINS("/1024", stages["totals#0"].back().c_str());  // state entries/capacity
  STRCMP_EQUAL("8", stages["console"][2].c_str());             // rows_in
  LONGS_EQUAL(4, rings.size());
  STRCMP_CONTAINS("ring     by_device -> totals#0 ", run.err.c_str());
  STRCMP_CONTAINS("ring     by_device -> totals#1 ", run.err.c_str());
  STRCMP_CONTAINS("ring     totals#0 -> console ", run.err.c_str());
  STRCMP_CONTAINS("ring     totals#1 -> console ", run.err.c_str());
  for (const std::string& ring : rings) {
    STRCMP_CONTAINS("fill 0/8, producer waited ", ring.c_str());  // drained at exit
  }
}

TEST(CliRuntime, StatsIntervalMustBeAPositiveNumber) {
  for (const char* bad : {"0", "-1", "0s", "abc", "nan", ""}) {
    ProcessResult run = Runnel({"run", kDeviceTotals, "--stats-interval", bad});
    LONGS_EQUAL_TEXT(2, run.exit_code, bad);
    STRCMP_CONTAINS("runnel: --stats-interval expects a number of seconds > 0",
                    run.err.c_str());
    STRCMP_CONTAINS("Usage: runnel run GRAPH", run.err.c_str());
    STRCMP_EQUAL("", run.out.c_str());  // nothing ran
  }
  ProcessResult missing = Runnel({"run", kDeviceTotals, "--stats-interval"});
  LONGS_EQUAL(2, missing.exit_code);
  ProcessResult not_for_plan = Runnel({"plan", kDeviceTotals, "--stats-interval", "1"});
  LONGS_EQUAL(2, not_for_plan.exit_code);
  STRCMP_CONTAINS("unknown option '--stats-interval' for plan", not_for_plan.err.c_str());

  ProcessResult ok = Runnel({"run", kDeviceTotals, "--stats-interval", "0.05"});
  LONGS_EQUAL(0, ok.exit_code);
  LONGS_EQUAL(9, Lines(ok.out).size());
  STRCMP_CONTAINS("source   readings", ok.err.c_str());  // at least the table at exit
}

// --- graceful shutdown -----------------------------------------------------

TEST(CliRuntime, SigtermFlushesEveryRowFedThroughAnOpenPipe) {
  std::string graph = dir.Write("g.json", CopyGraph("-", "out.csv"));
  auto process = FeedAndStop(graph, SIGTERM, 700, 1900);
  LONGS_EQUAL_TEXT(0, process->exit_code(), process->Err().c_str());
  // Every row, in order: none was left in a buffer.
  STRCMP_EQUAL((kReadingHeader + Readings(0, 2600)).c_str(),
               ReadFile(dir.File("out.csv")).c_str());
  STRCMP_CONTAINS(" INFO SIGTERM: stopping: draining and flushing", process->Err().c_str());
  STRCMP_EQUAL("", process->Out().c_str());
}

TEST(CliRuntime, SigintFlushesEveryRowFedThroughAnOpenPipe) {
  std::string graph = dir.Write("g.json", CopyGraph("-", "out.csv"));
  auto process = FeedAndStop(graph, SIGINT, 1500, 40);
  LONGS_EQUAL_TEXT(0, process->exit_code(), process->Err().c_str());
  STRCMP_EQUAL((kReadingHeader + Readings(0, 1540)).c_str(),
               ReadFile(dir.File("out.csv")).c_str());
  STRCMP_CONTAINS(" INFO SIGINT: stopping: draining and flushing", process->Err().c_str());
}

TEST(CliRuntime, SigtermStopsAMultiThreadedJobAndFlushesEveryUpdate) {
  std::string graph = dir.Write("g.json", CountGraph("-", "out.csv"));
  auto process = FeedAndStop(graph, SIGTERM, 2000, 1234);
  LONGS_EQUAL_TEXT(0, process->exit_code(), process->Err().c_str());
  CheckCounts(ReadFile(dir.File("out.csv")), 3234);
  STRCMP_CONTAINS(" INFO SIGTERM: stopping: draining and flushing", process->Err().c_str());
  CHECK(process->Err().find(" ERROR ") == std::string::npos);
}

TEST(CliRuntime, SigintStopsAMultiThreadedJobAndFlushesEveryUpdate) {
  std::string graph = dir.Write("g.json", CountGraph("-", "out.csv"));
  auto process = FeedAndStop(graph, SIGINT, 10, 500);
  LONGS_EQUAL_TEXT(0, process->exit_code(), process->Err().c_str());
  CheckCounts(ReadFile(dir.File("out.csv")), 510);
  STRCMP_CONTAINS(" INFO SIGINT: stopping: draining and flushing", process->Err().c_str());
}

TEST(CliRuntime, EndOfInputWithoutASignalAlsoFlushesEverything) {
  std::string graph = dir.Write("g.json", CountGraph("-", "out.csv"));
  Process process({kRunnel, "run", graph});
  CHECK(process.started());
  std::string input = kReadingHeader + Readings(0, 5000);
  LONGS_EQUAL(input.size(), process.Write(input));
  process.CloseStdin();
  CHECK_TEXT(process.Wait(kTimeoutMs), "no exit at end of input");
  LONGS_EQUAL_TEXT(0, process.exit_code(), process.Err().c_str());
  STRCMP_EQUAL("", process.Err().c_str());
  CheckCounts(ReadFile(dir.File("out.csv")), 5000);
}

// A job whose stdin has not delivered its header line yet still stops on
// SIGTERM, cleanly (the header is read by the first Read, where the task
// sees stop requests, not in Open).
TEST(CliRuntime, StopsWhileWaitingForTheHeaderLine) {
  std::string graph = dir.Write("g.json", CopyGraph("-", "out.csv"));
  Process process({kRunnel, "run", graph, "--stats-interval", "0.05"});
  CHECK(process.started());
  // The stats table shows up once the signals are taken by runnel.
  CHECK(process.WaitForErr(
      [](const std::string& err) { return SourceRowsOut(err, "readings") == 0; }, kTimeoutMs));
  CHECK(process.Signal(SIGTERM));
  CHECK_TEXT(process.Wait(5000), "SIGTERM ignored while waiting for the header");
  LONGS_EQUAL_TEXT(0, process.exit_code(), process.Err().c_str());
}

// On a stop request the task tells the source to stop reading, and the
// lines CsvSource's LineReader has already read from stdin but not yet put
// in a batch still go through. Here runnel is blocked writing to a full
// stdout when SIGTERM arrives; every complete line it consumed from the
// stdin pipe must still come out.
TEST(CliRuntime, StopProcessesEveryLineAlreadyReadFromStdin) {
  std::string graph = dir.Write(
      "g.json", "{ \"batch_rows\": 16," + CopyGraph("-", "-").substr(1));
  Process process({kRunnel, "run", graph}, Process::Stdout::kPipe);
  CHECK(process.started());
  std::string input = kReadingHeader + Readings(0, 40000);  // ~1.4 MB
  // Fills stdout (pipe + write buffer), then the stdin pipe, then gives up.
  size_t written = process.Write(input, 1000);
  CHECK(written < input.size());
  CHECK(process.Signal(SIGTERM));
  CHECK_TEXT(process.ReadOut(kTimeoutMs), "stdout did not end");
  CHECK_TEXT(process.Wait(kTimeoutMs), "no exit after the signal");
  LONGS_EQUAL_TEXT(0, process.exit_code(), process.Err().c_str());
  size_t consumed = written - process.StdinUnread();
  size_t lines_consumed = 0;
  for (size_t i = 0; i < consumed; ++i) lines_consumed += input[i] == '\n';
  LONGS_EQUAL(lines_consumed, Lines(process.Out()).size());  // header + rows
  STRCMP_EQUAL(input.substr(0, process.Out().size()).c_str(), process.Out().c_str());
}

// --- strict mode in a multi-threaded job ------------------------------------

TEST(CliRuntime, StrictFailureInAMultiThreadedJobExitsOneWithoutHanging) {
  // The bad line comes after several batches, while every thread is busy.
  std::string input = kReadingHeader + Readings(0, 10000) + "dev-1,oops,31.5,50\n" +
                      Readings(10000, 10000);
  std::string csv = dir.Write("in.csv", input);
  std::string graph = dir.Write("g.json", CountGraph("in.csv", "out.csv"));
  Process process({kRunnel, "run", graph, "--strict"});
  CHECK(process.started());
  process.CloseStdin();
  CHECK_TEXT(process.Wait(kTimeoutMs), "strict failure hangs");
  LONGS_EQUAL_TEXT(1, process.exit_code(), process.Err().c_str());
  STRCMP_CONTAINS(
      (" ERROR source 'readings': " + csv +
       ":10002: column 'ts': expected ts, found 'oops' (strict: stopping)")
          .c_str(),
      process.Err().c_str());
  // The sink was still closed: what reached it is a complete CSV file.
  std::string out = ReadFile(dir.File("out.csv"));
  CHECK(out.rfind("device,n,last\n", 0) == 0);
  CHECK(out.back() == '\n');
  CHECK(Lines(out).size() <= 10001);

  // Without --strict the line is skipped and counted, and the job completes.
  ProcessResult lenient = Runnel({"run", graph, "--stats"});
  LONGS_EQUAL(0, lenient.exit_code);
  STRCMP_CONTAINS((csv + ":10002: column 'ts': expected ts, found 'oops' (line skipped)").c_str(),
                  lenient.err.c_str());
  CheckCounts(ReadFile(dir.File("out.csv")), 20000);
  for (const std::string& line : Lines(lenient.err)) {
    std::vector<std::string> w = Words(line);
    if (w.size() >= 5 && w[0] == "source") {
      STRCMP_EQUAL("20000", w[3].c_str());  // rows_out
      STRCMP_EQUAL("1", w[4].c_str());      // rejected
    }
  }
}

TEST(CliRuntime, StrictFailureOnStdinInAMultiThreadedJobExitsOne) {
  std::string graph = dir.Write("g.json", CountGraph("-", "out.csv"));
  Process process({kRunnel, "run", graph, "--strict"});
  CHECK(process.started());
  std::string input = kReadingHeader + Readings(0, 3000) + "dev-1,1700000000000,hot,50\n";
  LONGS_EQUAL(input.size(), process.Write(input));
  // The pipe stays open: the failure alone must end the job.
  CHECK_TEXT(process.Wait(kTimeoutMs), "strict failure on an open pipe hangs");
  LONGS_EQUAL_TEXT(1, process.exit_code(), process.Err().c_str());
  STRCMP_CONTAINS(
      " ERROR source 'readings': -:3002: column 'temp': expected f64, found 'hot' "
      "(strict: stopping)",
      process.Err().c_str());
}
