#include "core/graph/logical_graph.h"

#include <map>
#include <set>

namespace runnel::graph {
namespace {

std::string Indexed(const char* list, size_t index) {
  return std::string(list) + "[" + std::to_string(index) + "]";
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

class Builder {
 public:
  Builder(std::shared_ptr<const GraphFile> file, Diagnostics* diagnostics)
      : diagnostics_(diagnostics) {
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

  // Registers a stream name; reports a duplicate.
  bool ClaimStreamName(const std::string& name, const std::string& path) {
    auto [it, inserted] = stream_paths_.emplace(name, path);
    if (!inserted) {
      Error(path + ".name", "stream name " + Quoted(name) +
                                " is already used by " + it->second);
    }
    return inserted;
  }

  uint32_t AddStream(const std::string& name, schema::Schema schema) {
    graph_.streams.push_back({name, std::move(schema)});
    uint32_t index = static_cast<uint32_t>(graph_.streams.size() - 1);
    stream_index_[name] = index;
    return index;
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
      if (!ClaimStreamName(name, path)) continue;
      auto schema = schemas_.find(s->schema()->str());
      if (schema == schemas_.end()) {
        Error(path + ".schema", "unknown schema " + Quoted(s->schema()->str()) +
                                    " (schemas: " + KeyList(schemas_) + ")");
        continue;
      }
      if (!s->csv()) Error(path, "a source needs one of: csv");
      graph_.sources.push_back({name, path, s, AddStream(name, schema->second)});
    }
  }

  void AddOperators(const fb::Graph& g) {
    if (!g.operators()) return;
    size_t count = g.operators()->size();
    // Names first, so that inputs can refer to operators defined later.
    std::vector<bool> named(count, false);
    for (size_t i = 0; i < count; ++i) {
      named[i] = ClaimStreamName(g.operators()->Get(static_cast<uint32_t>(i))->name()->str(),
                                 Indexed("operators", i));
    }
    // Resolve in dependency order: each pass adds the operators whose input
    // exists; what is left after a pass that adds nothing is dangling or a
    // cycle.
    std::vector<bool> done(count, false);
    for (bool progress = true; progress;) {
      progress = false;
      for (size_t i = 0; i < count; ++i) {
        const fb::Operator* op = g.operators()->Get(static_cast<uint32_t>(i));
        if (done[i] || !named[i] || !stream_index_.count(op->input()->str())) continue;
        AddOperator(op, i);
        done[i] = progress = true;
      }
    }
    for (size_t i = 0; i < count; ++i) {
      if (done[i] || !named[i]) continue;
      const fb::Operator* op = g.operators()->Get(static_cast<uint32_t>(i));
      std::string input = op->input()->str();
      std::string path = Indexed("operators", i) + ".input";
      if (!stream_paths_.count(input)) {
        Error(path, "unknown stream " + Quoted(input) + " (streams: " +
                        KeyList(stream_paths_) + ")");
      } else if (IsInCycle(g, i)) {
        Error(path, "operator " + Quoted(op->name()->str()) +
                        " is part of a cycle; a graph's streams must flow "
                        "from sources to sinks");
      }
      // Otherwise its input is unresolved because of an error already reported.
    }
  }

  // Whether following inputs from operator `start` leads back to it.
  bool IsInCycle(const fb::Graph& g, size_t start) {
    std::map<std::string, std::string> input_of;
    for (const fb::Operator* op : *g.operators()) {
      input_of[op->name()->str()] = op->input()->str();
    }
    std::string name = g.operators()->Get(static_cast<uint32_t>(start))->name()->str();
    std::string at = input_of[name];
    for (size_t steps = 0; steps <= input_of.size() && input_of.count(at); ++steps) {
      if (at == name) return true;
      at = input_of[at];
    }
    return false;
  }

  void AddOperator(const fb::Operator* op, size_t index) {
    std::string path = Indexed("operators", index);
    LogicalOperator logical;
    logical.name = op->name()->str();
    logical.field_path = path;
    logical.input_stream = stream_index_[op->input()->str()];
    const schema::Schema& input = graph_.streams[logical.input_stream].schema;
    int kinds = (op->filter() ? 1 : 0) + (op->project() ? 1 : 0);
    schema::Schema output = input;
    if (kinds != 1) {
      Error(path, kinds == 0 ? "an operator needs one of: filter, project"
                             : "an operator has exactly one of: filter, project");
    } else if (op->filter()) {
      logical.kind = OperatorKind::kFilter;
      Result<expr::Comparison> comparison = expr::ParseComparison(op->filter()->str(), input);
      if (comparison.ok()) {
        logical.comparison = comparison.value();
      } else {
        Error(path + ".filter", comparison.status().message());
      }
    } else {
      logical.kind = OperatorKind::kProject;
      std::vector<std::string> items;
      for (const auto* item : *op->project()) items.push_back(item->str());
      Result<ops::Projection> projection = ops::ParseProjection(items, input);
      if (projection.ok()) {
        logical.projection = projection.value();
        output = logical.projection.output;
      } else {
        std::string message = projection.status().message();
        // "[2]: ..." names the item; fold it into the path.
        size_t close = message.find("]: ");
        if (message.rfind('[', 0) == 0 && close != std::string::npos) {
          Error(path + ".project" + message.substr(0, close + 1), message.substr(close + 3));
        } else {
          Error(path + ".project", message);
        }
      }
    }
    logical.output_stream = AddStream(logical.name, std::move(output));
    graph_.operators.push_back(std::move(logical));
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
      if (!s->csv()) Error(path, "a sink needs one of: csv");
      auto input = stream_index_.find(s->input()->str());
      if (input == stream_index_.end()) {
        if (!stream_paths_.count(s->input()->str())) {
          Error(path + ".input", "unknown stream " + Quoted(s->input()->str()) +
                                     " (streams: " + KeyList(stream_paths_) + ")");
        }
        continue;
      }
      graph_.sinks.push_back({s->name()->str(), path, s, input->second});
    }
  }

  Diagnostics* diagnostics_;
  LogicalGraph graph_;
  std::map<std::string, schema::Schema> schemas_;
  std::map<std::string, std::string> stream_paths_;  // every declared name
  std::map<std::string, uint32_t> stream_index_;     // resolved streams
};

}  // namespace

LogicalGraph BuildLogicalGraph(std::shared_ptr<const GraphFile> file,
                               Diagnostics* diagnostics) {
  return Builder(std::move(file), diagnostics).Build();
}

}  // namespace runnel::graph
