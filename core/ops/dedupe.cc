#include "core/ops/dedupe.h"

#include <climits>

namespace runnel::ops {
namespace {

// a - b, saturated (event times far apart, never undefined behaviour).
int64_t Distance(int64_t a, int64_t b) {
  int64_t d;
  if (!__builtin_sub_overflow(a, b, &d)) return d;
  return a > b ? INT64_MAX : INT64_MIN;
}

}  // namespace

state::KeyedTableOptions DedupeOperator::StateOptions(const DedupeSpec& spec,
                                                      state::KeyedTableOptions table) {
  table.key_slots = static_cast<uint32_t>(spec.key_fields.size());
  table.value_slots = 1;  // the event time of the last row that passed
  return table;
}

DedupeOperator::DedupeOperator(const schema::Schema& input, const DedupeSpec& spec,
                               state::KeyedTableOptions table, const Clock* clock)
    : DedupeOperator(schema::KeyFields(input, spec.key_fields), spec.stream_key_fields,
                     StateOptions(spec, table), spec.within_ns, spec.ts_field, clock) {}

DedupeOperator::DedupeOperator(schema::KeyFields key, uint32_t route_slots,
                               state::KeyedTableOptions table, int64_t within_ns, int ts_field,
                               const Clock* clock)
    : KeyedRowsOperator(std::move(key), route_slots, table, "dedupe"),
      within_ns_(within_ns),
      ts_field_(ts_field),
      clock_(clock) {}

std::unique_ptr<runtime::Operator> DedupeOperator::NewInstance() const {
  return std::unique_ptr<runtime::Operator>(new DedupeOperator(
      state_.key_fields(), route_slots_, state_.table().options(), within_ns_, ts_field_, clock_));
}

Status DedupeOperator::Process(const schema::RowBatch& in, schema::RowBatch* out) {
  const int64_t now = clock_->NowMillis();
  for (uint32_t r = 0; r < in.size(); ++r) {
    const schema::Slot* row = in.row(r);
    schema::Slot* last;
    const int64_t ts = within_ns_ > 0 ? row[ts_field_].i64 : 0;
    switch (state_.FindOrInsert(row, now, &last)) {
      case state::KeyedTable::Outcome::kInserted:
        break;
      case state::KeyedTable::Outcome::kFound:
        // A repeat unless the span is set and has passed (an earlier event
        // time, out of order, is within it).
        if (within_ns_ == 0 || Distance(ts, last[0].i64) < within_ns_) continue;
        break;
      case state::KeyedTable::Outcome::kDropped:
        continue;
      case state::KeyedTable::Outcome::kFull:
        state_.PublishMetrics();
        return state_.FullError();
    }
    last[0].i64 = ts;
    out->AppendCopy(row);
  }
  state_.PublishMetrics();
  return Status::Ok();
}

}  // namespace runnel::ops
