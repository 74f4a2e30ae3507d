#include "tools/cli/load_graph.h"

#include <cstdio>

#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "transports/connectors/connectors.h"

namespace runnel::cli {

graph::PhysicalPlan LoadAndPlan(const std::string& path,
                                const file::CsvOverrides& csv_overrides) {
  graph::LoadOptions load;
  load.substitute_env = true;  // the CLI's graphs take ${NAME} from the environment
  auto file = graph::GraphFile::Load(path, load);
  if (!file.ok()) {
    fprintf(stderr, "%s\n", file.status().message().c_str());
    return {};
  }
  graph::Diagnostics diagnostics;
  graph::LogicalGraph logical = graph::BuildLogicalGraph(file.value(), &diagnostics);
  graph::PhysicalPlan plan;
  if (diagnostics.empty()) {
    graph::PlanOptions options;
    plan = graph::Plan(logical, transports::MakeConnectors(csv_overrides, options.clock), options,
                       &diagnostics);
  }
  if (!diagnostics.empty()) {
    fprintf(stderr, "%s\n", file.value()->Format(diagnostics).c_str());
    fprintf(stderr, "runnel: %zu error%s in %s\n", diagnostics.size(),
            diagnostics.size() == 1 ? "" : "s", path.c_str());
    return {};
  }
  return plan;
}

}  // namespace runnel::cli
