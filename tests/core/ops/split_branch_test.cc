#include "core/ops/split_branch.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/expr/checker.h"
#include "core/ops/filter.h"
#include "core/schema/symbol_table.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::Result;
using runnel::Status;
using runnel::StatusCode;
using Comparison = runnel::expr::Expression;
using runnel::ops::FilterOperator;
using runnel::ops::SplitBranchOperator;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

constexpr uint32_t kBatchRows = 32;

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"seq", FieldType::kI64, TimeUnit::kMs}});
}

Comparison Parse(const char* text) {
  auto c = runnel::expr::ParseCondition(text, Readings());
  CHECK_TEXT(c.ok(), c.status().message().c_str());
  return c.value();
}

// The `seq` values of `batch`, in order.
std::vector<int64_t> Seqs(const RowBatch& batch) {
  std::vector<int64_t> seqs;
  for (uint32_t i = 0; i < batch.size(); ++i) seqs.push_back(batch.row(i)[2].i64);
  return seqs;
}

}  // namespace

TEST_GROUP(SplitBranch) {
  SymbolTable symbols{16, 256};
  RowBatch in{3, kBatchRows};
  RowBatch out{3, kBatchRows};
  std::vector<double> temps;  // by seq

  void Add(const char* device, double temp) {
    Slot* row = in.Append();
    uint32_t id;
    CHECK(symbols.Intern(device, &id));
    row[0].i64 = id;
    row[1].f64 = temp;
    row[2].i64 = static_cast<int64_t>(temps.size());
    temps.push_back(temp);
  }

  void AddReadings() {
    const double kTemps[] = {35.0, 5.0, 20.0, 30.0, 10.0, 31.5, 9.99,
                             std::nan(""), -std::numeric_limits<double>::infinity(), 100.0,
                             30.0001, 0.0};
    int i = 0;
    for (double t : kTemps) Add(i++ % 2 == 0 ? "dev-1" : "dev-2", t);
  }

  std::unique_ptr<SplitBranchOperator> Branch(const std::vector<const char*>& earlier,
                                              const char* own) {
    std::vector<Comparison> before;
    for (const char* e : earlier) before.push_back(Parse(e));
    Comparison mine;
    if (own != nullptr) mine = Parse(own);
    auto branch = SplitBranchOperator::Make(before, own != nullptr ? &mine : nullptr,
                                            Readings().size(), &symbols, kBatchRows);
    CHECK_TEXT(branch.ok(), branch.status().message().c_str());
    return std::move(branch.value());
  }

  // Runs `op` over `in`; returns the seqs it kept.
  std::vector<int64_t> Run(runnel::runtime::Operator* op) {
    out.Clear();
    Status status = op->Process(in, &out);
    CHECK_TEXT(status.ok(), status.message().c_str());
    return Seqs(out);
  }
};

TEST(SplitBranch, ThreeBranchesTakeEveryRowExactlyOnceInOrder) {
  AddReadings();
  auto hot = Branch({}, "temp > 30");
  auto cold = Branch({"temp > 30"}, "temp < 10");
  auto rest = Branch({"temp > 30", "temp < 10"}, nullptr);

  std::vector<int64_t> got_hot = Run(hot.get());
  std::vector<int64_t> got_cold = Run(cold.get());
  std::vector<int64_t> got_rest = Run(rest.get());

  std::vector<int64_t> want_hot, want_cold, want_rest;
  for (size_t i = 0; i < temps.size(); ++i) {
    double t = temps[i];
    int64_t seq = static_cast<int64_t>(i);
    if (t > 30) {
      want_hot.push_back(seq);
    } else if (t < 10) {
      want_cold.push_back(seq);
    } else {
      want_rest.push_back(seq);  // includes NaN, 30 and 10
    }
  }
  // The expectation is not vacuous.
  LONGS_EQUAL(4, want_hot.size());   // 35, 31.5, 100, 30.0001
  LONGS_EQUAL(4, want_cold.size());  // 5, 9.99, -inf, 0
  LONGS_EQUAL(4, want_rest.size());  // 20, 30, 10, NaN
  CHECK(want_hot == got_hot);
  CHECK(want_cold == got_cold);
  CHECK(want_rest == got_rest);

  // Every row once across the branches.
  std::vector<int> times(temps.size(), 0);
  for (auto* seqs : {&got_hot, &got_cold, &got_rest}) {
    for (int64_t s : *seqs) ++times[static_cast<size_t>(s)];
  }
  for (size_t i = 0; i < times.size(); ++i) LONGS_EQUAL_TEXT(1, times[i], std::to_string(i).c_str());
}

