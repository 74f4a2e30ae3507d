// Accumulators: the fixed-size state of a list of aggregate functions over
// one key, how rows update it, and how two partial states merge.
//
// Written in a graph file as "fn(field) [as name]" items (quantile takes a
// second argument: "quantile(temp, 0.95)"), e.g. ["count() as n",
// "avg(temp)", "p99(temp) as slow"], parsed and type-checked against the
// input schema at plan time. Parse allocates; nothing else does.
//
// Nulls (core/schema/null.h) are skipped, as in SQL: every function but
// count() sees only its field's non-null values ("values" below); the
// functions over one field share one count of them.
//
// State layout. The state of one key is state_slots() 8-byte slots, plain
// data, zero-initialized = empty (no rows):
//   slot 0             the number of rows added (count())
//   one slot per field that count(f), sum, avg, min, max, first, last,
//   var_* or stddev_* take: the field's values so far (its non-null count),
//   at count_offset, placed before the first such function's own slots
//   slots [offset, offset + slots) of each function, in item order:
//     count()          0 slots (uses slot 0)
//     count(f)         0 slots (its offset is its field's count)
//     sum, avg, min, max
//                      1 slot: the sum (i64 or f64 as the input; avg:
//                      f64), minimum or maximum
//     first, last      2 slots (value, event time) with an event-time
//                      field, 1 (value) without one
//     var_*, stddev_*  3 slots: K (the first value), then Welford's mean
//                      and M2 of x - K; merged with Chan et al.'s formula
//     count_distinct   128 slots: 1024 HyperLogLog registers, 1 byte each,
//                      register j in byte j % 8 (bits 8*(j%8)..) of slot j / 8
//     p50/p90/p99/quantile
//                      260 slots: a relative-error quantile sketch (below)
// Functions that keep the same kind of state over the same field share it:
// p50(temp), p99(temp) and quantile(temp, 0.95) use one sketch, var_pop(x)
// and stddev_samp(x) one Welford state, two count_distinct(x) one register
// set, sum(temp) and avg(temp) over an f64 field one sum. A sharing function has slots == 0 and the owner's offset.
// state_slots() == 1 + the fields counted + the sum of every function's slots.
//
// Functions, inputs and results (n = non-null values of f). Every function
// but the counts gives null when n == 0 (only nulls, or no rows at all):
//   count(), count(*)            -> i64: rows, nulls or not
//   count(f)  any type           -> i64: n (0 for only nulls)
//   sum(f)   i64|f64             -> same type (i64 wraps around)
//   avg(f)   i64|f64             -> f64
//   min(f), max(f)  i64|f64|ts   -> same type
//   first(f), last(f)  any type  -> same type: the value at the smallest /
//            largest event time; ties go to the earliest / latest arrival.
//            Without an event-time field (Parse's event_time_field < 0)
//            they are the first / last row in arrival order.
//   var_pop(f), var_samp(f), stddev_pop(f), stddev_samp(f)  i64|f64 -> f64;
//            variance(f) = var_samp(f), stddev(f) = stddev_samp(f) (the SQL
//            convention). var_samp and stddev_samp of 1 value are 0, not
//            NaN.
//   count_distinct(f)  any type  -> i64 (0 for only nulls). HyperLogLog
//            over 1024 registers
//            of the 64-bit schema::HashSlots of the value's bits and a salt
//            slot (so it is independent of the hash that routes keys to
//            instances; f64: -0.0 counts as 0.0);
//            the top 10 bits pick the register; linear counting
//            below 2.5 * 1024 estimated values. Standard error
//            1.04 / sqrt(1024) ~= 3.25%; small sets (tens of values) are
//            exact or off by one, as collisions in 1024 registers are rare.
//   p50(f), p90(f), p99(f), quantile(f, q) with 0 < q < 1  i64|f64 -> f64.
//
// Quantile sketch (DDSketch-style). A value x != 0 falls in bucket
// i = ceil(log_gamma |x|), gamma = (1 + a) / (1 - a), a = 0.01, i.e. the
// bucket (gamma^(i-1), gamma^i] of its sign; a bucket reports
// 2 gamma^i / (gamma + 1), within a relative 1% of every value in it. Zeros
// (and -0.0) have their own count, and so do +infinity and -infinity
// (reported as themselves); NaN, the f64 null, is not counted (a key of
// only nulls reports NaN, the null).
// The rank-q value is x_(k), k = floor(q * (m - 1)), of the m counted values
// sorted ascending (0-based; the lower value for an even median).
// GUARANTEE: the reported value v satisfies |v - x_(k)| <= 0.01 |x_(k)|
// (plus ~1e-13 relative of floating-point rounding) unless x_(k) lies in a
// collapsed bucket (next paragraph); for x_(k) == 0 it is exactly 0. (For
// subnormal |x_(k)| < 2.2e-308 the reported value is rounded to what a
// subnormal double can hold.)
// Memory is fixed: 512 bucket counts (uint32, 2 per slot, saturating at
// 2^32 - 1) shared by the two signs. Each sign needs the buckets from its
// smallest to its largest |x| index; when together they need more than
// 512, a sign gets what the other leaves if the other needs at most 256,
// else 256. A sign that needs more than it gets keeps its largest
// magnitudes and collapses the rest into its lowest kept bucket ("collapse
// lowest"). 512 buckets span |x| over a factor gamma^511 ~= 27,000 and 256
// over gamma^255 ~= 164: with positive and negative values each spanning
// more than 164x (e.g. temperatures from -20 to 40 read to 0.1), values
// closer to zero than 1/164 of their sign's largest magnitude are reported
// as that lowest kept bucket (further from zero than they are). The kept
// range depends only on the multiset of values, so the state is independent
// of arrival order and of how partial states were merged.
// Layout: slot 0 the zero count; slots 1 and 2 the positive and negative
// stores' headers (lowest index: int32 in the low 32 bits, width: uint32 in
// the high 32 bits; width 0 = empty); slot 3 the +infinity (low 32 bits)
// and -infinity (high 32 bits) counts; slots 4..259 the bucket counts,
// position p in bits 32*(p%2).. of slot 4 + p/2: the positive store's bucket
// lo + j at position j, the negative store's at position 511 - j. 260
// slots, 2080 bytes.
//
// Update, Emit and Merge never allocate and are shared by every operator
// that aggregates (rolling aggregates, windows). Update follows a plan made
// by Parse: one pass per input field, which tests the value for null once,
// counts it once and runs the steps of that field's functions, each step
// already specialized for the field's type. An Accumulators does not
// change after Parse, so any number of threads may use one, each on its own
// states.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"

