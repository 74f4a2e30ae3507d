// Accumulators: every function against an exact computation, Merge of
// partial states against the state of the whole, the error bounds of
// count_distinct (HyperLogLog) and of the quantile sketch, and Parse.
#include "core/ops/accumulators.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/schema/null.h"
#include "core/schema/row_hash.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::Result;
using runnel::StatusCode;
using runnel::ops::Accumulators;
using runnel::ops::AggregateFn;
using runnel::ops::AggregateKind;
using runnel::schema::Field;
using runnel::schema::FieldType;
using runnel::schema::IsNull;
using runnel::schema::kNullInt;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::TimeUnit;

namespace {

// Field indices of Readings().
constexpr uint32_t kDevice = 0;
constexpr uint32_t kTs = 1;
constexpr uint32_t kTemp = 2;
constexpr uint32_t kCount = 3;
constexpr uint32_t kOk = 4;
constexpr uint32_t kWidth = 5;

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kUs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"count", FieldType::kI64, TimeUnit::kMs},
                 {"ok", FieldType::kBool, TimeUnit::kMs}});
}

// A null is kNullInt (device, count) or NaN (temp).
struct Row {
  int64_t device = 0;  // a symbol id
  int64_t ts = 0;
  double temp = 0;
  int64_t count = 0;
  bool ok = false;
};

void ToSlots(const Row& r, Slot* out) {
  out[kDevice].i64 = r.device;
  out[kTs].i64 = r.ts;
  out[kTemp].f64 = r.temp;
  out[kCount].i64 = r.count;
  out[kOk].i64 = r.ok ? 1 : 0;
}

using State = std::vector<Slot>;

State Empty(const Accumulators& acc) {
  State s(acc.state_slots());
  std::memset(s.data(), 0, sizeof(Slot) * s.size());
  return s;
}

State Feed(const Accumulators& acc, const std::vector<Row>& rows, size_t begin, size_t end) {
  State s = Empty(acc);
  Slot row[kWidth];
  for (size_t i = begin; i < end; ++i) {
    ToSlots(rows[i], row);
    acc.Update(s.data(), row);
  }
  return s;
}

State Feed(const Accumulators& acc, const std::vector<Row>& rows) {
  return Feed(acc, rows, 0, rows.size());
}

std::vector<Slot> Emit(const Accumulators& acc, const State& state) {
  std::vector<Slot> out(acc.fns().size());
  acc.Emit(state.data(), out.data());
  return out;
}

Accumulators ParseOk(const std::vector<std::string>& items, int event_time = -1) {
  Result<Accumulators> acc = Accumulators::Parse(items, Readings(), event_time);
  CHECK_TEXT(acc.ok(), acc.status().message().c_str());
  return acc.value();
}

std::string ParseError(const std::vector<std::string>& items, int event_time = -1) {
  Result<Accumulators> acc = Accumulators::Parse(items, Readings(), event_time);
  CHECK_FALSE(acc.ok());
  CHECK(acc.status().code() == StatusCode::kInvalidArgument);
  return acc.status().message();
}

// ---------------------------------------------------------------------------
// Data sets (fixed seeds)

// Temperatures read to 0.1 degree around 5 +- 12 (so some are 0.0 and many
// negative), counts in [-500, 500], ts in [0, n/4) with many ties.
std::vector<Row> Mixed(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> temp(5, 12);
  std::uniform_int_distribution<int64_t> count(-500, 500);
  std::uniform_int_distribution<int64_t> ts(0, static_cast<int64_t>(n / 4));
  std::vector<Row> rows(n);
  for (Row& r : rows) {
    r.device = static_cast<int64_t>(rng() % 8);
    r.ts = ts(rng) * 1000;
    r.temp = std::round(temp(rng) * 10) / 10;
    r.count = count(rng);
    r.ok = rng() & 1;
  }
  return rows;
}

// Every value negative.
std::vector<Row> Negative(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> temp(-40, -1);
  std::uniform_int_distribution<int64_t> count(-1000, -1);
  std::vector<Row> rows(n);
  for (size_t i = 0; i < n; ++i) {
    rows[i].device = static_cast<int64_t>(rng() % 3);
    rows[i].ts = static_cast<int64_t>(rng() % 50);
    rows[i].temp = temp(rng);
    rows[i].count = count(rng);
  }
  return rows;
}

// Large i64 values with a small spread (Welford's stability), distinct ts
// in shuffled order.
std::vector<Row> Offset(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Row> rows(n);
  for (size_t i = 0; i < n; ++i) {
    rows[i].ts = static_cast<int64_t>(i) * 7;
    rows[i].count = 1000000000 + static_cast<int64_t>(rng() % 100);
    rows[i].temp = 1e6 + static_cast<double>(rng() % 1000) / 1000.0;
    rows[i].device = rows[i].count % 5;
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  return rows;
}

// +-lognormal(0, 3) and zeros: spans far more than the sketch's buckets,
// so it collapses on both signs.
std::vector<Row> Wide(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> magnitude(0, 3);
  std::vector<Row> rows(n);
  for (size_t i = 0; i < n; ++i) {
    Row& r = rows[i];
    uint64_t pick = rng() % 10;
    r.temp = pick == 0 ? 0.0 : (pick < 4 ? -1 : 1) * magnitude(rng);
    r.count = static_cast<int64_t>(r.temp * 1000);
    r.ts = static_cast<int64_t>(i);
    r.device = static_cast<int64_t>(rng() % 1000);
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  return rows;
}

// `rows` with about a quarter of the temp, count and device values null
// (never ts: it is the event time).
std::vector<Row> WithNulls(std::vector<Row> rows, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (Row& r : rows) {
    if (rng() % 4 == 0) r.temp = std::numeric_limits<double>::quiet_NaN();
    if (rng() % 4 == 0) r.count = kNullInt;
    if (rng() % 4 == 0) r.device = kNullInt;
  }
  return rows;
}

// ---------------------------------------------------------------------------
// Reference computations

double Value(const Row& r, int field) {
  return field == static_cast<int>(kTemp) ? r.temp : static_cast<double>(r.count);
}

Slot FieldSlot(const Row& r, int field) {
  Slot row[kWidth];
  ToSlots(r, row);
  return row[field];
}

// The documented collapse rule (accumulators.h), independently: is x's
// bucket above the lowest kept bucket of its sign (so the 1% bound holds)?
const double kGamma = (1 + Accumulators::kQuantileRelativeError) /
                      (1 - Accumulators::kQuantileRelativeError);

int64_t BucketOf(double magnitude) {
  return static_cast<int64_t>(std::ceil(std::log(magnitude) / std::log(kGamma)));
}

struct KeptRange {
  bool collapsed[2] = {false, false};
  int64_t lowest[2] = {0, 0};  // lowest kept bucket, when collapsed
};

KeptRange Kept(const std::vector<double>& values) {
  int64_t lo[2] = {INT64_MAX, INT64_MAX}, hi[2] = {INT64_MIN, INT64_MIN};
  for (double v : values) {
    if (v == 0 || std::isnan(v)) continue;
    int sign = v > 0 ? 0 : 1;
    int64_t b = BucketOf(std::fabs(v));
    lo[sign] = std::min(lo[sign], b);
    hi[sign] = std::max(hi[sign], b);
  }
  int64_t need[2];
  for (int s = 0; s < 2; ++s) need[s] = lo[s] == INT64_MAX ? 0 : hi[s] - lo[s] + 1;
  const int64_t n = Accumulators::kQuantileBuckets;
  KeptRange kept;
  for (int s = 0; s < 2; ++s) {
    int64_t width = need[s];
    if (need[0] + need[1] > n) {
      width = std::min(need[s], need[1 - s] <= n / 2 ? n - need[1 - s] : n / 2);
    }
    kept.collapsed[s] = width < need[s];
    kept.lowest[s] = hi[s] - width + 1;
  }
  return kept;
}

bool InKeptBucket(const KeptRange& kept, double x) {
  if (x == 0) return true;
  int sign = x > 0 ? 0 : 1;
  return !kept.collapsed[sign] || BucketOf(std::fabs(x)) > kept.lowest[sign];
}

// The sketch's bound: within 1% of `expected` (plus rounding).
#define CHECK_WITHIN_1_PERCENT(expected, actual)                                              \
  DOUBLES_EQUAL((expected), (actual),                                                         \
                Accumulators::kQuantileRelativeError * std::fabs(expected) * (1 + 1e-9))

// The rank-q value of `sorted`: x_(floor(q (n - 1))).
double RankValue(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))];
}

