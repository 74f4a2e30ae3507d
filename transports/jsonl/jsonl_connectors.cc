#include "transports/jsonl/jsonl_connectors.h"

#include "transports/jsonl/jsonl_source.h"

namespace runnel::jsonl {

std::unique_ptr<runtime::Source> MakeJsonlSource(const graph::GraphFile& file,
                                                 const graph::LogicalSource& source,
                                                 const schema::Schema& schema,
                                                 schema::SymbolTable* symbols, bool strict,
                                                 graph::Diagnostics* diagnostics) {
  const graph::fb::JsonlSource& jsonl = *source.def->jsonl();
  if (jsonl.path()->size() == 0) {
    diagnostics->Add(source.field_path + ".jsonl.path", "expected a file path, or \"-\"");
    return nullptr;
  }
  JsonlSourceOptions options;
  options.path = file.ResolvePath(jsonl.path()->str());
  options.strict = jsonl.strict() || strict;
  options.event_time_field = source.event_time_field;
  if (jsonl.max_line_bytes() < 64) {
    diagnostics->Add(source.field_path + ".jsonl.max_line_bytes",
                     "expected at least 64, found " + std::to_string(jsonl.max_line_bytes()));
    return nullptr;
  }
  options.max_line_bytes = jsonl.max_line_bytes();
  return std::make_unique<JsonlSource>(std::move(options), schema, symbols);
}

}  // namespace runnel::jsonl
