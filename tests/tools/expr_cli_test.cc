// Expressions through the real runnel binary: a graph with a richer filter
// and computed project fields runs; `runnel check` reports expression type
// errors as FILE:LINE: FIELD: MESSAGE and exits 2.
#include <CppUTest/TestHarness.h>

#include <string>
#include <vector>

#include "tests/testing/subprocess.h"
#include "tests/testing/temp_dir.h"

using runnel::testing::ProcessResult;
using runnel::testing::RunProcess;
using runnel::testing::TempDir;

namespace {

ProcessResult Runnel(std::vector<std::string> args) {
  args.insert(args.begin(), "tools/runnel");
  return RunProcess(args, "");
}

// Readings from `input`, then `operators` (JSON list items), the last
// writing stream `out` to standard output.
std::string Graph(const std::string& input, const std::string& operators) {
  return R"({
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" }, { "name": "count", "type": "i64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading", "csv": { "path": ")" +
         input + R"(" } }],
  "operators": [
)" + operators + R"(
  ],
  "sinks": [{ "name": "print", "input": "out", "csv": { "path": "-" } }]
})";
}

}  // namespace

TEST_GROUP(ExprCli) {
  TempDir dir;
};

TEST(ExprCli, ComputedFieldsAndARicherFilterRun) {
  dir.Write("in.csv",
            "device,ts,temp,count\n"
            "dev-1,3600000,31.5,4\n"      // 01:00 UTC
            "dev-2,7200000,20,0\n"        // filtered out: dev-2
            "dev-3,86399000,-40,3\n"      // 23:59:59
            "dev-1,90000000,100,0\n");    // count 0: count / 0 is null
  std::string graph = dir.Write("g.json", Graph(dir.File("in.csv"), R"j(
    { "name": "kept", "input": "readings",
      "filter": "device in ('dev-1', 'dev-3') and (temp * 2 > 50 or abs(temp) >= 40)" },
    { "name": "out", "input": "kept", "project": [
        "device", "ts as at", "temp * 1.8 + 32 as temp_f", "hour(ts) as h",
        "if(count / 0 is null and count > 0, 'some', 'none') as tag",
        "100 / count as per", "temp > 0 as warm" ] })j"));
  ProcessResult check = Runnel({"check", graph});
  LONGS_EQUAL_TEXT(0, check.exit_code, check.err.c_str());
  ProcessResult run = Runnel({"run", graph});
  LONGS_EQUAL_TEXT(0, run.exit_code, run.err.c_str());
  STRCMP_EQUAL(
      "device,at,temp_f,h,tag,per,warm\n"
      "dev-1,3600000,88.7,1,some,25,true\n"
      "dev-3,86399000,-40,23,some,33,false\n"
      "dev-1,90000000,212,1,none,,true\n",  // per: null, an empty cell
      run.out.c_str());
}

TEST(ExprCli, CheckReportsTypeErrorsWithFileLineAndField) {
  std::string graph = dir.Write("bad.json", Graph("in.csv", R"j(
    { "name": "kept", "input": "readings", "filter": "device > 3" },
    { "name": "out", "input": "kept", "project": ["device", "ts + 1 as later"] })j"));
  ProcessResult check = Runnel({"check", graph});
  LONGS_EQUAL(2, check.exit_code);
  STRCMP_CONTAINS((graph + ":8: operators[0].filter: cannot compare sym field 'device' with the "
                           "number 3 at column 8 (expected a quoted string)")
                      .c_str(),
                  check.err.c_str());
  STRCMP_CONTAINS((graph + ":9: operators[1].project[1]: cannot apply '+' to ts field 'ts' and "
                           "the number 1 at column 4")
                      .c_str(),
                  check.err.c_str());
  STRCMP_CONTAINS("runnel: 2 errors in ", check.err.c_str());

  std::string not_bool = dir.Write("notbool.json", Graph("in.csv", R"j(
    { "name": "out", "input": "readings", "filter": "temp + 1" })j"));
  ProcessResult check2 = Runnel({"check", not_bool});
  LONGS_EQUAL(2, check2.exit_code);
  STRCMP_CONTAINS((not_bool + ":8: operators[0].filter: expected a condition").c_str(),
                  check2.err.c_str());
}
