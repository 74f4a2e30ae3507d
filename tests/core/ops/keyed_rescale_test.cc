// Keyed row operators keep their results across a change of parallelism
// (docs/STATE.md, Changing parallelism): aggregates, dedupe (keyed by the
// stream's key and a field of its own, routed by the stream's key alone)
// and debounce run a random stream split by key over N instances, which
// are snapshotted; each snapshot is restored into a fresh operator whose
// keys MoveStateTo spreads over M new instances, which get the rest of the
// stream. All output together equals one uninterrupted operator's.
#include <algorithm>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/expr/checker.h"
#include "core/ops/aggregate.h"
#include "core/ops/debounce.h"
#include "core/ops/dedupe.h"
#include "core/runtime/state_buffer.h"
#include "core/schema/row_hash.h"
#include "tests/core/ops/row_ops_testing.h"
#include "tests/testing/checkpoint_records.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::runtime::Operator;
using runnel::runtime::StateBuffer;
using runnel::state::KeyedTableOptions;
using namespace row_ops_testing;

namespace {

using MakeOperator = std::function<std::unique_ptr<Operator>()>;

// 3000 readings of 40 devices, temperatures in half degrees (repeats for
// dedupe, streaks above 25 for debounce).
std::vector<Reading> Stream(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Reading> rows;
  for (int i = 0; i < 3000; ++i) {
    rows.push_back({"d" + std::to_string(rng() % 40), 1000 + i,
                    20 + static_cast<double>(rng() % 21) / 2});
  }
  return rows;
}

// Runs `rows` through the instance of `ops` each device goes to; appends
// every output row (all `width` slots) as text to *out.
void Run(const std::vector<Reading>& rows, const std::vector<Operator*>& ops, uint32_t width,
         SymbolTable* symbols, std::vector<std::string>* out) {
  RowBatch in(kWidth, 1);
  RowBatch produced(width, 1);
  for (const Reading& reading : rows) {
    in.Clear();
    Fill({reading}, symbols, &in);
    const uint64_t hash = runnel::schema::HashSlots(in.row(0) + kDevice, 1);
    produced.Clear();
    CHECK(ops[runnel::schema::InstanceOf(hash, ops.size())]->Process(in, &produced).ok());
    for (uint32_t r = 0; r < produced.size(); ++r) {
      std::string text;
      for (uint32_t s = 0; s < width; ++s) text += std::to_string(produced.row(r)[s].i64) + " ";
      out->push_back(text);
    }
  }
}

void Drain(const std::vector<Operator*>& ops, uint32_t width, std::vector<std::string>* out) {
  RowBatch produced(width, 64);
  for (Operator* op : ops) {
    for (bool done = false; !done;) {
      produced.Clear();
      CHECK(op->Drain(&produced, &done).ok());
      for (uint32_t r = 0; r < produced.size(); ++r) {
        std::string text;
        for (uint32_t s = 0; s < width; ++s) text += std::to_string(produced.row(r)[s].i64) + " ";
        out->push_back(text);
      }
    }
  }
}

std::vector<Operator*> Pointers(const std::vector<std::unique_ptr<Operator>>& ops) {
  std::vector<Operator*> pointers;
  for (const auto& op : ops) pointers.push_back(op.get());
  return pointers;
}

// Every output row, sorted, of the stream run uninterrupted and of it run
// by `from` instances up to row 1200 and `to` instances after.
std::string Output(const MakeOperator& make, uint32_t width, uint32_t from, uint32_t to,
                   uint64_t seed) {
  SymbolTable symbols(1024, 1 << 16);
  const std::vector<Reading> rows = Stream(seed);
  std::vector<std::string> out;
  if (from == 0) {
    std::vector<std::unique_ptr<Operator>> one;
    one.push_back(make());
    Run(rows, Pointers(one), width, &symbols, &out);
    Drain(Pointers(one), width, &out);
  } else {
    const std::vector<Reading> head(rows.begin(), rows.begin() + 1200);
    const std::vector<Reading> tail(rows.begin() + 1200, rows.end());
    std::vector<std::unique_ptr<Operator>> before;
    for (uint32_t i = 0; i < from; ++i) {
      before.push_back(make());
      before.back()->PrepareCheckpoints();
    }
    Run(head, Pointers(before), width, &symbols, &out);
    std::vector<std::unique_ptr<Operator>> after;
    for (uint32_t i = 0; i < to; ++i) after.push_back(make());
    const std::vector<Operator*> targets = Pointers(after);
    for (uint32_t i = 0; i < from; ++i) {
      StateBuffer buffer(before[i]->checkpoint_bytes());
      CHECK(before[i]->Snapshot(/*full=*/true, &buffer));
      runnel::testing::CheckpointRecords saved;
      runnel::testing::KeepLatest(buffer, &saved);
      std::unique_ptr<Operator> restored = targets[0]->NewInstance();
      CHECK(restored != nullptr);
      for (const auto& [key, value] : saved) CHECK(restored->RestoreEntry(key, value).ok());
      CHECK(restored->FinishRestore().ok());
      const auto moved = restored->MoveStateTo(targets.data(), to, i == 0);
      CHECK_TEXT(moved.ok(), moved.message().c_str());
    }
    Run(tail, targets, width, &symbols, &out);
    Drain(targets, width, &out);
  }
  std::sort(out.begin(), out.end());
  std::string text;
  for (const std::string& line : out) text += line + "\n";
  return text;
}

void CheckEveryChange(const MakeOperator& make, uint32_t width) {
  const uint32_t changes[][2] = {{1, 3}, {2, 3}, {3, 2}, {2, 1}};
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const std::string expected = Output(make, width, 0, 0, seed);
    for (const auto& change : changes) {
      STRCMP_EQUAL_TEXT(expected.c_str(), Output(make, width, change[0], change[1], seed).c_str(),
                        (std::to_string(change[0]) + " -> " + std::to_string(change[1]) +
                         ", seed " + std::to_string(seed))
                            .c_str());
    }
  }
}

