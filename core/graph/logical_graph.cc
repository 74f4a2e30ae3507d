#include "core/graph/logical_graph.h"

#include <cstdint>
#include <map>
#include <set>

#include "core/expr/checker.h"

namespace runnel::graph {
namespace {

std::string Indexed(const std::string& list, size_t index) {
  return list + "[" + std::to_string(index) + "]";
}

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

// "a, b, c" — the names a user could have meant.
template <typename Map>
std::string KeyList(const Map& map) {
  std::string out;
  for (const auto& entry : map) {
    if (!out.empty()) out += ", ";
    out += entry.first;
  }
  return out.empty() ? "none" : out;
}

std::vector<std::string> Strings(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* list) {
  std::vector<std::string> out;
  if (list) {
    for (const auto* item : *list) out.push_back(item->str());
  }
  return out;
}

schema::FieldType ToFieldType(fb::FieldType type) {
  switch (type) {
    case fb::FieldType::i64: return schema::FieldType::kI64;
    case fb::FieldType::f64: return schema::FieldType::kF64;
    case fb::FieldType::bool_: return schema::FieldType::kBool;
    case fb::FieldType::ts: return schema::FieldType::kTs;
    case fb::FieldType::sym: return schema::FieldType::kSym;
  }
  return schema::FieldType::kI64;
}

schema::TimeUnit ToTimeUnit(fb::TimeUnit unit) {
  switch (unit) {
    case fb::TimeUnit::s: return schema::TimeUnit::kS;
    case fb::TimeUnit::ms: return schema::TimeUnit::kMs;
    case fb::TimeUnit::us: return schema::TimeUnit::kUs;
    case fb::TimeUnit::ns: return schema::TimeUnit::kNs;
  }
  return schema::TimeUnit::kMs;
}

// The kinds an operator sets, by name.
std::vector<std::string> KindsSet(const fb::Operator& op) {
  std::vector<std::string> kinds;
  if (op.filter()) kinds.push_back("filter");
  if (op.project()) kinds.push_back("project");
  if (op.key_by()) kinds.push_back("key_by");
  if (op.aggregate()) kinds.push_back("aggregate");
  if (op.window()) kinds.push_back("window");
  if (op.process()) kinds.push_back("process");
  if (op.dedupe()) kinds.push_back("dedupe");
  if (op.debounce()) kinds.push_back("debounce");
  if (op.lookup()) kinds.push_back("lookup");
  if (op.union_()) kinds.push_back("union");
  if (op.split()) kinds.push_back("split");
  return kinds;
}

// Timer stores index their hash buckets (twice the capacity) by uint32.
constexpr uint32_t kMaxTimers = uint32_t{1} << 31;

constexpr const char* kOperatorKinds =
    "filter, project, key_by, aggregate, window, process, dedupe, debounce, lookup, union, split";

// The streams an operator reads, by name.
std::vector<std::string> InputNames(const fb::Operator& op) {
  if (op.union_()) return Strings(op.union_());
  if (op.input()) return {op.input()->str()};
  return {};
}

// Moves "[2]: message" (an item index a parser put first) into the path.
void AddItemError(Diagnostics* diagnostics, const std::string& path,
                  const std::string& message) {
  size_t close = message.find("]: ");
  if (message.rfind('[', 0) == 0 && close != std::string::npos) {
    diagnostics->Add(path + message.substr(0, close + 1), message.substr(close + 3));
  } else {
    diagnostics->Add(path, message);
  }
}

class Builder {
 public:
  Builder(std::shared_ptr<const GraphFile> file, Diagnostics* diagnostics,
          const ops::ProcessRegistry* processes)
      : diagnostics_(diagnostics), processes_(processes) {
    graph_.file = std::move(file);
  }

  LogicalGraph Build() {
    const fb::Graph& g = graph_.file->graph();
    if (g.version() != 1) {
      Error("version", "graph format version " + std::to_string(g.version()) +
                           " is not supported (expected 1)");
    }
    AddSchemas(g);
    AddSources(g);
    AddOperators(g);
    AddSinks(g);
    return std::move(graph_);
  }

 private:
  void Error(std::string path, std::string message) {
    diagnostics_->Add(std::move(path), std::move(message));
  }

  // A duration in ms, as ns; 0 after reporting at `path` if the ns do not
  // fit in an int64 (more than 292 years).
  int64_t MsToNs(uint64_t ms, const std::string& path) {
    constexpr uint64_t kNsPerMs = 1000000;
    constexpr uint64_t kMaxMs = static_cast<uint64_t>(INT64_MAX) / kNsPerMs;
    if (ms > kMaxMs) {
      Error(path, "expected at most " + std::to_string(kMaxMs) + " (292 years), found " +
                      std::to_string(ms));
      return 0;
    }
    return static_cast<int64_t>(ms * kNsPerMs);
  }

