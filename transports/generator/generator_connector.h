// Builds a GeneratorSource from its graph-file definition (the `generator`
// member of a source), reporting bad options as Diagnostics.
#pragma once

#include <memory>

#include "core/common/clock.h"
#include "core/graph/diagnostics.h"
#include "core/graph/logical_graph.h"
#include "core/runtime/operator.h"
#include "core/schema/symbol_table.h"

namespace runnel::generator {

// REQUIRES: source.def->generator() is set. `clock` must outlive the source.
std::unique_ptr<runtime::Source> MakeGeneratorSource(const graph::LogicalSource& source,
                                                     const schema::Schema& schema,
                                                     schema::SymbolTable* symbols,
                                                     const Clock* clock,
                                                     graph::Diagnostics* diagnostics);

}  // namespace runnel::generator
