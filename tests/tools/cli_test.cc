// Runs the real runnel binary as a process: exit codes, messages, output.
#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

using runnel::testing::ProcessResult;
using runnel::testing::ReadFile;
using runnel::testing::RunProcess;
using runnel::testing::TempDir;

namespace {

constexpr const char* kRunnel = "tools/runnel";
constexpr const char* kExample = "examples/sensors/hot_readings.json";

ProcessResult Runnel(std::vector<std::string> args, const std::string& stdin_text = "") {
  args.insert(args.begin(), kRunnel);
  return RunProcess(args, stdin_text);
}

size_t CountLines(const std::string& text) {
  size_t lines = 0;
  for (char c : text) lines += (c == '\n');
  return lines;
}

// A graph reading CSV from `input` (a path or "-") with the readings schema,
// filtering by `filter`, writing to `output`.
std::string Graph(const std::string& input, const std::string& filter,
                  const std::string& output) {
  return R"({
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" }, { "name": "humidity", "type": "f64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading", "csv": { "path": ")" +
         input + R"(" } }],
  "operators": [{ "name": "hot", "input": "readings", "filter": ")" + filter + R"(" }],
  "sinks": [{ "name": "out", "input": "hot", "csv": { "path": ")" + output + R"(" } }]
})";
}

}  // namespace

TEST_GROUP(Cli) {
  TempDir dir;
};

TEST(Cli, VersionAndHelp) {
  ProcessResult version = Runnel({"--version"});
  LONGS_EQUAL(0, version.exit_code);
  STRCMP_EQUAL("runnel 0.1.0\n", version.out.c_str());
  ProcessResult help = Runnel({"--help"});
  LONGS_EQUAL(0, help.exit_code);
  STRCMP_CONTAINS("Usage: runnel VERB", help.out.c_str());
  ProcessResult run_help = Runnel({"run", "--help"});
  LONGS_EQUAL(0, run_help.exit_code);
  STRCMP_CONTAINS("--strict", run_help.out.c_str());
}

TEST(Cli, BadUsageExitsTwo) {
  LONGS_EQUAL(2, Runnel({}).exit_code);
  ProcessResult unknown = Runnel({"frobnicate"});
  LONGS_EQUAL(2, unknown.exit_code);
  STRCMP_CONTAINS("unknown verb 'frobnicate'", unknown.err.c_str());
  ProcessResult no_graph = Runnel({"run"});
  LONGS_EQUAL(2, no_graph.exit_code);
  STRCMP_CONTAINS("run needs a GRAPH file", no_graph.err.c_str());
  ProcessResult bad_option = Runnel({"check", kExample, "--fast"});
  LONGS_EQUAL(2, bad_option.exit_code);
  STRCMP_CONTAINS("unknown option '--fast' for check", bad_option.err.c_str());
  LONGS_EQUAL(2, Runnel({"run", kExample, "--log-level", "loud"}).exit_code);
}

TEST(Cli, ChecksTheExample) {
  ProcessResult check = Runnel({"check", kExample});
  LONGS_EQUAL(0, check.exit_code);
  STRCMP_EQUAL("examples/sensors/hot_readings.json: ok\n", check.out.c_str());
}

TEST(Cli, RunsTheExample) {
  ProcessResult run = Runnel({"run", kExample});
  LONGS_EQUAL(0, run.exit_code);
  STRCMP_EQUAL("", run.err.c_str());
  CHECK(run.out.rfind("device,ts,temp_c\n", 0) == 0);
  LONGS_EQUAL(646, CountLines(run.out));  // header + 645 readings above 33
  // Every row is above the threshold.
  size_t at = run.out.find('\n') + 1;
  while (at < run.out.size()) {
    size_t end = run.out.find('\n', at);
    std::string line = run.out.substr(at, end - at);
    CHECK_TEXT(std::stod(line.substr(line.rfind(',') + 1)) > 33.0, line.c_str());
    at = end + 1;
  }
}

TEST(Cli, BrokenGraphNamesFileLineAndFieldAndExitsTwo) {
  std::string graph = dir.Write("broken.json", Graph("in.csv", "temperature > 30", "-"));
  ProcessResult check = Runnel({"check", graph});
  LONGS_EQUAL(2, check.exit_code);
  STRCMP_CONTAINS((graph + ":6: operators[0].filter: unknown field 'temperature'").c_str(),
                  check.err.c_str());
  STRCMP_CONTAINS("runnel: 1 error in ", check.err.c_str());
  LONGS_EQUAL(2, Runnel({"run", graph}).exit_code);
}

TEST(Cli, SyntaxErrorNamesFileLineAndField) {
  std::string text = Graph("in.csv", "temp > 30", "-");
  text.replace(text.find("\"type\": \"ts\""), 12, "\"type\": \"time\"");
  std::string graph = dir.Write("typo.json", text);
  ProcessResult check = Runnel({"check", graph});
  LONGS_EQUAL(2, check.exit_code);
  STRCMP_CONTAINS((graph + ":3:").c_str(), check.err.c_str());
  STRCMP_CONTAINS("schemas[0].fields[1].type: unknown enum value: time", check.err.c_str());
}

TEST(Cli, MissingGraphFileExitsTwo) {
  ProcessResult run = Runnel({"run", dir.File("absent.json")});
  LONGS_EQUAL(2, run.exit_code);
  STRCMP_CONTAINS("absent.json: cannot open graph file", run.err.c_str());
}

