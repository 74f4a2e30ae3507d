// libFuzzer target for the graph-file load path: the bytes of a graph file
// go where a user's file goes in `runnel check` / `runnel plan` — parsed as
// JSON text or as the compiled binary form (FlatBuffers, "RNLG"), checked
// into a logical graph and planned with the real transports' connectors.
// The job is never run, so no file is opened or written.
//
// Every input is also tried as a compiled graph: the file identifier is
// written over bytes 4..7 so the FlatBuffers Verifier sees it too.
//
// Built two ways (tests/fuzz/BUILD): with clang's -fsanitize=fuzzer
// (tools/fuzz), and with the normal toolchain into a CppUTest suite that
// replays the committed corpus.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "core/common/clock.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/graph/planner.h"
#include "core/ops/process_registry.h"
#include "examples/api/debounce.h"
#include "transports/connectors/connectors.h"

namespace {

using runnel::graph::GraphFile;

// A fixed clock, so planning does not depend on the time of day.
class FixedClock : public runnel::Clock {
 public:
  int64_t NowMillis() const override { return 1700000000000; }
};

// The process functions a graph may name: the example's "debounce". Built
// per input, so the corpus replay test sees no allocation outlive it.
runnel::ops::ProcessRegistry Processes() {
  runnel::ops::ProcessRegistry registry;
  registry.Register("debounce", runnel::ops::MakeProcessFactory(runnel::examples::Debounce{}));
  return registry;
}

// Loads, checks and plans `contents` as the graph file "fuzz/graph.json"
// (relative paths resolve under "fuzz/", which is never opened).
void LoadCheckPlan(std::string contents) {
  auto file = GraphFile::Parse("fuzz/graph.json", std::move(contents));
  if (!file.ok()) return;
  runnel::graph::Diagnostics diagnostics;
  const runnel::ops::ProcessRegistry processes = Processes();
  runnel::graph::LogicalGraph logical =
      runnel::graph::BuildLogicalGraph(file.value(), &diagnostics, &processes);
  if (diagnostics.empty()) {
    static const FixedClock clock;
    runnel::graph::PlanOptions options;
    options.clock = &clock;
    runnel::graph::PhysicalPlan plan = runnel::graph::Plan(
        logical, runnel::transports::MakeConnectors({}, &clock), options, &diagnostics);
  }
  // What `runnel check` prints.
  std::string errors = file.value()->Format(diagnostics);
  if (!diagnostics.empty() && errors.empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string contents(reinterpret_cast<const char*>(data), size);
  if (!runnel::graph::IsCompiledGraph(contents) && size >= 8) {
    std::string compiled = contents;
    memcpy(&compiled[4], runnel::graph::fb::GraphIdentifier(), 4);
    LoadCheckPlan(std::move(compiled));
  }
  LoadCheckPlan(std::move(contents));
  return 0;
}