namespace runnel::ops {

enum class AggregateKind {
  kCount,
  kSum,
  kMin,
  kMax,
  kAvg,
  kFirst,
  kLast,
  kVarPop,
  kVarSamp,
  kStddevPop,
  kStddevSamp,
  kCountDistinct,
  kQuantile,  // p50, p90, p99 and quantile(f, q); `q` says which
};

struct AggregateFn {
  AggregateKind kind;
  int field = -1;  // input field; -1 for count() and count(*)
  schema::FieldType input_type = schema::FieldType::kI64;
  schema::Field output;  // name and type of the result field
  uint32_t offset = 0;   // first state slot (0 for count(): the row count)
  uint32_t slots = 0;    // state slots this function owns; 0 when it shares
  uint32_t count_offset = 0;  // its field's count of values (counted functions)
  bool counts = false;   // the function that adds to and merges that count
  double q = 0;          // kQuantile: the quantile, 0 < q < 1
};

class Accumulators {
 public:
  // Relative error of the quantile sketch and its fixed bucket budget.
  static constexpr double kQuantileRelativeError = 0.01;
  static constexpr uint32_t kQuantileBuckets = 512;
  // HyperLogLog registers of count_distinct and its standard error,
  // 1.04 / sqrt(kDistinctRegisters).
  static constexpr uint32_t kDistinctRegisters = 1024;
  static constexpr double kDistinctStandardError = 0.0325;

  // Parses `items` against `input`. `event_time_field`, if >= 0, is the
  // index of a ts field of `input` that first() and last() order rows by;
  // without it they follow arrival order. On failure the message starts
  // with the index of the item at fault in brackets: "[1]: sum over sym
  // field ...".
  static Result<Accumulators> Parse(const std::vector<std::string>& items,
                                    const schema::Schema& input, int event_time_field = -1);

  uint32_t state_slots() const { return state_slots_; }
  const std::vector<AggregateFn>& fns() const { return fns_; }
  int event_time_field() const { return event_time_field_; }
  // The result fields, in order.
  std::vector<schema::Field> OutputFields() const;

  // Adds `row` to the zero-initialized-or-updated `state`.
  void Update(schema::Slot* state, const schema::Slot* row) const;
  // Writes one slot per function (the result fields) to `out`. An empty
  // state (no rows) gives 0 for the counts and null for the others.
  void Emit(const schema::Slot* state, schema::Slot* out) const;
  // Adds the partial state `from` to `into`. REQUIRES: both are states of
  // this Accumulators (or of one parsed from the same items and schema):
  // afterwards `into` is the state of `into`'s rows followed by `from`'s,
  // so ties in first/last resolve as if `into`'s rows arrived first. An
  // empty `from` changes nothing; an empty `into` becomes a copy of `from`.
  // Exact for count, sum over i64, min, max, first, last, count_distinct
  // (registers) and the quantile sketch (buckets); sums over f64, avg and
  // variances are equal up to floating-point rounding.
  void Merge(schema::Slot* into, const schema::Slot* from) const;

 private:
  // One state update of Update's plan: what to do with a non-null value of
  // its pass's field, and where (the first slot of the state it updates).
  enum class UpdateOp : uint8_t {
    kSumI64, kSumF64, kAvgI64, kAvgF64,
    kMinInt, kMinF64, kMaxInt, kMaxF64,  // Int: i64 and ts
    kFirst, kFirstByTime, kLast, kLastByTime,
    kWelfordI64, kWelfordF64, kDistinct, kSketchI64, kSketchF64,
  };
  struct UpdateStep {
    UpdateOp op;
    uint32_t offset;
  };
  // The steps [first_step, end_step) over input field `field`; `counted`
  // when the field has a count of values (at count_offset) to add to.
  struct FieldPass {
    int field;
    schema::FieldType type;
    bool counted;
    uint32_t count_offset;
    uint32_t first_step;
    uint32_t end_step;
  };
  void PlanUpdates();

  std::vector<AggregateFn> fns_;
  std::vector<FieldPass> passes_;
  std::vector<UpdateStep> steps_;
  uint32_t state_slots_ = 1;
  int event_time_field_ = -1;
};

}  // namespace runnel::ops