  // Registers the name a source, operator or branch at `path` declares
  // (in its `name` field); reports a duplicate.
  bool ClaimName(const std::string& name, const std::string& path,
                 const char* field = "name") {
    if (name.find('#') != std::string::npos) {
      // Savepoints tell a parallel operator's instances by it.
      Error(path + "." + field, "name " + Quoted(name) +
                                    " has a '#', which names the instances of a parallel "
                                    "operator (NAME#0, NAME#1, ...)");
      return false;
    }
    auto [it, inserted] = declared_.emplace(name, path);
    if (!inserted) {
      Error(path + "." + field, "name " + Quoted(name) + " is already used by " + it->second);
    }
    return inserted;
  }

  uint32_t AddStream(LogicalStream stream) {
    stream_index_[stream.name] = static_cast<uint32_t>(graph_.streams.size());
    graph_.streams.push_back(std::move(stream));
    return static_cast<uint32_t>(graph_.streams.size() - 1);
  }

  void AddSchemas(const fb::Graph& g) {
    if (!g.schemas()) return;
    for (size_t i = 0; i < g.schemas()->size(); ++i) {
      const fb::Schema* s = g.schemas()->Get(static_cast<uint32_t>(i));
      std::string path = Indexed("schemas", i);
      std::string name = s->name()->str();
      if (schemas_.count(name)) {
        Error(path + ".name", "schema " + Quoted(name) + " is defined twice");
        continue;
      }
      schema::Schema schema;
      if (s->fields()->size() == 0) Error(path + ".fields", "a schema needs at least one field");
      for (size_t f = 0; f < s->fields()->size(); ++f) {
        const fb::Field* field = s->fields()->Get(static_cast<uint32_t>(f));
        std::string field_path = path + "." + Indexed("fields", f);
        if (field->name()->size() == 0) {
          Error(field_path + ".name", "field name is empty");
        } else if (schema.IndexOf(field->name()->str()) != schema::Schema::kNotFound) {
          Error(field_path + ".name",
                "field " + Quoted(field->name()->str()) + " appears twice");
        }
        schema.Add({field->name()->str(), ToFieldType(field->type()),
                    ToTimeUnit(field->unit())});
      }
      schemas_.emplace(name, std::move(schema));
    }
  }

  void AddSources(const fb::Graph& g) {
    if (!g.sources() || g.sources()->size() == 0) {
      Error("sources", "a graph needs at least one source");
      return;
    }
    for (size_t i = 0; i < g.sources()->size(); ++i) {
      const fb::Source* s = g.sources()->Get(static_cast<uint32_t>(i));
      std::string path = Indexed("sources", i);
      std::string name = s->name()->str();
      if (!ClaimName(name, path)) continue;
      auto schema = schemas_.find(s->schema()->str());
      if (schema == schemas_.end()) {
        Error(path + ".schema", "unknown schema " + Quoted(s->schema()->str()) +
                                    " (schemas: " + KeyList(schemas_) + ")");
        continue;
      }
      int kinds = (s->csv() ? 1 : 0) + (s->generator() ? 1 : 0) + (s->zmq() ? 1 : 0) +
                  (s->jsonl() ? 1 : 0);
      if (kinds != 1) {
        Error(path, std::string(kinds == 0 ? "a source needs" : "a source has exactly") +
                        " one of: csv, generator, jsonl, zmq");
      }
      LogicalStream stream{name, schema->second, {}, 1};
      LogicalSource source{name, path, s, 0};
      if (s->event_time()) ReadEventTime(*s->event_time(), path + ".event_time", &stream, &source);
      source.output_stream = AddStream(std::move(stream));
      graph_.sources.push_back(source);
    }
  }

  void ReadEventTime(const fb::EventTime& def, const std::string& path, LogicalStream* stream,
                     LogicalSource* source) {
    int field = stream->schema.IndexOf(def.field()->str());
    if (field == schema::Schema::kNotFound) {
      Error(path + ".field", "unknown field " + Quoted(def.field()->str()) + " (fields: " +
                                 stream->schema.FieldNames() + ")");
      return;
    }
    const schema::Field& f = stream->schema.field(static_cast<uint32_t>(field));
    if (f.type != schema::FieldType::kTs) {
      Error(path + ".field", "event time needs a ts field; " + Quoted(f.name) + " is " +
                                 std::string(schema::FieldTypeName(f.type)));
      return;
    }
    stream->event_time_field = field;
    stream->has_watermark = true;
    source->event_time_field = field;
    source->max_out_of_orderness_ns =
        MsToNs(def.max_out_of_orderness_ms(), path + ".max_out_of_orderness_ms");
    source->idle_timeout_ms = static_cast<int64_t>(def.idle_timeout_ms());
  }

