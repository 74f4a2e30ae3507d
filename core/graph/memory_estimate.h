// MemoryEstimate: the bytes the planner will preallocate for a logical graph
// — batches, rings, keyed state, timers, window queues, the symbol table,
// source and sink buffers — computed without allocating anything, so that a
// graph asking for more than its `memory_limit` (or than the machine has) is
// reported as a diagnostic before the first allocation, never as an abort.
//
// The numbers come from the components' own FootprintBytes formulas, and the
// layout (which edges become rings) from IsForward, which the planner uses
// too: the estimate equals the MemoryBudget `runnel plan` reports after
// allocating (tests/core/graph/memory_estimate_test.cc holds it to that).
// Byte counts are uint64_t and saturate (core/common/byte_count.h), so a
// 32-bit build computes the same numbers as a 64-bit one and refuses the
// same graphs. Pure functions; no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/common/byte_count.h"
#include "core/graph/diagnostics.h"
#include "core/graph/logical_graph.h"
#include "core/state/keyed_table.h"

namespace runnel::graph {

// Bytes preallocated per component.
struct MemoryBudget {
  uint64_t batches = 0;  // one batch per stream per task
  uint64_t rings = 0;    // batches held in rings between tasks
  uint64_t state = 0;    // operators: keyed state, timers, window queues, split scratch
  uint64_t symbols = 0;  // the symbol table
  uint64_t io = 0;       // source and sink buffers
  uint64_t checkpoints = 0;  // buffers a checkpoint copies each stage's changes into
  uint64_t total() const;    // saturates at UINT64_MAX
};

// One part of the estimate and the graph field that sizes it.
struct MemoryItem {
  std::string field_path;  // "operators[2].window.state.capacity", "ring_slots"
  std::string what;        // "state of 'avg': 65536 keys x 2 instances"
  uint64_t bytes = 0;
};

struct MemoryEstimate {
  MemoryBudget budget;
  std::vector<MemoryItem> items;  // keyed operators, rings, batches, symbols
};

// Bytes a connector's source or sink for this declaration preallocates.
using SourceBytes = std::function<uint64_t(const LogicalSource&)>;
using SinkBytes = std::function<uint64_t(const LogicalSink&, uint32_t width)>;

// Whether instance i of a consumer with `parallelism` instances reads
// instance i of `stream` in its own task (fused), rather than through rings.
bool IsForward(const LogicalStream& stream, uint32_t parallelism);

// The keyed state table of an aggregate or process operator.
state::KeyedTableOptions StateTableOptions(const LogicalGraph& graph, const LogicalOperator& o);

// REQUIRES: `graph` was built without diagnostics, and batch_rows and
// ring_slots are in range (the planner checks them first). `source_bytes`
// and `sink_bytes` may be empty (0 bytes).
MemoryEstimate EstimateMemory(const LogicalGraph& graph, const SourceBytes& source_bytes,
                              const SinkBytes& sink_bytes);

// Adds a diagnostic if the estimate exceeds `memory_limit`, or
// `machine_bytes` (the memory of the machine; 0: unknown), or what this
// process can address (kAddressableBytes: 4 GiB on 32-bit targets, a limit
// 64-bit builds never reach), naming the largest part's field. A plan that
// passes has every component's size within size_t, so no constructor
// computes a wrapped allocation size.
void CheckMemory(const MemoryEstimate& estimate, uint64_t memory_limit, uint64_t machine_bytes,
                 Diagnostics* diagnostics);

}  // namespace runnel::graph
