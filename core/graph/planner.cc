#include "core/graph/planner.h"

#include <cstdio>

#include "core/common/byte_count.h"
#include "core/graph/graph_text.h"
#include "core/ops/aggregate.h"
#include "core/ops/debounce.h"
#include "core/ops/dedupe.h"
#include "core/ops/lookup.h"
#include "core/ops/filter.h"
#include "core/ops/project.h"
#include "core/ops/split_branch.h"
#include "core/ops/late_filter.h"
#include "core/ops/watermark_assigner.h"
#include "core/ops/window.h"
#include "core/runtime/ring_io.h"

namespace runnel::graph {
namespace {

using runtime::BatchRing;
using runtime::Task;

// Where one instance of a stream lives: a task and its stream number there.
struct Placement {
  Task* task = nullptr;
  uint32_t stream = 0;
};

std::string InstanceName(const std::string& name, uint32_t i, uint32_t parallelism) {
  return parallelism == 1 ? name : name + "#" + std::to_string(i);
}

std::string Bytes(uint64_t bytes) {
  char text[32];
  if (bytes >= (1u << 20)) {
    snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  } else if (bytes >= 1024) {
    snprintf(text, sizeof(text), "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else {
    snprintf(text, sizeof(text), "%u B", static_cast<unsigned>(bytes));
  }
  return text;
}

// The symbol table's hash buckets are indexed by uint32 and twice as many.
constexpr uint32_t kMaxSymbols = uint32_t{1} << 30;

class Planner {
 public:
  Planner(const LogicalGraph& graph, const Connectors& connectors,
          const PlanOptions& options, Diagnostics* diagnostics)
      : graph_(graph),
        connectors_(connectors),
        options_(options),
        diagnostics_(diagnostics),
        batch_rows_(graph.file->graph().batch_rows()),
        ring_slots_(graph.file->graph().ring_slots()),
        placements_(graph.streams.size()) {
    for (const LogicalSource& s : graph.sources) {
      if (s.idle_timeout_ms > idle_timeout_ms_) idle_timeout_ms_ = s.idle_timeout_ms;
    }
  }

  PhysicalPlan Build() {
    const fb::Graph& g = graph_.file->graph();
    if (batch_rows_ == 0 || batch_rows_ > (1u << 20)) {
      diagnostics_->Add("batch_rows", "expected 1 to 1048576, found " + std::to_string(batch_rows_));
    }
    if (ring_slots_ == 0 || ring_slots_ > 4096) {
      diagnostics_->Add("ring_slots", "expected 1 to 4096, found " + std::to_string(ring_slots_));
    }
    if (g.symbols() == 0 || g.symbols() > kMaxSymbols) {
      diagnostics_->Add("symbols", "expected 1 to " + std::to_string(kMaxSymbols) + ", found " +
                                       std::to_string(g.symbols()));
    }
    if (const fb::Checkpoint* c = g.checkpoint()) CheckCheckpoint(*c);
    if (!diagnostics_->empty()) return {};
    // Nothing is allocated before the whole plan is known to fit.
    CheckMemory(EstimateMemory(graph_, connectors_.source_bytes, connectors_.sink_bytes),
                g.memory_limit(), options_.machine_memory_bytes, diagnostics_);
    if (!diagnostics_->empty()) return {};
    auto symbols = std::make_unique<schema::SymbolTable>(g.symbols(), g.symbol_bytes());
    plan_.memory.symbols = symbols->footprint_bytes();
    plan_.job = std::make_unique<runtime::Job>(std::move(symbols));
    job_ = plan_.job.get();
    size_t errors_before = diagnostics_->size();
    for (const LogicalSource& s : graph_.sources) AddSource(s);
    for (const LogicalOperator& o : graph_.operators) AddOperator(o);
    for (const LogicalSink& s : graph_.sinks) AddSink(s);
    if (diagnostics_->size() != errors_before) return {};
    CheckThreads();
    if (diagnostics_->size() != errors_before) return {};
    if (const fb::Checkpoint* c = g.checkpoint()) {
      CheckCheckpointable();
      plan_.checkpoint.enabled = true;
      plan_.checkpoint.dir = graph_.file->ResolvePath(c->dir()->str());
      plan_.checkpoint.interval_ms = static_cast<int64_t>(c->interval_ms());
      plan_.checkpoint.always_full = c->mode() != nullptr && c->mode()->str() == "full";
      plan_.checkpoint.retained = c->retained();
    }
    if (diagnostics_->size() != errors_before) return {};
    plan_.memory.batches = job_->batch_bytes();
    plan_.memory.rings = job_->ring_bytes();
    Describe();
    if (plan_.checkpoint.enabled) plan_.checkpoint.fingerprint = CheckpointFingerprint();
    return std::move(plan_);
  }

 private:
  void CheckCheckpoint(const fb::Checkpoint& c) {
    const std::string mode = c.mode() ? c.mode()->str() : "";
    if (!mode.empty() && mode != "incremental" && mode != "full") {
      diagnostics_->Add("checkpoint.mode", "expected \"incremental\" or \"full\", found \"" +
                                               mode + "\"");
    }
    if (c.interval_ms() == 0 || c.interval_ms() > 86400000) {
      diagnostics_->Add("checkpoint.interval_ms", "expected 1 to 86400000 (a day), found " +
                                                      std::to_string(c.interval_ms()));
    }
    if (c.retained() == 0 || c.retained() > 100) {
      diagnostics_->Add("checkpoint.retained",
                        "expected 1 to 100, found " + std::to_string(c.retained()));
    }
  }

  // A task is a thread: the device's limit caps them.
  void CheckThreads() {
    const size_t tasks = job_->tasks().size();
    if (options_.max_threads == 0 || tasks <= options_.max_threads) return;
    diagnostics_->Add("", "the plan needs " + std::to_string(tasks) +
                              " threads (one per task; runnel plan lists them), but this "
                              "device allows " + std::to_string(options_.max_threads) +
                              " (RUNNEL_THREADS): lower the operators' parallelism");
  }

  // What checkpoints support (docs/STATE.md): operators that can save
  // their state; and the memory the checkpoint coordinator
  // (core/checkpoint/coordinator.h) allocates: a buffer per stage for a
  // full snapshot, and the symbols'.
  void CheckCheckpointable() {
    // In 64 bits, saturating (core/common/byte_count.h), as the estimate.
    uint64_t bytes = SaturatingAdd(
        SaturatingMul(runtime::StateBuffer::RecordBytes(4, 0), job_->symbols()->max_symbols()),
        job_->symbols()->max_bytes());
    for (const auto& t : job_->tasks()) {
      Task* task = t.get();
      for (size_t i = 0; i < task->source_count(); ++i) {
        bytes = SaturatingAdd(bytes, task->source(i)->checkpoint_bytes());
      }
      for (size_t i = 0; i < task->operator_count(); ++i) {
        bytes = SaturatingAdd(bytes, task->op(i)->checkpoint_bytes());
      }
      for (size_t i = 0; i < task->sink_count(); ++i) {
        bytes = SaturatingAdd(bytes, task->sink(i)->checkpoint_bytes());
      }
      const auto names = task->Names();
      for (size_t i = 0; i < task->operator_count(); ++i) {
        if (task->op(i)->checkpointing() == runtime::Operator::Checkpointing::kUnsupported) {
          diagnostics_->Add("checkpoint", "operator '" + names.operators[i] +
                                              "' cannot be checkpointed yet (docs/STATE.md "
                                              "lists what can)");
        }
      }
    }
    plan_.memory.checkpoints = bytes;
    const uint64_t limit = graph_.file->graph().memory_limit();
    // The coordinator allocates these after planning: past what this
    // build can address they would wrap (only on 32-bit targets).
    if (plan_.memory.total() > limit || plan_.memory.total() > kAddressableBytes) {
      diagnostics_->Add("checkpoint", "checkpoint buffers take " + std::to_string(bytes) +
                                          " bytes (a full snapshot of the state); with them "
                                          "the plan needs " +
                                          std::to_string(plan_.memory.total()) + " bytes but " +
                                          (plan_.memory.total() > limit
                                               ? "memory_limit is " + std::to_string(limit)
                                               : "this build can address at most " +
                                                     std::to_string(kAddressableBytes)));
    }
  }

  std::string CheckpointFingerprint() const {
    auto json = GraphToJson(graph_.file->buffer().data(), graph_.file->buffer().size());
    std::string text = json.ok() ? json.value() : std::string();
    // The canonical form prints the settings as one flat object, closed by
    // "}" on a line of its own (its strings hold no raw line breaks).
    const size_t at = text.find("\"checkpoint\": {");
    const size_t end = at == std::string::npos ? at : text.find("\n  }", at);
    if (end != std::string::npos) text.erase(at, end + 4 - at);
    text += plan_.description;
    uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 0x100000001b3ull;
    }
    char hex[17];
    snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(hash));
    return hex;
  }