// Checks a sketch result against the rank-q value: within 1% when its
// bucket is kept, else the same sign and reported further from zero.
// Returns whether the 1% bound applied.
bool CheckQuantile(double reported, const std::vector<double>& sorted, const KeptRange& kept,
                   double q, const std::string& label) {
  const double exact = RankValue(sorted, q);
  const std::string text = label + " q=" + std::to_string(q) + " exact=" +
                           std::to_string(exact) + " reported=" + std::to_string(reported);
  if (InKeptBucket(kept, exact)) {
    CHECK_TEXT(std::fabs(reported - exact) <=
                   Accumulators::kQuantileRelativeError * std::fabs(exact) * (1 + 1e-9),
               text.c_str());
    return true;
  }
  CHECK_TEXT((reported > 0) == (exact > 0), text.c_str());
  CHECK_TEXT(std::fabs(reported) >=
                 (1 - Accumulators::kQuantileRelativeError) * std::fabs(exact) * (1 - 1e-9),
             text.c_str());
  return false;
}

uint64_t DistinctBits(const Row& r, int field, FieldType type) {
  Slot s = FieldSlot(r, field);
  if (type == FieldType::kF64 && s.f64 == 0) s.f64 = 0.0;
  uint64_t bits;
  std::memcpy(&bits, &s, sizeof(bits));
  return bits;
}

// The rows whose value of fn's field is not null (all rows for count()).
std::vector<Row> NonNull(const std::vector<Row>& rows, const AggregateFn& fn) {
  if (fn.field < 0) return rows;
  std::vector<Row> kept;
  for (const Row& r : rows) {
    if (!IsNull(FieldSlot(r, fn.field), fn.input_type)) kept.push_back(r);
  }
  return kept;
}

// Compares every result of `acc` over `all_rows` with an exact computation
// over each function's non-null values: null when there are none, except
// for the counts.
void CheckAgainstReference(const Accumulators& acc, const std::vector<Row>& all_rows,
                           const std::string& label) {
  const std::vector<Slot> out = Emit(acc, Feed(acc, all_rows));
  const int et = acc.event_time_field();
  for (size_t i = 0; i < acc.fns().size(); ++i) {
    const AggregateFn& fn = acc.fns()[i];
    const std::vector<Row> rows = NonNull(all_rows, fn);
    const size_t n = rows.size();
    const std::string text = label + ": " + fn.output.name;
    const bool is_float = fn.input_type == FieldType::kF64;
    auto less = [&](Slot a, Slot b) { return is_float ? a.f64 < b.f64 : a.i64 < b.i64; };
    if (n == 0 && fn.kind != AggregateKind::kCount &&
        fn.kind != AggregateKind::kCountDistinct) {
      CHECK_TEXT(IsNull(out[i], fn.output.type), (text + ": expected null").c_str());
      continue;
    }
    switch (fn.kind) {
      case AggregateKind::kCount:
        LONGS_EQUAL_TEXT(static_cast<long>(n), out[i].i64, text.c_str());
        break;
      case AggregateKind::kSum:
      case AggregateKind::kAvg: {
        long double sum = 0, magnitude = 0;
        uint64_t wrapped = 0;
        for (const Row& r : rows) {
          sum += Value(r, fn.field);
          magnitude += std::fabs(Value(r, fn.field));
          wrapped += static_cast<uint64_t>(FieldSlot(r, fn.field).i64);
        }
        if (fn.kind == AggregateKind::kSum && !is_float) {
          CHECK_TEXT(out[i].i64 == static_cast<int64_t>(wrapped), text.c_str());
        } else {
          double divisor = fn.kind == AggregateKind::kAvg ? static_cast<double>(n) : 1.0;
          DOUBLES_EQUAL_TEXT(static_cast<double>(sum) / divisor, out[i].f64,
                             1e-12 * static_cast<double>(magnitude) / divisor, text.c_str());
        }
        break;
      }
      case AggregateKind::kMin:
      case AggregateKind::kMax: {
        Slot best = FieldSlot(rows[0], fn.field);
        for (const Row& r : rows) {
          Slot v = FieldSlot(r, fn.field);
          if (fn.kind == AggregateKind::kMin ? less(v, best) : less(best, v)) best = v;
        }
        CHECK_TEXT(best.i64 == out[i].i64, text.c_str());
        break;
      }
      case AggregateKind::kFirst:
      case AggregateKind::kLast: {
        size_t pick = fn.kind == AggregateKind::kFirst ? 0 : n - 1;
        if (et >= 0) {
          for (size_t r = 0; r < n; ++r) {
            if (fn.kind == AggregateKind::kFirst ? rows[r].ts < rows[pick].ts
                                                 : rows[r].ts >= rows[pick].ts) {
              pick = r;
            }
          }
        }
        CHECK_TEXT(FieldSlot(rows[pick], fn.field).i64 == out[i].i64, text.c_str());
        break;
      }
      case AggregateKind::kVarPop:
      case AggregateKind::kVarSamp:
      case AggregateKind::kStddevPop:
      case AggregateKind::kStddevSamp: {
        long double mean = 0;
        for (const Row& r : rows) mean += Value(r, fn.field);
        mean /= n;
        long double m2 = 0;
        for (const Row& r : rows) m2 += (Value(r, fn.field) - mean) * (Value(r, fn.field) - mean);
        const bool sample =
            fn.kind == AggregateKind::kVarSamp || fn.kind == AggregateKind::kStddevSamp;
        const long double divisor = sample ? static_cast<long double>(n) - 1 : n;
        double expected = divisor <= 0 ? 0.0 : static_cast<double>(m2 / divisor);
        if (fn.kind == AggregateKind::kStddevPop || fn.kind == AggregateKind::kStddevSamp) {
          expected = std::sqrt(expected);
        }
        DOUBLES_EQUAL_TEXT(expected, out[i].f64, 1e-9 * std::fabs(expected) + 1e-300,
                           text.c_str());
        break;
      }
      case AggregateKind::kCountDistinct: {
        std::set<uint64_t> distinct;
        for (const Row& r : rows) distinct.insert(DistinctBits(r, fn.field, fn.input_type));
        const double exact = static_cast<double>(distinct.size());
        const double allowed =
            std::max(1.0, 3 * Accumulators::kDistinctStandardError * exact);
        DOUBLES_EQUAL_TEXT(exact, static_cast<double>(out[i].i64), allowed, text.c_str());
        break;
      }
      case AggregateKind::kQuantile: {
        std::vector<double> values;
        for (const Row& r : rows) values.push_back(Value(r, fn.field));
        KeptRange kept = Kept(values);
        std::sort(values.begin(), values.end());
        CheckQuantile(out[i].f64, values, kept, fn.q, text);
        break;
      }
    }
  }
}

