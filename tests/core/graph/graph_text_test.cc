#include "core/graph/graph_text.h"

#include <string>

#include "core/graph/graph_bfbs_generated.h"
#include "core/graph/graph_generated.h"
#include "core/graph/graph_reflection.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::graph::Diagnostics;
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
  auto json = GraphToJson(buffer.value().data(), buffer.value().size());
  CHECK_TEXT(json.ok(), json.status().message().c_str());
  return json.value();
}

// The errors ParseGraphJson reports for `text`, or "<ok>".
std::string ErrorOf(const std::string& text) {
  auto buffer = ParseGraphJson(text);
  return buffer.ok() ? "<ok>" : buffer.status().message();
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

TEST(GraphText, ReportsErrorsWithLineColumnAndPath) {
  auto buffer = ParseGraphJson("{\n  sinks: 3\n}");
  CHECK(!buffer.ok());
  STRCMP_EQUAL("2:10: sinks: expected a list, found 3", buffer.status().message().c_str());
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

TEST(GraphText, ReadsWhatFlatBuffersJsonAllows) {
  // Bare keys and enum names, single quotes, hex, enum numbers, 0/1 bools,
  // null for "not set", comments and trailing commas.
  auto buffer = ParseGraphJson(R"({
    /* block */ name: 'g', batch_rows: 0x10, symbols: null,
    schemas: [{ name: "r", fields: [{ name: "t", type: ts, unit: 1 }], }],
    sources: [{ name: "in", schema: "r", csv: { path: "-", header: 0 } }], // tail
  })");
  CHECK_TEXT(buffer.ok(), buffer.status().message().c_str());
  const auto* g = runnel::graph::fb::GetGraph(buffer.value().data());
  STRCMP_EQUAL("g", g->name()->c_str());
  LONGS_EQUAL(16, g->batch_rows());
  LONGS_EQUAL(65536, g->symbols());  // null: the default
  CHECK(g->schemas()->Get(0)->fields()->Get(0)->type() == runnel::graph::fb::FieldType::ts);
  CHECK(g->schemas()->Get(0)->fields()->Get(0)->unit() == runnel::graph::fb::TimeUnit::s);
  CHECK_FALSE(g->sources()->Get(0)->csv()->header());
}

TEST(GraphText, ChecksIntegerRanges) {
  STRCMP_EQUAL("<ok>", ErrorOf("{ memory_limit: 18446744073709551615 }").c_str());
  STRCMP_EQUAL("1:17: memory_limit: 18446744073709551616 is out of range for ulong (0 to "
               "18446744073709551615)",
               ErrorOf("{ memory_limit: 18446744073709551616 }").c_str());
  STRCMP_EQUAL("1:15: batch_rows: -1 is out of range for uint (0 to 4294967295)",
               ErrorOf("{ batch_rows: -1 }").c_str());
  STRCMP_EQUAL("1:15: batch_rows: 4294967296 is out of range for uint (0 to 4294967295)",
               ErrorOf("{ batch_rows: 4294967296 }").c_str());
  STRCMP_EQUAL("1:15: batch_rows: expected an integer, found 1.5",
               ErrorOf("{ batch_rows: 1.5 }").c_str());
  STRCMP_EQUAL("1:15: batch_rows: expected an integer, found \"many\"",
               ErrorOf("{ batch_rows: 'many' }").c_str());
}

TEST(GraphText, ReportsEveryWrongFieldInTextOrder) {
  STRCMP_EQUAL(
      "1:15: operators[0]: missing required field \"name\"\n"
      "1:48: operators[0].window.colour: unknown field: colour\n"
      "1:71: operators[0].window.size_ms: field set more than once: size_ms\n"
      "1:89: operators[0].window.emit: unknown enum value: never (expected one of: updates, "
      "final)\n"
      "1:103: operators[0].window.state: expected an object, found 3\n"
      "1:119: operators[0].window.late_output: expected a string, found 7",
      ErrorOf("{ operators: [{ window: { values: ['count()'], colour: 1, size_ms: 1, size_ms: "
              "2, emit: never, state: 3, late_output: 7 } }] }")
          .c_str());
}

TEST(GraphText, RejectsBadStrings) {
  STRCMP_EQUAL("1:9: name: invalid escape '\\q' in string", ErrorOf("{ name: 'a\\qb' }").c_str());
  STRCMP_EQUAL("1:9: name: string is not valid UTF-8", ErrorOf("{ name: '\\xff' }").c_str());
  STRCMP_EQUAL("1:9: name: unpaired surrogate \\ud800 in string",
               ErrorOf("{ name: '\\ud800' }").c_str());
  STRCMP_EQUAL("<ok>", ErrorOf("{ name: '\\ud83d\\ude00 \\u00e9 \\x41' }").c_str());
}

TEST(GraphText, LimitsNesting) {
  std::string deep = "{ name: " + std::string(70, '[') + std::string(70, ']') + " }";
  STRCMP_CONTAINS("nested deeper than 64 levels", ErrorOf(deep).c_str());
}

TEST(GraphText, WritesEscapesEmptyListsAndEnumNames) {
  std::string json = Canonical(
      "{ name: 'tab\\there \\u0001 \\\"q\\\" é', schemas: [], operators: [{ name: 'w', "
      "window: { type: 1, values: ['count()'] } }] }",
      /*keep_defaults=*/false);
  STRCMP_CONTAINS("\"name\": \"tab\\there \\u0001 \\\"q\\\" é\"", json.c_str());
  STRCMP_CONTAINS("\"schemas\": [],", json.c_str());
  STRCMP_CONTAINS("\"type\": \"sliding\"", json.c_str());
}

TEST(GraphText, UsesOnlyTypesTheReaderAndWriterKnow) {
  // Scalars (integers, bools, enums), strings, tables, and vectors of strings
  // or tables: what graph_text_reader.cc and graph_text_writer.cc handle.
  const reflection::Schema& schema = runnel::graph::GraphSchema();
  for (const reflection::Object* table : *schema.objects()) {
    CHECK_FALSE(table->is_struct());
    for (const reflection::Field* field : *table->fields()) {
      const reflection::BaseType type = field->type()->base_type();
      const std::string name = table->name()->str() + "." + field->name()->str();
      CHECK_TEXT(type != reflection::Float && type != reflection::Double &&
                     type != reflection::Union && type != reflection::UType &&
                     type != reflection::Array && type != reflection::None,
                 name.c_str());
      if (type == reflection::Vector) {
        const reflection::BaseType element = field->type()->element();
        CHECK_TEXT(element == reflection::String || element == reflection::Obj, name.c_str());
      }
    }
  }
}

TEST(GraphText, KeyOrderDoesNotChangeTheBytes) {
  auto a = ParseGraphJson("{ name: 'g', sinks: [{ name: 'o', input: 'i' }], batch_rows: 8 }");
  auto b = ParseGraphJson("{ batch_rows: 8, sinks: [{ input: 'i', name: 'o' }], name: 'g' }");
  CHECK(a.ok() && b.ok());
  CHECK(a.value() == b.value());
}

TEST(GraphText, NumbersAndBooleansAreNotStrings) {
  STRCMP_EQUAL("1:12: version: expected an integer, found \"7\"",
               ErrorOf("{ version: '7' }").c_str());
  STRCMP_EQUAL("1:65: sources[0].csv.header: expected true or false, found \"true\"",
               ErrorOf("{ sources: [{ name: 'i', schema: 'r', csv: { path: '-', header: 'true' } }] }")
                   .c_str());
  STRCMP_EQUAL("1:65: sources[0].csv.header: expected true or false, found 2",
               ErrorOf("{ sources: [{ name: 'i', schema: 'r', csv: { path: '-', header: 2 } }] }")
                   .c_str());
}

TEST(GraphText, KeysAndStringsWithNulOrControlCharacters) {
  STRCMP_CONTAINS("1:3: ", ErrorOf("{ 'name\\u0000x': 'g' }").c_str());
  STRCMP_CONTAINS("string contains a NUL character", ErrorOf("{ 'name\\u0000x': 'g' }").c_str());
  STRCMP_EQUAL("1:9: name: string contains a NUL character",
               ErrorOf("{ name: 'a\\u0000b' }").c_str());
  STRCMP_EQUAL("1:3: a\\nb: unknown field: a\\nb", ErrorOf("{ 'a\\nb': 1 }").c_str());
}

TEST(GraphText, CutsLongValuesInMessagesBetweenCharacters) {
  // 23 ASCII bytes, then a 2-byte character across the 24-byte cut.
  STRCMP_EQUAL("1:12: version: expected an integer, found \"aaaaaaaaaaaaaaaaaaaaaaa...\"",
               ErrorOf("{ version: 'aaaaaaaaaaaaaaaaaaaaaaa\xc3\xa9zzz' }").c_str());
}

// What only a compiled graph from elsewhere can hold, refused in words
// rather than written as text that does not read back.
TEST(GraphText, RefusesToWriteWhatCannotBeText) {
  namespace fb = runnel::graph::fb;
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<fb::Field>> fields = {
      fb::CreateFieldDirect(builder, "x", static_cast<fb::FieldType>(9))};
  std::vector<flatbuffers::Offset<fb::Schema>> schemas = {
      fb::CreateSchemaDirect(builder, "r", &fields)};
  builder.Finish(fb::CreateGraphDirect(builder, 1, "g", &schemas), fb::GraphIdentifier());
  auto json = GraphToJson(builder.GetBufferPointer(), builder.GetSize());
  CHECK(!json.ok());
  STRCMP_EQUAL("graph cannot be written as JSON: field 'type' holds 9, which is no "
               "runnel.graph.fb.FieldType value",
               json.status().message().c_str());

  // One 1000-byte source named 20,000 times: 0.1 MB of buffer, 20 MB of text.
  flatbuffers::FlatBufferBuilder shared;
  const auto source = fb::CreateSourceDirect(shared, std::string(1000, 's').c_str(), "r");
  std::vector<flatbuffers::Offset<fb::Source>> sources(20000, source);
  shared.Finish(fb::CreateGraphDirect(shared, 1, "g", nullptr, &sources), fb::GraphIdentifier());
  flatbuffers::Verifier verifier(shared.GetBufferPointer(), shared.GetSize());
  CHECK(fb::VerifyGraphBuffer(verifier));
  json = GraphToJson(shared.GetBufferPointer(), shared.GetSize());
  CHECK(!json.ok());
  STRCMP_CONTAINS("would exceed", json.status().message().c_str());
}

// FlatBuffers reads the schema's 8-byte fields in place: unaligned, ARMv7
// stops with a bus error (core/graph/BUILD aligns flatc's array).
TEST(GraphText, TheEmbeddedSchemaIsAligned) {
  const auto address = reinterpret_cast<uintptr_t>(runnel::graph::fb::GraphBinarySchema::data());
  LONGS_EQUAL(0, address % 8);
}