  Task* NewTask(std::string name, uint32_t batch_rows) {
    Task* task = job_->AddTask(std::move(name), batch_rows);
    task->set_clock(options_.clock);
    return task;
  }

  void AddSource(const LogicalSource& s) {
    const LogicalStream& stream = graph_.streams[s.output_stream];
    auto source = connectors_.make_source(*graph_.file, s, stream.schema, job_->symbols(),
                                          diagnostics_);
    if (!source) return;
    plan_.memory.io = SaturatingAdd(plan_.memory.io, source->footprint_bytes());
    Task* task = NewTask("source " + s.name, batch_rows_);
    uint32_t out = task->AddStream(stream.schema.size());
    task->AddSource(s.name, std::move(source), out, /*external=*/true);
    if (stream.has_watermark) {
      // Rows of an event-time source get their watermark slot right away.
      uint32_t timed = task->AddStream(stream.width());
      task->AddOperator("watermarks", std::make_unique<ops::WatermarkAssigner>(
                                          static_cast<uint32_t>(stream.event_time_field),
                                          stream.schema.size(), s.max_out_of_orderness_ns),
                        out, timed);
      out = timed;
    }
    placements_[s.output_stream] = {{task, out}};
  }

  // Whether instance i of a consumer with `parallelism` reads instance i of
  // `stream` in the same task, rather than through rings.
  bool IsForward(uint32_t stream, uint32_t parallelism) const {
    return graph::IsForward(graph_.streams[stream], parallelism);
  }

