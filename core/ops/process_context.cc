#include "core/ops/process_context.h"

#include <cstring>

#include "core/common/byte_count.h"
#include "core/schema/row_hash.h"

namespace runnel::ops {

ProcessContext::ProcessContext(schema::KeyFields key_fields,
                               const state::KeyedTableOptions& table,
                               uint32_t timer_capacity, const Clock* clock)
    : key_fields_(std::move(key_fields)),
      table_(table),
      event_timers_(timer_capacity, table.key_slots),
      processing_timers_(timer_capacity, table.key_slots),
      clock_(clock),
      key_(new schema::Slot[table.key_slots + 1]()) {}

void ProcessContext::BeginBatch(schema::RowBatch* out) {
  out_ = out;
  now_ms_ = clock_->NowMillis();
}

void ProcessContext::SetKey(const schema::Slot* key) {
  if (key != key_.get()) std::memcpy(key_.get(), key, sizeof(schema::Slot) * key_fields_.size());
  key_hash_ = schema::HashSlots(key_.get(), key_fields_.size());
  state_ = nullptr;
  state_looked_up_ = false;
}

void ProcessContext::SetKeyFromRow(const schema::Slot* row) {
  key_fields_.Gather(row, key_.get());
  SetKey(key_.get());
}

schema::Slot* ProcessContext::state() {
  if (!state_looked_up_) {
    state_looked_up_ = true;
    switch (table_.FindOrInsert(key_.get(), key_hash_, now_ms_, &state_)) {
      case state::KeyedTable::Outcome::kFound:
      case state::KeyedTable::Outcome::kInserted:
        break;
      case state::KeyedTable::Outcome::kFull:
        problem_ = Problem::kStateFull;
        state_ = nullptr;
        break;
      case state::KeyedTable::Outcome::kDropped:  // counted by the table
        state_ = nullptr;
        break;
    }
  }
  return state_;
}

void ProcessContext::ClearState() {
  table_.Erase(key_.get(), key_hash_);
  state_ = nullptr;
  state_looked_up_ = false;
}

bool ProcessContext::RegisterTimer(TimeDomain domain, int64_t time) {
  state::TimerHeap& timers =
      domain == TimeDomain::kEventTime ? event_timers_ : processing_timers_;
  if (timers.Add(key_.get(), key_hash_, time) == state::TimerHeap::AddOutcome::kFull) {
    problem_ = Problem::kTimersFull;
    return false;
  }
  return true;
}

bool ProcessContext::DeleteTimer(TimeDomain domain, int64_t time) {
  state::TimerHeap& timers =
      domain == TimeDomain::kEventTime ? event_timers_ : processing_timers_;
  return timers.Cancel(key_.get(), key_hash_, time);
}

schema::Slot* ProcessContext::Emit() {
  if (out_->full()) {
    problem_ = Problem::kOutputFull;
    return nullptr;
  }
  return out_->Append();
}

bool ProcessContext::PopTimer(TimeDomain domain, int64_t up_to, int64_t* time) {
  state::TimerHeap& timers =
      domain == TimeDomain::kEventTime ? event_timers_ : processing_timers_;
  if (!timers.PopDue(up_to, time, key_.get())) return false;
  SetKey(key_.get());
  return true;
}

Status ProcessContext::TakeProblem() {
  Problem problem = problem_;
  problem_ = Problem::kNone;
  switch (problem) {
    case Problem::kNone:
      return Status::Ok();
    case Problem::kStateFull:
      return ResourceExhausted("keyed state is full (" + std::to_string(table_.capacity()) +
                               " keys); raise process.state.capacity or set "
                               "process.state.on_full to evict_oldest or drop_new");
    case Problem::kTimersFull:
      return ResourceExhausted("timers are full (" +
                               std::to_string(event_timers_.capacity()) +
                               " per domain); raise process.timers");
    case Problem::kOutputFull:
      return ResourceExhausted("the process function emitted more rows than a batch holds (" +
                               std::to_string(out_->capacity()) +
                               " per input batch); raise the graph's batch_rows");
  }
  return Status::Ok();
}

uint64_t ProcessContext::footprint_bytes() const {
  return SaturatingAdd(SaturatingAdd(table_.footprint_bytes(), event_timers_.footprint_bytes()),
                       processing_timers_.footprint_bytes());
}

uint64_t ProcessContext::FootprintBytes(const state::KeyedTableOptions& table,
                                        uint32_t timer_capacity) {
  return SaturatingAdd(
      state::KeyedTable::FootprintBytes(table),
      SaturatingMul(2, state::TimerHeap::FootprintBytes(timer_capacity, table.key_slots)));
}

}  // namespace runnel::ops
