#include "core/graph/planner.h"

#include "core/ops/filter.h"
#include "core/ops/project.h"

namespace runnel::graph {

std::unique_ptr<runtime::Pipeline> Plan(const LogicalGraph& graph,
                                        const Connectors& connectors,
                                        const PlanOptions& options,
                                        Diagnostics* diagnostics) {
  size_t errors_before = diagnostics->size();
  auto pipeline = std::make_unique<runtime::Pipeline>(
      options.batch_rows, std::make_unique<schema::SymbolTable>());
  for (const LogicalStream& stream : graph.streams) {
    pipeline->AddStream(stream.schema.size());
  }
  for (const LogicalSource& s : graph.sources) {
    auto source = connectors.make_source(
        *graph.file, s, graph.streams[s.output_stream].schema, pipeline->symbols(), diagnostics);
    if (source) pipeline->AddSource(s.name, std::move(source), s.output_stream);
  }
  for (const LogicalOperator& o : graph.operators) {
    std::unique_ptr<runtime::Operator> op;
    switch (o.kind) {
      case OperatorKind::kFilter: {
        auto filter = ops::FilterOperator::Make(
            o.comparison, graph.streams[o.input_stream].schema, pipeline->symbols());
        if (!filter.ok()) {
          diagnostics->Add(o.field_path + ".filter", filter.status().message());
          continue;
        }
        op = std::move(filter.value());
        break;
      }
      case OperatorKind::kProject:
        op = std::make_unique<ops::ProjectOperator>(o.projection.source_fields);
        break;
    }
    pipeline->AddOperator(o.name, std::move(op), o.input_stream, o.output_stream);
  }
  for (const LogicalSink& s : graph.sinks) {
    auto sink = connectors.make_sink(*graph.file, s, graph.streams[s.input_stream].schema,
                                     pipeline->symbols(), diagnostics);
    if (sink) pipeline->AddSink(s.name, std::move(sink), s.input_stream);
  }
  if (diagnostics->size() != errors_before) return nullptr;
  return pipeline;
}

}  // namespace runnel::graph
