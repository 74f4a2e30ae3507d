// LogicalGraph: a graph file, checked and resolved.
//
// Every name is resolved (schemas, input streams), every operator's output
// schema derived, filters, projections and aggregates parsed against their
// inputs, split operators expanded into one branch per output stream, and
// operators put in dependency order. Building it reports every problem it
// can find as a Diagnostic naming the field path. Nothing here opens files
// or allocates run-time buffers; the planner does that.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/expr/expression.h"
#include "core/graph/diagnostics.h"
#include "core/graph/graph_file.h"
#include "core/ops/accumulators.h"
#include "core/ops/debounce.h"
#include "core/ops/dedupe.h"
#include "core/ops/lookup.h"
#include "core/ops/process_registry.h"
#include "core/ops/project.h"
#include "core/ops/window_spec.h"
#include "core/schema/schema.h"

namespace runnel::graph {

// A named stream of rows: the output of a source or an operator.
struct LogicalStream {
  std::string name;
  schema::Schema schema;
  // Set by key_by: the fields rows are partitioned by; empty otherwise.
  std::vector<uint32_t> key_fields;
  // Instances of the stage producing it.
  uint32_t parallelism = 1;
  // Event time: the field holding it (-1: none), and whether rows carry the
  // hidden watermark slot after the schema's fields (core/schema/row.h).
  int event_time_field = -1;
  bool has_watermark = false;
  // Slots per row, the hidden watermark slot included.
  uint32_t width() const { return schema.size() + (has_watermark ? 1 : 0); }
};

struct LogicalSource {
  std::string name;
  std::string field_path;  // "sources[0]"
  const fb::Source* def;
  uint32_t output_stream;
  // Event time (when the stream has a watermark): its field, or -1.
  int event_time_field = -1;
  int64_t max_out_of_orderness_ns = 0;
  int64_t idle_timeout_ms = 0;
};

enum class OperatorKind {
  kFilter, kProject, kKeyBy, kAggregate, kWindow, kLateFilter, kProcess, kUnion, kSplitBranch,
  kDedupe, kDebounce, kLookup
};

// Keyed state sizing, from the graph's `state` tables.
struct StateOptions {
  uint32_t capacity = 65536;
  fb::OverflowPolicy on_full = fb::OverflowPolicy::fail;
  uint64_t ttl_ms = 0;
};

struct LogicalOperator {
  std::string name;
  std::string field_path;  // "operators[2]"
  OperatorKind kind;
  std::vector<uint32_t> inputs;  // one stream; several for union
  uint32_t output_stream;
  uint32_t parallelism = 1;
  // kFilter, kSplitBranch (when has_condition): a checked bool expression.
  expr::Expression condition;
  ops::Projection projection;   // kProject
  // kAggregate: the functions (the key comes from the input stream).
  ops::Accumulators accumulators;
  bool emit_final = false;
  StateOptions state;  // kAggregate, kProcess, kWindow, kDedupe, kDebounce
  // kWindow, and kLateFilter (the late rows of that window, a side output).
  ops::WindowSpec window;
  // kProcess: the registered function and its timer capacity.
  const ops::ProcessFactory* process = nullptr;
  uint32_t timer_capacity = 0;
  // kSplitBranch: a row belongs here if no earlier condition holds and this
  // branch's does (or it has none).
  std::vector<expr::Expression> earlier_branches;
  bool has_condition = false;
  ops::DedupeSpec dedupe;      // kDedupe
  ops::DebounceSpec debounce;  // kDebounce
  ops::LookupSpec lookup;      // kLookup
};

struct LogicalSink {
  std::string name;
  std::string field_path;  // "sinks[0]"
  const fb::Sink* def;
  uint32_t input_stream;
};

struct LogicalGraph {
  std::shared_ptr<const GraphFile> file;  // keeps the defs above alive
  std::vector<LogicalStream> streams;
  std::vector<LogicalSource> sources;
  std::vector<LogicalOperator> operators;  // inputs always come first
  std::vector<LogicalSink> sinks;
};

// Checks and resolves `file`, with `processes` the process functions the
// program offers (may be null: none). Adds every problem found to
// *diagnostics; the returned graph is complete only if none were added.
LogicalGraph BuildLogicalGraph(std::shared_ptr<const GraphFile> file,
                               Diagnostics* diagnostics,
                               const ops::ProcessRegistry* processes = nullptr);

}  // namespace runnel::graph
