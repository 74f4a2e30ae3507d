// GraphReflection: the graph schema (core/graph/graph.fbs) as FlatBuffers
// reflection data, compiled in at build time (flatc --bfbs-gen-embed), for
// the JSON reader and writer (graph_text.h) to walk tables by field name
// and type without FlatBuffers' schema parser.
#pragma once

#include <string_view>
#include <vector>

#include "flatbuffers/reflection_generated.h"

namespace runnel::graph {

// The graph schema; its root table is Graph.
const reflection::Schema& GraphSchema();

// The table type a field of type Obj (or a vector of them) holds.
const reflection::Object& TableOf(const reflection::Type& type);

// The enum a scalar field's values come from, or nullptr.
const reflection::Enum* EnumOf(const reflection::Type& type);

// The fields of `table` in declaration order (the schema stores them sorted
// by name).
std::vector<const reflection::Field*> FieldsInOrder(const reflection::Object& table);

// Bytes a scalar of `type` takes in a table: 1, 2, 4 or 8.
size_t ScalarSize(reflection::BaseType type);

}  // namespace runnel::graph
