// Builds CsvSource and CsvSink from their graph-file definitions (the `csv`
// member of a source or sink), reporting bad options as Diagnostics.
#pragma once

#include <memory>

#include "core/graph/diagnostics.h"
#include "core/graph/logical_graph.h"
#include "core/runtime/operator.h"
#include "core/schema/symbol_table.h"

namespace runnel::file {

struct CsvOverrides {
  bool strict = false;  // `runnel run --strict`: every CSV source is strict
  // The graph checkpoints: every CSV sink to a file is transactional
  // (CsvSinkOptions::transactional, part files).
  bool checkpoints = false;
};

// Relative paths are resolved against the graph file's directory.
// REQUIRES: source.def->csv() is set.
std::unique_ptr<runtime::Source> MakeCsvSource(
    const graph::GraphFile& file, const graph::LogicalSource& source, const schema::Schema& schema,
    schema::SymbolTable* symbols, const CsvOverrides& overrides,
    graph::Diagnostics* diagnostics);

// REQUIRES: sink.def->csv() is set.
std::unique_ptr<runtime::Sink> MakeCsvSink(const graph::GraphFile& file,
                                           const graph::LogicalSink& sink,
                                           const schema::Schema& schema,
                                           const schema::SymbolTable* symbols,
                                           const CsvOverrides& overrides,
                                           graph::Diagnostics* diagnostics);

}  // namespace runnel::file