TEST(SplitBranch, RowsAreCopiedWhole) {
  AddReadings();
  auto rest = Branch({"temp > 30", "temp < 10"}, nullptr);
  Run(rest.get());
  for (uint32_t i = 0; i < out.size(); ++i) {
    const Slot* row = out.row(i);
    const Slot* source = in.row(static_cast<uint32_t>(row[2].i64));
    MEMCMP_EQUAL(source, row, sizeof(Slot) * 3);
  }
}

TEST(SplitBranch, ALoneDefaultBranchPassesEverything) {
  AddReadings();
  auto all = Branch({}, nullptr);
  std::vector<int64_t> got = Run(all.get());
  LONGS_EQUAL(temps.size(), got.size());
  for (size_t i = 0; i < got.size(); ++i) LONGS_EQUAL(i, got[i]);
  MEMCMP_EQUAL(in.row(0), out.row(0), sizeof(Slot) * 3 * in.size());
}

TEST(SplitBranch, EmptyInputGivesEmptyOutput) {
  auto rest = Branch({"temp > 30", "temp < 10"}, nullptr);
  LONGS_EQUAL(0, Run(rest.get()).size());
  auto all = Branch({}, nullptr);
  LONGS_EQUAL(0, Run(all.get()).size());
}

TEST(SplitBranch, SymbolBranchesAndTheRest) {
  AddReadings();
  auto one = Branch({}, "device == 'dev-1'");
  auto others = Branch({"device == 'dev-1'"}, nullptr);
  std::vector<int64_t> got_one = Run(one.get());
  std::vector<int64_t> got_others = Run(others.get());
  LONGS_EQUAL(6, got_one.size());
  LONGS_EQUAL(6, got_others.size());
  for (int64_t s : got_one) LONGS_EQUAL(0, s % 2);
  for (int64_t s : got_others) LONGS_EQUAL(1, s % 2);
}

TEST(SplitBranch, ALaterBranchWithItsOwnConditionAfterTwoEarlierOnes) {
  AddReadings();
  // Branches: temp > 30 | temp < 10 | temp == 30 | rest
  auto thirty = Branch({"temp > 30", "temp < 10"}, "temp == 30");
  std::vector<int64_t> got = Run(thirty.get());
  LONGS_EQUAL(1, got.size());
  LONGS_EQUAL(3, got[0]);
}

TEST(SplitBranch, FullBatchesOneAfterAnother) {
  auto rest = Branch({"temp > 30", "temp < 10"}, nullptr);
  for (int round = 0; round < 3; ++round) {
    in.Clear();
    temps.clear();
    // A full batch, all in the middle band except every 4th row.
    while (!in.full()) Add("dev-1", temps.size() % 4 == 0 ? 50.0 + round : 15.0 + round);
    std::vector<int64_t> got = Run(rest.get());
    LONGS_EQUAL(kBatchRows - kBatchRows / 4, got.size());
    for (int64_t s : got) CHECK(s % 4 != 0);
  }
}

