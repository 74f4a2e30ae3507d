// `runnel fmt`: canonical, idempotent, the same graph afterwards, honest
// about comments. Runs the real binary.
#include <sys/stat.h>

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

constexpr const char* kRunnel = "tools/runnel";
constexpr const char* kExamples[] = {"hot_readings.json", "device_totals.json",
                                     "window_avg.json"};

ProcessResult Runnel(std::vector<std::string> args) {
  args.insert(args.begin(), kRunnel);
  return RunProcess(args);
}

// The compiled form of the graph at `path`.
std::string Compiled(const TempDir& dir, const std::string& path) {
  std::string bin = dir.File("graph_of.bin");
  ProcessResult compile = Runnel({"compile", path, "-o", bin});
  CHECK_TEXT(compile.exit_code == 0, compile.err.c_str());
  return ReadFile(bin);
}

// The canonical JSON of the graph at `path` with defaults left out: two
// files describe the same graph exactly when these are equal (their
// compiled bytes can differ: the builder lays fields out in text order).
std::string GraphOf(const TempDir& dir, const std::string& path) {
  std::string bin = dir.Write("graph_of_copy.bin", Compiled(dir, path));
  ProcessResult json = Runnel({"fmt", bin});
  CHECK_TEXT(json.exit_code == 0, json.err.c_str());
  return json.out;
}

constexpr const char* kMessy = R"(// A header comment: kept.
/* and a block
   one */

{sinks: [{input: "hot", name: "out", csv: {path: "out-${DEVICE_ID}.csv", header: true}}],
 operators: [{ name: "hot", input: "in", filter: "temp > 30", }],
 sources: [{schema: "r", name: "in", csv: {path: "in.csv"}}],
 schemas: [{name: "r", fields: [{name: "temp", type: "f64"}, {name: "k", type: "i64"},
                                     {name: "t", type: "ts", unit: "ms"}]}],
 batch_rows: 1024,
}
)";

constexpr const char* kMessyFormatted = R"(// A header comment: kept.
/* and a block
   one */
{
  "schemas": [
    {
      "name": "r",
      "fields": [
        {
          "name": "temp",
          "type": "f64"
        },
        {
          "name": "k",
          "type": "i64"
        },
        {
          "name": "t",
          "type": "ts",
          "unit": "ms"
        }
      ]
    }
  ],
  "sources": [
    {
      "name": "in",
      "schema": "r",
      "csv": {
        "path": "in.csv"
      }
    }
  ],
  "operators": [
    {
      "name": "hot",
      "input": "in",
      "filter": "temp > 30"
    }
  ],
  "sinks": [
    {
      "name": "out",
      "input": "hot",
      "csv": {
        "path": "out-${DEVICE_ID}.csv",
        "header": true
      }
    }
  ],
  "batch_rows": 1024
}
)";

}  // namespace

TEST_GROUP(FmtCli) {
  TempDir dir;
};

TEST(FmtCli, CanonicalFormKeepsWrittenDefaultsVariablesAndHeaderComments) {
  std::string path = dir.Write("messy.json", kMessy);
  ProcessResult fmt = Runnel({"fmt", path});
  LONGS_EQUAL(0, fmt.exit_code);
  STRCMP_EQUAL("", fmt.err.c_str());
  STRCMP_EQUAL(kMessyFormatted, fmt.out.c_str());
  CHECK(ReadFile(path) == kMessy);  // without -w the file is untouched
}

TEST(FmtCli, IdempotentAndTheSameGraph) {
  std::string path = dir.Write("messy.json", kMessy);
  std::string once = dir.Write("once.json", Runnel({"fmt", path}).out);
  ProcessResult twice = Runnel({"fmt", once});
  LONGS_EQUAL(0, twice.exit_code);
  CHECK(twice.out == ReadFile(once));
  // DEVICE_ID is unset here: compile substitutes its default-less reference
  // only for validation, so give it one through a copy without it.
  std::string plain = dir.Write("plain.json", std::string(kMessy).replace(
                                                  std::string(kMessy).find("${DEVICE_ID}"),
                                                  12, "x"));
  std::string plain_once = dir.Write("plain_once.json", Runnel({"fmt", plain}).out);
  CHECK(GraphOf(dir, plain) == GraphOf(dir, plain_once));
}

TEST(FmtCli, EveryExampleFormatsIdempotentlyToTheSameGraph) {
  dir.Write("readings.csv", ReadFile("examples/sensors/readings.csv"));
  for (const char* name : kExamples) {
    std::string path = dir.Write(name, ReadFile(std::string("examples/sensors/") + name));
    ProcessResult once = Runnel({"fmt", "--drop-comments", path});
    LONGS_EQUAL_TEXT(0, once.exit_code, once.err.c_str());
    std::string formatted = dir.Write(std::string("fmt_") + name, once.out);
    ProcessResult twice = Runnel({"fmt", formatted});
    LONGS_EQUAL_TEXT(0, twice.exit_code, twice.err.c_str());
    CHECK_TEXT(twice.out == once.out, name);
    CHECK_TEXT(GraphOf(dir, path) == GraphOf(dir, formatted), name);
    // The examples are written in schema order: even the bytes are the same.
    CHECK_TEXT(Compiled(dir, path) == Compiled(dir, formatted), name);
  }
  // And it runs the same.
  ProcessResult original = Runnel({"run", dir.File("hot_readings.json")});
  ProcessResult formatted = Runnel({"run", dir.File("fmt_hot_readings.json")});
  LONGS_EQUAL(0, formatted.exit_code);
  CHECK(original.out == formatted.out);
}

