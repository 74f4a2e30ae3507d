#include "core/ops/keyed_rows.h"

#include <utility>
#include <vector>

#include "core/schema/row_hash.h"
#include "core/state/rescale.h"

namespace runnel::ops {
namespace {

state::KeyedTableOptions WithKeySlots(state::KeyedTableOptions table, uint32_t key_slots) {
  table.key_slots = key_slots;
  return table;
}

}  // namespace

KeyedRows::KeyedRows(schema::KeyFields key, state::KeyedTableOptions table, std::string kind)
    : key_fields_(std::move(key)),
      table_(WithKeySlots(table, key_fields_.size())),
      kind_(std::move(kind)),
      key_(new schema::Slot[key_fields_.size() + 1]) {}

uint64_t KeyedRows::Gather(const schema::Slot* row) {
  key_fields_.Gather(row, key_.get());
  return schema::HashSlots(key_.get(), key_fields_.size());
}

state::KeyedTable::Outcome KeyedRows::FindOrInsert(const schema::Slot* row, int64_t now_ms,
                                                   schema::Slot** value) {
  uint64_t hash = Gather(row);
  return table_.FindOrInsert(key_.get(), hash, now_ms, value);
}

void KeyedRows::Erase(const schema::Slot* row) {
  uint64_t hash = Gather(row);
  table_.Erase(key_.get(), hash);
}

Status KeyedRows::FullError() const {
  return ResourceExhausted("keyed state is full (" + std::to_string(table_.capacity()) +
                           " keys); raise " + kind_ + ".state.capacity or set " + kind_ +
                           ".state.on_full to evict_oldest or drop_new");
}

void KeyedRows::PublishMetrics() { table_metrics_.Publish(table_); }

runtime::OperatorMetrics KeyedRows::metrics() const {
  return table_metrics_.Read(table_.capacity());
}

KeyedRowsOperator::KeyedRowsOperator(schema::KeyFields key, uint32_t route_slots,
                                     state::KeyedTableOptions table, std::string kind)
    : state_(std::move(key), table, std::move(kind)), route_slots_(route_slots) {
  image_.Add(state_.mutable_table());
}

bool KeyedRowsOperator::Snapshot(bool full, runtime::StateBuffer* out) {
  return image_.Snapshot(full, {}, out);
}

Status KeyedRowsOperator::RestoreEntry(std::string_view key, std::string_view value) {
  std::string own;  // none
  return image_.RestoreEntry(key, value, &own);
}

Status KeyedRowsOperator::FinishRestore() {
  state_.PublishMetrics();
  return Status::Ok();
}

Status KeyedRowsOperator::MoveStateTo(runtime::Operator* const* to, uint32_t count, bool first) {
  (void)first;  // no clocks of its own
  std::vector<KeyedRowsOperator*> targets;
  std::vector<state::KeyedTable*> tables;
  for (uint32_t i = 0; i < count; ++i) {
    targets.push_back(static_cast<KeyedRowsOperator*>(to[i]));
    tables.push_back(targets.back()->state_.mutable_table());
  }
  RUNNEL_RETURN_IF_ERROR(state::MoveEntries(state_.table(), tables.data(), count, route_slots_,
                                            state_.kind() + ".state.capacity"));
  tables[0]->AddCounters(state_.table());
  for (KeyedRowsOperator* target : targets) {
    target->state_.mutable_table()->SortRecencyByStamp();
    target->state_.PublishMetrics();
  }
  return Status::Ok();
}

}  // namespace runnel::ops
