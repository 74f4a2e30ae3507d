// ProcessRegistry: the keyed process functions a program offers to graph
// files, by name. A graph names one in `process.function`; the planner asks
// the registry for the function's output schema and for one operator per
// parallel instance. Programs embedding Runnel register their own; the
// runnel binary registers the built-in ones (builtin_processes.h).
// Filled before planning; read-only afterwards.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/common/status.h"
#include "core/ops/process_operator.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/state/keyed_table.h"

namespace runnel::ops {

// What the planner knows when it builds a process operator instance.
struct ProcessSpec {
  schema::Schema input;
  std::vector<uint32_t> key_fields;
  state::KeyedTableOptions state;  // value_slots is set from the function
  uint32_t timer_capacity = 65536;
  const Clock* clock = nullptr;
};

struct ProcessFactory {
  // The output schema for an input schema, or why the function cannot run
  // on it.
  std::function<Result<schema::Schema>(const schema::Schema& input)> output_schema;
  std::function<Result<std::unique_ptr<runtime::Operator>>(const ProcessSpec& spec)> make;
};

// A factory for Fn, built from a copy of `prototype` for each instance.
template <typename Fn>
ProcessFactory MakeProcessFactory(Fn prototype) {
  ProcessFactory factory;
  factory.output_schema = [prototype](const schema::Schema& input) {
    Fn fn = prototype;
    return fn.Open(input);
  };
  factory.make = [prototype](const ProcessSpec& spec)
      -> Result<std::unique_ptr<runtime::Operator>> {
    Fn fn = prototype;
    Result<schema::Schema> opened = fn.Open(spec.input);
    if (!opened.ok()) return opened.status();
    state::KeyedTableOptions table = spec.state;
    table.value_slots = Fn::kStateSlots;
    return std::unique_ptr<runtime::Operator>(new ProcessOperator<Fn>(
        std::move(fn), schema::KeyFields(spec.input, spec.key_fields), table, spec.timer_capacity,
        spec.clock));
  };
  return factory;
}

class ProcessRegistry {
 public:
  void Register(const std::string& name, ProcessFactory factory) {
    factories_[name] = std::move(factory);
  }
  const ProcessFactory* Find(const std::string& name) const {
    auto it = factories_.find(name);
    return it == factories_.end() ? nullptr : &it->second;
  }
  // "a, b" — for error messages.
  std::string Names() const {
    std::string names;
    for (const auto& [name, factory] : factories_) names += (names.empty() ? "" : ", ") + name;
    return names.empty() ? "none" : names;
  }

 private:
  std::map<std::string, ProcessFactory> factories_;
};

}  // namespace runnel::ops