KeyedTableOptions Table() {
  KeyedTableOptions table;
  table.capacity = 64;
  return table;
}

}  // namespace

TEST_GROUP(KeyedRescale) {
  ManualClock clock{0};
  SymbolTable constants{1024, 1 << 16};
};

TEST(KeyedRescale, AggregatesContinueInTheirKeysNewInstances) {
  auto accumulators =
      runnel::ops::Accumulators::Parse({"count() as n", "sum(temp) as total"}, Readings());
  CHECK(accumulators.ok());
  KeyedTableOptions table = Table();
  table.value_slots = accumulators.value().state_slots();
  CheckEveryChange(
      [&] {
        return std::make_unique<runnel::ops::AggregateOperator>(
            runnel::schema::KeyFields(Readings(), {kDevice}), accumulators.value(),
            /*emit_final=*/false, table, &clock);
      },
      3);
}

TEST(KeyedRescale, DedupeKeyedByMoreThanTheStreamKeyFollowsTheStreamKey) {
  runnel::ops::DedupeSpec spec;
  spec.key_fields = {kDevice, kTemp};
  spec.stream_key_fields = 1;
  KeyedTableOptions table = Table();
  table.capacity = 1024;
  CheckEveryChange(
      [&] { return std::make_unique<runnel::ops::DedupeOperator>(Readings(), spec, table, &clock); },
      kWidth);
}

TEST(KeyedRescale, DebounceStreaksContinueInTheirKeysNewInstances) {
  runnel::ops::DebounceSpec spec;
  spec.key_fields = {kDevice};
  auto condition = runnel::expr::ParseCondition("temp > 25", Readings());
  CHECK(condition.ok());
  spec.condition = condition.value();
  spec.consecutive = 2;
  spec.repeat_every = 3;
  CheckEveryChange(
      [&]() -> std::unique_ptr<Operator> {
        auto op = runnel::ops::DebounceOperator::Make(Readings(), kWidth, spec, Table(),
                                                      &constants, &clock);
        CHECK(op.ok());
        return std::move(op.value());
      },
      kWidth + 1);
}
