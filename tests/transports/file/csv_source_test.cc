#include "transports/file/csv_source.h"

#include <cmath>
#include <string>

#include "core/schema/null.h"
#include "tests/testing/temp_dir.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::file::CsvSource;
using runnel::file::CsvSourceOptions;
using runnel::schema::FieldType;
using runnel::schema::kNullInt;
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

TEST_GROUP(CsvSource) {
  runnel::testing::TempDir dir;
  SymbolTable symbols{64, 1024};
  RowBatch batch{3, 4};

  CsvSourceOptions Options(const std::string& contents) {
    CsvSourceOptions options;
    options.path = dir.Write("in.csv", contents);
    return options;
  }

  // Reads everything; returns the number of rows, checking each batch.
  size_t Drain(CsvSource* source) {
    size_t rows = 0;
    for (bool done = false; !done;) {
      batch.Clear();
      auto status = source->Read(&batch, &done);
      CHECK_TEXT(status.ok(), status.message().c_str());
      rows += batch.size();
    }
    return rows;
  }
};

TEST(CsvSource, MapsColumnsByHeaderName) {
  // Columns in another order, plus one the schema does not use.
  CsvSource source(Options("temp,extra,ts,device\n21.5,x,1000,dev-1\n"), Readings(), &symbols);
  CHECK(source.Open().ok());
  bool done = false;
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(1, batch.size());
  STRCMP_EQUAL("dev-1", std::string(symbols.Lookup(batch.row(0)[0].i64)).c_str());
  CHECK(batch.row(0)[1].i64 == 1000000000LL);
  DOUBLES_EQUAL(21.5, batch.row(0)[2].f64, 0);
}

TEST(CsvSource, WithoutHeaderColumnsAreInSchemaOrder) {
  CsvSourceOptions options = Options("dev-1,5,1.5\ndev-2,6,2.5\n");
  options.header = false;
  CsvSource source(options, Readings(), &symbols);
  CHECK(source.Open().ok());
  LONGS_EQUAL(2, Drain(&source));
}

TEST(CsvSource, FillsBatchesAcrossReads) {
  std::string contents = "device,ts,temp\n";
  for (int i = 0; i < 10; ++i) contents += "d," + std::to_string(i) + ",1\n";
  CsvSource source(Options(contents), Readings(), &symbols);
  CHECK(source.Open().ok());
  LONGS_EQUAL(10, Drain(&source));  // batches of 4, 4, 2
}

TEST(CsvSource, SkipsAndCountsMalformedLines) {
  CsvSource source(Options("device,ts,temp\n"
                           "dev-1,1,20\n"
                           "dev-2,notatime,20\n"
                           "dev-3,3\n"
                           "dev-4,4,x\n"
                           "\"dev-5,5,20\n"
                           "\n"
                           "dev-6,6,21\n"),
                   Readings(), &symbols);
  CHECK(source.Open().ok());
  LONGS_EQUAL(2, Drain(&source));
  LONGS_EQUAL(4, source.rejected());
}

// i64, f64, ts, sym and bool columns; the event time is `at` when set.
Schema EveryType() {
  return Schema({{"n", FieldType::kI64, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"device", FieldType::kSym, TimeUnit::kMs},
                 {"ok", FieldType::kBool, TimeUnit::kMs},
                 {"at", FieldType::kTs, TimeUnit::kMs}});
}

TEST(CsvSource, EmptyCellsAreNullsOfEachType) {
  RowBatch rows(6, 8);
  CsvSourceOptions options = Options("n,temp,ts,device,ok,at\n"
                                     ",,,,true,1\n"
                                     "1,2.5,3,d,false,2\n");
  options.event_time_field = 5;
  CsvSource source(options, EveryType(), &symbols);
  CHECK(source.Open().ok());
  bool done = false;
  CHECK(source.Read(&rows, &done).ok());
  LONGS_EQUAL(2, rows.size());
  LONGS_EQUAL(0, source.rejected());
  CHECK(rows.row(0)[0].i64 == kNullInt);
  CHECK(std::isnan(rows.row(0)[1].f64));
  CHECK(rows.row(0)[2].i64 == kNullInt);
  CHECK(rows.row(0)[3].i64 == kNullInt);
  LONGS_EQUAL(1, rows.row(0)[4].i64);
  LONGS_EQUAL(1, rows.row(1)[0].i64);
}