  void AddOperators(const fb::Graph& g) {
    if (!g.operators()) return;
    size_t count = g.operators()->size();
    // Names first, so that inputs can refer to operators defined later.
    std::vector<bool> named(count, false);
    for (size_t i = 0; i < count; ++i) {
      const fb::Operator* op = g.operators()->Get(static_cast<uint32_t>(i));
      std::string path = Indexed("operators", i);
      named[i] = ClaimName(op->name()->str(), path);
      if (op->window() && op->window()->late_output()) {
        named[i] = ClaimName(op->window()->late_output()->str(), path + ".window", "late_output") &&
                   named[i];
      }
      if (op->split()) {
        split_names_.insert(op->name()->str());
        for (size_t b = 0; b < op->split()->size(); ++b) {
          named[i] = ClaimName(op->split()->Get(static_cast<uint32_t>(b))->name()->str(),
                               path + "." + Indexed("split", b)) && named[i];
        }
      }
    }
    // Resolve in dependency order: each pass adds the operators whose inputs
    // all exist; what is left after a pass that adds nothing is dangling or
    // a cycle.
    std::vector<bool> done(count, false);
    for (bool progress = true; progress;) {
      progress = false;
      for (size_t i = 0; i < count; ++i) {
        const fb::Operator* op = g.operators()->Get(static_cast<uint32_t>(i));
        if (done[i] || !named[i] || !InputsResolved(*op)) continue;
        AddOperator(*op, i);
        done[i] = progress = true;
      }
    }
    for (size_t i = 0; i < count; ++i) {
      if (done[i] || !named[i]) continue;
      ReportUnresolved(g, i);
    }
  }

  bool InputsResolved(const fb::Operator& op) {
    std::vector<std::string> inputs = InputNames(op);
    if (inputs.empty()) return true;  // reported when added
    for (const std::string& input : inputs) {
      if (!stream_index_.count(input)) return false;
    }
    return true;
  }

  void ReportUnresolved(const fb::Graph& g, size_t index) {
    const fb::Operator* op = g.operators()->Get(static_cast<uint32_t>(index));
    std::string path = Indexed("operators", index) + (op->union_() ? ".union" : ".input");
    std::vector<std::string> inputs = InputNames(*op);
    for (size_t k = 0; k < inputs.size(); ++k) {
      const std::string& input = inputs[k];
      std::string at = op->union_() ? Indexed(path, k) : path;
      if (split_names_.count(input)) {
        Error(at, Quoted(input) + " is a split; read one of its branches instead");
      } else if (!declared_.count(input)) {
        Error(at, "unknown stream " + Quoted(input) + " (streams: " + KeyList(declared_) + ")");
      } else if (!stream_index_.count(input) && IsInCycle(g, index)) {
        Error(at, "operator " + Quoted(op->name()->str()) +
                      " is part of a cycle; a graph's streams must flow from sources to sinks");
        return;
      }
      // Otherwise the input is unresolved because of an error reported already.
    }
  }

  // Whether following inputs from operator `start` leads back to it.
  bool IsInCycle(const fb::Graph& g, size_t start) {
    std::map<std::string, std::vector<std::string>> inputs_of;
    for (const fb::Operator* op : *g.operators()) {
      std::vector<std::string> producers = {op->name()->str()};
      if (op->split()) {
        for (const fb::SplitBranch* b : *op->split()) producers.push_back(b->name()->str());
      }
      if (op->window() && op->window()->late_output()) {
        producers.push_back(op->window()->late_output()->str());
      }
      for (const std::string& p : producers) inputs_of[p] = InputNames(*op);
    }
    std::string name = g.operators()->Get(static_cast<uint32_t>(start))->name()->str();
    std::set<std::string> seen;
    std::vector<std::string> todo = inputs_of[name];
    while (!todo.empty()) {
      std::string at = todo.back();
      todo.pop_back();
      if (at == name) return true;
      if (!seen.insert(at).second || !inputs_of.count(at)) continue;
      for (const std::string& next : inputs_of[at]) todo.push_back(next);
    }
    return false;
  }

  // Parses a filter or branch condition; reports at `path` on failure.
  bool ParseCondition(const std::string& text, const schema::Schema& input,
                      const std::string& path, expr::Expression* out) {
    Result<expr::Expression> condition = expr::ParseCondition(text, input);
    if (!condition.ok()) {
      Error(path, condition.status().message());
      return false;
    }
    *out = std::move(condition.value());
    return true;
  }

