#include "core/ops/debounce.h"

#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/expr/checker.h"
#include "tests/core/ops/row_ops_testing.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::Result;
using runnel::Status;
using runnel::StatusCode;
using runnel::ops::DebounceOperator;
using runnel::ops::DebounceSpec;
using runnel::state::KeyedTableOptions;
using runnel::state::OverflowPolicy;
using namespace row_ops_testing;

namespace {

constexpr uint32_t kOutWidth = kWidth + 1;  // device, ts, temp, streak, watermark

DebounceSpec Spec(const char* when, uint32_t consecutive, uint32_t repeat_every = 0) {
  DebounceSpec spec;
  spec.key_fields = {kDevice};
  Result<runnel::expr::Expression> condition = runnel::expr::ParseCondition(when, Readings());
  CHECK_TEXT(condition.ok(), condition.status().message().c_str());
  spec.condition = condition.value();
  spec.consecutive = consecutive;
  spec.repeat_every = repeat_every;
  return spec;
}

KeyedTableOptions Table(uint32_t capacity, OverflowPolicy policy = OverflowPolicy::kFail) {
  KeyedTableOptions t;
  t.capacity = capacity;
  t.policy = policy;
  return t;
}

// "device@ts_ms#streak" per emitted row.
std::string Emitted(const RowBatch& out, const SymbolTable& symbols) {
  std::vector<std::string> keys = Keys(out, symbols);
  for (uint32_t r = 0; r < out.size(); ++r) {
    keys[r] += "#" + std::to_string(out.row(r)[3].i64);
  }
  return Join(keys);
}

}  // namespace

TEST_GROUP(Debounce) {
  SymbolTable symbols{1024, 1 << 16};
  ManualClock clock{0};

  std::unique_ptr<DebounceOperator> Make(const DebounceSpec& spec,
                                         KeyedTableOptions table = Table(16)) {
    auto op = DebounceOperator::Make(Readings(), kWidth, spec, table, &symbols, &clock);
    CHECK_TEXT(op.ok(), op.status().message().c_str());
    return std::move(op.value());
  }

  std::string Run(DebounceOperator* op, const std::vector<Reading>& readings,
                  Status* status = nullptr) {
    RowBatch in(kWidth, 600), out(kOutWidth, 600);
    Fill(readings, &symbols, &in);
    Status s = op->Process(in, &out);
    if (status) {
      *status = s;
    } else {
      CHECK_TEXT(s.ok(), s.message().c_str());
    }
    return Emitted(out, symbols);
  }
};

TEST(Debounce, EmitsAfterConsecutiveRowsOncePerStreak) {
  auto op = Make(Spec("temp > 30", 3));
  // a: two above, one at the limit (resets), then four above: one alert at
  // the third. b interleaves and never gets three.
  STRCMP_EQUAL("a@7#3",
               Run(op.get(), {{"a", 1, 31}, {"b", 1, 35}, {"a", 2, 32}, {"a", 3, 30},
                              {"b", 2, 36}, {"a", 5, 31}, {"a", 6, 31}, {"b", 3, 20},
                              {"a", 7, 33}, {"a", 8, 34}})
                   .c_str());
  // The streak carries over batches; a failing row frees the key's entry.
  STRCMP_EQUAL("", Run(op.get(), {{"a", 9, 35}, {"b", 4, 31}}).c_str());
  LONGS_EQUAL(2, op->metrics().state_entries);
  STRCMP_EQUAL("", Run(op.get(), {{"a", 10, 10}, {"b", 5, 10}}).c_str());
  LONGS_EQUAL(0, op->metrics().state_entries);
  STRCMP_EQUAL("a@13#3", Run(op.get(), {{"a", 11, 31}, {"a", 12, 31}, {"a", 13, 31}}).c_str());
}

TEST(Debounce, FootprintIsKnownBeforehand) {
  DebounceSpec spec = Spec("temp > 30", 3);
  auto op = Make(spec, Table(100));
  LONGS_EQUAL(DebounceOperator::FootprintBytes(spec, Table(100)), op->footprint_bytes());
}

TEST(Debounce, RepeatEveryReArmsWhileTheConditionHolds) {
  auto op = Make(Spec("temp > 30", 2, 3));
  std::vector<Reading> hot;
  for (int t = 1; t <= 9; ++t) hot.push_back({"a", t, 40});
  STRCMP_EQUAL("a@2#2 a@5#5 a@8#8", Run(op.get(), hot).c_str());
}

TEST(Debounce, ConsecutiveOneEmitsEveryRowThatHolds) {
  auto op = Make(Spec("temp > 30 and device == 'a'", 1, 1));
  STRCMP_EQUAL("a@1#1 a@2#2",
               Run(op.get(), {{"a", 1, 31}, {"b", 1, 31}, {"a", 2, 31}, {"a", 3, 1}}).c_str());
}

TEST(Debounce, OutputRowsKeepFieldsAndWatermark) {
  auto op = Make(Spec("temp > 30", 1));
  RowBatch in(kWidth, 4), out(kOutWidth, 4);
  Fill({{"a", 7, 31.5}}, &symbols, &in);
  CHECK(op->Process(in, &out).ok());
  LONGS_EQUAL(1, out.size());
  LONGS_EQUAL(7 * kMs, out.row(0)[kTs].i64);
  DOUBLES_EQUAL(31.5, out.row(0)[kTemp].f64, 0);
  LONGS_EQUAL(1, out.row(0)[3].i64);
  LONGS_EQUAL(7 * kMs - 1, out.row(0)[4].i64);
}

TEST(Debounce, ConditionsSpanChunksOfRows) {
  // More rows than one evaluation chunk (256): streaks cross chunk borders.
  auto op = Make(Spec("temp > 30", 100));
  std::vector<Reading> rows;
  for (int t = 0; t < 550; ++t) rows.push_back({"a", t, t == 300 ? 0.0 : 40.0});
  // Streak 1 at t=0 reaches 100 at t=99; reset at 300; t=301..400 -> 400.
  STRCMP_EQUAL("a@99#100 a@400#100", Run(op.get(), rows).c_str());
}

TEST(Debounce, FullStateFailsOrDrops) {
  auto op = Make(Spec("temp > 30", 2), Table(1));
  Status status;
  Run(op.get(), {{"a", 1, 31}, {"b", 1, 31}}, &status);
  CHECK(status.code() == StatusCode::kResourceExhausted);
  CHECK(status.message().find("raise debounce.state.capacity") != std::string::npos);

  auto dropping = Make(Spec("temp > 30", 2), Table(1, OverflowPolicy::kDropNew));
  STRCMP_EQUAL("a@2#2",
               Run(dropping.get(), {{"a", 1, 31}, {"b", 1, 31}, {"a", 2, 31}, {"b", 2, 31}})
                   .c_str());
  LONGS_EQUAL(2, dropping->metrics().dropped);
}

TEST(Debounce, MakeRefusesAnUncheckedCondition) {
  DebounceSpec spec;
  auto op = DebounceOperator::Make(Readings(), kWidth, spec, Table(4), &symbols, &clock);
  CHECK_FALSE(op.ok());
}
