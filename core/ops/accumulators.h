// Accumulators: the fixed-size state of a list of aggregate functions
// (count, sum, min, max, avg) over one key, and how rows update it.
//
// Written in a graph file as "fn(field) [as name]" items, e.g.
// ["count() as n", "avg(temp)", "max(temp) as peak"], parsed and type-checked
// against the input schema at plan time. The state of one key is
// state_slots() 8-byte slots: slot 0 counts rows, then one slot per
// function (avg keeps its sum), so a keyed table stores it as plain data.
// Update and Emit never allocate; they are shared by every operator that
// aggregates (rolling aggregates now, windows later).
#pragma once

#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"

namespace runnel::ops {

enum class AggregateKind { kCount, kSum, kMin, kMax, kAvg };

struct AggregateFn {
  AggregateKind kind;
  int field = -1;  // input field; -1 for count()
  schema::FieldType input_type = schema::FieldType::kI64;
  schema::Field output;  // name and type of the result field
};

class Accumulators {
 public:
  // Parses `items` against `input`. On failure the message starts with the
  // index of the item at fault in brackets: "[1]: sum over sym field ...".
  static Result<Accumulators> Parse(const std::vector<std::string>& items,
                                    const schema::Schema& input);

  uint32_t state_slots() const { return 1 + static_cast<uint32_t>(fns_.size()); }
  const std::vector<AggregateFn>& fns() const { return fns_; }
  // The result fields, in order.
  std::vector<schema::Field> OutputFields() const;

  // Adds `row` to the zero-initialized-or-updated `state`.
  void Update(schema::Slot* state, const schema::Slot* row) const;
  // Writes one slot per function (the result fields) to `out`.
  void Emit(const schema::Slot* state, schema::Slot* out) const;

 private:
  std::vector<AggregateFn> fns_;
};

}  // namespace runnel::ops