  void AddOperator(const fb::Operator& op, size_t index) {
    std::string path = Indexed("operators", index);
    std::vector<std::string> kinds = KindsSet(op);
    if (kinds.size() != 1) {
      Error(path, kinds.empty() ? std::string("an operator needs one of: ") + kOperatorKinds
                                : "an operator has exactly one of: " + std::string(kOperatorKinds) +
                                      " (found " + kinds[0] + " and " + kinds[1] + ")");
      return;
    }
    if (op.union_() && op.input()) {
      Error(path + ".input", "a union names its inputs in `union`, not `input`");
      return;
    }
    if (!op.union_() && !op.input()) {
      Error(path + ".input", "a " + kinds[0] + " operator needs an input stream");
      return;
    }
    if (op.parallelism() == 0 || op.parallelism() > 256) {
      Error(path + ".parallelism", "expected 1 to 256, found " + std::to_string(op.parallelism()));
      return;
    }
    LogicalOperator logical;
    logical.name = op.name()->str();
    logical.field_path = path;
    logical.parallelism = op.parallelism();
    for (const std::string& input : InputNames(op)) logical.inputs.push_back(stream_index_[input]);
    const LogicalStream& in = graph_.streams[logical.inputs[0]];
    LogicalStream out{logical.name, in.schema, {}, logical.parallelism, in.event_time_field,
                      in.has_watermark};
    output_unknown_ = false;

    if (op.filter()) {
      logical.kind = OperatorKind::kFilter;
      ParseCondition(op.filter()->str(), in.schema, path + ".filter", &logical.condition);
    } else if (op.project()) {
      logical.kind = OperatorKind::kProject;
      Result<ops::Projection> projection = ops::ParseProjection(Strings(op.project()), in.schema);
      if (projection.ok()) {
        logical.projection = projection.value();
        out.schema = logical.projection.output;
        out.event_time_field = -1;  // unless the event-time field is kept
        const auto& kept = logical.projection.source_fields;
        for (size_t k = 0; k < kept.size(); ++k) {
          if (kept[k] >= 0 && kept[k] == in.event_time_field) {
            out.event_time_field = static_cast<int>(k);
            break;
          }
        }
      } else {
        AddItemError(diagnostics_, path + ".project", projection.status().message());
        output_unknown_ = true;
      }
    } else if (op.key_by()) {
      logical.kind = OperatorKind::kKeyBy;
      if (op.parallelism() != 1) {
        Error(path + ".parallelism",
              "key_by runs with its input; set parallelism on the operator that reads it");
      }
      logical.parallelism = out.parallelism = in.parallelism;
      std::vector<std::string> keys = Strings(op.key_by());
      if (keys.empty()) Error(path + ".key_by", "names no fields");
      for (size_t k = 0; k < keys.size(); ++k) {
        int field = in.schema.IndexOf(keys[k]);
        if (field == schema::Schema::kNotFound) {
          Error(Indexed(path + ".key_by", k), "unknown field " + Quoted(keys[k]) +
                                                  " (fields: " + in.schema.FieldNames() + ")");
          output_unknown_ = true;
        } else {
          out.key_fields.push_back(static_cast<uint32_t>(field));
        }
      }
    } else if (op.aggregate()) {
      AddAggregate(op, path, in, &logical, &out);
    } else if (op.window()) {
      AddWindow(op, path, in, &logical, &out);
    } else if (op.process()) {
      AddProcess(op, path, in, &logical, &out);
    } else if (op.dedupe()) {
      AddDedupe(op, path, in, &logical);
    } else if (op.debounce()) {
      AddDebounce(op, path, in, &logical, &out);
    } else if (op.lookup()) {
      AddLookup(op, path, in, &logical, &out);
    } else if (op.union_()) {
      logical.kind = OperatorKind::kUnion;
      for (size_t k = 1; k < logical.inputs.size(); ++k) {
        const LogicalStream& other = graph_.streams[logical.inputs[k]];
        if (other.schema.fields().size() != in.schema.size() ||
            !SameTypes(other.schema, in.schema)) {
          Error(Indexed(path + ".union", k),
                "stream " + Quoted(other.name) + " has fields (" + other.schema.FieldNames() +
                    "), but " + Quoted(in.name) + " has (" + in.schema.FieldNames() +
                    "); a union needs the same field types in the same order");
        }
      }
      if (logical.inputs.size() < 2) Error(path + ".union", "needs at least two streams");
      for (size_t k = 1; k < logical.inputs.size(); ++k) {
        const LogicalStream& other = graph_.streams[logical.inputs[k]];
        if (other.has_watermark != in.has_watermark) {
          Error(Indexed(path + ".union", k),
                "stream " + Quoted(other.name) + (other.has_watermark ? " has" : " has no") +
                    " event time but " + Quoted(in.name) + (in.has_watermark ? " has" : " has no") +
                    "; a union needs all or none of its inputs in event time");
        }
      }
    } else {
      AddSplit(op, path, in, logical);
      return;
    }
    // An error that leaves the output's fields or key unknown ends the
    // check of this branch of the graph: what reads it would only report
    // errors that follow from this one (an unknown key_by field is not also
    // an "unkeyed stream" downstream). Its readers stay unresolved, silently.
    if (output_unknown_) return;
    logical.output_stream = AddStream(std::move(out));
    graph_.operators.push_back(std::move(logical));
    if (op.window() && op.window()->late_output()) AddLateOutput(op, path);
  }

