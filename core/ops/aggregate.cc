#include "core/ops/aggregate.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/schema/row_hash.h"
#include "core/state/rescale.h"

namespace runnel::ops {

AggregateOperator::AggregateOperator(schema::KeyFields key_fields,
                                     Accumulators accumulators, bool emit_final,
                                     const state::KeyedTableOptions& table,
                                     const Clock* clock, int watermark_in, int watermark_out)
    : key_fields_(std::move(key_fields)),
      accumulators_(std::move(accumulators)),
      emit_final_(emit_final),
      table_(table),
      clock_(clock),
      watermark_in_(watermark_in),
      watermark_out_(watermark_out),
      key_(new schema::Slot[key_fields_.size() + 1]),
      drain_cursor_(state::KeyedTable::kEnd) {
  image_.Add(&table_);
}

bool AggregateOperator::Snapshot(bool full, runtime::StateBuffer* out) {
  return image_.Snapshot(
      full, std::string_view(reinterpret_cast<const char*>(&last_watermark_), sizeof(int64_t)),
      out);
}

Status AggregateOperator::RestoreEntry(std::string_view key, std::string_view value) {
  return image_.RestoreEntry(key, value, &restored_);
}

Status AggregateOperator::FinishRestore() {
  if (restored_.size() != sizeof(int64_t)) {
    return DataError("aggregate state: scalars of " + std::to_string(restored_.size()) +
                     " bytes, expected 8");
  }
  std::memcpy(&last_watermark_, restored_.data(), sizeof(int64_t));
  table_metrics_.Publish(table_);
  return Status::Ok();
}

std::unique_ptr<runtime::Operator> AggregateOperator::NewInstance() const {
  return std::make_unique<AggregateOperator>(key_fields_, accumulators_, emit_final_,
                                             table_.options(), clock_, watermark_in_,
                                             watermark_out_);
}

Status AggregateOperator::MoveStateTo(runtime::Operator* const* to, uint32_t count, bool first) {
  std::vector<AggregateOperator*> targets;
  std::vector<state::KeyedTable*> tables;
  for (uint32_t i = 0; i < count; ++i) {
    targets.push_back(static_cast<AggregateOperator*>(to[i]));
    tables.push_back(&targets.back()->table_);
  }
  RUNNEL_RETURN_IF_ERROR(state::MoveEntries(table_, tables.data(), count, key_fields_.size(),
                                            "aggregate.state.capacity"));
  tables[0]->AddCounters(table_);
  for (AggregateOperator* target : targets) {
    target->table_.SortRecencyByStamp();
    target->last_watermark_ =
        first ? last_watermark_ : std::min(target->last_watermark_, last_watermark_);
    target->table_metrics_.Publish(target->table_);
  }
  return Status::Ok();
}

void AggregateOperator::EmitRow(const schema::Slot* key, const schema::Slot* state,
                                schema::Slot* out) const {
  const size_t keys = key_fields_.size();
  for (size_t k = 0; k < keys; ++k) out[k] = key[k];
  accumulators_.Emit(state, out + keys);
  if (watermark_out_ >= 0) out[watermark_out_].i64 = last_watermark_;
}

Status AggregateOperator::Process(const schema::RowBatch& in, schema::RowBatch* out) {
  const int64_t now = clock_->NowMillis();
  const uint32_t key_count = key_fields_.size();
  schema::Slot* key = key_.get();
  for (uint32_t r = 0; r < in.size(); ++r) {
    const schema::Slot* row = in.row(r);
    key_fields_.Gather(row, key);
    schema::Slot* state;
    switch (table_.FindOrInsert(key, schema::HashSlots(key, key_count), now, &state)) {
      case state::KeyedTable::Outcome::kFound:
      case state::KeyedTable::Outcome::kInserted:
        break;
      case state::KeyedTable::Outcome::kDropped:
        continue;
      case state::KeyedTable::Outcome::kFull:
        table_metrics_.Publish(table_);
        return ResourceExhausted("keyed state is full (" + std::to_string(table_.capacity()) +
                                 " keys); raise aggregate.state.capacity or set "
                                 "aggregate.state.on_full to evict_oldest or drop_new");
    }
    accumulators_.Update(state, row);
    if (watermark_in_ >= 0) last_watermark_ = row[watermark_in_].i64;
    if (!emit_final_) EmitRow(key, state, out->Append());
  }
  table_metrics_.Publish(table_);
  return Status::Ok();
}

Status AggregateOperator::Drain(schema::RowBatch* out, bool* done) {
  if (!emit_final_) {
    *done = true;
    return Status::Ok();
  }
  if (!draining_) {
    draining_ = true;
    table_.Expire(clock_->NowMillis());  // keys past their TTL are gone
    drain_cursor_ = table_.First();
  }
  while (drain_cursor_ != state::KeyedTable::kEnd && !out->full()) {
    EmitRow(table_.KeyAt(drain_cursor_), table_.ValueAt(drain_cursor_), out->Append());
    drain_cursor_ = table_.Next(drain_cursor_);
  }
  *done = drain_cursor_ == state::KeyedTable::kEnd;
  return Status::Ok();
}

runtime::OperatorMetrics AggregateOperator::metrics() const {
  return table_metrics_.Read(table_.capacity());
}

}  // namespace runnel::ops
