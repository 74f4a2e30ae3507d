// The file connectors' checkpoint hooks do not allocate in steady state:
// a transactional CsvSink writing rows and going through PrepareCommit,
// SyncPrepared and Commit, and a CsvSource reading and saving its position,
// with every malloc counted.
//
// Allocations are counted by //tests/testing:allocation_counter (its own
// binary: the counter replaces malloc).
#include <cstdint>
#include <string>

#include "core/runtime/state_buffer.h"
#include "tests/testing/allocation_counter.h"
#include "tests/testing/temp_dir.h"
#include "transports/file/csv_sink.h"
#include "transports/file/csv_source.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::file::CsvSink;
using runnel::file::CsvSinkOptions;
using runnel::file::CsvSource;
using runnel::file::CsvSourceOptions;
using runnel::runtime::StateBuffer;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs}});
}

}  // namespace

TEST_GROUP(CheckpointAllocation) {
  runnel::testing::TempDir dir;
  SymbolTable symbols{64, 1024};
};

TEST(CheckpointAllocation, TransactionalSinkCheckpointsWithoutAllocating) {
  CsvSinkOptions options;
  options.path = dir.File("out.csv");
  options.transactional = true;
  CsvSink sink(options, Readings(), &symbols);
  CHECK(sink.Open().ok());
  StateBuffer buffer(sink.checkpoint_bytes());
  RowBatch batch(3, 64);
  uint32_t device = 0;
  CHECK(symbols.Intern("dev-1", &device));
  for (int i = 0; i < 64; ++i) {
    auto* row = batch.Append();
    row[0].i64 = device;
    row[1].i64 = i * 1000000LL;
    row[2].f64 = i * 0.5;
  }
  runnel::testing::StartCountingAllocations();
  for (uint64_t id = 1; id <= 20; ++id) {
    CHECK(sink.Write(batch).ok());
    buffer.Clear();
    CHECK(sink.PrepareCommit(id, false, &buffer).ok());
    CHECK(sink.SyncPrepared(id).ok());
    CHECK(sink.Commit(id).ok());
  }
  const uint64_t allocations = runnel::testing::StopCountingAllocations();
  CHECK(sink.Close().ok());
  LONGS_EQUAL(0, allocations);
}

TEST(CheckpointAllocation, SourceSavesItsPositionWithoutAllocating) {
  std::string contents = "device,ts,temp\n";
  for (int i = 0; i < 500; ++i) contents += "dev-1," + std::to_string(i) + ",1.5\n";
  CsvSourceOptions options;
  options.path = dir.Write("in.csv", contents);
  CsvSource source(options, Readings(), &symbols);
  CHECK(source.Open().ok());
  StateBuffer buffer(source.checkpoint_bytes());
  RowBatch batch(3, 16);
  bool done = false;
  CHECK(source.Read(&batch, &done).ok());  // the header and a first symbol
  runnel::testing::StartCountingAllocations();
  while (!done) {
    batch.Clear();
    CHECK(source.Read(&batch, &done).ok());
    buffer.Clear();
    CHECK(source.SavePosition(&buffer));
  }
  LONGS_EQUAL(0, runnel::testing::StopCountingAllocations());
}
