#include "tools/cli/connectors.h"

namespace runnel::cli {

graph::Connectors MakeConnectors(const file::CsvOverrides& csv_overrides) {
  graph::Connectors connectors;
  // The logical graph has checked that each source and sink sets a kind.
  connectors.make_source = [csv_overrides](const graph::GraphFile& file,
                                           const graph::LogicalSource& source,
                                           const schema::Schema& schema,
                                           schema::SymbolTable* symbols,
                                           graph::Diagnostics* diagnostics) {
    return file::MakeCsvSource(file, source, schema, symbols, csv_overrides, diagnostics);
  };
  connectors.make_sink = [](const graph::GraphFile& file,
                            const graph::LogicalSink& sink,
                            const schema::Schema& schema,
                            const schema::SymbolTable* symbols,
                            graph::Diagnostics* diagnostics) {
    return file::MakeCsvSink(file, sink, schema, symbols, diagnostics);
  };
  return connectors;
}

}  // namespace runnel::cli
