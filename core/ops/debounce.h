// DebounceOperator: per key, emits a row only once a condition has held for
// `consecutive` rows of that key in a row (an alert after N readings above a
// limit, not after one spike). A row for which the condition fails resets
// its key (and frees its state). With `repeat_every` > 0, a streak that
// keeps holding emits again every that many rows; otherwise once per
// streak.
//
// Output rows: the input's fields, then `streak` (i64, the rows in a row so
// far, this one included), then the input's hidden slots (the watermark),
// so event time flows on.
//
// The condition is an expression (core/expr) compiled at plan time and
// evaluated a chunk of rows at a time; the streaks live in a KeyedRows
// table (one slot per key) with the graph's capacity, on_full policy and
// TTL. Process never allocates. One thread per instance.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/common/clock.h"
#include "core/expr/expression.h"
#include "core/expr/program.h"
#include "core/ops/keyed_rows.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"

namespace runnel::ops {

struct DebounceSpec {
  std::vector<uint32_t> key_fields;  // the stream's key (may be empty)
  expr::Expression condition;        // checked, bool
  uint32_t consecutive = 1;          // at least 1
  uint32_t repeat_every = 0;
};

class DebounceOperator : public KeyedRowsOperator {
 public:
  // `input` is the input's schema; its rows are `in_width` slots (hidden
  // slots included). Interns the condition's strings into `symbols`.
  // `clock` must outlive the operator.
  static Result<std::unique_ptr<DebounceOperator>> Make(const schema::Schema& input,
                                                        uint32_t in_width,
                                                        const DebounceSpec& spec,
                                                        state::KeyedTableOptions table,
                                                        schema::SymbolTable* symbols,
                                                        const Clock* clock);

  // The state table an instance builds from `table`, and the bytes it
  // allocates (footprint_bytes(): the state; like filters, the compiled
  // condition is not counted), computed without allocating.
  static state::KeyedTableOptions StateOptions(const DebounceSpec& spec,
                                               state::KeyedTableOptions table);
  static uint64_t FootprintBytes(const DebounceSpec& spec, const state::KeyedTableOptions& table) {
    return state::KeyedTable::FootprintBytes(StateOptions(spec, table));
  }

  Status Process(const schema::RowBatch& in, schema::RowBatch* out) override;
  std::unique_ptr<runtime::Operator> NewInstance() const override;

 private:
  // `fields`: the input schema's fields; `key`: all of them route.
  DebounceOperator(schema::KeyFields key, uint32_t fields, uint32_t in_width,
                   int64_t consecutive, int64_t repeat_every, state::KeyedTableOptions table,
                   expr::Program program, const Clock* clock);

  // Whether a streak of `streak` rows emits.
  bool Emits(int64_t streak) const {
    if (streak == consecutive_) return true;
    return repeat_every_ > 0 && streak > consecutive_ &&
           (streak - consecutive_) % repeat_every_ == 0;
  }

  expr::Program program_;
  uint32_t fields_;    // schema fields of the input
  uint32_t in_width_;  // with hidden slots
  int64_t consecutive_;
  int64_t repeat_every_;
  const Clock* clock_;
};

}  // namespace runnel::ops
