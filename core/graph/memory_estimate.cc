#include "core/graph/memory_estimate.h"

#include <algorithm>
#include <initializer_list>

#include "core/common/byte_count.h"
#include "core/ops/debounce.h"
#include "core/ops/dedupe.h"
#include "core/ops/lookup.h"
#include "core/ops/process_context.h"
#include "core/ops/split_branch.h"
#include "core/ops/window.h"
#include "core/runtime/batch_ring.h"
#include "core/schema/row.h"
#include "core/schema/symbol_table.h"

namespace runnel::graph {
namespace {

state::OverflowPolicy ToPolicy(fb::OverflowPolicy policy) {
  switch (policy) {
    case fb::OverflowPolicy::fail: return state::OverflowPolicy::kFail;
    case fb::OverflowPolicy::evict_oldest: return state::OverflowPolicy::kEvictOldest;
    case fb::OverflowPolicy::drop_new: return state::OverflowPolicy::kDropNew;
  }
  return state::OverflowPolicy::kFail;
}

// Bytes one instance of `o` preallocates, as its footprint_bytes() will say.
uint64_t InstanceBytes(const LogicalGraph& graph, const LogicalOperator& o) {
  const uint32_t batch_rows = graph.file->graph().batch_rows();
  switch (o.kind) {
    case OperatorKind::kSplitBranch:
      return ops::SplitBranchOperator::FootprintBytes(
          o.earlier_branches.size(), o.has_condition, graph.streams[o.inputs[0]].width(),
          batch_rows);
    case OperatorKind::kAggregate:
      return state::KeyedTable::FootprintBytes(StateTableOptions(graph, o));
    case OperatorKind::kWindow:
      return ops::WindowOperator::FootprintBytes(o.window);
    case OperatorKind::kProcess:
      return ops::ProcessContext::FootprintBytes(StateTableOptions(graph, o), o.timer_capacity);
    case OperatorKind::kDedupe:
      return ops::DedupeOperator::FootprintBytes(o.dedupe, StateTableOptions(graph, o));
    case OperatorKind::kDebounce:
      return ops::DebounceOperator::FootprintBytes(o.debounce, StateTableOptions(graph, o));
    case OperatorKind::kLookup:
      return ops::LookupOperator::FootprintBytes(o.lookup);
    default:
      // Filters, projections, key_by, unions, split branches and late
      // filters preallocate nothing. An operator kind with state needs a
      // case above (its FootprintBytes), or memory_estimate_test fails on
      // the examples that use it.
      return 0;
  }
}

// The field sizing a keyed operator's state, for messages.
std::string StateField(const LogicalOperator& o, uint64_t table_bytes, uint64_t instance_bytes) {
  switch (o.kind) {
    case OperatorKind::kAggregate: return o.field_path + ".aggregate.state.capacity";
    case OperatorKind::kWindow: return o.field_path + ".window.state.capacity";
    case OperatorKind::kDedupe: return o.field_path + ".dedupe.state.capacity";
    case OperatorKind::kDebounce: return o.field_path + ".debounce.state.capacity";
    case OperatorKind::kLookup: return o.field_path + ".lookup.rows";
    case OperatorKind::kProcess:
      // Timers are the larger part when they take more than the table.
      return o.field_path +
             (instance_bytes - table_bytes > table_bytes ? ".process.timers"
                                                         : ".process.state.capacity");
    default: return o.field_path;
  }
}

class Estimator {
 public:
  Estimator(const LogicalGraph& graph, const SourceBytes& source_bytes,
            const SinkBytes& sink_bytes)
      : graph_(graph),
        source_bytes_(source_bytes),
        sink_bytes_(sink_bytes),
        batch_rows_(graph.file->graph().batch_rows()),
        ring_slots_(graph.file->graph().ring_slots()) {}

  MemoryEstimate Run() {
    const fb::Graph& g = graph_.file->graph();
    MemoryBudget& m = out_.budget;
    m.symbols = schema::SymbolTable::FootprintBytes(g.symbols(), g.symbol_bytes());
    for (const LogicalSource& s : graph_.sources) {
      const LogicalStream& stream = graph_.streams[s.output_stream];
      if (source_bytes_) {
        const uint64_t bytes = source_bytes_(s);
        m.io = SaturatingAdd(m.io, bytes);
        out_.items.push_back({s.field_path, "the input of source '" + s.name + "'", bytes});
      }
      Batch(stream.schema.size());
      if (stream.has_watermark) Batch(stream.width());
    }
    for (const LogicalOperator& o : graph_.operators) AddOperator(o);
    for (const LogicalSink& s : graph_.sinks) {
      if (sink_bytes_) {
        m.io = SaturatingAdd(m.io, sink_bytes_(s, graph_.streams[s.input_stream].schema.size()));
      }
      if (!IsForward(graph_.streams[s.input_stream], 1)) Exchange({s.input_stream}, 1);
    }
    out_.items.push_back({"ring_slots",
                          "rings (" + std::to_string(ring_count_) + " of " +
                              std::to_string(ring_slots_) + " batches)",
                          m.rings});
    out_.items.push_back({"batch_rows", "batches (" + std::to_string(batch_rows_) + " rows each)",
                          m.batches});
    out_.items.push_back({g.symbols() >= g.symbol_bytes() / 8 ? "symbols" : "symbol_bytes",
                          "the symbol table", m.symbols});
    return std::move(out_);
  }

