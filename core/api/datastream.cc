#include "core/api/datastream.h"

#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"

namespace runnel::api {
namespace {

// A JSON string literal.
std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          snprintf(escaped, sizeof(escaped), "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string List(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + Quote(items[i]);
  return out + "]";
}

std::string State(const StateOptions& s) {
  return "{ \"capacity\": " + std::to_string(s.capacity) + ", \"on_full\": " + Quote(s.on_full) +
         ", \"ttl_ms\": " + std::to_string(s.ttl_ms) + " }";
}

std::string Fields(const std::vector<schema::Field>& fields) {
  std::string out = "[";
  for (size_t i = 0; i < fields.size(); ++i) {
    const schema::Field& f = fields[i];
    out += std::string(i ? ", " : "") + "{ \"name\": " + Quote(f.name) + ", \"type\": " +
           Quote(std::string(schema::FieldTypeName(f.type))) + ", \"unit\": " +
           Quote(std::string(schema::TimeUnitName(f.unit))) + " }";
  }
  return out + "]";
}

std::string Section(const char* name, const std::vector<std::string>& items) {
  std::string out = std::string("  ") + Quote(name) + ": [\n";
  for (size_t i = 0; i < items.size(); ++i) out += "    " + items[i] + (i + 1 < items.size() ? ",\n" : "\n");
  return out + "  ]";
}

}  // namespace

Environment::Environment() : processes_(std::make_shared<ops::ProcessRegistry>()) {}

std::string Environment::NewName(const std::string& wanted, const char* kind) {
  return wanted.empty() ? std::string(kind) + "_" + std::to_string(next_id_++) : wanted;
}

void Environment::AddOperator(const std::string& json) { operators_.push_back(json); }

Stream Environment::FromCsv(const std::string& name, const std::vector<schema::Field>& fields,
                            const std::string& path) {
  schemas_.push_back("{ \"name\": " + Quote(name) + ", \"fields\": " + Fields(fields) + " }");
  sources_.push_back("{ \"name\": " + Quote(name) + ", \"schema\": " + Quote(name) +
                     ", \"csv\": { \"path\": " + Quote(path) + " } }");
  return Stream(this, name);
}

Stream Environment::FromGenerator(const std::string& name,
                                  const std::vector<schema::Field>& fields, uint64_t rows,
                                  uint32_t keys) {
  schemas_.push_back("{ \"name\": " + Quote(name) + ", \"fields\": " + Fields(fields) + " }");
  sources_.push_back("{ \"name\": " + Quote(name) + ", \"schema\": " + Quote(name) +
                     ", \"generator\": { \"rows\": " + std::to_string(rows) +
                     ", \"keys\": " + std::to_string(keys) + " } }");
  return Stream(this, name);
}

Stream Stream::Filter(const std::string& condition, const std::string& name) {
  std::string out = env_->NewName(name, "filter");
  env_->AddOperator("{ \"name\": " + Quote(out) + ", \"input\": " + Quote(name_) +
                    ", \"filter\": " + Quote(condition) + " }");
  return Stream(env_, out);
}

Stream Stream::Project(const std::vector<std::string>& items, const std::string& name) {
  std::string out = env_->NewName(name, "project");
  env_->AddOperator("{ \"name\": " + Quote(out) + ", \"input\": " + Quote(name_) +
                    ", \"project\": " + List(items) + " }");
  return Stream(env_, out);
}

Stream Stream::KeyBy(const std::vector<std::string>& fields, const std::string& name) {
  std::string out = env_->NewName(name, "key_by");
  env_->AddOperator("{ \"name\": " + Quote(out) + ", \"input\": " + Quote(name_) +
                    ", \"key_by\": " + List(fields) + " }");
  return Stream(env_, out);
}

Stream Stream::Aggregate(const std::vector<std::string>& values, const AggregateOptions& options,
                         const std::string& name) {
  std::string out = env_->NewName(name, "aggregate");
  env_->AddOperator("{ \"name\": " + Quote(out) + ", \"input\": " + Quote(name_) +
                    ", \"parallelism\": " + std::to_string(options.parallelism) +
                    ", \"aggregate\": { \"values\": " + List(values) + ", \"emit\": " +
                    Quote(options.emit_final ? "final" : "updates") + ", \"state\": " +
                    State(options.state) + " } }");
  return Stream(env_, out);
}

Stream Stream::AddProcess(const std::string& name, ops::ProcessFactory factory,
                          const ProcessOptions& options) {
  env_->processes_->Register(name, std::move(factory));
  env_->AddOperator("{ \"name\": " + Quote(name) + ", \"input\": " + Quote(name_) +
                    ", \"parallelism\": " + std::to_string(options.parallelism) +
                    ", \"process\": { \"function\": " + Quote(name) + ", \"state\": " +
                    State(options.state) + ", \"timers\": " + std::to_string(options.timers) +
                    " } }");
  return Stream(env_, name);
}

Stream Stream::Union(const std::vector<Stream>& others, const std::string& name) {
  std::string out = env_->NewName(name, "union");
  std::vector<std::string> inputs = {name_};
  for (const Stream& s : others) inputs.push_back(s.name_);
  env_->AddOperator("{ \"name\": " + Quote(out) + ", \"union\": " + List(inputs) + " }");
  return Stream(env_, out);
}

void Stream::ToCsv(const std::string& path, const std::string& name) {
  std::string sink = env_->NewName(name, "sink");
  env_->sinks_.push_back("{ \"name\": " + Quote(sink) + ", \"input\": " + Quote(name_) +
                         ", \"csv\": { \"path\": " + Quote(path) + " } }");
}

std::string Environment::GraphJson() const {
  return "{\n" + Section("schemas", schemas_) + ",\n" + Section("sources", sources_) + ",\n" +
         Section("operators", operators_) + ",\n" + Section("sinks", sinks_) + "\n}\n";
}

Result<graph::PhysicalPlan> Environment::Plan(const graph::Connectors& connectors) const {
  auto file = graph::GraphFile::Parse("<api>", GraphJson());
  if (!file.ok()) return file.status();
  graph::Diagnostics diagnostics;
  graph::LogicalGraph logical =
      graph::BuildLogicalGraph(file.value(), &diagnostics, processes_.get());
  graph::PhysicalPlan plan;
  if (diagnostics.empty()) {
    plan = graph::Plan(logical, connectors, graph::PlanOptions(), &diagnostics);
  }
  if (!diagnostics.empty()) return InvalidArgument(file.value()->Format(diagnostics));
  return plan;
}

Status Environment::Execute(const graph::Connectors& connectors) const {
  Result<graph::PhysicalPlan> plan = Plan(connectors);
  if (!plan.ok()) return plan.status();
  return plan.value().job->Run();
}

}  // namespace runnel::api