// Every function, over every field it takes.
const std::vector<std::string> kAll = {
    "count() as n",
    "count(*) as rows",
    "count(temp) as n_temp",
    "count(device) as n_device",
    "sum(count) as sum_i",
    "sum(temp) as sum_f",
    "avg(temp) as avg_f",
    "avg(count) as avg_i",
    "min(temp) as min_f",
    "max(count) as max_i",
    "min(ts) as min_ts",
    "first(temp) as first_f",
    "last(temp) as last_f",
    "first(count) as first_i",
    "last(device) as last_sym",
    "first(ok) as first_bool",
    "last(ts) as last_ts",
    "var_pop(temp)",
    "var_samp(count)",
    "variance(temp)",
    "stddev_pop(count)",
    "stddev_samp(temp)",
    "stddev(count)",
    "count_distinct(count)",
    "count_distinct(temp)",
    "count_distinct(device)",
    "p50(temp)",
    "p90(temp)",
    "p99(temp)",
    "quantile(count, 0.25)",
    "quantile(temp, 0.75)",
    "p50(count)",
};

}  // namespace

// ---------------------------------------------------------------------------
// Layout

TEST_GROUP(AccumulatorLayout){};

TEST(AccumulatorLayout, EachFunctionHasItsOwnOffsetAndSize) {
  Accumulators acc = ParseOk({"count()", "sum(temp)", "first(temp)", "last(count)",
                              "var_pop(temp)", "count_distinct(device)", "p50(temp)"},
                             static_cast<int>(kTs));
  const auto& f = acc.fns();
  const uint32_t expected_slots[] = {0, 1, 2, 2, 3, 128, 260};
  // A field's count of values comes before its first counted function.
  const bool new_count[] = {false, true, false, true, false, false, false};
  uint32_t next = 1;
  for (size_t i = 0; i < f.size(); ++i) {
    LONGS_EQUAL_TEXT(expected_slots[i], f[i].slots, f[i].output.name.c_str());
    CHECK_EQUAL_TEXT(new_count[i], f[i].counts, f[i].output.name.c_str());
    if (f[i].counts) LONGS_EQUAL_TEXT(next++, f[i].count_offset, f[i].output.name.c_str());
    if (f[i].slots > 0) {
      LONGS_EQUAL_TEXT(next, f[i].offset, f[i].output.name.c_str());
      next += f[i].slots;
    }
  }
  LONGS_EQUAL(f[1].count_offset, f[2].count_offset);  // sum, first and var_pop of temp
  LONGS_EQUAL(f[1].count_offset, f[4].count_offset);
  LONGS_EQUAL(0, f[0].offset);  // count() reads the row count
  LONGS_EQUAL(next, acc.state_slots());
  LONGS_EQUAL(1 + 2 + 0 + 1 + 2 + 2 + 3 + 128 + 260, acc.state_slots());
}

TEST(AccumulatorLayout, FirstAndLastKeepOnlyTheValueWithoutEventTime) {
  Accumulators acc = ParseOk({"first(temp)", "last(temp)"});
  LONGS_EQUAL(-1, acc.event_time_field());
  LONGS_EQUAL(1, acc.fns()[0].slots);  // the value (temp's count is shared)
  LONGS_EQUAL(1, acc.fns()[1].slots);
  LONGS_EQUAL(4, acc.state_slots());
}

TEST(AccumulatorLayout, CountOfAFieldReadsItsFieldsCount) {
  Accumulators acc = ParseOk({"count() as n", "count(*)", "count(temp)", "count(device) as d"});
  const auto& f = acc.fns();
  LONGS_EQUAL(0, f[0].slots);
  LONGS_EQUAL(0, f[1].slots);
  LONGS_EQUAL(-1, f[1].field);
  LONGS_EQUAL(0, f[2].slots);
  CHECK(f[2].counts);
  LONGS_EQUAL(f[2].count_offset, f[2].offset);
  LONGS_EQUAL(0, f[3].slots);
  CHECK(f[3].count_offset != f[2].count_offset);
  LONGS_EQUAL(3, acc.state_slots());
  STRCMP_EQUAL("count", f[1].output.name.c_str());
  STRCMP_EQUAL("count_temp", f[2].output.name.c_str());
  CHECK(f[3].output.type == FieldType::kI64);
}

TEST(AccumulatorLayout, SameStateOverTheSameFieldIsShared) {
  Accumulators acc =
      ParseOk({"p50(temp)", "p99(temp)", "quantile(temp, 0.95)", "p50(count)", "var_pop(temp)",
               "stddev(temp)", "var_samp(count)", "count_distinct(device) as a",
               "count_distinct(device) as b"});
  const auto& f = acc.fns();
  LONGS_EQUAL(260, f[0].slots);
  LONGS_EQUAL(0, f[1].slots);
  LONGS_EQUAL(f[0].offset, f[1].offset);
  LONGS_EQUAL(0, f[2].slots);
  LONGS_EQUAL(f[0].offset, f[2].offset);
  LONGS_EQUAL(260, f[3].slots);  // another field: its own sketch
  CHECK(f[3].offset != f[0].offset);
  LONGS_EQUAL(3, f[4].slots);
  LONGS_EQUAL(0, f[5].slots);
  LONGS_EQUAL(f[4].offset, f[5].offset);
  LONGS_EQUAL(f[4].count_offset, f[5].count_offset);
  LONGS_EQUAL(3, f[6].slots);
  LONGS_EQUAL(128, f[7].slots);
  LONGS_EQUAL(0, f[8].slots);
  // The rows, two sketches, temp's and count's counts of values and their
  // Welford states, one register set.
  LONGS_EQUAL(1 + 260 + 260 + 1 + 3 + 1 + 3 + 128, acc.state_slots());

  // Shared state gives every function its own result.
  std::vector<Row> rows = Mixed(500, 3);
  CheckAgainstReference(acc, rows, "shared");
  CheckAgainstReference(acc, WithNulls(rows, 4), "shared, with nulls");
}

TEST(AccumulatorLayout, SumAndAvgOfAnF64FieldShareOneSum) {
  Accumulators acc = ParseOk({"avg(temp)", "sum(temp)", "sum(count)", "avg(count)"});
  const auto& f = acc.fns();
  LONGS_EQUAL(1, f[0].slots);  // temp (f64): one sum for avg and sum
  LONGS_EQUAL(0, f[1].slots);
  LONGS_EQUAL(f[0].offset, f[1].offset);
  LONGS_EQUAL(1, f[2].slots);  // count (i64): sum wraps as an i64, avg sums an f64
  LONGS_EQUAL(1, f[3].slots);
  CHECK(f[2].offset != f[3].offset);
  LONGS_EQUAL(1 + 1 + 1 + 1 + 2, acc.state_slots());

  std::vector<Row> rows = Mixed(500, 5);
  CheckAgainstReference(acc, rows, "sum and avg");
  CheckAgainstReference(acc, WithNulls(rows, 6), "sum and avg, with nulls");
}

