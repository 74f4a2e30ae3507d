#include "core/ops/process_operator.h"

#include <climits>
#include <cstdint>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/process_registry.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::Result;
using runnel::Status;
using runnel::StatusCode;
using runnel::ops::Field;
using runnel::ops::ProcessContext;
using runnel::ops::ProcessOperator;
using runnel::ops::TimeDomain;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::TimeUnit;
using runnel::state::KeyedTableOptions;
using runnel::state::OverflowPolicy;

namespace {

// Input rows: (key i64, ts ns, value i64). Output rows: (key, time, tag)
// where tag is 0 for an element, 1 for an event-time timer, 2 for a
// processing-time timer.
Schema Input() {
  return Schema({{"key", FieldType::kI64, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kNs},
                 {"value", FieldType::kI64, TimeUnit::kMs}});
}

// Counts rows per key in state; value 1 sets an event-time timer at ts+10,
// value 2 a processing-time timer at now+100, value 3 deletes the event-time
// timer at ts+10, value 4 emits twice, value 5 clears the state.
struct Recorder {
  static constexpr uint32_t kStateSlots = 1;
  Field<int64_t> key{0}, ts{1}, value{2};

  Result<Schema> Open(const Schema& input) { return input; }

  void ProcessElement(const Slot* row, ProcessContext& ctx) {
    Slot* count = ctx.state();
    if (count != nullptr) ++count[0].i64;
    switch (value.Get(row)) {
      case 1: ctx.RegisterTimer(TimeDomain::kEventTime, ts.Get(row) + 10); break;
      case 2: ctx.RegisterTimer(TimeDomain::kProcessingTime, ctx.processing_time_ms() + 100); break;
      case 3: ctx.DeleteTimer(TimeDomain::kEventTime, ts.Get(row) + 10); break;
      case 4: Emit(ctx, ts.Get(row), 0); break;
      case 5: ctx.ClearState(); return;
      default: break;
    }
    Emit(ctx, ts.Get(row), 0);
  }

  void OnTimer(int64_t time, TimeDomain domain, ProcessContext& ctx) {
    Emit(ctx, time, domain == TimeDomain::kEventTime ? 1 : 2);
  }

  static void Emit(ProcessContext& ctx, int64_t time, int64_t tag) {
    Slot* out = ctx.Emit();
    if (out == nullptr) return;
    out[0].i64 = ctx.key()[0].i64;
    out[1].i64 = time;
    out[2].i64 = tag;
  }
};

}  // namespace

TEST_GROUP(ProcessOperator) {
  ManualClock clock{1000};
  RowBatch in{3, 8};
  RowBatch out{3, 8};

  std::unique_ptr<ProcessOperator<Recorder>> Make(uint32_t capacity = 16,
                                                  OverflowPolicy policy = OverflowPolicy::kFail,
                                                  uint32_t timers = 16) {
    KeyedTableOptions table;
    table.capacity = capacity;
    table.key_slots = 1;
    table.value_slots = Recorder::kStateSlots;
    table.policy = policy;
    return std::make_unique<ProcessOperator<Recorder>>(
        Recorder{}, runnel::schema::KeyFields(Input(), {0}), table, timers, &clock);
  }

  void Add(int64_t key, int64_t ts, int64_t value) {
    Slot* row = in.Append();
    row[0].i64 = key;
    row[1].i64 = ts;
    row[2].i64 = value;
  }

  // (key, time, tag) of output row i.
  std::string Row(uint32_t i) {
    return std::to_string(out.row(i)[0].i64) + "," + std::to_string(out.row(i)[1].i64) + "," +
           std::to_string(out.row(i)[2].i64);
  }
};

TEST(ProcessOperator, SeesEachRowWithItsKeysState) {
  auto op = Make();
  Add(7, 100, 0);
  Add(8, 101, 0);
  Add(7, 102, 0);
  CHECK(op->Process(in, &out).ok());
  LONGS_EQUAL(3, out.size());
  STRCMP_EQUAL("7,102,0", Row(2).c_str());
  LONGS_EQUAL(2, op->metrics().state_entries);
}

TEST(ProcessOperator, EventTimeTimersFireAtTheEndInTimeOrderOncePerKeyAndTime) {
  auto op = Make();
  Add(1, 500, 1);  // timer 510
  Add(2, 100, 1);  // timer 110
  Add(1, 500, 1);  // same key and time: one timer
  Add(3, 100, 1);  // 110 again, another key: after key 2's
  CHECK(op->Process(in, &out).ok());
  out.Clear();
  bool done = false;
  CHECK(op->Drain(&out, &done).ok());
  CHECK(done);
  LONGS_EQUAL(3, out.size());
  STRCMP_EQUAL("2,110,1", Row(0).c_str());
  STRCMP_EQUAL("3,110,1", Row(1).c_str());
  STRCMP_EQUAL("1,510,1", Row(2).c_str());
}

