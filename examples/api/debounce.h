// Debounce: a keyed process function that raises one alert when a device
// reports `consecutive` readings in a row above `limit`, and arms again once
// a reading comes back at or below it. Output: device, ts, temp, streak.
// Used by the debounce_alerts example program and its test.
#pragma once

#include <cstdint>

#include "core/common/status.h"
#include "core/ops/process_context.h"
#include "core/ops/process_function.h"
#include "core/schema/schema.h"

namespace runnel::examples {

struct Debounce {
  double limit = 33.0;
  int64_t consecutive = 3;

  // State per device: [0] readings in a row above the limit.
  static constexpr uint32_t kStateSlots = 1;

  ops::Field<int64_t> device, ts;
  ops::Field<double> temp;

  Result<schema::Schema> Open(const schema::Schema& input) {
    auto d = ops::ResolveField<int64_t>(input, "device");
    auto t = ops::ResolveField<int64_t>(input, "ts");
    auto v = ops::ResolveField<double>(input, "temp");
    if (!d.ok()) return d.status();
    if (!t.ok()) return t.status();
    if (!v.ok()) return v.status();
    device = d.value();
    ts = t.value();
    temp = v.value();
    return schema::Schema({input.field(device.index), input.field(ts.index),
                           input.field(temp.index),
                           {"streak", schema::FieldType::kI64, schema::TimeUnit::kMs}});
  }

  void ProcessElement(const schema::Slot* row, ops::ProcessContext& ctx) {
    if (temp.Get(row) <= limit) {
      ctx.ClearState();  // back to normal: arm again, free the slot
      return;
    }
    schema::Slot* streak = ctx.state();
    if (streak == nullptr) return;  // state full: the operator reports it
    if (++streak[0].i64 != consecutive) return;
    schema::Slot* out = ctx.Emit();
    if (out == nullptr) return;
    out[0].i64 = device.Get(row);
    out[1].i64 = ts.Get(row);
    out[2].f64 = temp.Get(row);
    out[3].i64 = streak[0].i64;
  }

  void OnTimer(int64_t, ops::TimeDomain, ops::ProcessContext&) {}
};

}  // namespace runnel::examples