TEST(AccumulatorLayout, ResultTypesUnitsAndDefaultNames) {
  Accumulators acc = ParseOk({"first(temp)", "last(device)", "first(ts)", "last(ok)",
                              "variance(count)", "stddev(temp)", "count_distinct(temp)",
                              "p90(count)", "quantile(temp, 0.95)", "quantile(temp, 0.999)",
                              "quantile(temp, .5) as med", "quantile(count, 5e-2)",
                              "quantile(temp, 0.05)"});
  std::vector<Field> out = acc.OutputFields();
  const struct {
    const char* name;
    FieldType type;
  } expected[] = {
      {"first_temp", FieldType::kF64},      {"last_device", FieldType::kSym},
      {"first_ts", FieldType::kTs},         {"last_ok", FieldType::kBool},
      {"variance_count", FieldType::kF64},  {"stddev_temp", FieldType::kF64},
      {"count_distinct_temp", FieldType::kI64}, {"p90_count", FieldType::kF64},
      {"p95_temp", FieldType::kF64},        {"p99_9_temp", FieldType::kF64},
      {"med", FieldType::kF64},             {"quantile_count", FieldType::kF64},
      {"p5_temp", FieldType::kF64},
  };
  LONGS_EQUAL(13, out.size());
  for (size_t i = 0; i < out.size(); ++i) {
    STRCMP_EQUAL(expected[i].name, out[i].name.c_str());
    CHECK_TEXT(expected[i].type == out[i].type, expected[i].name);
  }
  CHECK(out[2].unit == TimeUnit::kUs);  // first(ts) keeps the field's unit
  CHECK(acc.fns()[4].kind == AggregateKind::kVarSamp);
  CHECK(acc.fns()[5].kind == AggregateKind::kStddevSamp);
  DOUBLES_EQUAL(0.9, acc.fns()[7].q, 0);
  DOUBLES_EQUAL(0.999, acc.fns()[9].q, 0);
  DOUBLES_EQUAL(0.05, acc.fns()[11].q, 0);
}

TEST(AccumulatorLayout, AnEmptyStateEmitsZeroCountsAndNulls) {
  Accumulators acc = ParseOk(kAll, static_cast<int>(kTs));
  std::vector<Slot> out = Emit(acc, Empty(acc));
  for (size_t i = 0; i < out.size(); ++i) {
    const AggregateFn& fn = acc.fns()[i];
    if (fn.kind == AggregateKind::kCount || fn.kind == AggregateKind::kCountDistinct) {
      CHECK_TEXT(out[i].i64 == 0, fn.output.name.c_str());
    } else if (fn.output.type == FieldType::kBool) {
      CHECK_TEXT(out[i].i64 == 0, fn.output.name.c_str());  // bool has no null
    } else {
      CHECK_TEXT(IsNull(out[i], fn.output.type), fn.output.name.c_str());
    }
  }
}

// ---------------------------------------------------------------------------
// Every function against an exact computation

TEST_GROUP(AccumulatorValues){};

TEST(AccumulatorValues, OneRow) {
  Row r;
  r.device = 7;
  r.ts = 5000;
  r.temp = -3.5;
  r.count = -7;
  r.ok = true;
  CheckAgainstReference(ParseOk(kAll, static_cast<int>(kTs)), {r}, "one row");
  CheckAgainstReference(ParseOk(kAll), {r}, "one row, arrival order");
  // Sample variance of one row is 0, not NaN.
  Accumulators acc = ParseOk({"var_samp(temp)", "stddev_samp(count)", "var_pop(temp)"});
  std::vector<Slot> out = Emit(acc, Feed(acc, {r}));
  DOUBLES_EQUAL(0, out[0].f64, 0);
  DOUBLES_EQUAL(0, out[1].f64, 0);
  DOUBLES_EQUAL(0, out[2].f64, 0);
}

TEST(AccumulatorValues, MixedSignsWithTiesInEventTime) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    std::vector<Row> rows = Mixed(2000, seed);
    CheckAgainstReference(ParseOk(kAll, static_cast<int>(kTs)), rows, "mixed");
    CheckAgainstReference(ParseOk(kAll), rows, "mixed, arrival order");
  }
}

TEST(AccumulatorValues, NullsAreSkipped) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    std::vector<Row> rows = WithNulls(Mixed(2000, seed), seed + 100);
    CheckAgainstReference(ParseOk(kAll, static_cast<int>(kTs)), rows, "nulls");
    CheckAgainstReference(ParseOk(kAll), rows, "nulls, arrival order");
  }
}

TEST(AccumulatorValues, NullsByHand) {
  Accumulators acc = ParseOk({"count()", "count(count)", "sum(count)", "avg(count)",
                              "min(temp)", "max(temp)", "first(count)", "last(count)",
                              "last(device)", "var_pop(count)", "count_distinct(count)",
                              "p50(count)"});
  std::vector<Row> rows(4);
  for (Row& r : rows) {
    r.count = kNullInt;
    r.temp = std::numeric_limits<double>::quiet_NaN();
    r.device = kNullInt;
  }
  rows[1].count = 10;
  rows[2].count = 4;
  rows[2].temp = -1.5;
  rows[1].device = 3;
  std::vector<Slot> out = Emit(acc, Feed(acc, rows));
  LONGS_EQUAL(4, out[0].i64);
  LONGS_EQUAL(2, out[1].i64);
  LONGS_EQUAL(14, out[2].i64);
  DOUBLES_EQUAL(7, out[3].f64, 0);  // 14 / 2, not 14 / 4
  DOUBLES_EQUAL(-1.5, out[4].f64, 0);
  DOUBLES_EQUAL(-1.5, out[5].f64, 0);
  LONGS_EQUAL(10, out[6].i64);  // the first non-null, not the first row's null
  LONGS_EQUAL(4, out[7].i64);
  LONGS_EQUAL(3, out[8].i64);
  DOUBLES_EQUAL(9, out[9].f64, 1e-12);
  LONGS_EQUAL(2, out[10].i64);
  CHECK_WITHIN_1_PERCENT(4, out[11].f64);
}

TEST(AccumulatorValues, OnlyNullsGiveNullExceptTheCounts) {
  std::vector<Row> rows(3);
  for (Row& r : rows) {
    r.count = kNullInt;
    r.temp = std::numeric_limits<double>::quiet_NaN();
    r.device = kNullInt;
  }
  Accumulators acc = ParseOk(kAll, static_cast<int>(kTs));
  CheckAgainstReference(acc, rows, "only nulls");
  std::vector<Slot> out = Emit(acc, Feed(acc, rows));
  LONGS_EQUAL(3, out[0].i64);  // count(): rows
  LONGS_EQUAL(0, out[2].i64);  // count(temp)
  CHECK(out[4].i64 == kNullInt);  // sum(count) is null, not 0
  CHECK(std::isnan(out[6].f64));  // avg(temp)
}

TEST(AccumulatorValues, AllNegative) {
  std::vector<Row> rows = Negative(300, 11);
  CheckAgainstReference(ParseOk(kAll, static_cast<int>(kTs)), rows, "negative");
}

TEST(AccumulatorValues, LargeValuesWithASmallSpread) {
  std::vector<Row> rows = Offset(5000, 5);
  CheckAgainstReference(ParseOk(kAll, static_cast<int>(kTs)), rows, "offset");
}

TEST(AccumulatorValues, WideRangeThatCollapsesTheSketch) {
  std::vector<Row> rows = Wide(5000, 9);
  CheckAgainstReference(ParseOk(kAll, static_cast<int>(kTs)), rows, "wide");
}