TEST(ProcessOperator, DeletedTimersDoNotFire) {
  auto op = Make();
  Add(1, 500, 1);
  Add(1, 500, 3);
  CHECK(op->Process(in, &out).ok());
  out.Clear();
  bool done = false;
  CHECK(op->Drain(&out, &done).ok());
  LONGS_EQUAL(0, out.size());
}

TEST(ProcessOperator, ProcessingTimeTimersFireWhenTheClockPassesThem) {
  auto op = Make();
  Add(4, 1, 2);  // timer at 1000 + 100
  CHECK(op->Process(in, &out).ok());
  LONGS_EQUAL(1100, op->next_processing_time_ms());
  out.Clear();
  CHECK(op->OnProcessingTime(1099, &out).ok());
  LONGS_EQUAL(0, out.size());
  CHECK(op->OnProcessingTime(1100, &out).ok());
  LONGS_EQUAL(1, out.size());
  STRCMP_EQUAL("4,1100,2", Row(0).c_str());
  LONGS_EQUAL(INT64_MAX, op->next_processing_time_ms());
}

TEST(ProcessOperator, DrainResumesWhenTheOutputFills) {
  auto op = Make(16, OverflowPolicy::kFail, 32);
  for (int64_t k = 0; k < 8; ++k) Add(k, 100 + k, 1);
  CHECK(op->Process(in, &out).ok());
  RowBatch small(3, 3);
  int fired = 0;
  for (bool done = false; !done;) {
    small.Clear();
    CHECK(op->Drain(&small, &done).ok());
    fired += static_cast<int>(small.size());
  }
  LONGS_EQUAL(8, fired);
}

TEST(ProcessOperator, ClearStateForgetsTheKey) {
  auto op = Make();
  Add(1, 1, 0);
  Add(1, 2, 5);
  CHECK(op->Process(in, &out).ok());
  LONGS_EQUAL(0, op->metrics().state_entries);
}

TEST(ProcessOperator, FullStateNamesTheCapacityToRaise) {
  auto op = Make(/*capacity=*/2);
  Add(1, 1, 0);
  Add(2, 1, 0);
  Add(3, 1, 0);
  Status status = op->Process(in, &out);
  CHECK(status.code() == StatusCode::kResourceExhausted);
  STRCMP_CONTAINS("keyed state is full (2 keys); raise process.state.capacity",
                  status.message().c_str());
}

TEST(ProcessOperator, DropNewCountsInsteadOfFailing) {
  auto op = Make(/*capacity=*/1, OverflowPolicy::kDropNew);
  Add(1, 1, 0);
  Add(2, 1, 0);
  CHECK(op->Process(in, &out).ok());
  LONGS_EQUAL(1, op->metrics().dropped);
}

TEST(ProcessOperator, FullTimersNameTheSettingToRaise) {
  auto op = Make(16, OverflowPolicy::kFail, /*timers=*/1);
  Add(1, 1, 1);
  Add(2, 1, 1);
  Status status = op->Process(in, &out);
  STRCMP_CONTAINS("timers are full (1 per domain); raise process.timers", status.message().c_str());
}

TEST(ProcessOperator, EmittingMoreThanABatchIsAClearError) {
  auto op = Make();
  for (int i = 0; i < 5; ++i) Add(1, i, 4);  // two rows each: 10 > 8
  Status status = op->Process(in, &out);
  STRCMP_CONTAINS("emitted more rows than a batch holds (8 per input batch)",
                  status.message().c_str());
}

TEST(ProcessOperator, RegistryBuildsInstancesFromAPrototype) {
  runnel::ops::ProcessRegistry registry;
  registry.Register("recorder", runnel::ops::MakeProcessFactory(Recorder{}));
  STRCMP_EQUAL("recorder", registry.Names().c_str());
  const runnel::ops::ProcessFactory* factory = registry.Find("recorder");
  CHECK(factory != nullptr);
  CHECK(registry.Find("other") == nullptr);
  CHECK(factory->output_schema(Input()).ok());
  runnel::ops::ProcessSpec spec;
  spec.input = Input();
  spec.key_fields = {0};
  spec.state.key_slots = 1;
  spec.clock = &clock;
  auto made = factory->make(spec);
  CHECK(made.ok());
  Add(1, 1, 0);
  CHECK(made.value()->Process(in, &out).ok());
  LONGS_EQUAL(1, out.size());
}
