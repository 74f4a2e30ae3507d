// libFuzzer target for the graph-file load path: the bytes of a graph file
// go where a user's file goes in `runnel check` / `runnel plan`
// (tools/cli/load_graph.cc) — parsed as JSON text or as the compiled binary
// form (FlatBuffers, "RNLG"), `${NAME}` substituted from a fixed fake
// environment, checked into a logical graph and planned with the real
// transports' connectors. The job is never run, so no file is opened or
// written.
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

// The fuzzing machine's memory, as the CLI passes the real one: a graph
// whose plan needs more is reported before anything is allocated, so no
// declared size (state capacity, timers, rings, symbols ...) can make the
// planner abort. Small, so that each planned input stays fast.
constexpr uint64_t kMachineMemoryBytes = uint64_t{64} << 20;

// The environment `${NAME}` reads from: fixed, so every run is reproducible.
const char* FakeEnv(const std::string& name) {
  if (name == "DEVICE_ID") return "gw-7";
  if (name == "EMPTY") return "";
  if (name == "QUOTES") return "a\"b\\c\n$${X}";
  if (name == "NUMBER") return "42";
  return nullptr;
}

// Loads, checks and plans `contents` as the graph file "fuzz/graph.json"
// (relative paths resolve under "fuzz/", which is never opened).
void LoadCheckPlan(std::string contents) {
  runnel::graph::LoadOptions load;
  load.substitute_env = true;  // as the runnel CLI loads graphs
  load.env = FakeEnv;
  auto file = GraphFile::Parse("fuzz/graph.json", std::move(contents), load);
  if (!file.ok()) return;
  runnel::graph::Diagnostics diagnostics;
  const runnel::ops::ProcessRegistry processes = Processes();
  runnel::graph::LogicalGraph logical =
      runnel::graph::BuildLogicalGraph(file.value(), &diagnostics, &processes);
  if (diagnostics.empty()) {
    static const FixedClock clock;
    runnel::graph::PlanOptions options;
    options.clock = &clock;
    options.machine_memory_bytes = kMachineMemoryBytes;
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