TEST(FmtCli, RefusesToDropCommentsInsideTheGraph) {
  std::string path = dir.Write("hot.json", ReadFile("examples/sensors/hot_readings.json"));
  ProcessResult fmt = Runnel({"fmt", path});
  LONGS_EQUAL(2, fmt.exit_code);
  STRCMP_EQUAL("", fmt.out.c_str());
  STRCMP_CONTAINS((path + ":22: comment would be lost").c_str(), fmt.err.c_str());
  STRCMP_CONTAINS("pass --drop-comments", fmt.err.c_str());
  LONGS_EQUAL(2, Runnel({"fmt", "-w", path}).exit_code);
  CHECK(ReadFile(path) == ReadFile("examples/sensors/hot_readings.json"));

  ProcessResult dropped = Runnel({"fmt", "--drop-comments", path});
  LONGS_EQUAL(0, dropped.exit_code);
  CHECK(dropped.out.rfind("// Hot readings: keeps the readings above 33", 0) == 0);
  CHECK(dropped.out.find("Relative paths are relative") == std::string::npos);
  // Slashes and stars inside strings (single-quoted too) are not comments.
  std::string url = dir.Write("url.json", R"({ "name": "http://x/*y*/",
  "schemas": [{ "name": 'r//', "fields": [{ "name": "x" }] }],
  "sources": [{ "name": "in", "schema": "r//", "csv": { "path": "//in.csv" } }],
  "sinks": [{ "name": "out", "input": "in", "csv": { "path": "-" } }] })");
  ProcessResult strings = Runnel({"fmt", url});
  LONGS_EQUAL_TEXT(0, strings.exit_code, strings.err.c_str());
  STRCMP_CONTAINS("\"name\": \"http://x/*y*/\"", strings.out.c_str());
}

TEST(FmtCli, WriteInPlace) {
  std::string path = dir.Write("messy.json", kMessy);
  chmod(path.c_str(), 0600);
  ProcessResult fmt = Runnel({"fmt", "-w", path});
  LONGS_EQUAL(0, fmt.exit_code);
  STRCMP_EQUAL("", fmt.out.c_str());
  STRCMP_EQUAL(kMessyFormatted, ReadFile(path).c_str());
  struct stat st;
  LONGS_EQUAL(0, stat(path.c_str(), &st));
  LONGS_EQUAL(0600, st.st_mode & 07777);
  LONGS_EQUAL(0, Runnel({"fmt", "--write", path}).exit_code);
  STRCMP_EQUAL(kMessyFormatted, ReadFile(path).c_str());
}

TEST(FmtCli, CompiledGraphsPrintAsJsonButAreNotRewritten) {
  std::string json = dir.Write("plain.json", std::string(kMessy).replace(
                                                 std::string(kMessy).find("${DEVICE_ID}"),
                                                 12, "x"));
  std::string bin = dir.File("g.bin");
  LONGS_EQUAL(0, Runnel({"compile", json, "-o", bin}).exit_code);
  ProcessResult fmt = Runnel({"fmt", bin});
  LONGS_EQUAL(0, fmt.exit_code);
  STRCMP_CONTAINS("\"filter\": \"temp > 30\"", fmt.out.c_str());
  CHECK(fmt.out.find("\"header\"") == std::string::npos);  // compiled without defaults
  ProcessResult write = Runnel({"fmt", "-w", bin});
  LONGS_EQUAL(2, write.exit_code);
  STRCMP_CONTAINS("is a compiled graph", write.err.c_str());
}

TEST(FmtCli, ErrorsAndUsage) {
  std::string broken = dir.Write("broken.json", "{\n  \"sinks\": 3\n}\n");
  ProcessResult fmt = Runnel({"fmt", broken});
  LONGS_EQUAL(2, fmt.exit_code);
  STRCMP_CONTAINS((broken + ":2:").c_str(), fmt.err.c_str());
  ProcessResult missing = Runnel({"fmt", dir.File("absent.json")});
  LONGS_EQUAL(2, missing.exit_code);
  STRCMP_CONTAINS("absent.json: cannot open graph file", missing.err.c_str());
  ProcessResult no_graph = Runnel({"fmt", "-w"});
  LONGS_EQUAL(2, no_graph.exit_code);
  STRCMP_CONTAINS("fmt needs a GRAPH file", no_graph.err.c_str());
  ProcessResult bad_option = Runnel({"fmt", broken, "-o", "x"});
  LONGS_EQUAL(2, bad_option.exit_code);
  STRCMP_CONTAINS("unknown option '-o' for fmt", bad_option.err.c_str());
}
