#include "core/runtime/task.h"

#include <CppUTest/TestHarness.h>

#include <memory>
#include <vector>

using runnel::Status;
using runnel::runtime::Operator;
using runnel::runtime::JobSignals;
using runnel::runtime::Task;
using runnel::runtime::Sink;
using runnel::runtime::Source;
using runnel::schema::RowBatch;

namespace {

// Emits the integers [0, count) as one-slot rows; fails with `fail_at`
// instead of emitting it, if it is reached.
class CountingSource : public Source {
 public:
  explicit CountingSource(int64_t count, int64_t fail_at = -1)
      : count_(count), fail_at_(fail_at) {}
  Status Open() override { return Status::Ok(); }
  Status Read(RowBatch* out, bool* done) override {
    while (!out->full() && next_ < count_) {
      if (next_ == fail_at_) return runnel::DataError("bad record");
      out->Append()->i64 = next_++;
    }
    *done = next_ == count_;
    return Status::Ok();
  }

 private:
  int64_t count_;
  int64_t fail_at_;
  int64_t next_ = 0;
};

// Keeps even values; fails on `fail_at`, if it is reached.
class EvenOperator : public Operator {
 public:
  explicit EvenOperator(int64_t fail_at = -1) : fail_at_(fail_at) {}
  Status Process(const RowBatch& in, RowBatch* out) override {
    for (uint32_t i = 0; i < in.size(); ++i) {
      if (in.row(i)->i64 == fail_at_) return runnel::DataError("cannot take " + std::to_string(fail_at_));
      if (in.row(i)->i64 % 2 == 0) out->AppendCopy(in.row(i));
    }
    return Status::Ok();
  }

 private:
  int64_t fail_at_;
};

// Collects what it is given; records whether it was closed.
class CollectingSink : public Sink {
 public:
  Status Open() override { return Status::Ok(); }
  Status Write(const RowBatch& batch) override {
    for (uint32_t i = 0; i < batch.size(); ++i) values.push_back(batch.row(i)->i64);
    return Status::Ok();
  }
  Status Close() override {
    closed = true;
    return Status::Ok();
  }
  std::vector<int64_t> values;
  bool closed = false;
};

}  // namespace

TEST_GROUP(Task) {
  JobSignals signals;
  Task pipeline{"task", 16, &signals};
};

TEST(Task, RunsEveryRowThroughTheChainInOrder) {
  uint32_t in = pipeline.AddStream(1);
  uint32_t even = pipeline.AddStream(1);
  pipeline.AddSource("numbers", std::make_unique<CountingSource>(1000), in, true);
  pipeline.AddOperator("even", std::make_unique<EvenOperator>(), in, even);
  auto sink = std::make_unique<CollectingSink>();
  CollectingSink* collected = sink.get();
  pipeline.AddSink("out", std::move(sink), even);
  CHECK(pipeline.Run().ok());
  LONGS_EQUAL(500, collected->values.size());
  for (size_t i = 0; i < collected->values.size(); ++i) LONGS_EQUAL(2 * i, collected->values[i]);
  CHECK(collected->closed);
  auto stats = pipeline.Stats();
  LONGS_EQUAL(3, stats.size());
  LONGS_EQUAL(1000, stats[0].rows_out);
  LONGS_EQUAL(1000, stats[1].rows_in);
  LONGS_EQUAL(500, stats[1].rows_out);
  LONGS_EQUAL(500, stats[2].rows_in);
}

TEST(Task, FanOutFeedsEveryConsumer) {
  uint32_t in = pipeline.AddStream(1);
  uint32_t even = pipeline.AddStream(1);
  pipeline.AddSource("numbers", std::make_unique<CountingSource>(10), in, true);
  pipeline.AddOperator("even", std::make_unique<EvenOperator>(), in, even);
  auto all = std::make_unique<CollectingSink>();
  auto evens = std::make_unique<CollectingSink>();
  CollectingSink* all_rows = all.get();
  CollectingSink* even_rows = evens.get();
  pipeline.AddSink("all", std::move(all), in);
  pipeline.AddSink("evens", std::move(evens), even);
  CHECK(pipeline.Run().ok());
  LONGS_EQUAL(10, all_rows->values.size());
  LONGS_EQUAL(5, even_rows->values.size());
}

TEST(Task, SeveralSourcesAreAllDrained) {
  uint32_t a = pipeline.AddStream(1);
  uint32_t b = pipeline.AddStream(1);
  pipeline.AddSource("a", std::make_unique<CountingSource>(100), a, true);
  pipeline.AddSource("b", std::make_unique<CountingSource>(7), b, true);
  auto sink_a = std::make_unique<CollectingSink>();
  auto sink_b = std::make_unique<CollectingSink>();
  CollectingSink* got_a = sink_a.get();
  CollectingSink* got_b = sink_b.get();
  pipeline.AddSink("a", std::move(sink_a), a);
  pipeline.AddSink("b", std::move(sink_b), b);
  CHECK(pipeline.Run().ok());
  LONGS_EQUAL(100, got_a->values.size());
  LONGS_EQUAL(7, got_b->values.size());
}

TEST(Task, AFailingOperatorStopsTheGraphNamingItAndSinksAreClosed) {
  uint32_t in = pipeline.AddStream(1);
  uint32_t even = pipeline.AddStream(1);
  pipeline.AddSource("numbers", std::make_unique<CountingSource>(1000), in, true);
  pipeline.AddOperator("picky", std::make_unique<EvenOperator>(40), in, even);
  auto sink = std::make_unique<CollectingSink>();
  CollectingSink* collected = sink.get();
  pipeline.AddSink("out", std::move(sink), even);
  Status status = pipeline.Run();
  CHECK_FALSE(status.ok());
  STRCMP_EQUAL("operator 'picky': cannot take 40", status.message().c_str());
  CHECK(collected->closed);
  LONGS_EQUAL(16, collected->values.size());  // the two batches before it
}

TEST(Task, RowsReadBeforeASourceFailsAreStillDelivered) {
  uint32_t in = pipeline.AddStream(1);
  pipeline.AddSource("numbers", std::make_unique<CountingSource>(100, 21), in, true);
  auto sink = std::make_unique<CollectingSink>();
  CollectingSink* collected = sink.get();
  pipeline.AddSink("out", std::move(sink), in);
  Status status = pipeline.Run();
  STRCMP_EQUAL("source 'numbers': bad record", status.message().c_str());
  LONGS_EQUAL(21, collected->values.size());
  LONGS_EQUAL(20, collected->values.back());
}