TEST(AccumulatorValues, FirstAndLastWithEqualTimestamps) {
  Accumulators acc = ParseOk({"first(temp)", "last(temp)", "first(count)", "last(count)"},
                             static_cast<int>(kTs));
  std::vector<Row> rows(5);
  const double temps[] = {1.5, -2.5, 3.5, -4.5, 5.5};
  for (int i = 0; i < 5; ++i) {
    rows[i].ts = 42;
    rows[i].temp = temps[i];
    rows[i].count = i;
  }
  std::vector<Slot> out = Emit(acc, Feed(acc, rows));
  DOUBLES_EQUAL(1.5, out[0].f64, 0);  // ties: first keeps the earliest arrival
  DOUBLES_EQUAL(5.5, out[1].f64, 0);  // last takes the latest
  LONGS_EQUAL(0, out[2].i64);
  LONGS_EQUAL(4, out[3].i64);

  // Out of order: event time wins over arrival.
  rows[2].ts = 41;
  rows[1].ts = 43;
  out = Emit(acc, Feed(acc, rows));
  DOUBLES_EQUAL(3.5, out[0].f64, 0);
  DOUBLES_EQUAL(-2.5, out[1].f64, 0);
  // A later tie with the latest time takes over `last`.
  rows.push_back(rows[1]);
  rows.back().temp = 9.5;
  out = Emit(acc, Feed(acc, rows));
  DOUBLES_EQUAL(9.5, out[1].f64, 0);
  CheckAgainstReference(acc, rows, "ties");
}

TEST(AccumulatorValues, FirstAndLastFollowArrivalWithoutEventTime) {
  Accumulators acc = ParseOk({"first(temp)", "last(temp)"});
  std::vector<Row> rows(3);
  rows[0] = {0, 300, 1.0, 0, false};
  rows[1] = {0, 100, 2.0, 0, false};
  rows[2] = {0, 200, 3.0, 0, false};
  std::vector<Slot> out = Emit(acc, Feed(acc, rows));
  DOUBLES_EQUAL(1.0, out[0].f64, 0);
  DOUBLES_EQUAL(3.0, out[1].f64, 0);
  Accumulators by_time = ParseOk({"first(temp)", "last(temp)"}, static_cast<int>(kTs));
  out = Emit(by_time, Feed(by_time, rows));
  DOUBLES_EQUAL(2.0, out[0].f64, 0);
  DOUBLES_EQUAL(1.0, out[1].f64, 0);
}

TEST(AccumulatorValues, VarianceByHand) {
  Accumulators acc = ParseOk({"var_pop(count)", "var_samp(count)", "stddev_pop(count)",
                              "stddev_samp(count)", "variance(temp)", "stddev(temp)"});
  std::vector<Row> rows(4);
  const int64_t counts[] = {2, 4, 4, 6};  // mean 4, squared deviations 4+0+0+4
  const double temps[] = {-1, -3, -5, -7};  // mean -4, 9+1+1+9
  for (int i = 0; i < 4; ++i) {
    rows[i].count = counts[i];
    rows[i].temp = temps[i];
  }
  std::vector<Slot> out = Emit(acc, Feed(acc, rows));
  DOUBLES_EQUAL(2.0, out[0].f64, 1e-15);
  DOUBLES_EQUAL(8.0 / 3, out[1].f64, 1e-15);
  DOUBLES_EQUAL(std::sqrt(2.0), out[2].f64, 1e-15);
  DOUBLES_EQUAL(std::sqrt(8.0 / 3), out[3].f64, 1e-15);
  DOUBLES_EQUAL(20.0 / 3, out[4].f64, 1e-14);
  DOUBLES_EQUAL(std::sqrt(20.0 / 3), out[5].f64, 1e-14);
}

TEST(AccumulatorValues, SmallDistinctCountsAreExact) {
  Accumulators acc = ParseOk({"count_distinct(count)"});
  std::vector<Row> rows;
  for (int64_t v = 1; v <= 10; ++v) {
    for (int repeat = 0; repeat < 3; ++repeat) {
      Row r;
      r.count = v * 1000 - 5000;
      rows.push_back(r);
    }
    LONGS_EQUAL(v, Emit(acc, Feed(acc, rows))[0].i64);
  }
}

TEST(AccumulatorValues, DistinctFloatsTreatSignedZeroAsOneValueAndSkipNaN) {
  Accumulators acc = ParseOk({"count_distinct(temp)", "count_distinct(ok)"});
  std::vector<Row> rows(6);
  rows[0].temp = 0.0;
  rows[1].temp = -0.0;
  rows[2].temp = std::numeric_limits<double>::quiet_NaN();
  rows[3].temp = -std::numeric_limits<double>::quiet_NaN();
  rows[4].temp = std::nan("7");
  rows[5].temp = 1.0;
  rows[5].ok = true;
  std::vector<Slot> out = Emit(acc, Feed(acc, rows));
  LONGS_EQUAL(2, out[0].i64);  // 0 and 1; NaN is the null
  LONGS_EQUAL(2, out[1].i64);  // false, true
}

TEST(AccumulatorValues, QuantileEdgeCases) {
  Accumulators acc = ParseOk({"p50(temp)", "p99(temp)", "quantile(temp, 0.01) as lo",
                              "p50(count)"});
  std::vector<Row> rows(3);
  rows[0].temp = 0.0;
  rows[1].temp = -0.0;
  rows[2].temp = 0.0;
  std::vector<Slot> out = Emit(acc, Feed(acc, rows));
  DOUBLES_EQUAL(0, out[0].f64, 0);
  DOUBLES_EQUAL(0, out[1].f64, 0);
  DOUBLES_EQUAL(0, out[3].f64, 0);

  // Only NaN: nothing counted, NaN reported.
  std::vector<Row> nan(2);
  nan[0].temp = nan[1].temp = std::numeric_limits<double>::quiet_NaN();
  CHECK(std::isnan(Emit(acc, Feed(acc, nan))[0].f64));

  // NaN among numbers is left out of the ranks: {10, 20, 30} ranks 0..2.
  std::vector<Row> some(6);
  const double values[] = {10, NAN, NAN, 20, NAN, 30};
  for (int i = 0; i < 6; ++i) some[i].temp = values[i];
  out = Emit(acc, Feed(acc, some));
  CHECK_WITHIN_1_PERCENT(20, out[0].f64);  // rank floor(0.5 * 2) = 1
  CHECK_WITHIN_1_PERCENT(20, out[1].f64);  // rank floor(0.99 * 2) = 1
  CHECK_WITHIN_1_PERCENT(10, out[2].f64);  // rank 0
  // Two values: every q < 1 gives the lower one (x at floor(q * 1) = 0).
  some.resize(2);
  some[1].temp = 20;
  out = Emit(acc, Feed(acc, some));
  CHECK_WITHIN_1_PERCENT(10, out[0].f64);
  CHECK_WITHIN_1_PERCENT(10, out[1].f64);

  // Infinities are the extremes.
  std::vector<Row> inf(4);
  inf[0].temp = -std::numeric_limits<double>::infinity();
  inf[1].temp = 1;
  inf[2].temp = std::numeric_limits<double>::infinity();
  inf[3].temp = std::numeric_limits<double>::infinity();
  out = Emit(acc, Feed(acc, inf));
  CHECK(std::isinf(out[1].f64) && out[1].f64 > 0);  // rank floor(0.99 * 3) = 2
  CHECK(std::isinf(out[2].f64) && out[2].f64 < 0);  // rank 0
  CHECK_WITHIN_1_PERCENT(1, out[0].f64);  // rank 1: infinities do not disturb the buckets

  // Extreme finite magnitudes.
  std::vector<Row> extreme(4);
  extreme[0].temp = std::numeric_limits<double>::max();
  extreme[1].temp = std::numeric_limits<double>::denorm_min();
  extreme[2].temp = -std::numeric_limits<double>::max();
  extreme[3].temp = -std::numeric_limits<double>::denorm_min();
  out = Emit(acc, Feed(acc, extreme));
  CHECK(std::isfinite(out[2].f64) && out[2].f64 < -1e300);  // rank 0: -max
  // Ranks 1 and 2 (-+denorm_min) are in collapsed buckets: each sign keeps
  // 256 buckets below its largest magnitude, so they are reported as
  // -+(that lowest kept bucket), about max / 164.
  CHECK(out[0].f64 < -1e300 && out[0].f64 > -std::numeric_limits<double>::max() / 100);
  CHECK(out[1].f64 > 1e300 && out[1].f64 < std::numeric_limits<double>::max() / 100);
  // Alone, the largest double is reported as itself (not infinity).
  std::vector<Row> largest(1);
  largest[0].temp = std::numeric_limits<double>::max();
  CHECK_WITHIN_1_PERCENT(std::numeric_limits<double>::max(), Emit(acc, Feed(acc, largest))[0].f64);
}