  // The window's late rows, as a stream of their own: a filter beside the
  // window deciding lateness by the same rule.
  void AddLateOutput(const fb::Operator& op, const std::string& path) {
    const LogicalOperator& window = graph_.operators.back();
    LogicalOperator late = window;
    late.kind = OperatorKind::kLateFilter;
    late.name = op.window()->late_output()->str();
    late.field_path = path + ".window.late_output";
    const LogicalStream& in = graph_.streams[window.inputs[0]];
    late.parallelism = in.parallelism;  // a pure function of the row: no exchange
    late.output_stream = AddStream({late.name, in.schema, {}, in.parallelism,
                                    in.event_time_field, in.has_watermark});
    graph_.operators.push_back(std::move(late));
  }

  static bool SameTypes(const schema::Schema& a, const schema::Schema& b) {
    for (uint32_t i = 0; i < a.size(); ++i) {
      if (a.field(i).type != b.field(i).type || a.field(i).unit != b.field(i).unit) return false;
    }
    return true;
  }

  void AddAggregate(const fb::Operator& op, const std::string& path, const LogicalStream& in,
                    LogicalOperator* logical, LogicalStream* out) {
    logical->kind = OperatorKind::kAggregate;
    const fb::Aggregate& agg = *op.aggregate();
    if (in.key_fields.empty() && op.parallelism() > 1) {
      Error(path + ".parallelism",
            "an aggregate over an unkeyed stream runs as one instance; key_by first");
    }
    Result<ops::Accumulators> acc = ops::Accumulators::Parse(Strings(agg.values()), in.schema,
                                                             in.event_time_field);
    if (!acc.ok()) {
      AddItemError(diagnostics_, path + ".aggregate.values", acc.status().message());
      output_unknown_ = true;
      return;
    }
    logical->accumulators = acc.value();
    logical->emit_final = agg.emit() == fb::Emit::final;
    ReadState(agg.state(), path + ".aggregate.state", &logical->state);
    schema::Schema output;
    for (uint32_t k : in.key_fields) output.Add(in.schema.field(k));
    for (const schema::Field& f : logical->accumulators.OutputFields()) {
      if (output.IndexOf(f.name) != schema::Schema::kNotFound) {
        Error(path + ".aggregate.values",
              "result field " + Quoted(f.name) + " has the name of a key field; rename it with 'as'");
      }
      output.Add(f);
    }
    out->schema = std::move(output);
    out->event_time_field = -1;  // rows carry the input's watermark on
  }

