// DedupeOperator: drops repeated rows. A row's key is the stream's key_by
// fields followed by the dedupe's own `fields`; a row passes when its key
// has not passed before (or was forgotten: evicted, expired), or, with a
// span, when its event time is at least `within_ns` after that of the last
// row of its key that passed. Other rows are dropped. Rows that pass are
// copied unchanged (hidden slots such as the watermark included), so event
// time flows on.
//
// State: one slot per key (the event time of the last row that passed) in a
// KeyedRows table with the graph's capacity, on_full policy and TTL
// (processing time). Process never allocates. One thread per instance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/keyed_rows.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/state/keyed_table.h"

namespace runnel::ops {

struct DedupeSpec {
  // Input field indices that make up the key (key_by fields, then `fields`).
  std::vector<uint32_t> key_fields;
  // How many of key_fields are key_by's (they route rows to instances).
  uint32_t stream_key_fields = 0;
  // Event time span of a repeat in ns; 0: a key passes once.
  int64_t within_ns = 0;
  // The event-time field (ts, ns), used when within_ns > 0.
  int ts_field = -1;
};

class DedupeOperator : public KeyedRowsOperator {
 public:
  // `table` sizes the state (key_slots and value_slots are set here).
  // `clock` must outlive the operator.
  DedupeOperator(const schema::Schema& input, const DedupeSpec& spec,
                 state::KeyedTableOptions table, const Clock* clock);

  // The state table an instance builds from `table`, and the bytes it
  // allocates (footprint_bytes()), computed without allocating.
  static state::KeyedTableOptions StateOptions(const DedupeSpec& spec,
                                               state::KeyedTableOptions table);
  static uint64_t FootprintBytes(const DedupeSpec& spec, const state::KeyedTableOptions& table) {
    return state::KeyedTable::FootprintBytes(StateOptions(spec, table));
  }

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;
  std::unique_ptr<runtime::Operator> NewInstance() const override;

 private:
  DedupeOperator(schema::KeyFields key, uint32_t route_slots, state::KeyedTableOptions table,
                 int64_t within_ns, int ts_field, const Clock* clock);

  int64_t within_ns_;
  int ts_field_;
  const Clock* clock_;
};

}  // namespace runnel::ops
