// Planner: turns a LogicalGraph into a runnable Pipeline.
//
// This is the "plan" half of plan-then-run: every batch, operator, symbol
// table and connector is allocated here, sized from the graph, so that
// Pipeline::Run never allocates. Sources and sinks come from Connectors the
// caller supplies (core does not know about files or sockets; transports do).
#pragma once

#include <functional>
#include <memory>

#include "core/graph/diagnostics.h"
#include "core/graph/logical_graph.h"
#include "core/runtime/operator.h"
#include "core/runtime/pipeline.h"
#include "core/schema/symbol_table.h"

namespace runnel::graph {

// Builds the source or sink a graph declares. On a problem, adds a
// Diagnostic naming the field at fault and returns null.
struct Connectors {
  std::function<std::unique_ptr<runtime::Source>(
      const GraphFile&, const LogicalSource&, const schema::Schema&, schema::SymbolTable*,
      Diagnostics*)>
      make_source;
  std::function<std::unique_ptr<runtime::Sink>(
      const GraphFile&, const LogicalSink&, const schema::Schema&, const schema::SymbolTable*,
      Diagnostics*)>
      make_sink;
};

struct PlanOptions {
  uint32_t batch_rows = 1024;
};

// Returns the pipeline, or null after adding diagnostics.
// REQUIRES: `graph` was built without diagnostics.
std::unique_ptr<runtime::Pipeline> Plan(const LogicalGraph& graph,
                                        const Connectors& connectors,
                                        const PlanOptions& options,
                                        Diagnostics* diagnostics);

}  // namespace runnel::graph