TEST(SplitBranch, HiddenSlotsBeyondTheSchemaTravelWithTheRow) {
  // Rows 5 slots wide over a 3-field schema: the scratch batches between
  // the stages must be as wide as the rows.
  const uint32_t kWide = 5;
  std::vector<Comparison> earlier = {Parse("temp > 30"), Parse("temp < 10")};
  Comparison own = Parse("seq != 2");
  auto branch = SplitBranchOperator::Make(earlier, &own, kWide, &symbols, kBatchRows);
  CHECK(branch.ok());
  RowBatch wide_in(kWide, kBatchRows);
  RowBatch wide_out(kWide, kBatchRows);
  for (int64_t i = 0; i < 6; ++i) {
    Slot* row = wide_in.Append();
    row[0].i64 = 0;
    row[1].f64 = 15.0 + static_cast<double>(i);  // all in the middle band
    row[2].i64 = i;
    row[3].i64 = 1000 + i;
    row[4].i64 = -1000 - i;
  }
  CHECK(branch.value()->Process(wide_in, &wide_out).ok());
  LONGS_EQUAL(5, wide_out.size());  // all but seq 2
  for (uint32_t i = 0; i < wide_out.size(); ++i) {
    const Slot* row = wide_out.row(i);
    LONGS_EQUAL(1000 + row[2].i64, row[3].i64);
    LONGS_EQUAL(-1000 - row[2].i64, row[4].i64);
  }
}

TEST(SplitBranch, AFullSymbolTableIsReported) {
  SymbolTable tiny(1, 64);
  uint32_t id;
  CHECK(tiny.Intern("taken", &id));
  std::vector<Comparison> earlier = {Parse("device == 'dev-9'")};
  auto branch = SplitBranchOperator::Make(earlier, nullptr, 3, &tiny, kBatchRows);
  CHECK_FALSE(branch.ok());
  CHECK(branch.status().code() == StatusCode::kResourceExhausted);
}

// ---------------------------------------------------------------------------

TEST_GROUP(NegatedFilter) {
  SymbolTable symbols{16, 256};
  RowBatch in{3, 8};
  RowBatch out{3, 8};

  void Add(const char* device, double temp) {
    Slot* row = in.Append();
    uint32_t id;
    CHECK(symbols.Intern(device, &id));
    row[0].i64 = id;
    row[1].f64 = temp;
    row[2].i64 = in.size() - 1;
  }

  std::vector<int64_t> Keep(const char* condition, bool negate) {
    auto filter = FilterOperator::Make(Parse(condition), &symbols, negate);
    CHECK(filter.ok());
    out.Clear();
    CHECK(filter.value()->Process(in, &out).ok());
    return Seqs(out);
  }

  void setup() override {
    Add("dev-1", 29.5);
    Add("dev-2", 30.0);
    Add("dev-1", 31.25);
    Add("dev-3", std::nan(""));
    Add("dev-2", -5);
  }
};

TEST(NegatedFilter, KeepsExactlyTheRowsThePlainFilterDrops) {
  const char* conditions[] = {"temp >= 30", "temp < 30", "temp == 30", "temp != 30",
                              "device == 'dev-1'", "device != 'dev-2'", "seq > 2"};
  for (const char* c : conditions) {
    std::vector<int64_t> kept = Keep(c, false);
    std::vector<int64_t> dropped = Keep(c, true);
    LONGS_EQUAL_TEXT(in.size(), kept.size() + dropped.size(), c);
    std::vector<int> times(in.size(), 0);
    for (int64_t s : kept) ++times[static_cast<size_t>(s)];
    for (int64_t s : dropped) ++times[static_cast<size_t>(s)];
    for (int t : times) LONGS_EQUAL_TEXT(1, t, c);
    for (size_t i = 1; i < dropped.size(); ++i) CHECK_TEXT(dropped[i - 1] < dropped[i], c);
  }
}

TEST(NegatedFilter, SpecificRows) {
  std::vector<int64_t> got = Keep("temp >= 30", true);
  // 29.5, NaN (no ordered comparison holds for NaN), -5
  LONGS_EQUAL(3, got.size());
  LONGS_EQUAL(0, got[0]);
  LONGS_EQUAL(3, got[1]);
  LONGS_EQUAL(4, got[2]);
  got = Keep("device == 'dev-2'", true);
  LONGS_EQUAL(3, got.size());
  LONGS_EQUAL(0, got[0]);
  LONGS_EQUAL(2, got[1]);
  LONGS_EQUAL(3, got[2]);
}

TEST(NegatedFilter, NeverSeenSymbolKeepsEverything) {
  LONGS_EQUAL(5, Keep("device == 'dev-none'", true).size());
}
