// Planner: turns a LogicalGraph into a runnable Job — the "plan" half of
// plan-then-run.
//
// It decides the physical layout and allocates everything the job will use,
// sized from the graph: operators with equal parallelism connected one to one
// are fused into one task (one thread), rows passed between them by pointer
// to a preallocated batch; every other edge (key_by into a parallel
// operator, a change of parallelism, a union) becomes bounded SPSC rings
// between tasks. Afterwards the job runs without allocating. Sources and
// sinks come from Connectors the caller supplies (core does not know about
// files or sockets; transports do). The plan also describes itself, with the
// bytes each component preallocated, for `runnel plan`.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/common/clock.h"
#include "core/graph/diagnostics.h"
#include "core/graph/logical_graph.h"
#include "core/graph/memory_estimate.h"
#include "core/runtime/job.h"
#include "core/runtime/operator.h"
#include "core/schema/symbol_table.h"

namespace runnel::graph {

// Builds the source or sink a graph declares. On a problem, adds a
// Diagnostic naming the field at fault and returns null.
struct Connectors {
  std::function<std::unique_ptr<runtime::Source>(
      const GraphFile&, const LogicalSource&, const schema::Schema&,
      schema::SymbolTable*, Diagnostics*)>
      make_source;
  std::function<std::unique_ptr<runtime::Sink>(
      const GraphFile&, const LogicalSink&, const schema::Schema&,
      const schema::SymbolTable*, Diagnostics*)>
      make_sink;
  // Bytes the source or sink they would make preallocates, for the memory
  // check before planning (optional: 0).
  SourceBytes source_bytes;
  SinkBytes sink_bytes;
};

// A graph's `checkpoint` settings, resolved (docs/STATE.md).
struct CheckpointPlan {
  bool enabled = false;
  std::string dir;  // absolute, or relative to the working directory
  int64_t interval_ms = 0;
  bool always_full = false;
  uint32_t retained = 0;
  // What a state directory must have been written by: the graph (its
  // canonical JSON without the `checkpoint` settings) and the plan's shape,
  // hashed. Operator state is restored block by block, so any change to
  // what the job computes or how its state is laid out starts afresh.
  std::string fingerprint;
};

struct PhysicalPlan {
  std::unique_ptr<runtime::Job> job;
  MemoryBudget memory;
  std::string description;  // tasks, stages, rings, state, memory
  CheckpointPlan checkpoint;
};

struct PlanOptions {
  const Clock* clock = SystemClock::Get();  // processing time for operators
  // The machine's memory in bytes: a graph whose plan needs more is refused
  // whatever its memory_limit says. 0: unknown (only memory_limit applies).
  uint64_t machine_memory_bytes = 0;
  // The most task threads the device may run (a board default,
  // RUNNEL_THREADS): a graph whose plan has more tasks is refused. 0: no
  // limit.
  uint32_t max_threads = 0;
};

// Returns the plan, or a plan without a job after adding diagnostics.
// REQUIRES: `graph` was built without diagnostics.
PhysicalPlan Plan(const LogicalGraph& graph, const Connectors& connectors,
                  const PlanOptions& options, Diagnostics* diagnostics);

}  // namespace runnel::graph