  void AddWindow(const fb::Operator& op, const std::string& path, const LogicalStream& in,
                 LogicalOperator* logical, LogicalStream* out) {
    logical->kind = OperatorKind::kWindow;
    const fb::Window& w = *op.window();
    std::string at = path + ".window";
    ops::WindowSpec& spec = logical->window;
    spec.processing_time = w.time() == fb::WindowTime::processing;
    auto positive = [&](uint64_t value, const char* field) {
      if (value == 0) Error(at + "." + field, "must be set, and more than 0");
      return value > 0;
    };
    switch (w.type()) {
      case fb::WindowType::tumbling:
        spec.type = ops::WindowSpec::Type::kTumbling;
        positive(w.size_ms(), "size_ms");
        break;
      case fb::WindowType::sliding:
        spec.type = ops::WindowSpec::Type::kSliding;
        if (positive(w.size_ms(), "size_ms") && positive(w.slide_ms(), "slide_ms") &&
            w.slide_ms() > w.size_ms()) {
          Error(at + ".slide_ms", "must not exceed size_ms (" + std::to_string(w.size_ms()) + ")");
        }
        break;
      case fb::WindowType::session:
        spec.type = ops::WindowSpec::Type::kSession;
        positive(w.gap_ms(), "gap_ms");
        break;
      case fb::WindowType::count:
        spec.type = ops::WindowSpec::Type::kCount;
        if (positive(w.count(), "count") && w.count_slide() > 0 && w.count() % w.count_slide() != 0) {
          Error(at + ".count_slide", "must divide count (" + std::to_string(w.count()) + ")");
        }
        break;
    }
    spec.size_ns = MsToNs(w.size_ms(), at + ".size_ms");
    spec.slide_ns = MsToNs(w.slide_ms(), at + ".slide_ms");
    spec.gap_ns = MsToNs(w.gap_ms(), at + ".gap_ms");
    spec.count = w.count();
    spec.count_slide = w.count_slide();
    spec.allowed_lateness_ns = MsToNs(w.allowed_lateness_ms(), at + ".allowed_lateness_ms");
    spec.emit_final = w.emit() == fb::WindowEmit::final;
    spec.early_every_ms = static_cast<int64_t>(w.early_every_ms());
    spec.early_every_rows = w.early_every_rows();
    bool event_time = !spec.processing_time && spec.type != ops::WindowSpec::Type::kCount;
    if (event_time && (in.event_time_field < 0 || !in.has_watermark)) {
      Error(at + ".time", "an event-time window needs an input with event time: declare the "
                          "source's event_time (and keep its field), or use \"time\": \"processing\"");
    }
    if (!event_time && (w.allowed_lateness_ms() > 0 || w.late_output())) {
      Error(at + ".allowed_lateness_ms", "lateness applies to event-time windows only");
    }
    if (spec.emit_final && (spec.early_every_ms > 0 || spec.early_every_rows > 0)) {
      Error(at + ".emit", "early firings need emit \"updates\"");
    }
    if (in.key_fields.empty() && op.parallelism() > 1) {
      Error(path + ".parallelism", "a window over an unkeyed stream runs as one instance; key_by first");
    }
    spec.key_fields = in.key_fields;
    spec.ts_field = in.event_time_field;
    spec.watermark_slot = in.has_watermark ? static_cast<int>(in.schema.size()) : -1;
    Result<ops::Accumulators> acc = ops::Accumulators::Parse(Strings(w.values()), in.schema,
                                                             in.event_time_field);
    if (!acc.ok()) {
      AddItemError(diagnostics_, at + ".values", acc.status().message());
      output_unknown_ = true;
      return;
    }
    spec.accumulators = acc.value();
    StateOptions state;
    ReadState(w.state(), at + ".state", &state);
    spec.state.capacity = state.capacity;
    spec.state.policy = ToPolicy(state.on_full);
    spec.state.ttl = static_cast<int64_t>(state.ttl_ms);
    logical->state = state;

    // Output: key fields, window_start, window_end, aggregates, is_update.
    schema::Schema output;
    for (uint32_t k : in.key_fields) output.Add(in.schema.field(k));
    schema::TimeUnit unit = in.event_time_field >= 0
                                ? in.schema.field(static_cast<uint32_t>(in.event_time_field)).unit
                                : schema::TimeUnit::kMs;
    schema::FieldType bound_type =
        spec.type == ops::WindowSpec::Type::kCount ? schema::FieldType::kI64 : schema::FieldType::kTs;
    for (const char* name : {"window_start", "window_end"}) {
      if (output.IndexOf(name) != schema::Schema::kNotFound) {
        Error(at, std::string("a key field is called ") + name + "; rename it before the window");
      }
      output.Add({name, bound_type, unit});
    }
    for (const schema::Field& f : spec.accumulators.OutputFields()) {
      if (output.IndexOf(f.name) != schema::Schema::kNotFound) {
        Error(at + ".values", "result field " + Quoted(f.name) +
                                  " has the name of another output field; rename it with 'as'");
      }
      output.Add(f);
    }
    output.Add({"is_update", schema::FieldType::kBool, schema::TimeUnit::kMs});
    out->schema = std::move(output);
    out->has_watermark = event_time && in.has_watermark;
    out->event_time_field = event_time ? static_cast<int>(in.key_fields.size()) : -1;  // window_start
    spec.out_watermark = out->has_watermark;
    spec.out_width = out->width();
  }

  static state::OverflowPolicy ToPolicy(fb::OverflowPolicy policy) {
    switch (policy) {
      case fb::OverflowPolicy::fail: return state::OverflowPolicy::kFail;
      case fb::OverflowPolicy::evict_oldest: return state::OverflowPolicy::kEvictOldest;
      case fb::OverflowPolicy::drop_new: return state::OverflowPolicy::kDropNew;
    }
    return state::OverflowPolicy::kFail;
  }

  void ReadState(const fb::State* state, const std::string& path, StateOptions* out) {
    if (!state) return;
    out->capacity = state->capacity();
    out->on_full = state->on_full();
    out->ttl_ms = state->ttl_ms();
    if (out->capacity == 0) Error(path + ".capacity", "must be at least 1");
  }

