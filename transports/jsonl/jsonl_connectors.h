// Builds a JsonlSource from its graph-file definition (the `jsonl` member of
// a source), reporting bad options as Diagnostics.
#pragma once

#include <memory>

#include "core/graph/diagnostics.h"
#include "core/graph/logical_graph.h"
#include "core/runtime/operator.h"
#include "core/schema/symbol_table.h"

namespace runnel::jsonl {

// Relative paths are resolved against the graph file's directory. `strict`
// (`runnel run --strict`) makes the source strict whatever the graph says.
// REQUIRES: source.def->jsonl() is set.
std::unique_ptr<runtime::Source> MakeJsonlSource(const graph::GraphFile& file,
                                                 const graph::LogicalSource& source,
                                                 const schema::Schema& schema,
                                                 schema::SymbolTable* symbols, bool strict,
                                                 graph::Diagnostics* diagnostics);

}  // namespace runnel::jsonl
