// Environment variables in graph files, through the real binary started with
// a controlled environment (only the NAME=VALUE items a test gives):
// substituted at load in JSON and compiled graphs, every unset one reported
// by `check`.
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

// Runs runnel with exactly the environment `env` ("NAME=VALUE" items).
ProcessResult Runnel(const std::vector<std::string>& env, const std::vector<std::string>& args,
                     const std::string& stdin_text = "") {
  std::vector<std::string> argv = {"tools/runnel"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProcess(argv, stdin_text, &env);
}

constexpr const char* kGraph = R"({
  "name": "site-${SITE:-unknown}",
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "temp", "type": "f64" } ] }],
  "sources": [{ "name": "in", "schema": "reading", "csv": { "path": "-" } }],
  "operators": [
    { "name": "mine", "input": "in", "filter": "device == '${DEVICE_ID}'" }
  ],
  "sinks": [{ "name": "out", "input": "mine",
              "csv": { "path": "${OUT_DIR:-.}/${DEVICE_ID}-$${LITERAL}-${RUN}.csv" } }]
})";

constexpr const char* kInput = "device,temp\ngw-1,20\ngw-2,21\ngw-1,22\n";

}  // namespace

TEST_GROUP(EnvCli) {
  TempDir dir;
};

TEST(EnvCli, CheckReportsEveryUnsetVariableWithFileLineAndField) {
  std::string graph = dir.Write("g.json", kGraph);
  ProcessResult check = Runnel({}, {"check", graph});
  LONGS_EQUAL(2, check.exit_code);
  STRCMP_EQUAL("", check.out.c_str());
  STRCMP_EQUAL((graph + ":7: operators[0].filter: environment variable DEVICE_ID is not set "
                        "(no default)\n" +
                graph + ":10: sinks[0].csv.path: environment variable DEVICE_ID is not set "
                        "(no default)\n" +
                graph + ":10: sinks[0].csv.path: environment variable RUN is not set "
                        "(no default)\n")
                   .c_str(),
               check.err.c_str());
  // run and plan refuse the same way.
  LONGS_EQUAL(2, Runnel({}, {"run", graph}).exit_code);
  ProcessResult plan = Runnel({"DEVICE_ID=gw-1"}, {"plan", graph});
  LONGS_EQUAL(2, plan.exit_code);
  STRCMP_CONTAINS("environment variable RUN is not set", plan.err.c_str());
  LONGS_EQUAL(0, Runnel({"DEVICE_ID=gw-1", "RUN=7"}, {"check", graph}).exit_code);
}

TEST(EnvCli, RunSubstitutesFromTheEnvironment) {
  std::string graph = dir.Write("g.json", kGraph);
  ProcessResult run = Runnel({"DEVICE_ID=gw-1", "RUN=7"}, {"run", graph}, kInput);
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  // ${OUT_DIR:-.} took its default, $$ became a literal $.
  STRCMP_EQUAL("device,temp\ngw-1,20\ngw-1,22\n",
               ReadFile(dir.File("gw-1-${LITERAL}-7.csv")).c_str());

  ProcessResult other = Runnel({"DEVICE_ID=gw-2", "RUN=8", "OUT_DIR=" + dir.File("")},
                               {"run", graph}, kInput);
  LONGS_EQUAL_TEXT(0, other.exit_code, other.err.c_str());
  STRCMP_EQUAL("device,temp\ngw-2,21\n", ReadFile(dir.File("gw-2-${LITERAL}-8.csv")).c_str());
}

TEST(EnvCli, CompiledGraphKeepsReferencesForEachDevice) {
  std::string graph = dir.Write("g.json", kGraph);
  std::string bin = dir.File("g.bin");
  // compile validates in its own environment...
  ProcessResult unset = Runnel({}, {"compile", graph, "-o", bin});
  LONGS_EQUAL(2, unset.exit_code);
  STRCMP_CONTAINS("environment variable DEVICE_ID is not set", unset.err.c_str());
  ProcessResult compile = Runnel({"DEVICE_ID=build", "RUN=0"}, {"compile", graph, "-o", bin});
  LONGS_EQUAL_TEXT(0, compile.exit_code, compile.err.c_str());
  // ...but writes the references, not the values.
  std::string bytes = ReadFile(bin);
  CHECK(bytes.find("device == '${DEVICE_ID}'") != std::string::npos);
  CHECK(bytes.find("build") == std::string::npos);

  ProcessResult check = Runnel({}, {"check", bin});
  LONGS_EQUAL(2, check.exit_code);
  STRCMP_CONTAINS((bin + ": operators[0].filter: environment variable DEVICE_ID is not set "
                         "(no default)").c_str(),
                  check.err.c_str());
  STRCMP_CONTAINS((bin + ": sinks[0].csv.path: environment variable RUN is not set").c_str(),
                  check.err.c_str());

  ProcessResult run = Runnel({"DEVICE_ID=gw-2", "RUN=9"}, {"run", bin}, kInput);
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  STRCMP_EQUAL("device,temp\ngw-2,21\n", ReadFile(dir.File("gw-2-${LITERAL}-9.csv")).c_str());
}

TEST(EnvCli, MalformedReferenceIsAnError) {
  std::string graph = dir.Write("g.json", std::string(kGraph).replace(
                                              std::string(kGraph).find("${RUN}"), 6, "${RUN"));
  ProcessResult check = Runnel({"DEVICE_ID=gw-1"}, {"check", graph});
  LONGS_EQUAL(2, check.exit_code);
  STRCMP_CONTAINS((graph + ":10: sinks[0].csv.path: unterminated '${'").c_str(),
                  check.err.c_str());
}