  void AddProcess(const fb::Operator& op, const std::string& path, const LogicalStream& in,
                  LogicalOperator* logical, LogicalStream* out) {
    logical->kind = OperatorKind::kProcess;
    const fb::Process& process = *op.process();
    std::string name = process.function()->str();
    logical->process = processes_ ? processes_->Find(name) : nullptr;
    if (!logical->process) {
      Error(path + ".process.function",
            "unknown process function " + Quoted(name) + " (this program registers: " +
                (processes_ ? processes_->Names() : std::string("none")) + ")");
      output_unknown_ = true;
      return;
    }
    if (in.key_fields.empty()) {
      Error(path + ".input", "a process function needs a keyed stream; key_by first");
      output_unknown_ = true;
      return;
    }
    ReadState(process.state(), path + ".process.state", &logical->state);
    logical->timer_capacity = process.timers();
    if (process.timers() > kMaxTimers) {
      Error(path + ".process.timers", "expected at most " + std::to_string(kMaxTimers) +
                                          ", found " + std::to_string(process.timers()));
    }
    Result<schema::Schema> output = logical->process->output_schema(in.schema);
    if (!output.ok()) {
      Error(path + ".process.function", output.status().message());
      output_unknown_ = true;
      return;
    }
    out->schema = output.value();
    // A process function's rows carry no event time of their own (yet).
    out->event_time_field = -1;
    out->has_watermark = false;
  }

  // --- Built-in row operators: dedupe, debounce, lookup (core/ops). ---

  void AddDedupe(const fb::Operator& op, const std::string& path, const LogicalStream& in,
                 LogicalOperator* logical) {
    logical->kind = OperatorKind::kDedupe;
    const fb::Dedupe& d = *op.dedupe();
    std::string at = path + ".dedupe";
    ops::DedupeSpec& spec = logical->dedupe;
    spec.key_fields = in.key_fields;
    spec.stream_key_fields = static_cast<uint32_t>(in.key_fields.size());
    std::vector<std::string> fields = Strings(d.fields());
    for (size_t k = 0; k < fields.size(); ++k) {
      int field = in.schema.IndexOf(fields[k]);
      bool repeated = false;
      for (uint32_t f : spec.key_fields) repeated = repeated || static_cast<int>(f) == field;
      if (field == schema::Schema::kNotFound) {
        Error(Indexed(at + ".fields", k), "unknown field " + Quoted(fields[k]) + " (fields: " +
                                              in.schema.FieldNames() + ")");
      } else if (repeated) {
        Error(Indexed(at + ".fields", k), "field " + Quoted(fields[k]) +
                                              " is already part of the key");
      } else {
        spec.key_fields.push_back(static_cast<uint32_t>(field));
      }
    }
    if (in.key_fields.empty() && fields.empty()) {
      Error(at + ".fields", "a dedupe needs a key: key_by first, or name the fields that make "
                            "rows repeats");
    }
    if (in.key_fields.empty() && op.parallelism() > 1) {
      Error(path + ".parallelism", "a dedupe over an unkeyed stream runs as one instance; "
                                   "key_by first");
    }
    spec.within_ns = MsToNs(d.within_ms(), at + ".within_ms");
    if (d.within_ms() > 0) {
      if (in.event_time_field < 0) {
        Error(at + ".within_ms", "a span is in event time: the input needs event time (declare "
                                 "the source's event_time and keep its field)");
      }
      spec.ts_field = in.event_time_field;
    }
    ReadState(d.state(), at + ".state", &logical->state);
  }

  void AddDebounce(const fb::Operator& op, const std::string& path, const LogicalStream& in,
                   LogicalOperator* logical, LogicalStream* out) {
    logical->kind = OperatorKind::kDebounce;
    const fb::Debounce& d = *op.debounce();
    std::string at = path + ".debounce";
    ops::DebounceSpec& spec = logical->debounce;
    spec.key_fields = in.key_fields;
    ParseCondition(d.when()->str(), in.schema, at + ".when", &spec.condition);
    spec.consecutive = d.consecutive();
    spec.repeat_every = d.repeat_every();
    if (spec.consecutive == 0) Error(at + ".consecutive", "must be at least 1");
    if (in.key_fields.empty() && op.parallelism() > 1) {
      Error(path + ".parallelism", "a debounce over an unkeyed stream runs as one instance; "
                                   "key_by first");
    }
    ReadState(d.state(), at + ".state", &logical->state);
    if (in.schema.IndexOf("streak") != schema::Schema::kNotFound) {
      Error(at, "the input has a field 'streak', which debounce adds; rename it before");
    }
    out->schema.Add({"streak", schema::FieldType::kI64, schema::TimeUnit::kMs});
  }

  static ops::OnMissing ToOnMissing(fb::OnMissing on_missing) {
    switch (on_missing) {
      case fb::OnMissing::drop: return ops::OnMissing::kDrop;
      case fb::OnMissing::keep: return ops::OnMissing::kKeep;
      case fb::OnMissing::fail: return ops::OnMissing::kFail;
    }
    return ops::OnMissing::kDrop;
  }

