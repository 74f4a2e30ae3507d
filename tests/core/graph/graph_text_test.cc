#include "core/graph/graph_text.h"

#include <string>

#include "core/graph/graph_generated.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::graph::GraphToJson;
using runnel::graph::JsonParseOptions;
using runnel::graph::ParseGraphJson;

namespace {

constexpr const char* kGraph = R"json({
  // out of schema order, with a default written out and an empty table
  sinks: [{ input: "in", name: "out", csv: { path: "-", header: true } }],
  schemas: [{ name: "r", fields: [{ name: "x", type: "i64" }, { name: "s", type: "sym" }] }],
  sources: [{ name: "in", schema: "r", csv: { path: "a { } é.csv" } }],
  operators: [{ name: "n", input: "in", aggregate: { values: ["count()"], state: {} } }],
})json";

std::string Canonical(const std::string& text, bool keep_defaults) {
  JsonParseOptions options;
  options.keep_written_defaults = keep_defaults;
  auto buffer = ParseGraphJson(text, options);
  CHECK_TEXT(buffer.ok(), buffer.status().message().c_str());
  auto json = GraphToJson(buffer.value().data());
  CHECK_TEXT(json.ok(), json.status().message().c_str());
  return json.value();
}

}  // namespace

TEST_GROUP(GraphText){};

TEST(GraphText, ParsesToABufferWithTheIdentifier) {
  auto buffer = ParseGraphJson(kGraph);
  CHECK_TEXT(buffer.ok(), buffer.status().message().c_str());
  flatbuffers::Verifier verifier(buffer.value().data(), buffer.value().size());
  CHECK(runnel::graph::fb::VerifyGraphBuffer(verifier));
  CHECK(flatbuffers::BufferHasIdentifier(buffer.value().data(), "RNLG"));
}

TEST(GraphText, ReportsParserErrorsWithLineAndColumn) {
  auto buffer = ParseGraphJson("{\n  sinks: 3\n}");
  CHECK(!buffer.ok());
  CHECK(buffer.status().message().rfind("2: ", 0) == 0);
}

TEST(GraphText, CanonicalFormIsSchemaOrderedAndIndented) {
  std::string json = Canonical(kGraph, /*keep_defaults=*/false);
  STRCMP_EQUAL(
      "{\n"
      "  \"schemas\": [\n"
      "    {\n"
      "      \"name\": \"r\",\n"
      "      \"fields\": [\n"
      "        {\n"
      "          \"name\": \"x\"\n"
      "        },\n"
      "        {\n"
      "          \"name\": \"s\",\n"
      "          \"type\": \"sym\"\n"
      "        }\n"
      "      ]\n"
      "    }\n"
      "  ],\n"
      "  \"sources\": [\n"
      "    {\n"
      "      \"name\": \"in\",\n"
      "      \"schema\": \"r\",\n"
      "      \"csv\": {\n"
      "        \"path\": \"a { } é.csv\"\n"
      "      }\n"
      "    }\n"
      "  ],\n"
      "  \"operators\": [\n"
      "    {\n"
      "      \"name\": \"n\",\n"
      "      \"input\": \"in\",\n"
      "      \"aggregate\": {\n"
      "        \"values\": [\n"
      "          \"count()\"\n"
      "        ],\n"
      "        \"state\": {}\n"
      "      }\n"
      "    }\n"
      "  ],\n"
      "  \"sinks\": [\n"
      "    {\n"
      "      \"name\": \"out\",\n"
      "      \"input\": \"in\",\n"
      "      \"csv\": {\n"
      "        \"path\": \"-\"\n"
      "      }\n"
      "    }\n"
      "  ]\n"
      "}\n",
      json.c_str());
}

TEST(GraphText, KeepsWrittenDefaultsWhenAsked) {
  std::string json = Canonical(kGraph, /*keep_defaults=*/true);
  STRCMP_CONTAINS("\"type\": \"i64\"", json.c_str());
  STRCMP_CONTAINS("\"header\": true", json.c_str());
  CHECK(json.find("\"unit\"") == std::string::npos);  // never written
}

TEST(GraphText, CanonicalFormIsAFixedPoint) {
  for (bool keep : {false, true}) {
    std::string once = Canonical(kGraph, keep);
    STRCMP_EQUAL(once.c_str(), Canonical(once, keep).c_str());
  }
}
