// The runnel binary with a jsonl source: standard input ("-"), bad lines
// logged as FILE:LINE and skipped, `runnel run --strict` and `strict: true`
// stopping at the first bad line with exit code 1, event time from a ts
// field in seconds, and `runnel check` naming a bad option.
#include <string>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::testing::ProcessResult;
using runnel::testing::RunProcess;
using runnel::testing::TempDir;

namespace {

// A graph reading `path` as JSON lines, keeping temp > 25, printing CSV.
std::string Graph(const std::string& path, const std::string& options = "") {
  return R"({ "name": "t", "schemas": [{ "name": "r", "fields": [
      { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts", "unit": "s" },
      { "name": "temp", "type": "f64" } ] }],
    "sources": [{ "name": "in", "schema": "r", "jsonl": { "path": ")" + path + "\"" +
         options + R"( }, "event_time": { "field": "ts" } }],
    "operators": [{ "name": "hot", "input": "in", "filter": "temp > 25" }],
    "sinks": [{ "name": "out", "input": "hot", "csv": { "path": "-" } }] })";
}

const char kLines[] =
    "{\"device\":\"a\",\"ts\":1700000000,\"temp\":26.5}\n"
    "{\"device\":\"b\",\"ts\":1700000001,\"temp\":\"warm\"}\n"
    "{\"device\":\"c\",\"ts\":1700000002,\"temp\":24}\n"
    "{\"device\":\"d\",\"ts\":1700000003,\"temp\":30}\n";

}  // namespace

TEST_GROUP(JsonlCli) { TempDir dir; };

TEST(JsonlCli, ReadsStandardInputAndSkipsBadLines) {
  ProcessResult run =
      RunProcess({"tools/runnel", "run", dir.Write("g.json", Graph("-"))}, kLines);
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  STRCMP_EQUAL("device,ts,temp\na,1700000000,26.5\nd,1700000003,30\n", run.out.c_str());
  CHECK_TEXT(run.err.find("-:2: field 'temp': expected a number (line skipped)") !=
                 std::string::npos,
             run.err.c_str());
}

TEST(JsonlCli, StrictStopsWithExitCode1) {
  std::string input = dir.Write("in.jsonl", kLines);
  ProcessResult flag =
      RunProcess({"tools/runnel", "run", "--strict", dir.Write("g.json", Graph(input))});
  LONGS_EQUAL_TEXT(1, flag.exit_code, flag.err.c_str());
  CHECK_TEXT(flag.err.find(input + ":2: field 'temp': expected a number (strict: stopping)") !=
                 std::string::npos,
             flag.err.c_str());
  ProcessResult option = RunProcess(
      {"tools/runnel", "run", dir.Write("s.json", Graph(input, ", \"strict\": true"))});
  LONGS_EQUAL_TEXT(1, option.exit_code, option.err.c_str());
}

TEST(JsonlCli, CheckRejectsATinyLineLimit) {
  ProcessResult check = RunProcess(
      {"tools/runnel", "check", dir.Write("g.json", Graph("-", ", \"max_line_bytes\": 10"))});
  LONGS_EQUAL_TEXT(2, check.exit_code, check.err.c_str());
  CHECK_TEXT(check.err.find("sources[0].jsonl.max_line_bytes: expected at least 64, found 10") !=
                 std::string::npos,
             check.err.c_str());
}
