#include "core/graph/graph_file.h"

#include <string>

#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::graph::GraphFile;

namespace {

constexpr const char* kMinimal = R"({
  // comments are allowed
  "schemas": [{ "name": "r", "fields": [{ "name": "x", "type": "i64" }] }],
  "sources": [{ "name": "in", "schema": "r", "csv": { "path": "in.csv" } }],
  "sinks": [{ "name": "out", "input": "in", "csv": { "path": "-" } }],
})";

std::string ErrorOf(const std::string& path, const std::string& text,
                    const runnel::graph::LoadOptions& options) {
  auto file = GraphFile::Parse(path, text, options);
  return file.ok() ? "<ok>" : file.status().message();
}

std::string ErrorOf(const std::string& text) { return ErrorOf("g.json", text, {}); }

}  // namespace

TEST_GROUP(GraphFile){};

TEST(GraphFile, ParsesJsonWithComments) {
  auto file = GraphFile::Parse("g.json", kMinimal);
  CHECK_TEXT(file.ok(), file.status().message().c_str());
  const auto& g = file.value()->graph();
  LONGS_EQUAL(1, g.version());
  STRCMP_EQUAL("in.csv", g.sources()->Get(0)->csv()->path()->c_str());
  CHECK(g.sources()->Get(0)->csv()->header());  // default
  LONGS_EQUAL(4, file.value()->LineOf("sources[0]"));
}

TEST(GraphFile, UnknownFieldNamesFileLineAndField) {
  std::string text = kMinimal;
  text.replace(text.find("\"path\": \"-\""), 11, "\"path\": \"-\", \"colour\": 3");
  STRCMP_EQUAL("g.json:5:67: sinks[0].csv.colour: unknown field: colour",
               ErrorOf(text).c_str());
}

TEST(GraphFile, WrongTypeAndBadEnum) {
  std::string text = kMinimal;
  text.replace(text.find("\"i64\""), 5, "\"int\"");
  STRCMP_EQUAL(
      "g.json:3:64: schemas[0].fields[0].type: unknown enum value: int (expected one of: i64, "
      "f64, bool, ts, sym)",
      ErrorOf(text).c_str());
  std::string header = kMinimal;
  header.replace(header.find("\"in.csv\""), 8, "\"in.csv\", \"header\": \"yes\"");
  CHECK(ErrorOf(header).rfind("g.json:4:", 0) == 0);
  CHECK(ErrorOf(header).find("sources[0].csv.header") != std::string::npos);
}

TEST(GraphFile, MissingRequiredFieldNamesTheTableThatLacksIt) {
  std::string text = kMinimal;
  text.replace(text.find("\"name\": \"out\", "), 15, "");
  STRCMP_EQUAL("g.json:5:13: sinks[0]: missing required field \"name\"", ErrorOf(text).c_str());
  // Not the last field before the '}' (which is in a nested table).
  std::string nested = kMinimal;
  nested.replace(nested.find("\"name\": \"in\", "), 14, "");
  STRCMP_EQUAL("g.json:4:15: sources[0]: missing required field \"name\"",
               ErrorOf(nested).c_str());
}

TEST(GraphFile, ReportsIndependentSyntaxErrorsTogether) {
  std::string text = kMinimal;
  text.replace(text.find("\"name\": \"r\", "), 13, "\"name\": \"r\" ");  // no comma
  text.replace(text.find("\"csv\": { \"path\": \"-\" }"), 22, "\"csv\" { \"path\": \"-\" }");
  const std::string error = ErrorOf(text);
  STRCMP_EQUAL("g.json:3:29: schemas[0].name: expected ',' or '}', found \"fields\"\n"
               "g.json:5:51: sinks[0].csv: expected ':', found '{'",
               error.c_str());
}

TEST(GraphFile, SyntaxErrorsComeBeforeSchemaErrors) {
  std::string text = kMinimal;
  text.replace(text.find("\"i64\""), 5, "\"int\"");
  text.replace(text.find("\"csv\": { \"path\": \"-\" }"), 22, "\"csv\" { \"path\": \"-\" }");
  STRCMP_EQUAL("g.json:5:51: sinks[0].csv: expected ':', found '{'", ErrorOf(text).c_str());
}

TEST(GraphFile, ReportsEverySchemaError) {
  std::string text = kMinimal;
  text.replace(text.find("\"i64\""), 5, "\"int\"");
  text.replace(text.find("\"name\": \"out\", "), 15, "");
  STRCMP_EQUAL(
      "g.json:3:64: schemas[0].fields[0].type: unknown enum value: int (expected one of: i64, "
      "f64, bool, ts, sym)\n"
      "g.json:5:13: sinks[0]: missing required field \"name\"",
      ErrorOf(text).c_str());
}

TEST(GraphFile, NotJsonAtAll) {
  CHECK(ErrorOf("this is not a graph").rfind("g.json:1:", 0) == 0);
  CHECK(ErrorOf("").rfind("g.json:1:", 0) == 0);
}

