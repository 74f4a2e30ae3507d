#include "transports/connectors/connectors.h"

#include "transports/file/csv_sink.h"
#include "transports/file/csv_source.h"
#include "transports/generator/generator_connector.h"
#include "transports/generator/generator_source.h"
#include "transports/jsonl/jsonl_connectors.h"
#include "transports/jsonl/jsonl_source.h"
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
    if (source.def->jsonl()) {
      return jsonl::MakeJsonlSource(file, source, schema, symbols, csv_overrides.strict,
                                    diagnostics);
    }
    return file::MakeCsvSource(file, source, schema, symbols, csv_overrides, diagnostics);
  };
  connectors.make_sink = [csv_overrides, clock](const graph::GraphFile& file, const graph::LogicalSink& sink,
                                 const schema::Schema& schema, const schema::SymbolTable* symbols,
                                 graph::Diagnostics* diagnostics)
      -> std::unique_ptr<runtime::Sink> {
    if (sink.def->zmq()) {
      return zmq::MakeZmqSink(file, sink, schema, symbols, clock, diagnostics);
    }
    return file::MakeCsvSink(file, sink, schema, symbols, csv_overrides, diagnostics);
  };
  connectors.source_bytes = [](const graph::LogicalSource& source) -> uint64_t {
    if (source.def->generator()) {
      return generator::GeneratorSource::FootprintBytes(source.def->generator()->keys());
    }
    if (source.def->zmq()) return zmq::ZmqSourceBytes(source);
    if (source.def->jsonl()) {
      jsonl::JsonlSourceOptions options;
      options.max_line_bytes = source.def->jsonl()->max_line_bytes();
      return jsonl::JsonlSource::FootprintBytes(options);
    }
    return file::CsvSource::FootprintBytes({});
  };
  connectors.sink_bytes = [](const graph::LogicalSink& sink, uint32_t width) -> uint64_t {
    if (sink.def->zmq()) return zmq::ZmqSinkBytes(sink, width);
    return file::CsvSink::FootprintBytes();
  };
  return connectors;
}

}  // namespace runnel::transports
