#include "core/graph/logical_graph.h"

#include <CppUTest/TestHarness.h>

#include <string>

using runnel::graph::BuildLogicalGraph;
using runnel::graph::Diagnostics;
using runnel::graph::GraphFile;
using runnel::graph::LogicalGraph;
using runnel::graph::OperatorKind;

namespace {

constexpr const char* kSchemas = R"(
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts" },
    { "name": "temp", "type": "f64" } ] }],
  "sources": [{ "name": "readings", "schema": "reading", "csv": { "path": "r.csv" } }],
)";

// A graph of the shared schema and source plus `rest` (operators, sinks).
std::string Graph(const std::string& rest) { return "{" + std::string(kSchemas) + rest + "}"; }

struct Built {
  LogicalGraph graph;
  std::string errors;
};

Built Build(const std::string& text) {
  auto file = GraphFile::Parse("g.json", text);
  CHECK_TEXT(file.ok(), file.status().message().c_str());
  Diagnostics diagnostics;
  LogicalGraph graph = BuildLogicalGraph(file.value(), &diagnostics);
  return {std::move(graph), file.value()->Format(diagnostics)};
}

}  // namespace

TEST_GROUP(LogicalGraph){};

TEST(LogicalGraph, ResolvesStreamsInDependencyOrder) {
  // "alerts" is written before the operator it reads.
  Built b = Build(Graph(R"(
    "operators": [
      { "name": "alerts", "input": "hot", "project": ["device", "temp as t"] },
      { "name": "hot", "input": "readings", "filter": "temp > 30" } ],
    "sinks": [{ "name": "out", "input": "alerts", "csv": { "path": "-" } }])"));
  STRCMP_EQUAL("", b.errors.c_str());
  LONGS_EQUAL(2, b.graph.operators.size());
  STRCMP_EQUAL("hot", b.graph.operators[0].name.c_str());
  CHECK(b.graph.operators[0].kind == OperatorKind::kFilter);
  STRCMP_EQUAL("alerts", b.graph.operators[1].name.c_str());
  const auto& out = b.graph.streams[b.graph.operators[1].output_stream].schema;
  STRCMP_EQUAL("device, t", out.FieldNames().c_str());
  LONGS_EQUAL(b.graph.operators[1].output_stream, b.graph.sinks[0].input_stream);
}

TEST(LogicalGraph, ReportsEveryErrorWithFileLineAndField) {
  Built b = Build(Graph(R"(
    "operators": [
      { "name": "hot", "input": "readings", "filter": "tmp > 30" },
      { "name": "cut", "input": "hot", "project": ["device", "humidity"] } ],
    "sinks": [{ "name": "out", "input": "hott", "csv": { "path": "-" } }])"));
  STRCMP_EQUAL(
      "g.json:8: operators[0].filter: unknown field 'tmp' at column 1 (fields: device, ts, temp)\n"
      "g.json:9: operators[1].project[1]: unknown field 'humidity' at column 1 (fields: device, ts, temp)\n"
      "g.json:10: sinks[0].input: unknown stream 'hott' (streams: cut, hot, readings)",
      b.errors.c_str());
}

TEST(LogicalGraph, DetectsCycles) {
  Built b = Build(Graph(R"(
    "operators": [
      { "name": "a", "input": "b", "filter": "temp > 1" },
      { "name": "b", "input": "a", "filter": "temp > 2" } ],
    "sinks": [{ "name": "out", "input": "readings", "csv": { "path": "-" } }])"));
  STRCMP_CONTAINS("operators[0].input: operator 'a' is part of a cycle", b.errors.c_str());
  STRCMP_CONTAINS("operators[1].input: operator 'b' is part of a cycle", b.errors.c_str());
}

TEST(LogicalGraph, OperatorNeedsExactlyOneKind) {
  Built b = Build(Graph(R"(
    "operators": [
      { "name": "none", "input": "readings" },
      { "name": "both", "input": "readings", "filter": "temp > 1", "project": ["temp"] } ],
    "sinks": [{ "name": "out", "input": "readings", "csv": { "path": "-" } }])"));
  STRCMP_CONTAINS("operators[0]: an operator needs one of: filter, project", b.errors.c_str());
  STRCMP_CONTAINS("operators[1]: an operator has exactly one of", b.errors.c_str());
}

TEST(LogicalGraph, DuplicateNamesAndMissingParts) {
  Built dup = Build(Graph(R"(
    "operators": [{ "name": "readings", "input": "readings", "filter": "temp > 1" }],
    "sinks": [{ "name": "out", "input": "readings", "csv": { "path": "-" } }])"));
  STRCMP_CONTAINS("operators[0].name: name 'readings' is already used by sources[0]",
                  dup.errors.c_str());
  Built no_sink = Build(Graph(R"("operators": [])"));
  STRCMP_CONTAINS("g.json:1: sinks: a graph needs at least one sink", no_sink.errors.c_str());
  Built no_source = Build(R"({ "sinks": [{ "name": "o", "input": "x", "csv": { "path": "-" } }] })");
  STRCMP_CONTAINS("sources: a graph needs at least one source", no_source.errors.c_str());
}

TEST(LogicalGraph, UnknownSchemaAndDuplicateFields) {
  Built b = Build(R"({
    "schemas": [{ "name": "r", "fields": [{ "name": "x", "type": "i64" }, { "name": "x", "type": "f64" }] }],
    "sources": [{ "name": "in", "schema": "q", "csv": { "path": "a.csv" } }],
    "sinks": [{ "name": "o", "input": "in", "csv": { "path": "-" } }] })");
  STRCMP_CONTAINS("schemas[0].fields[1].name: field 'x' appears twice", b.errors.c_str());
  STRCMP_CONTAINS("g.json:3: sources[0].schema: unknown schema 'q' (schemas: r)", b.errors.c_str());
}

TEST(LogicalGraph, UnsupportedVersion) {
  Built b = Build(Graph(R"("version": 7, "sinks": [{ "name": "o", "input": "readings", "csv": { "path": "-" } }])"));
  STRCMP_CONTAINS("version: graph format version 7 is not supported (expected 1)",
                  b.errors.c_str());
}

// Found by tests/fuzz: durations in ms became int64 ns by a multiplication
// that overflowed (undefined behaviour) for values past 292 years.
TEST(LogicalGraph, RejectsDurationsPastInt64Nanoseconds) {
  Built b = Build(R"json({
    "schemas": [{ "name": "reading", "fields": [
      { "name": "device", "type": "sym" }, { "name": "ts", "type": "ts" } ] }],
    "sources": [{ "name": "readings", "schema": "reading", "csv": { "path": "r.csv" },
      "event_time": { "field": "ts", "max_out_of_orderness_ms": 18446744073709551615 } }],
    "operators": [
      { "name": "by_device", "input": "readings", "key_by": ["device"] },
      { "name": "w", "input": "by_device", "window": { "type": "sliding",
        "size_ms": 230897441837960, "slide_ms": 9223372036855,
        "allowed_lateness_ms": 9223372036854, "values": ["count()"] } },
      { "name": "s", "input": "by_device", "window": { "type": "session",
        "gap_ms": 9223372036855, "values": ["count()"] } } ],
    "sinks": [{ "name": "out", "input": "w", "csv": { "path": "-" } },
              { "name": "out2", "input": "s", "csv": { "path": "-" } }]})json");
  STRCMP_EQUAL(
      "g.json:5: sources[0].event_time.max_out_of_orderness_ms: expected at most 9223372036854 "
      "(292 years), found 18446744073709551615\n"
      "g.json:9: operators[1].window.size_ms: expected at most 9223372036854 (292 years), found "
      "230897441837960\n"
      "g.json:9: operators[1].window.slide_ms: expected at most 9223372036854 (292 years), found "
      "9223372036855\n"
      "g.json:12: operators[2].window.gap_ms: expected at most 9223372036854 (292 years), found "
      "9223372036855",
      b.errors.c_str());
}