 private:
  void Batch(uint32_t width, uint64_t count = 1) {
    uint64_t bytes = SaturatingMul(count, schema::RowBatch::SlotBytes(width, batch_rows_));
    out_.budget.batches = SaturatingAdd(out_.budget.batches, bytes);
  }

  // As Planner::Exchange: a ring from every instance of every stream to
  // every consumer, and one task (one input batch) per consumer.
  void Exchange(const std::vector<uint32_t>& streams, uint32_t consumers) {
    const uint32_t width = graph_.streams[streams[0]].width();
    uint64_t ring = runtime::BatchRing::FootprintBytes(ring_slots_, width, batch_rows_);
    for (uint32_t stream : streams) {
      uint64_t count = SaturatingMul(graph_.streams[stream].parallelism, consumers);
      ring_count_ = SaturatingAdd(ring_count_, count);
      out_.budget.rings = SaturatingAdd(out_.budget.rings, SaturatingMul(count, ring));
    }
    Batch(width, consumers);
  }

  void AddOperator(const LogicalOperator& o) {
    const uint32_t p = o.parallelism;
    if (o.kind == OperatorKind::kUnion || !IsForward(graph_.streams[o.inputs[0]], p)) {
      Exchange(o.inputs, p);
    }
    if (o.kind == OperatorKind::kKeyBy || o.kind == OperatorKind::kUnion) return;
    Batch(graph_.streams[o.output_stream].width(), p);
    uint64_t instance = InstanceBytes(graph_, o);
    if (instance == 0) return;
    uint64_t bytes = SaturatingMul(instance, p);
    out_.budget.state = SaturatingAdd(out_.budget.state, bytes);
    uint64_t table = o.kind == OperatorKind::kProcess
                         ? state::KeyedTable::FootprintBytes(StateTableOptions(graph_, o))
                         : instance;
    const std::string instances = std::to_string(p) + " instance" + (p == 1 ? "" : "s");
    out_.items.push_back(
        {StateField(o, table, instance),
         o.kind == OperatorKind::kSplitBranch
             ? "the scratch batches of branch '" + o.name + "' (" + instances + ")"
             : "the state of '" + o.name + "' (" + std::to_string(o.state.capacity) +
                   " keys x " + instances + ")",
         bytes});
  }

  const LogicalGraph& graph_;
  const SourceBytes& source_bytes_;
  const SinkBytes& sink_bytes_;
  const uint32_t batch_rows_;
  const uint32_t ring_slots_;
  uint64_t ring_count_ = 0;
  MemoryEstimate out_;
};

}  // namespace

uint64_t MemoryBudget::total() const {
  uint64_t bytes = 0;
  for (uint64_t part : {batches, rings, state, symbols, io, checkpoints}) {
    bytes = SaturatingAdd(bytes, part);
  }
  return bytes;
}

bool IsForward(const LogicalStream& stream, uint32_t parallelism) {
  bool repartition = !stream.key_fields.empty() && parallelism > 1;
  return stream.parallelism == parallelism && !repartition;
}

state::KeyedTableOptions StateTableOptions(const LogicalGraph& graph, const LogicalOperator& o) {
  state::KeyedTableOptions t;
  t.capacity = o.state.capacity;
  t.key_slots = static_cast<uint32_t>(graph.streams[o.inputs[0]].key_fields.size());
  t.value_slots = o.accumulators.state_slots();
  t.policy = ToPolicy(o.state.on_full);
  t.ttl = static_cast<int64_t>(o.state.ttl_ms);
  return t;
}

MemoryEstimate EstimateMemory(const LogicalGraph& graph, const SourceBytes& source_bytes,
                              const SinkBytes& sink_bytes) {
  return Estimator(graph, source_bytes, sink_bytes).Run();
}

void CheckMemory(const MemoryEstimate& estimate, uint64_t memory_limit, uint64_t machine_bytes,
                 Diagnostics* diagnostics) {
  const MemoryBudget& m = estimate.budget;
  const uint64_t needed = m.total();
  const bool over_limit = needed > memory_limit;
  const bool over_machine = machine_bytes > 0 && needed > machine_bytes;
  // Only reachable where size_t is narrower than 64 bits: refused, as
  // allocating it would take sizes that wrap.
  const bool over_address_space = needed > kAddressableBytes;
  if (!over_limit && !over_machine && !over_address_space) return;
  const MemoryItem* largest = nullptr;
  for (const MemoryItem& item : estimate.items) {
    if (!largest || item.bytes > largest->bytes) largest = &item;
  }
  std::string message = "the plan needs " + std::to_string(needed) + " bytes (state " +
                        std::to_string(m.state) + ", rings " + std::to_string(m.rings) +
                        ", batches " + std::to_string(m.batches) + ", symbols " +
                        std::to_string(m.symbols) + ", io " + std::to_string(m.io) + ") but ";
  if (over_limit) {
    message += "memory_limit is " + std::to_string(memory_limit);
  } else if (over_machine) {
    message += "this machine has " + std::to_string(machine_bytes);
  } else {
    message += "a " + std::to_string(8 * sizeof(size_t)) +
               "-bit build can address at most " + std::to_string(kAddressableBytes);
  }
  // Name the part to shrink when one part is most of the excess.
  if (largest && largest->bytes > needed / 2) {
    message += "; the largest part is " + largest->what + ": " +
               std::to_string(largest->bytes) + " bytes";
    diagnostics->Add(largest->field_path, message);
  } else {
    diagnostics->Add(over_limit ? "memory_limit" : "", message);
  }
}

}  // namespace runnel::graph