// ---------------------------------------------------------------------------
// Merge

namespace {

bool ExactlyMergeable(const AggregateFn& fn) {
  switch (fn.kind) {
    case AggregateKind::kSum: return fn.input_type != FieldType::kF64;
    case AggregateKind::kAvg:
    case AggregateKind::kVarPop:
    case AggregateKind::kVarSamp:
    case AggregateKind::kStddevPop:
    case AggregateKind::kStddevSamp: return false;
    default: return true;
  }
}

void CheckSameState(const Accumulators& acc, const State& whole, const State& merged,
                    const std::string& label) {
  LONGS_EQUAL_TEXT(whole[0].i64, merged[0].i64, label.c_str());
  const std::vector<Slot> a = Emit(acc, whole);
  const std::vector<Slot> b = Emit(acc, merged);
  for (size_t i = 0; i < acc.fns().size(); ++i) {
    const AggregateFn& fn = acc.fns()[i];
    const std::string text = label + ": " + fn.output.name;
    if (ExactlyMergeable(fn)) {
      if (fn.slots > 0) {
        CHECK_TEXT(std::memcmp(&whole[fn.offset], &merged[fn.offset], sizeof(Slot) * fn.slots) == 0,
                   text.c_str());
      }
      CHECK_TEXT(std::memcmp(&a[i], &b[i], sizeof(Slot)) == 0, text.c_str());
    } else {
      DOUBLES_EQUAL_TEXT(a[i].f64, b[i].f64, 1e-9 * std::fabs(a[i].f64) + 1e-12, text.c_str());
    }
  }
}

// Splits `rows` into 2..10 parts `trials` times, each part's state built
// on its own, and merges them back in a random tree of neighbours.
// `contiguous`: parts are runs of consecutive rows (may be empty); else
// each row goes to a random part, keeping the order within a part.
void CheckMergeOfSplits(const Accumulators& acc, const std::vector<Row>& rows, bool contiguous,
                        uint64_t seed, const std::string& label, int trials = 40) {
  const State whole = Feed(acc, rows);
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < trials; ++trial) {
    const size_t parts = 2 + rng() % 9;
    std::vector<State> states;
    if (contiguous) {
      std::vector<size_t> cuts = {0, rows.size()};
      for (size_t p = 1; p < parts; ++p) cuts.push_back(rng() % (rows.size() + 1));
      std::sort(cuts.begin(), cuts.end());
      for (size_t p = 0; p + 1 < cuts.size(); ++p) {
        states.push_back(Feed(acc, rows, cuts[p], cuts[p + 1]));
      }
    } else {
      std::vector<std::vector<Row>> split(parts);
      for (const Row& r : rows) split[rng() % parts].push_back(r);
      for (const auto& part : split) states.push_back(Feed(acc, part));
    }
    while (states.size() > 1) {
      size_t i = rng() % (states.size() - 1);
      acc.Merge(states[i].data(), states[i + 1].data());
      states.erase(states.begin() + static_cast<long>(i) + 1);
    }
    CheckSameState(acc, whole, states[0],
                   label + " trial " + std::to_string(trial) + " (" + std::to_string(parts) +
                       " parts)");
  }
}

}  // namespace

TEST_GROUP(AccumulatorMerge){};

TEST(AccumulatorMerge, ContiguousSplitsEqualTheWhole) {
  Accumulators by_time = ParseOk(kAll, static_cast<int>(kTs));
  Accumulators by_arrival = ParseOk(kAll);
  std::vector<Row> mixed = Mixed(1500, 21);
  CheckMergeOfSplits(by_time, mixed, true, 1, "mixed");
  CheckMergeOfSplits(by_arrival, mixed, true, 2, "mixed, arrival");
  CheckMergeOfSplits(by_time, Negative(400, 22), true, 3, "negative");
  CheckMergeOfSplits(by_time, Offset(1000, 23), true, 4, "offset");
  CheckMergeOfSplits(by_time, Wide(3000, 24), true, 5, "wide");
}

TEST(AccumulatorMerge, SplitsWithNullsEqualTheWhole) {
  Accumulators by_time = ParseOk(kAll, static_cast<int>(kTs));
  Accumulators by_arrival = ParseOk(kAll);
  // Sparse values: many parts hold only nulls of a field.
  std::vector<Row> sparse = WithNulls(WithNulls(Mixed(300, 61), 62), 63);
  CheckMergeOfSplits(by_time, sparse, true, 8, "sparse");
  CheckMergeOfSplits(by_arrival, sparse, true, 9, "sparse, arrival");
  CheckMergeOfSplits(by_time, WithNulls(Offset(1000, 64), 65), false, 10, "offset with nulls");
}

TEST(AccumulatorMerge, ScatteredSplitsEqualTheWholeWithDistinctTimes) {
  // Offset and Wide have distinct event times, so first/last do not depend
  // on which part a row went to.
  Accumulators acc = ParseOk(kAll, static_cast<int>(kTs));
  CheckMergeOfSplits(acc, Offset(1000, 31), false, 6, "offset");
  CheckMergeOfSplits(acc, Wide(3000, 32), false, 7, "wide");
}

TEST(AccumulatorMerge, SketchStateDoesNotDependOnArrivalOrder) {
  Accumulators acc = ParseOk({"p50(temp)"});
  for (uint64_t seed = 40; seed < 43; ++seed) {
    std::vector<Row> rows = Wide(4000, seed);
    const State shuffled = Feed(acc, rows);
    std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.temp < b.temp; });
    const State ascending = Feed(acc, rows);
    std::reverse(rows.begin(), rows.end());
    const State descending = Feed(acc, rows);
    MEMCMP_EQUAL(shuffled.data(), ascending.data(), sizeof(Slot) * shuffled.size());
    MEMCMP_EQUAL(shuffled.data(), descending.data(), sizeof(Slot) * shuffled.size());
  }
}

TEST(AccumulatorMerge, EmptyStates) {
  Accumulators acc = ParseOk(kAll, static_cast<int>(kTs));
  const State some = Feed(acc, Mixed(100, 50));
  State into = some;
  const State empty = Empty(acc);
  acc.Merge(into.data(), empty.data());  // an empty `from`: no change
  MEMCMP_EQUAL(some.data(), into.data(), sizeof(Slot) * some.size());
  State fresh = Empty(acc);
  acc.Merge(fresh.data(), some.data());  // an empty `into`: a copy
  MEMCMP_EQUAL(some.data(), fresh.data(), sizeof(Slot) * some.size());
  State both = Empty(acc);
  acc.Merge(both.data(), empty.data());
  MEMCMP_EQUAL(empty.data(), both.data(), sizeof(Slot) * empty.size());
}