  void AddLookup(const fb::Operator& op, const std::string& path, const LogicalStream& in,
                 LogicalOperator* logical, LogicalStream* out) {
    logical->kind = OperatorKind::kLookup;
    const fb::Lookup& l = *op.lookup();
    std::string at = path + ".lookup";
    schema::Schema fields;
    for (const fb::Field* f : *l.fields()) {
      fields.Add({f->name()->str(), ToFieldType(f->type()), ToTimeUnit(f->unit())});
    }
    std::string defaults = l.defaults() ? l.defaults()->str() : std::string();
    Result<ops::LookupSpec> spec =
        ops::ParseLookup(Strings(l.key()), fields, Strings(l.rows()), ToOnMissing(l.on_missing()),
                         l.defaults() ? &defaults : nullptr, in.schema);
    if (!spec.ok()) {
      const std::string& message = spec.status().message();
      size_t colon = message.find(": ");
      Error(at + "." + message.substr(0, colon), message.substr(colon + 2));
      output_unknown_ = true;  // the fields it adds are unknown
      return;
    }
    logical->lookup = std::move(spec.value());
    for (const schema::Field& f : fields.fields()) out->schema.Add(f);
  }

  // A split becomes one kSplitBranch operator per branch.
  // `in` by value: each branch adds a stream, which may reallocate graph_.streams.
  void AddSplit(const fb::Operator& op, const std::string& path, LogicalStream in,
                const LogicalOperator& base) {
    std::vector<expr::Expression> earlier;
    size_t branches = op.split()->size();
    if (branches == 0) Error(path + ".split", "names no branches");
    for (size_t b = 0; b < branches; ++b) {
      const fb::SplitBranch* branch = op.split()->Get(static_cast<uint32_t>(b));
      std::string branch_path = Indexed(path + ".split", b);
      LogicalOperator logical = base;
      logical.kind = OperatorKind::kSplitBranch;
      logical.name = branch->name()->str();
      logical.field_path = branch_path;
      logical.earlier_branches = earlier;
      logical.has_condition = branch->when() != nullptr;
      if (logical.has_condition) {
        if (ParseCondition(branch->when()->str(), in.schema, branch_path + ".when",
                           &logical.condition)) {
          earlier.push_back(logical.condition);
        }
      } else if (b + 1 != branches) {
        Error(branch_path + ".when", "only the last branch may omit `when` (it takes the rest)");
      }
      logical.output_stream = AddStream({logical.name, in.schema, {}, logical.parallelism,
                                         in.event_time_field, in.has_watermark});
      graph_.operators.push_back(std::move(logical));
    }
  }

  void AddSinks(const fb::Graph& g) {
    if (!g.sinks() || g.sinks()->size() == 0) {
      Error("sinks", "a graph needs at least one sink");
      return;
    }
    std::set<std::string> names;
    for (size_t i = 0; i < g.sinks()->size(); ++i) {
      const fb::Sink* s = g.sinks()->Get(static_cast<uint32_t>(i));
      std::string path = Indexed("sinks", i);
      if (!names.insert(s->name()->str()).second) {
        Error(path + ".name", "sink name " + Quoted(s->name()->str()) + " is used twice");
      }
      if ((s->csv() ? 1 : 0) + (s->zmq() ? 1 : 0) != 1) {
        Error(path, std::string(s->csv() ? "a sink has exactly" : "a sink needs") +
                        " one of: csv, zmq");
      }
      auto input = stream_index_.find(s->input()->str());
      if (input == stream_index_.end()) {
        if (split_names_.count(s->input()->str())) {
          Error(path + ".input", Quoted(s->input()->str()) +
                                     " is a split; read one of its branches instead");
        } else if (!declared_.count(s->input()->str())) {
          Error(path + ".input", "unknown stream " + Quoted(s->input()->str()) +
                                     " (streams: " + KeyList(declared_) + ")");
        }
        continue;
      }
      graph_.sinks.push_back({s->name()->str(), path, s, input->second});
    }
  }

  Diagnostics* diagnostics_;
  const ops::ProcessRegistry* processes_;
  LogicalGraph graph_;
  std::map<std::string, schema::Schema> schemas_;
  std::map<std::string, std::string> declared_;   // every name -> where declared
  std::set<std::string> split_names_;             // names that are not streams
  std::map<std::string, uint32_t> stream_index_;  // resolved streams
  bool output_unknown_ = false;  // the operator being added: see AddOperator
};

}  // namespace

LogicalGraph BuildLogicalGraph(std::shared_ptr<const GraphFile> file,
                               Diagnostics* diagnostics,
                               const ops::ProcessRegistry* processes) {
  return Builder(std::move(file), diagnostics, processes).Build();
}

}  // namespace runnel::graph