  // Connects every instance of `stream` to `consumers` new tasks through
  // rings; returns the placement of the input in each consumer task.
  std::vector<Placement> Exchange(const std::vector<uint32_t>& streams, uint32_t consumers,
                                  const std::string& consumer_name) {
    std::vector<Placement> inputs;
    std::vector<std::vector<BatchRing*>> into(consumers);  // rings per consumer
    const LogicalStream& first = graph_.streams[streams[0]];
    uint32_t width = first.width();
    int watermark_slot = first.has_watermark ? static_cast<int>(first.schema.size()) : -1;
    for (uint32_t stream : streams) {
      const LogicalStream& s = graph_.streams[stream];
      for (uint32_t j = 0; j < s.parallelism; ++j) {
        std::vector<BatchRing*> rings;
        for (uint32_t i = 0; i < consumers; ++i) {
          std::string name = InstanceName(s.name, j, s.parallelism) + " -> " +
                             InstanceName(consumer_name, i, consumers);
          rings.push_back(job_->AddRing(name, ring_slots_, width, batch_rows_));
          into[i].push_back(rings.back());
        }
        const Placement& from = placements_[stream][j];
        std::unique_ptr<runtime::Sink> writer;
        std::string how;
        if (!s.key_fields.empty() && consumers > 1) {
          writer = std::make_unique<runtime::PartitionSink>(rings, s.key_fields, job_->signals());
          how = "partition by key";
        } else if (consumers == 1) {
          writer = std::make_unique<runtime::RingSink>(rings[0], job_->signals());
          how = "forward";
        } else {
          writer = std::make_unique<runtime::RebalanceSink>(rings, job_->signals());
          how = "rebalance";
        }
        from.task->AddSink("=> " + consumer_name + " (" + how + ")", std::move(writer),
                           from.stream, /*internal=*/true);
      }
    }
    for (uint32_t i = 0; i < consumers; ++i) {
      Task* task = NewTask(InstanceName(consumer_name, i, consumers), batch_rows_);
      uint32_t in = task->AddStream(width);
      task->AddSource("<= rings (" + std::to_string(into[i].size()) + ")",
                      std::make_unique<runtime::RingSource>(into[i], job_->signals(),
                                                            watermark_slot, idle_timeout_ms_,
                                                            options_.clock),
                      in,
                      /*external=*/false);
      inputs.push_back({task, in});
    }
    return inputs;
  }

  // False when `stream` has no tasks: its source or operator could not be
  // built (already reported), so what reads it is skipped, not crashed on.
  bool Placed(uint32_t stream) { return !placements_[stream].empty(); }

