#include "tools/cli/load_graph.h"

#include <unistd.h>

#include <cstdio>

#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "transports/connectors/connectors.h"

namespace runnel::cli {
namespace {

// Physical memory: no graph may plan more than this, whatever its
// memory_limit, so a failed allocation is a diagnostic and not an abort.
uint64_t MachineMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page_size = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page_size <= 0) return 0;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page_size);
}

}  // namespace

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
    options.machine_memory_bytes = MachineMemoryBytes();
    // With checkpoints, file sinks commit their output with them.
    file::CsvOverrides overrides = csv_overrides;
    overrides.checkpoints = file.value()->graph().checkpoint() != nullptr;
    plan = graph::Plan(logical, transports::MakeConnectors(overrides, options.clock), options,
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