TEST(AccumulatorMerge, FirstAndLastTiesResolveAsIntoBeforeFrom) {
  Accumulators acc = ParseOk({"first(temp)", "last(temp)"}, static_cast<int>(kTs));
  std::vector<Row> a(1), b(1);
  a[0].ts = b[0].ts = 10;
  a[0].temp = 1;
  b[0].temp = 2;
  State into = Feed(acc, a);
  const State from = Feed(acc, b);
  acc.Merge(into.data(), from.data());
  std::vector<Slot> out = Emit(acc, into);
  DOUBLES_EQUAL(1, out[0].f64, 0);  // a's row arrived first
  DOUBLES_EQUAL(2, out[1].f64, 0);  // b's row last
}

TEST(AccumulatorMerge, SketchCountsSaturate) {
  Accumulators acc = ParseOk({"p50(temp)", "p99(temp)"});
  std::vector<Row> rows(2);
  rows[0].temp = 1;
  rows[1].temp = 100;
  State s = Feed(acc, rows);
  for (int doubling = 0; doubling < 40; ++doubling) {
    State copy = s;
    acc.Merge(s.data(), copy.data());
  }
  // Both buckets hold 2^32 - 1: still the lower and the upper value.
  std::vector<Slot> out = Emit(acc, s);
  CHECK_WITHIN_1_PERCENT(1, out[0].f64);
  CHECK_WITHIN_1_PERCENT(100, out[1].f64);
  CHECK(s[0].i64 == int64_t{2} << 40);
}

// ---------------------------------------------------------------------------
// count_distinct accuracy

TEST_GROUP(AccumulatorDistinct){};

namespace {

// Estimates of `distinct` distinct i64 values, each added `repeat` times.
int64_t EstimateDistinct(uint64_t distinct, uint64_t seed, int repeat = 1) {
  Accumulators acc = ParseOk({"count_distinct(count)"});
  State s = Empty(acc);
  Slot row[kWidth] = {};
  for (int r = 0; r < repeat; ++r) {
    for (uint64_t i = 0; i < distinct; ++i) {
      // A bijection of i: distinct inputs stay distinct.
      row[kCount].i64 = static_cast<int64_t>(i * 0x9E3779B97F4A7C15ull + seed);
      acc.Update(s.data(), row);
    }
  }
  return Emit(acc, s)[0].i64;
}

}  // namespace

TEST(AccumulatorDistinct, WithinThreeStandardErrors) {
  const uint64_t sizes[] = {100, 10000, 1000000};
  for (uint64_t n : sizes) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const double estimate = static_cast<double>(EstimateDistinct(n, seed * 7919));
      const double error = std::fabs(estimate - static_cast<double>(n)) / static_cast<double>(n);
      std::string text = std::to_string(n) + " distinct, seed " + std::to_string(seed) +
                         ": estimate " + std::to_string(estimate);
      CHECK_TEXT(error <= 3 * Accumulators::kDistinctStandardError, text.c_str());
    }
  }
}

TEST(AccumulatorDistinct, IndependentOfTheHashThatRoutesKeys) {
  // Only values that key_by would send to instance 0 of 4 (the top bits of
  // their key hash, as core/runtime/ring_io.h): an instance counting the
  // field it is partitioned by must still use every register.
  Accumulators acc = ParseOk({"count_distinct(count)"});
  State s = Empty(acc);
  Slot row[kWidth] = {};
  int64_t kept = 0;
  for (int64_t v = 0; kept < 20000; ++v) {
    Slot key;
    key.i64 = v;
    const uint64_t hash = runnel::schema::HashSlots(&key, 1);
    if ((((hash >> 32) * 4) >> 32) != 0) continue;
    row[kCount].i64 = v;
    acc.Update(s.data(), row);
    ++kept;
  }
  const double estimate = static_cast<double>(Emit(acc, s)[0].i64);
  CHECK_TEXT(std::fabs(estimate - 20000) <= 3 * Accumulators::kDistinctStandardError * 20000,
             std::to_string(estimate).c_str());
}

TEST(AccumulatorDistinct, RepeatsDoNotCount) {
  LONGS_EQUAL(EstimateDistinct(5000, 3), EstimateDistinct(5000, 3, /*repeat=*/4));
}

TEST(AccumulatorDistinct, StandardErrorConstant) {
  DOUBLES_EQUAL(1.04 / std::sqrt(static_cast<double>(Accumulators::kDistinctRegisters)),
                Accumulators::kDistinctStandardError, 0.0001);
}

// ---------------------------------------------------------------------------
// Quantile accuracy

TEST_GROUP(AccumulatorQuantiles) {
  // quantile(temp, q) for q = 0.001, 0.01, 0.02, ..., 0.99, 0.999: one
  // shared sketch.
  std::vector<std::string> items;
  std::vector<double> qs;

  void setup() override {
    qs = {0.001};
    items = {"quantile(temp, 0.001)"};
    for (int p = 1; p <= 99; ++p) {
      char text[8];
      std::snprintf(text, sizeof(text), "0.%02d", p);
      items.push_back(std::string("quantile(temp, ") + text + ")");
      qs.push_back(p / 100.0);
    }
    items.push_back("quantile(temp, 0.999)");
    qs.push_back(0.999);
  }

  // Checks every q; returns how many were in kept buckets. p50, p90 and
  // p99 must be.
  int CheckAll(const std::vector<double>& values, const std::string& label) {
    Accumulators acc = ParseOk(items);
    LONGS_EQUAL(1 + 260, acc.state_slots());
    State s = Empty(acc);
    Slot row[kWidth] = {};
    for (double v : values) {
      row[kTemp].f64 = v;
      acc.Update(s.data(), row);
    }
    std::vector<Slot> out = Emit(acc, s);
    std::vector<double> sorted = values;
    std::sort(sorted.begin(), sorted.end());
    KeptRange kept = Kept(values);
    int within = 0;
    for (size_t i = 0; i < qs.size(); ++i) {
      bool bounded = CheckQuantile(out[i].f64, sorted, kept, qs[i], label);
      within += bounded;
      if (i == 50 || i == 90 || i == 99) {
        CHECK_TEXT(bounded, (label + " p" + std::to_string(i)).c_str());
      }
    }
    return within;
  }

  std::vector<double> Draw(size_t n, uint64_t seed, double (*draw)(std::mt19937_64&)) {
    std::mt19937_64 rng(seed);
    std::vector<double> v(n);
    for (double& x : v) x = draw(rng);
    return v;
  }
};

TEST(AccumulatorQuantiles, UniformPositive) {
  // [0, 100): values near 0 collapse, everything from ~0.004 up is kept.
  auto v = Draw(100000, 1, [](std::mt19937_64& r) {
    return std::uniform_real_distribution<double>(0, 100)(r);
  });
  LONGS_EQUAL(101, CheckAll(v, "uniform [0, 100)"));
}

TEST(AccumulatorQuantiles, UniformAcrossZero) {
  auto v = Draw(100000, 2, [](std::mt19937_64& r) {
    return std::uniform_real_distribution<double>(-40, 10)(r);
  });
  CHECK(CheckAll(v, "uniform [-40, 10)") >= 100);
}

TEST(AccumulatorQuantiles, UniformNegativeWithinTheBucketRange) {
  // No collapse at all: every quantile within 1%.
  auto v = Draw(50000, 3, [](std::mt19937_64& r) {
    return std::uniform_real_distribution<double>(-45, -0.5)(r);
  });
  LONGS_EQUAL(101, CheckAll(v, "uniform [-45, -0.5)"));
  CHECK_FALSE(Kept(v).collapsed[1]);
}

TEST(AccumulatorQuantiles, Exponential) {
  auto v = Draw(100000, 4, [](std::mt19937_64& r) {
    return std::exponential_distribution<double>(0.5)(r);
  });
  LONGS_EQUAL(101, CheckAll(v, "exponential"));
}