  void AddOperator(const LogicalOperator& o) {
    for (uint32_t input : o.inputs) {
      if (!Placed(input)) return;
    }
    uint32_t p = o.parallelism;
    std::vector<Placement> inputs;
    if (o.kind != OperatorKind::kUnion && IsForward(o.inputs[0], p)) {
      inputs = placements_[o.inputs[0]];
    } else {
      inputs = Exchange(o.inputs, p, o.name);
    }
    std::vector<Placement>& outputs = placements_[o.output_stream];
    if (o.kind == OperatorKind::kKeyBy || o.kind == OperatorKind::kUnion) {
      outputs = inputs;  // no work of their own: the stream is the input
      return;
    }
    const LogicalStream& out_stream = graph_.streams[o.output_stream];
    uint64_t instance_bytes = 0;
    for (uint32_t i = 0; i < p; ++i) {
      std::unique_ptr<runtime::Operator> op = MakeOperator(o);
      if (!op) return;
      instance_bytes = op->footprint_bytes();
      plan_.memory.state = SaturatingAdd(plan_.memory.state, instance_bytes);
      Task* task = inputs[i].task;
      uint32_t out = task->AddStream(out_stream.width());
      task->AddOperator(InstanceName(o.name, i, p), std::move(op), inputs[i].stream, out);
      outputs.push_back({task, out});
    }
    if (o.kind == OperatorKind::kAggregate || o.kind == OperatorKind::kProcess ||
        o.kind == OperatorKind::kWindow || o.kind == OperatorKind::kDedupe ||
        o.kind == OperatorKind::kDebounce) {
      state_lines_.push_back("  " + o.name + ": " + std::to_string(o.state.capacity) +
                             " keys x " + std::to_string(p) + " instance(s), " +
                             Bytes(instance_bytes) + " each, on_full " +
                             fb::EnumNameOverflowPolicy(o.state.on_full) +
                             (o.state.ttl_ms ? ", ttl " + std::to_string(o.state.ttl_ms) + " ms" : ""));
    }
  }

  state::KeyedTableOptions TableOptions(const LogicalOperator& o) {
    return StateTableOptions(graph_, o);
  }

  std::unique_ptr<runtime::Operator> MakeOperator(const LogicalOperator& o) {
    const LogicalStream& in = graph_.streams[o.inputs[0]];
    switch (o.kind) {
      case OperatorKind::kFilter: {
        auto filter = ops::FilterOperator::Make(o.condition, job_->symbols());
        if (filter.ok()) return std::move(filter.value());
        diagnostics_->Add(o.field_path + ".filter", filter.status().message());
        return nullptr;
      }
      case OperatorKind::kProject: {
        // The hidden watermark slot rides along after the projected fields.
        int hidden = in.has_watermark ? static_cast<int>(in.schema.size()) : -1;
        auto project = ops::ProjectOperator::Make(o.projection, hidden, job_->symbols());
        if (project.ok()) return std::move(project.value());
        diagnostics_->Add(o.field_path + ".project", project.status().message());
        return nullptr;
      }
      case OperatorKind::kAggregate: {
        const LogicalStream& out = graph_.streams[o.output_stream];
        int watermark_in = in.has_watermark ? static_cast<int>(in.schema.size()) : -1;
        int watermark_out = out.has_watermark ? static_cast<int>(out.schema.size()) : -1;
        return std::make_unique<ops::AggregateOperator>(schema::KeyFields(in.schema, in.key_fields),
                                                        o.accumulators,
                                                        o.emit_final, TableOptions(o),
                                                        options_.clock, watermark_in, watermark_out);
      }
      case OperatorKind::kWindow:
        return std::make_unique<ops::WindowOperator>(o.window, options_.clock);
      case OperatorKind::kLateFilter:
        return std::make_unique<ops::LateRowFilter>(o.window);
      case OperatorKind::kProcess: {
        ops::ProcessSpec spec;
        spec.input = in.schema;
        spec.key_fields = in.key_fields;
        spec.state = TableOptions(o);
        spec.timer_capacity = o.timer_capacity;
        spec.clock = options_.clock;
        auto op = o.process->make(spec);
        if (op.ok()) return std::move(op.value());
        diagnostics_->Add(o.field_path + ".process", op.status().message());
        return nullptr;
      }
      case OperatorKind::kSplitBranch: {
        auto branch = ops::SplitBranchOperator::Make(
            o.earlier_branches, o.has_condition ? &o.condition : nullptr, in.width(),
            job_->symbols(), batch_rows_);
        if (branch.ok()) return std::move(branch.value());
        diagnostics_->Add(o.field_path, branch.status().message());
        return nullptr;
      }
      case OperatorKind::kDedupe:
        return std::make_unique<ops::DedupeOperator>(in.schema, o.dedupe, TableOptions(o),
                                                     options_.clock);
      case OperatorKind::kDebounce: {
        auto debounce = ops::DebounceOperator::Make(in.schema, in.width(), o.debounce,
                                                    TableOptions(o), job_->symbols(),
                                                    options_.clock);
        if (debounce.ok()) return std::move(debounce.value());
        diagnostics_->Add(o.field_path + ".debounce", debounce.status().message());
        return nullptr;
      }
      case OperatorKind::kLookup: {
        auto lookup = ops::LookupOperator::Make(in.schema, in.width(), o.lookup, job_->symbols());
        if (lookup.ok()) return std::move(lookup.value());
        diagnostics_->Add(o.field_path + ".lookup", lookup.status().message());
        return nullptr;
      }
      case OperatorKind::kKeyBy:
      case OperatorKind::kUnion:
        break;
    }
    return nullptr;
  }

