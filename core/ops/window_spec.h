// WindowSpec: everything a window operator is configured with, resolved at
// plan time from a graph file's `window` (see window.h for the semantics),
// and IsLate, the lateness rule windows and their late side output share.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ops/accumulators.h"
#include "core/state/keyed_table.h"

namespace runnel::ops {

struct WindowSpec {
  enum class Type { kTumbling, kSliding, kSession, kCount };
  Type type = Type::kTumbling;
  bool processing_time = false;
  int64_t size_ns = 0;   // tumbling, sliding
  int64_t slide_ns = 0;  // sliding
  int64_t gap_ns = 0;    // session
  uint64_t count = 0;        // count windows: rows per window
  uint64_t count_slide = 0;  // rows between results; 0: tumbling count
  int64_t allowed_lateness_ns = 0;
  bool emit_final = false;
  int64_t early_every_ms = 0;
  uint64_t early_every_rows = 0;
  std::vector<uint32_t> key_fields;
  int ts_field = -1;        // event-time field of the input (ns)
  int watermark_slot = -1;  // hidden watermark slot of the input; -1: none
  uint32_t out_width = 0;
  bool out_watermark = false;
  Accumulators accumulators;
  state::KeyedTableOptions state;  // capacity, policy, ttl; slots set inside
};

// Whether a row with event time `ts` and watermark `watermark` is beyond the
// allowed lateness of every window it belongs to. Shared by WindowOperator
// and LateRowFilter so both decide alike.
bool IsLate(const WindowSpec& spec, int64_t ts, int64_t watermark);

}  // namespace runnel::ops