TEST(CsvSource, EmptyEventTimeOrBoolIsRejectedWithItsLine) {
  CsvSourceOptions options = Options("n,temp,ts,device,ok,at\n"
                                     "1,1,1,d,true,\n"
                                     "1,1,1,d,,1\n"
                                     "1,1,1,d,true,1\n");
  options.event_time_field = 5;
  options.strict = true;
  RowBatch rows(6, 8);
  CsvSource source(options, EveryType(), &symbols);
  CHECK(source.Open().ok());
  bool done = false;
  STRCMP_EQUAL((options.path + ":2: column 'at' is empty: a row needs its event time "
                               "(strict: stopping)").c_str(),
               source.Read(&rows, &done).message().c_str());
  options.strict = false;
  CsvSource lenient(options, EveryType(), &symbols);
  CHECK(lenient.Open().ok());
  rows.Clear();
  CHECK(lenient.Read(&rows, &done).ok());
  LONGS_EQUAL(1, rows.size());
  LONGS_EQUAL(2, lenient.rejected());
}

TEST(CsvSource, EmptyBoolCellIsRejected) {
  CsvSourceOptions options = Options("n,temp,ts,device,ok,at\n1,1,1,d,,1\n");
  options.strict = true;
  RowBatch rows(6, 8);
  CsvSource source(options, EveryType(), &symbols);
  CHECK(source.Open().ok());
  bool done = false;
  STRCMP_CONTAINS(":2: column 'ok' is empty (a bool cannot be null)",
                  source.Read(&rows, &done).message().c_str());
}

TEST(CsvSource, StrictStopsAtTheFirstBadLineNamingIt) {
  CsvSourceOptions options = Options("device,ts,temp\ndev-1,1,20\ndev-2,2,hot\n");
  options.strict = true;
  CsvSource source(options, Readings(), &symbols);
  CHECK(source.Open().ok());
  bool done = false;
  auto status = source.Read(&batch, &done);
  CHECK_FALSE(status.ok());
  STRCMP_EQUAL((options.path + ":3: column 'temp': expected f64, found 'hot' (strict: stopping)").c_str(),
               status.message().c_str());
}

TEST(CsvSource, HeaderWithoutASchemaFieldIsAnError) {
  CsvSourceOptions options = Options("device,time,temp\n");
  CsvSource source(options, Readings(), &symbols);
  CHECK(source.Open().ok());  // the header is read by the first Read
  bool done = false;
  auto status = source.Read(&batch, &done);
  CHECK_FALSE(status.ok());
  STRCMP_EQUAL((options.path + ":1: header has no column 'ts' for schema field 1 "
                               "(columns: device, time, temp)").c_str(),
               status.message().c_str());
}

TEST(CsvSource, EmptyFileHasNoHeader) {
  CsvSource source(Options(""), Readings(), &symbols);
  CHECK(source.Open().ok());
  bool done = false;
  STRCMP_CONTAINS("empty input, expected a header line",
                  source.Read(&batch, &done).message().c_str());
}

TEST(CsvSource, FullSymbolTableStopsTheJob) {
  SymbolTable tiny(1, 64);
  CsvSource source(Options("device,ts,temp\na,1,1\nb,2,2\n"), Readings(), &tiny);
  CHECK(source.Open().ok());
  bool done = false;
  auto status = source.Read(&batch, &done);
  CHECK_FALSE(status.ok());
  STRCMP_CONTAINS(":3: column 'device': symbol table is full (1 symbols", status.message().c_str());
  LONGS_EQUAL(1, batch.size());  // the row before it is kept
}