TEST(GraphFile, LoadsFromDiskAndReportsMissingFiles) {
  runnel::testing::TempDir dir;
  auto loaded = GraphFile::Load(dir.Write("graph.json", kMinimal));
  CHECK(loaded.ok());
  auto missing = GraphFile::Load(dir.File("nope.json"));
  CHECK_FALSE(missing.ok());
  CHECK(missing.status().message().find("nope.json: cannot open graph file") !=
        std::string::npos);
}

TEST(GraphFile, ResolvesPathsAgainstItsDirectory) {
  auto file = GraphFile::Parse("/etc/runnel/g.json", kMinimal);
  STRCMP_EQUAL("/etc/runnel/in.csv", file.value()->ResolvePath("in.csv").c_str());
  STRCMP_EQUAL("/data/x.csv", file.value()->ResolvePath("/data/x.csv").c_str());
  STRCMP_EQUAL("-", file.value()->ResolvePath("-").c_str());
}

TEST(GraphFile, RejectsACorruptCompiledGraph) {
  std::string corrupt("\x10\x00\x00\x00RNLG\xff\xff\xff\xff\x00\x00", 14);
  STRCMP_CONTAINS("compiled graph is corrupt", ErrorOf(corrupt).c_str());
}

namespace {

constexpr const char* kWithEnv = R"({
  "schemas": [{ "name": "r", "fields": [{ "name": "x", "type": "i64" }] }],
  "sources": [{ "name": "in", "schema": "r",
                "csv": { "path": "${DATA_DIR:-/var/lib/runnel}/${DEVICE_ID}.csv" } }],
  "sinks": [{ "name": "out", "input": "in",
              "csv": { "path": "$${NOT_A_VARIABLE}-${SITE}" } }],
})";

runnel::graph::LoadOptions EnvOptions(const char* device_id) {
  runnel::graph::LoadOptions options;
  options.substitute_env = true;
  options.env = [device_id](const std::string& name) -> const char* {
    if (name == "DEVICE_ID") return device_id;
    if (name == "SITE") return "north";
    return nullptr;
  };
  return options;
}

}  // namespace

TEST(GraphFile, SubstitutesEnvironmentVariablesOnlyWhenAsked) {
  auto raw = GraphFile::Parse("g.json", kWithEnv);
  CHECK_TEXT(raw.ok(), raw.status().message().c_str());
  STRCMP_EQUAL("${DATA_DIR:-/var/lib/runnel}/${DEVICE_ID}.csv",
               raw.value()->graph().sources()->Get(0)->csv()->path()->c_str());

  auto file = GraphFile::Parse("g.json", kWithEnv, EnvOptions("gw-7"));
  CHECK_TEXT(file.ok(), file.status().message().c_str());
  STRCMP_EQUAL("/var/lib/runnel/gw-7.csv",
               file.value()->graph().sources()->Get(0)->csv()->path()->c_str());
  STRCMP_EQUAL("${NOT_A_VARIABLE}-north",
               file.value()->graph().sinks()->Get(0)->csv()->path()->c_str());
  LONGS_EQUAL(4, file.value()->LineOf("sources[0].csv.path"));
}

TEST(GraphFile, UnsetVariableNamesFileLineAndField) {
  STRCMP_EQUAL("g.json:4: sources[0].csv.path: environment variable DEVICE_ID is not set "
               "(no default)",
               ErrorOf("g.json", kWithEnv, EnvOptions(nullptr)).c_str());
}

TEST(GraphFile, CompiledGraphKeepsVariablesAndSubstitutesAtLoad) {
  auto json = GraphFile::Parse("g.json", kWithEnv);
  CHECK(json.ok());
  const std::vector<uint8_t>& bytes = json.value()->buffer();
  std::string compiled(bytes.begin(), bytes.end());
  CHECK(runnel::graph::IsCompiledGraph(compiled));

  auto device = GraphFile::Parse("/opt/g.bin", compiled, EnvOptions("gw-9"));
  CHECK_TEXT(device.ok(), device.status().message().c_str());
  STRCMP_EQUAL("/var/lib/runnel/gw-9.csv",
               device.value()->graph().sources()->Get(0)->csv()->path()->c_str());
  // No lines in the binary form: FILE: FIELD: MESSAGE.
  STRCMP_EQUAL("/opt/g.bin: sources[0].csv.path: environment variable DEVICE_ID is not set "
               "(no default)",
               ErrorOf("/opt/g.bin", compiled, EnvOptions(nullptr)).c_str());
  // Relative paths resolve against the compiled file's own directory.
  STRCMP_EQUAL("/opt/in.csv", device.value()->ResolvePath("in.csv").c_str());
}

// Deep nesting is one error, found without memory growing with the square
// of the depth (the locator records no path past the reader's limit).
TEST(GraphFile, DeepNestingIsOneErrorNotAnOutOfMemory) {
  const std::string deep = "{ name: " + std::string(200000, '[') + std::string(200000, ']') + " }";
  const std::string error = ErrorOf(deep);
  CHECK(error.rfind("g.json:1:72: name[0][0]", 0) == 0);
  CHECK(error.find(": nested deeper than 64 levels") != std::string::npos);
  CHECK(error.find('\n') == std::string::npos);
}
