// ProcessContext: what a keyed process function can do while it handles one
// row or timer — read the current key, use that key's state, set and delete
// timers, read processing time, emit rows — and the keyed state table and
// timer stores behind it, owned by one operator instance.
//
// Concrete and non-virtual, so calls from the function inline. All memory is
// allocated by the constructor; nothing here allocates afterwards. Problems
// a function cannot handle itself (state or timer store full, too many rows
// emitted) are recorded and turned into a Status by the operator after the
// call. Not thread-safe: one operator instance, one thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/common/clock.h"
#include "core/common/status.h"
#include "core/ops/process_function.h"
#include "core/schema/key_fields.h"
#include "core/schema/row.h"
#include "core/state/keyed_table.h"
#include "core/state/timer_heap.h"

namespace runnel::ops {

class ProcessContext {
 public:
  // `key_fields` are the key of the input rows; `table.key_slots` must
  // equal their count. `clock` must outlive the context.
  ProcessContext(schema::KeyFields key_fields, const state::KeyedTableOptions& table,
                 uint32_t timer_capacity, const Clock* clock);

  // --- For process functions, during ProcessElement and OnTimer. ---

  // The current key (the key fields, in key_by order).
  const schema::Slot* key() const { return key_.get(); }
  // The current key's state (kStateSlots slots, zero for a new key), or
  // null if the table has no room for it.
  schema::Slot* state();
  // Forgets the current key's state.
  void ClearState();
  // Sets or deletes a timer for the current key: event time in ns since
  // the epoch, processing time in ms of the clock. RegisterTimer returns
  // false if the timer store is full.
  bool RegisterTimer(TimeDomain domain, int64_t time);
  bool DeleteTimer(TimeDomain domain, int64_t time);
  int64_t processing_time_ms() const { return now_ms_; }
  // A new output row to fill; null if the output batch is full.
  schema::Slot* Emit();

  // --- For the operator. ---

  void BeginBatch(schema::RowBatch* out);
  // Makes the key of `row` current.
  void SetKeyFromRow(const schema::Slot* row);
  // Pops the earliest timer of `domain` due at `up_to` and makes its key
  // current. False if none is due.
  bool PopTimer(TimeDomain domain, int64_t up_to, int64_t* time);
  int64_t next_processing_timer() const { return processing_timers_.next_time(); }
  // The first problem recorded since the last call (OK if none).
  Status TakeProblem();
  int64_t now_ms() const { return now_ms_; }
  uint64_t footprint_bytes() const;
  // Bytes a context with this table and timer capacity allocates, without
  // allocating (plan-time memory checks).
  static uint64_t FootprintBytes(const state::KeyedTableOptions& table, uint32_t timer_capacity);
  const state::KeyedTable& table() const { return table_; }

 private:
  void SetKey(const schema::Slot* key);

  schema::KeyFields key_fields_;
  state::KeyedTable table_;
  state::TimerHeap event_timers_;
  state::TimerHeap processing_timers_;
  const Clock* clock_;
  std::unique_ptr<schema::Slot[]> key_;
  uint64_t key_hash_ = 0;
  schema::Slot* state_ = nullptr;  // looked up on first use per key
  bool state_looked_up_ = false;
  schema::RowBatch* out_ = nullptr;
  int64_t now_ms_ = 0;
  // What went wrong during a function call, for TakeProblem.
  enum class Problem { kNone, kStateFull, kTimersFull, kOutputFull } problem_ = Problem::kNone;
};

}  // namespace runnel::ops