TEST(Cli, MissingInputFileIsARuntimeFailure) {
  std::string graph = dir.Write("g.json", Graph("absent.csv", "temp > 30", "-"));
  ProcessResult run = Runnel({"run", graph});
  LONGS_EQUAL(1, run.exit_code);
  STRCMP_CONTAINS("ERROR source 'readings': cannot open ", run.err.c_str());
  STRCMP_CONTAINS("absent.csv: No such file or directory", run.err.c_str());
}

TEST(Cli, MalformedLinesAreReportedAndSkipped) {
  dir.Write("in.csv",
            "device,ts,temp,humidity\n"
            "dev-1,1000,31,50\n"
            "dev-1,oops,32,50\n"
            "dev-2,2000,33\n"
            "dev-2,3000,34,50\n");
  std::string graph = dir.Write("g.json", Graph("in.csv", "temp > 30", "out.csv"));
  ProcessResult run = Runnel({"run", graph, "--stats"});
  LONGS_EQUAL(0, run.exit_code);
  STRCMP_CONTAINS(("WARN " + dir.File("in.csv") +
                   ":3: column 'ts': expected ts, found 'oops'").c_str(),
                  run.err.c_str());
  STRCMP_CONTAINS((dir.File("in.csv") + ":4: expected 4 columns, found 3 (line skipped)").c_str(),
                  run.err.c_str());
  STRCMP_EQUAL("device,ts,temp,humidity\ndev-1,1000,31,50\ndev-2,3000,34,50\n",
               ReadFile(dir.File("out.csv")).c_str());
  STRCMP_CONTAINS("source   readings", run.err.c_str());
}

TEST(Cli, StrictMakesAMalformedLineFatal) {
  dir.Write("in.csv", "device,ts,temp,humidity\ndev-1,1000,31,50\ndev-1,oops,32,50\n");
  std::string graph = dir.Write("g.json", Graph("in.csv", "temp > 30", "out.csv"));
  ProcessResult run = Runnel({"run", graph, "--strict"});
  LONGS_EQUAL(1, run.exit_code);
  STRCMP_CONTAINS(":3: column 'ts': expected ts, found 'oops' (strict: stopping)",
                  run.err.c_str());
  // The row read before the bad line is still written.
  STRCMP_EQUAL("device,ts,temp,humidity\ndev-1,1000,31,50\n",
               ReadFile(dir.File("out.csv")).c_str());
}

TEST(Cli, StdinToStdout) {
  std::string graph = dir.Write("g.json", Graph("-", "device == 'dev-2'", "-"));
  ProcessResult run = Runnel({"run", graph},
                             "device,ts,temp,humidity\ndev-1,1,2,3\ndev-2,4,5,6\n");
  LONGS_EQUAL(0, run.exit_code);
  STRCMP_EQUAL("device,ts,temp,humidity\ndev-2,4,5,6\n", run.out.c_str());
}

TEST(Cli, EveryVerbHasHelpWithExamples) {
  ProcessResult help = Runnel({"--help"});
  for (const char* verb : {"run", "check", "plan", "compile", "fmt"}) {
    STRCMP_CONTAINS((std::string("  ") + verb + " GRAPH").c_str(), help.out.c_str());
    for (const char* flag : {"--help", "-h"}) {
      ProcessResult verb_help = Runnel({verb, flag});
      LONGS_EQUAL(0, verb_help.exit_code);
      STRCMP_EQUAL("", verb_help.err.c_str());
      CHECK_TEXT(verb_help.out.rfind(std::string("Usage: runnel ") + verb + " GRAPH", 0) == 0,
                 verb_help.out.c_str());
      STRCMP_CONTAINS("Example", verb_help.out.c_str());
      STRCMP_CONTAINS(std::string("runnel ").append(verb).append(" ").c_str(),
                      verb_help.out.substr(verb_help.out.find("Example")).c_str());
    }
  }
  // Help wins over missing arguments.
  LONGS_EQUAL(0, Runnel({"compile", "--help"}).exit_code);
}

TEST(Cli, UsageErrorsOfEveryVerbExitTwo) {
  for (const char* verb : {"run", "check", "plan", "compile", "fmt"}) {
    ProcessResult none = Runnel({verb});
    LONGS_EQUAL(2, none.exit_code);
    STRCMP_CONTAINS((std::string(verb) + " needs a GRAPH file").c_str(), none.err.c_str());
    ProcessResult unknown = Runnel({verb, kExample, "--frobnicate"});
    LONGS_EQUAL(2, unknown.exit_code);
    STRCMP_CONTAINS((std::string("unknown option '--frobnicate' for ") + verb).c_str(),
                    unknown.err.c_str());
  }
}

TEST(Cli, LogLinesHaveATimestampAndALevel) {
  dir.Write("in.csv", "device,ts,temp,humidity\ndev-1,oops,32,50\ndev-1,x,32,50\n");
  std::string graph = dir.Write("g.json", Graph("in.csv", "temp > 30", "out.csv"));
  ProcessResult run = Runnel({"run", graph});
  LONGS_EQUAL(0, run.exit_code);
  LONGS_EQUAL(2, CountLines(run.err));
  size_t at = 0;
  while (at < run.err.size()) {
    std::string line = run.err.substr(at, run.err.find('\n', at) - at);
    // 2026-11-24T02:19:26.123Z WARN ...
    CHECK_TEXT(line.size() > 30 && line[4] == '-' && line[10] == 'T' && line[19] == '.' &&
                   line.compare(23, 7, "Z WARN ") == 0,
               line.c_str());
    at += line.size() + 1;
  }
}