TEST(AccumulatorQuantiles, NegatedExponential) {
  auto v = Draw(100000, 5, [](std::mt19937_64& r) {
    return -std::exponential_distribution<double>(1)(r);
  });
  LONGS_EQUAL(101, CheckAll(v, "-exponential"));
}

TEST(AccumulatorQuantiles, Lognormal) {
  auto v = Draw(100000, 6, [](std::mt19937_64& r) {
    return std::lognormal_distribution<double>(0, 1)(r);
  });
  LONGS_EQUAL(101, CheckAll(v, "lognormal"));
}

TEST(AccumulatorQuantiles, LognormalOfBothSigns) {
  // Each sign spans ~500x, so each keeps 256 buckets (164x) and collapses
  // the few magnitudes below ~1.
  auto v = Draw(100000, 7, [](std::mt19937_64& r) {
    double x = std::lognormal_distribution<double>(2, 0.7)(r);
    return (r() % 3 == 0) ? -x : x;
  });
  KeptRange kept = Kept(v);
  CHECK(kept.collapsed[0] && kept.collapsed[1]);
  LONGS_EQUAL(101, CheckAll(v, "+-lognormal"));
}

TEST(AccumulatorQuantiles, TemperaturesReadToATenthOfADegree) {
  // About -30 to 55 degrees: both signs need more than 256 buckets, so
  // readings within ~0.2 (below 0) or ~0.35 (above) degrees of 0 are
  // reported as their sign's lowest kept bucket.
  auto v = Draw(100000, 8, [](std::mt19937_64& r) {
    return std::round(std::normal_distribution<double>(12, 10)(r) * 10) / 10;
  });
  CHECK(CheckAll(v, "temperatures") >= 100);
}

TEST(AccumulatorQuantiles, Integers) {
  Accumulators acc = ParseOk({"p50(count)", "p90(count)", "p99(count)", "quantile(count, 0.1)"});
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<int64_t> draw(-1000, 1000);
  std::vector<Row> rows(20000);
  for (Row& r : rows) r.count = draw(rng);
  CheckAgainstReference(acc, rows, "integers");
}

TEST(AccumulatorQuantiles, CollapsedBucketsReportTheLowestKeptBucket) {
  // 1e-6 and 1..100: the sketch cannot span both, so 1e-6 is reported in
  // the lowest kept bucket, above 1e-6 but below 1.
  Accumulators acc = ParseOk({"quantile(temp, 0.001) as lo", "p50(temp)"});
  State s = Empty(acc);
  Slot row[kWidth] = {};
  row[kTemp].f64 = 1e-6;
  for (int i = 0; i < 10; ++i) acc.Update(s.data(), row);
  for (int i = 1; i <= 100; ++i) {
    row[kTemp].f64 = i;
    acc.Update(s.data(), row);
  }
  std::vector<Slot> out = Emit(acc, s);
  CHECK(out[0].f64 > 1e-6);
  CHECK(out[0].f64 < 1);
  CHECK_WITHIN_1_PERCENT(45, out[1].f64);  // rank floor(0.5 * 109) = 54: 45
}

// ---------------------------------------------------------------------------
// Parse errors

TEST_GROUP(AccumulatorParse){};

TEST(AccumulatorParse, QuantileOutsideZeroToOne) {
  const char* bad[] = {"0", "1", "1.5", "-0.5", "0.0", "1e3"};
  for (const char* q : bad) {
    std::string message = ParseError({"count()", std::string("quantile(temp, ") + q + ")"});
    STRCMP_CONTAINS("[1]: quantile(temp, ", message.c_str());
    STRCMP_CONTAINS("between 0 and 1, exclusive", message.c_str());
  }
  STRCMP_CONTAINS("must be a number", ParseError({"quantile(temp, 1.2.3)"}).c_str());
}

TEST(AccumulatorParse, QuantileNeedsAFieldAndAQuantile) {
  STRCMP_EQUAL("[0]: quantile() needs a field and a quantile, e.g. quantile(temp, 0.95)",
               ParseError({"quantile(temp)"}).c_str());
  STRCMP_EQUAL("[0]: quantile() needs a field and a quantile, e.g. quantile(temp, 0.95)",
               ParseError({"quantile()"}).c_str());
  STRCMP_CONTAINS("[0]: expected", ParseError({"quantile(temp, count)"}).c_str());
  STRCMP_CONTAINS("[0]: expected", ParseError({"quantile(temp, 0.5, 0.9)"}).c_str());
}

TEST(AccumulatorParse, OnlyQuantileTakesASecondArgument) {
  STRCMP_EQUAL("[0]: p50() takes one field; only quantile() takes a second argument",
               ParseError({"p50(temp, 0.5)"}).c_str());
  STRCMP_EQUAL("[0]: sum() takes one field; only quantile() takes a second argument",
               ParseError({"sum(temp, 2)"}).c_str());
}

TEST(AccumulatorParse, VarianceAndQuantilesNeedNumbers) {
  STRCMP_EQUAL("[0]: var_pop over sym field 'device' (expected an i64 or f64 field)",
               ParseError({"var_pop(device)"}).c_str());
  STRCMP_EQUAL("[1]: variance over ts field 'ts' (expected an i64 or f64 field)",
               ParseError({"count()", "variance(ts)"}).c_str());
  STRCMP_EQUAL("[0]: stddev over bool field 'ok' (expected an i64 or f64 field)",
               ParseError({"stddev(ok)"}).c_str());
  STRCMP_EQUAL("[0]: p99 over sym field 'device' (expected an i64 or f64 field)",
               ParseError({"p99(device)"}).c_str());
  STRCMP_EQUAL("[0]: quantile over ts field 'ts' (expected an i64 or f64 field)",
               ParseError({"quantile(ts, 0.5)"}).c_str());
}

TEST(AccumulatorParse, CountTakesNothingAStarOrOneField) {
  ParseOk({"count()", "count(*) as rows", "count(device) as a", "count(ok) as b"});
  STRCMP_EQUAL("[0]: count() takes at most one field", ParseError({"count(temp, 2)"}).c_str());
  STRCMP_EQUAL("[0]: sum() needs a field, e.g. sum(temp)", ParseError({"sum(*)"}).c_str());
  STRCMP_CONTAINS("[0]: unknown field 'x'", ParseError({"count(x)"}).c_str());
}

TEST(AccumulatorParse, CountDistinctAndFirstLastTakeAnyType) {
  ParseOk({"count_distinct(temp)", "count_distinct(device)", "count_distinct(ts)",
           "count_distinct(ok)", "first(device)", "last(ok)", "first(ts)"});
}

TEST(AccumulatorParse, TheEventTimeFieldMustBeATsField) {
  STRCMP_EQUAL("event-time field 2 is not a ts field of the input (fields: device, ts, temp, "
               "count, ok)",
               ParseError({"first(temp)"}, static_cast<int>(kTemp)).c_str());
  STRCMP_CONTAINS("event-time field 9 is not a ts field", ParseError({"count()"}, 9).c_str());
}

TEST(AccumulatorParse, UnknownFunctionsListTheNewOnes) {
  STRCMP_CONTAINS("count_distinct, p50, p90, p99 or quantile",
                  ParseError({"median(temp)"}).c_str());
}

TEST(AccumulatorParse, DefaultNamesOfEqualQuantilesClash) {
  STRCMP_EQUAL("[1]: field 'p50_temp' appears twice",
               ParseError({"p50(temp)", "quantile(temp, 0.5)"}).c_str());
}
