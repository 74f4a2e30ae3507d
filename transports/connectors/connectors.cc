#include "transports/connectors/connectors.h"

#include "transports/file/csv_sink.h"
#include "transports/file/csv_source.h"
#include "transports/generator/generator_connector.h"
#include "transports/zmq/zmq_connectors.h"

namespace runnel::transports {

graph::Connectors MakeConnectors(const file::CsvOverrides& csv_overrides, const Clock* clock) {
  graph::Connectors connectors;
  // The logical graph has checked that each source and sink sets one kind.
  connectors.make_source = [csv_overrides, clock](const graph::GraphFile& file,
                                                  const graph::LogicalSource& source,
                                                  const schema::Schema& schema,
                                                  schema::SymbolTable* symbols,
                                                  graph::Diagnostics* diagnostics)
      -> std::unique_ptr<runtime::Source> {
    if (source.def->generator()) {
      return generator::MakeGeneratorSource(source, schema, symbols, clock, diagnostics);
    }
    if (source.def->zmq()) {
      return zmq::MakeZmqSource(file, source, schema, symbols, clock, diagnostics);
    }
    return file::MakeCsvSource(file, source, schema, symbols, csv_overrides, diagnostics);
  };
  connectors.make_sink = [clock](const graph::GraphFile& file, const graph::LogicalSink& sink,
                                 const schema::Schema& schema, const schema::SymbolTable* symbols,
                                 graph::Diagnostics* diagnostics)
      -> std::unique_ptr<runtime::Sink> {
    if (sink.def->zmq()) {
      return zmq::MakeZmqSink(file, sink, schema, symbols, clock, diagnostics);
    }
    return file::MakeCsvSink(file, sink, schema, symbols, diagnostics);
  };
  connectors.source_bytes = [](const graph::LogicalSource& source) -> size_t {
    return source.def->generator() ? 0 : file::CsvSource::FootprintBytes({});
  };
  connectors.sink_bytes = [](const graph::LogicalSink&) { return file::CsvSink::FootprintBytes(); };
  return connectors;
}

}  // namespace runnel::transports
