// The API for keyed process functions (Flink's KeyedProcessFunction): user
// code that sees each row of a keyed stream with the state of its key, can
// set timers, and emits rows.
//
// A process function is a plain class (no virtual calls per row; the
// operator calls it through a template):
//
//   struct Debounce {
//     static constexpr uint32_t kStateSlots = 1;      // per-key state size
//     // Resolves fields by name, returns the output schema (plan time).
//     Result<schema::Schema> Open(const schema::Schema& input);
//     void ProcessElement(const schema::Slot* row, ProcessContext& ctx);
//     void OnTimer(int64_t time, TimeDomain domain, ProcessContext& ctx);
//   };
//
// ProcessContext (process_context.h) gives the current key, its state,
// timers and emission. Typed field access goes through Field<T>, resolved
// once in Open. Event-
// time timers are in nanoseconds since the epoch (like `ts` fields) and
// fire when event time passes them — for now at the end of a bounded input,
// as Flink's final watermark does; processing-time timers are in
// milliseconds on the operator's Clock and fire while the job runs. Both
// kinds are kept per key, de-duplicated per (key, time), and fire in time
// order (ties in registration order). Nothing here may allocate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/common/status.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"

namespace runnel::ops {

enum class TimeDomain { kEventTime, kProcessingTime };

// A typed handle to one field: T is int64_t (i64, ts in ns, sym id), double
// (f64) or bool.
template <typename T>
struct Field {
  static_assert(std::is_same_v<T, int64_t> || std::is_same_v<T, double> ||
                    std::is_same_v<T, bool>,
                "Field<T> takes int64_t, double or bool");
  uint32_t index = 0;

  T Get(const schema::Slot* row) const {
    if constexpr (std::is_same_v<T, double>) {
      return row[index].f64;
    } else if constexpr (std::is_same_v<T, bool>) {
      return row[index].i64 != 0;
    } else {
      return row[index].i64;
    }
  }
  void Set(schema::Slot* row, T value) const {
    if constexpr (std::is_same_v<T, double>) {
      row[index].f64 = value;
    } else {
      row[index].i64 = static_cast<int64_t>(value);
    }
  }
};

// Finds `name` in `schema` and checks its type suits T.
template <typename T>
Result<Field<T>> ResolveField(const schema::Schema& schema, std::string_view name) {
  int index = schema.IndexOf(name);
  if (index == schema::Schema::kNotFound) {
    return InvalidArgument("process function needs a field '" + std::string(name) +
                           "' (fields: " + schema.FieldNames() + ")");
  }
  schema::FieldType type = schema.field(static_cast<uint32_t>(index)).type;
  bool fits = std::is_same_v<T, double>  ? type == schema::FieldType::kF64
              : std::is_same_v<T, bool> ? type == schema::FieldType::kBool
                                        : (type != schema::FieldType::kF64 &&
                                           type != schema::FieldType::kBool);
  if (!fits) {
    return InvalidArgument("process function field '" + std::string(name) + "' is " +
                           std::string(schema::FieldTypeName(type)) + ", not the type it reads");
  }
  return Field<T>{static_cast<uint32_t>(index)};
}

}  // namespace runnel::ops
