// The C++ DataStream API: build a fixed graph in code and run it in your own
// program, e.g.
//
//   api::Environment env;
//   env.FromCsv("readings", fields, "readings.csv")
//       .Filter("temp > 30")
//       .KeyBy({"device"})
//       .Process("alerts", Debounce{3})
//       .ToCsv("-");
//   Status status = env.Execute(transports::MakeConnectors());
//
// A program's graph goes through exactly the path a graph file does: the
// environment writes the graph as graph-file JSON (GraphJson() shows it),
// which is parsed, checked and planned by the same code, so the API can do
// nothing a file cannot, and errors read the same. Process functions passed
// to Process() are registered under the operator's name. Building is not
// thread-safe; Execute runs the job on its own threads and returns when the
// inputs are exhausted (or the job fails).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/graph/planner.h"
#include "core/ops/process_registry.h"
#include "core/schema/schema.h"

namespace runnel::api {

class Environment;

struct StateOptions {
  uint32_t capacity = 65536;
  std::string on_full = "fail";  // fail, evict_oldest, drop_new
  uint64_t ttl_ms = 0;
};

struct ProcessOptions {
  uint32_t parallelism = 1;
  StateOptions state;
  uint32_t timers = 65536;
};

struct AggregateOptions {
  uint32_t parallelism = 1;
  bool emit_final = false;
  StateOptions state;
};

// A named stream in the graph being built. Cheap to copy.
class Stream {
 public:
  Stream Filter(const std::string& condition, const std::string& name = "");
  Stream Project(const std::vector<std::string>& items, const std::string& name = "");
  Stream KeyBy(const std::vector<std::string>& fields, const std::string& name = "");
  Stream Aggregate(const std::vector<std::string>& values, const AggregateOptions& options = {},
                   const std::string& name = "");
  // `fn` is a process function (core/ops/process_function.h).
  template <typename Fn>
  Stream Process(const std::string& name, Fn fn, const ProcessOptions& options = {});
  Stream Union(const std::vector<Stream>& others, const std::string& name = "");
  void ToCsv(const std::string& path, const std::string& name = "");

  const std::string& name() const { return name_; }

 private:
  friend class Environment;
  Stream(Environment* env, std::string name) : env_(env), name_(std::move(name)) {}
  Stream AddProcess(const std::string& name, ops::ProcessFactory factory,
                    const ProcessOptions& options);

  Environment* env_;
  std::string name_;
};

class Environment {
 public:
  Environment();

  Stream FromCsv(const std::string& name, const std::vector<schema::Field>& fields,
                 const std::string& path);
  // rows, keys: see GeneratorSource in docs/GRAPH.md.
  Stream FromGenerator(const std::string& name, const std::vector<schema::Field>& fields,
                       uint64_t rows, uint32_t keys = 1000);

  // The graph written so far, as a graph file.
  std::string GraphJson() const;

  // Checks and plans the graph. Problems come back as one
  // "<api>:LINE: FIELD: MESSAGE" line each (lines of GraphJson()).
  Result<graph::PhysicalPlan> Plan(const graph::Connectors& connectors) const;
  // Plans and runs the graph to the end of its inputs.
  Status Execute(const graph::Connectors& connectors) const;

 private:
  friend class Stream;
  std::string NewName(const std::string& wanted, const char* kind);
  void AddOperator(const std::string& json);

  std::vector<std::string> schemas_, sources_, operators_, sinks_;  // JSON objects
  std::shared_ptr<ops::ProcessRegistry> processes_;
  int next_id_ = 0;
};

template <typename Fn>
Stream Stream::Process(const std::string& name, Fn fn, const ProcessOptions& options) {
  return AddProcess(name, ops::MakeProcessFactory(std::move(fn)), options);
}

}  // namespace runnel::api
