// Expressions do not allocate after planning: a Program evaluating every
// kind of instruction, a FilterOperator and a ProjectOperator with computed
// fields run many batches with every malloc counted, and the count must be
// zero.
//
// Allocations are counted by //tests/testing:allocation_counter (its own
// binary: the counter replaces malloc).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/expr/checker.h"
#include "core/expr/compiler.h"
#include "core/expr/program.h"
#include "core/ops/filter.h"
#include "core/ops/project.h"
#include "core/schema/symbol_table.h"
#include "tests/testing/allocation_counter.h"


// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

constexpr uint32_t kBatchRows = 1024;

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"count", FieldType::kI64, TimeUnit::kMs},
                 {"ok", FieldType::kBool, TimeUnit::kMs}});
}

// Every opcode at least once.
const char* const kExpressions[] = {
    "(count + 1 - 2) * 3 / (count % 7) + -count",
    "temp + count - temp * 2 / (temp % 3) + -temp",
    "i64(temp) + i64(ts) + f64(count) + f64(ts)",
    "count == 1 or count != 2 and count < 3 or count <= 4 or count > 5 or count >= 6",
    "temp == 1 or temp != 2 and temp < 3 or temp <= 4 or temp > 5 or not (temp >= 6)",
    "count is null or temp is not null or device is null",
    "device in ('dev-1', 'dev-3') or count in (1, 2) or temp in (1.5, 2)",
    "if(ok, abs(count), min(count, 3, max(count, 1)))",
    "abs(temp) + min(temp, 1) + max(temp, 2) + round(temp) + floor(temp) + ceil(temp)",
    "sqrt(temp) + log(temp) + exp(temp / 100) + pow(temp, 2)",
    "year(ts) + month(ts) + day(ts) + hour(ts) + minute(ts) + second(ts) + day_of_week(ts)",
};

TEST_GROUP(ExpressionAllocations) {
  SymbolTable symbols{64, 4096};
  RowBatch in{5, kBatchRows};

  void setup() override {
    uint32_t ids[3];
    CHECK(symbols.Intern("dev-1", &ids[0]));
    CHECK(symbols.Intern("dev-2", &ids[1]));
    CHECK(symbols.Intern("dev-3", &ids[2]));
    for (uint32_t r = 0; r < kBatchRows; ++r) {
      Slot* row = in.Append();
      row[0].i64 = ids[r % 3];
      row[1].i64 = (1700000000000LL + r * 997) * 1000000;
      row[2].f64 = (r % 50) * 0.75 - 3;
      row[3].i64 = static_cast<int64_t>(r % 11) - 2;
      row[4].i64 = r % 2;
    }
  }

  void teardown() override { runnel::testing::StopCountingAllocations(); }
};

}  // namespace

TEST(ExpressionAllocations, ProgramsFiltersAndProjectionsNeverAllocateWhileRunning) {
  std::vector<runnel::expr::Program> programs;
  for (const char* text : kExpressions) {
    auto e = runnel::expr::ParseExpression(text, Readings());
    CHECK_TEXT(e.ok(), e.status().message().c_str());
    auto p = runnel::expr::Compile(e.value(), &symbols);
    CHECK(p.ok());
    programs.push_back(std::move(p.value()));
  }
  auto condition = runnel::expr::ParseCondition(
      "device != 'dev-2' and (temp > 10 or count in (1, 3)) and hour(ts) >= 0", Readings());
  CHECK(condition.ok());
  auto filter = runnel::ops::FilterOperator::Make(condition.value(), &symbols);
  CHECK(filter.ok());
  auto projection = runnel::ops::ParseProjection(
      {"device", "temp * 1.8 + 32 as temp_f", "count / 0 as nothing", "if(ok, 'yes', device) as s"},
      Readings());
  CHECK_TEXT(projection.ok(), projection.status().message().c_str());
  auto project = runnel::ops::ProjectOperator::Make(projection.value(), -1, &symbols);
  CHECK(project.ok());
  std::vector<Slot> results(kBatchRows);
  RowBatch filtered(5, kBatchRows);
  RowBatch projected(4, kBatchRows);

  bool all_ok = true;
  for (int round = 0; round < 51; ++round) {
    if (round == 1) {  // after one warm-up round
      runnel::testing::StartCountingAllocations();
    }
    for (auto& p : programs) p.Evaluate(in, results.data(), 1);
    filtered.Clear();
    all_ok &= filter.value()->Process(in, &filtered).ok();
    projected.Clear();
    all_ok &= project.value()->Process(in, &projected).ok();
  }
  const uint64_t allocations = runnel::testing::StopCountingAllocations();

  CHECK(all_ok);
  CHECK(filtered.size() > 0 && filtered.size() < kBatchRows);
  LONGS_EQUAL(kBatchRows, projected.size());
  LONGS_EQUAL(0, allocations);
}

TEST(ExpressionAllocations, TheCounterSeesAnAllocation) {
  runnel::testing::StartCountingAllocations();
  std::string* s = new std::string(100, 'x');
  const uint64_t counted = runnel::testing::StopCountingAllocations();
  delete s;
  if (runnel::testing::kCountsAllocations) CHECK(counted > 0);
}