  void AddSink(const LogicalSink& s) {
    const LogicalStream& stream = graph_.streams[s.input_stream];
    auto sink = connectors_.make_sink(*graph_.file, s, stream.schema, job_->symbols(),
                                      diagnostics_);
    if (!sink || !Placed(s.input_stream)) return;
    plan_.memory.io = SaturatingAdd(plan_.memory.io, sink->footprint_bytes());
    Placement at = IsForward(s.input_stream, 1) ? placements_[s.input_stream][0]
                                                : Exchange({s.input_stream}, 1, s.name)[0];
    at.task->AddSink(s.name, std::move(sink), at.stream);
  }

  void Describe() {
    std::string& d = plan_.description;
    const auto& tasks = job_->tasks();
    d += std::to_string(tasks.size()) + " task" + (tasks.size() == 1 ? "" : "s") +
         " (one thread each), " + std::to_string(job_->Rings().size()) + " ring" +
         (job_->Rings().size() == 1 ? "" : "s") + ", batches of " + std::to_string(batch_rows_) +
         " rows\n";
    for (size_t t = 0; t < tasks.size(); ++t) {
      Task::StageNames names = tasks[t]->Names();
      d += "task " + std::to_string(t) + ": " + tasks[t]->name() + "\n";
      for (const std::string& n : names.sources) d += "  in   " + n + "\n";
      for (const std::string& n : names.operators) d += "  op   " + n + "\n";
      for (const std::string& n : names.sinks) d += "  out  " + n + "\n";
    }
    if (!job_->Rings().empty()) {
      d += "rings (" + std::to_string(ring_slots_) + " batches each):\n";
      for (const runtime::RingStats& r : job_->Rings()) d += "  " + r.name + "\n";
    }
    if (!state_lines_.empty()) {
      d += "keyed state:\n";
      for (const std::string& line : state_lines_) d += line + "\n";
    }
    const MemoryBudget& m = plan_.memory;
    d += "memory preallocated: " + Bytes(m.total()) + " (" + std::to_string(m.total()) +
         " bytes)\n";
    d += "  batches  " + std::to_string(m.batches) + "\n";
    d += "  rings    " + std::to_string(m.rings) + "\n";
    d += "  state    " + std::to_string(m.state) + "\n";
    d += "  symbols  " + std::to_string(m.symbols) + "\n";
    d += "  io       " + std::to_string(m.io) + "\n";
    if (m.checkpoints > 0) d += "  checkpoints " + std::to_string(m.checkpoints) + "\n";
  }

  const LogicalGraph& graph_;
  const Connectors& connectors_;
  const PlanOptions& options_;
  Diagnostics* diagnostics_;
  uint32_t batch_rows_;
  uint32_t ring_slots_;
  // Where inputs merge, how long one may be silent before it stops holding
  // back the watermark: the longest any event-time source asks for.
  int64_t idle_timeout_ms_ = 0;
  PhysicalPlan plan_;
  runtime::Job* job_ = nullptr;
  std::vector<std::vector<Placement>> placements_;  // per stream, per instance
  std::vector<std::string> state_lines_;
};

}  // namespace

PhysicalPlan Plan(const LogicalGraph& graph, const Connectors& connectors,
                  const PlanOptions& options, Diagnostics* diagnostics) {
  return Planner(graph, connectors, options, diagnostics).Build();
}

}  // namespace runnel::graph
