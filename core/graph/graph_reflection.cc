#include "core/graph/graph_reflection.h"

#include <algorithm>

#include "core/graph/graph_bfbs_generated.h"

namespace runnel::graph {

const reflection::Schema& GraphSchema() {
  return *reflection::GetSchema(fb::GraphBinarySchema::data());
}

const reflection::Object& TableOf(const reflection::Type& type) {
  return *GraphSchema().objects()->Get(static_cast<flatbuffers::uoffset_t>(type.index()));
}

const reflection::Enum* EnumOf(const reflection::Type& type) {
  if (type.index() < 0 || type.base_type() == reflection::Obj ||
      type.base_type() == reflection::Vector) {
    return nullptr;
  }
  return GraphSchema().enums()->Get(static_cast<flatbuffers::uoffset_t>(type.index()));
}

std::vector<const reflection::Field*> FieldsInOrder(const reflection::Object& table) {
  std::vector<const reflection::Field*> fields(table.fields()->begin(), table.fields()->end());
  std::sort(fields.begin(), fields.end(),
            [](const reflection::Field* a, const reflection::Field* b) {
              return a->id() < b->id();
            });
  return fields;
}

size_t ScalarSize(reflection::BaseType type) {
  switch (type) {
    case reflection::Short:
    case reflection::UShort: return 2;
    case reflection::Int:
    case reflection::UInt: return 4;
    case reflection::Long:
    case reflection::ULong: return 8;
    default: return 1;
  }
}

}  // namespace runnel::graph
