#include "tools/cli/load_graph.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

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

// The device's thread limit from RUNNEL_THREADS (a board default, see
// docs/DEPLOY.md): 0 when unset or empty. False, with the problem printed,
// when it is not a count from 1 to kMaxThreads.
bool ThreadLimit(uint32_t* limit) {
  constexpr uint32_t kMaxThreads = 1024;
  *limit = 0;
  const char* text = getenv("RUNNEL_THREADS");
  if (text == nullptr || *text == '\0') return true;
  char* end = nullptr;
  errno = 0;
  unsigned long value = strtoul(text, &end, 10);
  if (errno != 0 || *end != '\0' || value == 0 || value > kMaxThreads || text[0] == '-') {
    fprintf(stderr, "RUNNEL_THREADS: expected a thread count from 1 to %u, found '%s'\n",
            kMaxThreads, text);
    return false;
  }
  *limit = static_cast<uint32_t>(value);
  return true;
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
  uint32_t max_threads = 0;
  if (!ThreadLimit(&max_threads)) return {};
  graph::Diagnostics diagnostics;
  graph::LogicalGraph logical = graph::BuildLogicalGraph(file.value(), &diagnostics);
  graph::PhysicalPlan plan;
  if (diagnostics.empty()) {
    graph::PlanOptions options;
    options.machine_memory_bytes = MachineMemoryBytes();
    options.max_threads = max_threads;
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
