#include "core/graph/graph_file.h"

#include <CppUTest/TestHarness.h>

#include <string>

#include "tests/testing/temp_dir.h"

using runnel::graph::GraphFile;

namespace {

constexpr const char* kMinimal = R"({
  // comments are allowed
  "schemas": [{ "name": "r", "fields": [{ "name": "x", "type": "i64" }] }],
  "sources": [{ "name": "in", "schema": "r", "csv": { "path": "in.csv" } }],
  "sinks": [{ "name": "out", "input": "in", "csv": { "path": "-" } }],
})";

std::string ErrorOf(const std::string& text) {
  auto file = GraphFile::Parse("g.json", text);
  return file.ok() ? "<ok>" : file.status().message();
}

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
  STRCMP_EQUAL("g.json:5:77: sinks[0].csv.colour: unknown field: colour",
               ErrorOf(text).c_str());
}

TEST(GraphFile, WrongTypeAndBadEnum) {
  std::string text = kMinimal;
  text.replace(text.find("\"i64\""), 5, "\"int\"");
  STRCMP_EQUAL("g.json:3:68: schemas[0].fields[0].type: unknown enum value: int",
               ErrorOf(text).c_str());
  std::string header = kMinimal;
  header.replace(header.find("\"in.csv\""), 8, "\"in.csv\", \"header\": \"yes\"");
  CHECK(ErrorOf(header).rfind("g.json:4:", 0) == 0);
  CHECK(ErrorOf(header).find("sources[0].csv.header") != std::string::npos);
}

TEST(GraphFile, MissingRequiredField) {
  std::string text = kMinimal;
  text.replace(text.find("\"name\": \"out\", "), 15, "");
  CHECK(ErrorOf(text).find("g.json:5:") == 0);
  CHECK(ErrorOf(text).find("required field is missing: name in Sink") != std::string::npos);
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
