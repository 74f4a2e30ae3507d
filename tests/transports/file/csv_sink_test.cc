#include "transports/file/csv_sink.h"

#include <cmath>
#include <string>

#include "core/schema/null.h"
#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::file::CsvSink;
using runnel::file::CsvSinkOptions;
using runnel::schema::FieldType;
using runnel::schema::kNullInt;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

Schema Alerts() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"hot", FieldType::kBool, TimeUnit::kMs},
                 {"n", FieldType::kI64, TimeUnit::kMs}});
}

}  // namespace

TEST_GROUP(CsvSink) {
  runnel::testing::TempDir dir;
  SymbolTable symbols{64, 1024};
  RowBatch batch{5, 8};

  void Add(const char* device, int64_t ts_ms, double temp, bool hot, int64_t n) {
    auto* row = batch.Append();
    uint32_t id;
    CHECK(symbols.Intern(device, &id));
    row[0].i64 = id;
    row[1].i64 = ts_ms * 1000000;
    row[2].f64 = temp;
    row[3].i64 = hot;
    row[4].i64 = n;
  }
};

TEST(CsvSink, WritesHeaderAndRows) {
  CsvSinkOptions options;
  options.path = dir.File("out.csv");
  CsvSink sink(options, Alerts(), &symbols);
  CHECK(sink.Open().ok());
  Add("dev-1", 1700000000123, 33.07, true, -4);
  Add("dev-2", 1700000000124, 0.1, false, 0);
  CHECK(sink.Write(batch).ok());
  CHECK(sink.Close().ok());
  STRCMP_EQUAL("device,ts,temp,hot,n\n"
               "dev-1,1700000000123,33.07,true,-4\n"
               "dev-2,1700000000124,0.1,false,0\n",
               runnel::testing::ReadFile(options.path).c_str());
}

TEST(CsvSink, QuotesSymbolsThatNeedIt) {
  CsvSinkOptions options;
  options.path = dir.File("out.csv");
  options.header = false;
  CsvSink sink(options, Alerts(), &symbols);
  CHECK(sink.Open().ok());
  Add("hall, north", 1, 1, false, 1);
  Add("say \"hi\"", 2, 2, false, 2);
  CHECK(sink.Write(batch).ok());
  CHECK(sink.Close().ok());
  STRCMP_EQUAL("\"hall, north\",1,1,false,1\n\"say \"\"hi\"\"\",2,2,false,2\n",
               runnel::testing::ReadFile(options.path).c_str());
}

TEST(CsvSink, WritesNullsAsEmptyCells) {
  CsvSinkOptions options;
  options.path = dir.File("out.csv");
  options.header = false;
  CsvSink sink(options, Alerts(), &symbols);
  CHECK(sink.Open().ok());
  Add("dev-1", 1, std::nan(""), true, kNullInt);
  batch.row(0)[0].i64 = kNullInt;  // sym
  batch.row(0)[1].i64 = kNullInt;  // ts
  Add("dev-2", 2, 2.5, false, 3);
  CHECK(sink.Write(batch).ok());
  CHECK(sink.Close().ok());
  STRCMP_EQUAL(",,,true,\ndev-2,2,2.5,false,3\n",
               runnel::testing::ReadFile(options.path).c_str());
}

TEST(CsvSink, LargeOutputSpansManyFlushes) {
  CsvSinkOptions options;
  options.path = dir.File("big.csv");
  options.header = false;
  CsvSink sink(options, Alerts(), &symbols);
  CHECK(sink.Open().ok());
  for (int round = 0; round < 5000; ++round) {
    batch.Clear();
    for (int i = 0; i < 8; ++i) Add("dev-1", round, 21.25, true, i);
    CHECK(sink.Write(batch).ok());
  }
  CHECK(sink.Close().ok());
  std::string out = runnel::testing::ReadFile(options.path);
  size_t lines = 0;
  for (char c : out) lines += (c == '\n');
  LONGS_EQUAL(40000, lines);
}

TEST(CsvSink, FullDiskIsAClearError) {
  // /dev/full fails every write with ENOSPC, like a full disk.
  CsvSinkOptions options;
  options.path = "/dev/full";
  CsvSink sink(options, Alerts(), &symbols);
  CHECK(sink.Open().ok());
  Add("dev-1", 1, 1, true, 1);
  CHECK(sink.Write(batch).ok());  // buffered
  auto status = sink.Close();
  CHECK_FALSE(status.ok());
  STRCMP_EQUAL("cannot write /dev/full: No space left on device", status.message().c_str());
}

TEST(CsvSink, UnwritableDirectoryIsAClearError) {
  CsvSinkOptions options;
  options.path = dir.File("no/such/dir/out.csv");
  CsvSink sink(options, Alerts(), &symbols);
  auto status = sink.Open();
  CHECK_FALSE(status.ok());
  STRCMP_CONTAINS("cannot create ", status.message().c_str());
  STRCMP_CONTAINS("No such file or directory", status.message().c_str());
}
