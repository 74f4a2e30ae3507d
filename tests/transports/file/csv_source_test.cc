#include "transports/file/csv_source.h"

#include <algorithm>
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

// Checkpoints: a source restored from a saved position continues exactly
// where the saved one stopped.
TEST_GROUP(CsvSourceReplay) {
  runnel::testing::TempDir dir;
  SymbolTable symbols{64, 1024};
  RowBatch batch{3, 2};

  // Appends each row of `batch` to *text as "device,ts,temp\n".
  void Format(std::string* text) {
    for (uint32_t i = 0; i < batch.size(); ++i) {
      *text += std::string(symbols.Lookup(batch.row(i)[0].i64)) + "," +
               std::to_string(batch.row(i)[1].i64) + "," +
               std::to_string(batch.row(i)[2].f64) + "\n";
    }
  }

  // Reads `batches` batches (all when negative) into *text; returns the
  // first failure, if any.
  runnel::Status ReadBatches(CsvSource* source, int batches, std::string* text,
                             bool* done) {
    for (int b = 0; (batches < 0 || b < batches) && !*done; ++b) {
      batch.Clear();
      auto status = source->Read(&batch, done);
      Format(text);
      if (!status.ok()) return status;
    }
    return runnel::Status::Ok();
  }

  // Rows of a straight read of `options`.
  std::string ReadStraight(const CsvSourceOptions& options) {
    CsvSource source(options, Readings(), &symbols);
    CHECK(source.Open().ok());
    std::string text;
    bool done = false;
    CHECK(ReadBatches(&source, -1, &text, &done).ok());
    return text;
  }

  // Rows of `first` batches, then of a fresh source restored from the
  // position saved after them. *rejected: lines both sources skipped.
  std::string ReadResumed(const CsvSourceOptions& options, int first, uint64_t* rejected) {
    runnel::runtime::StateBuffer saved(256);
    std::string text;
    {
      CsvSource source(options, Readings(), &symbols);
      CHECK(source.replayable());
      CHECK(source.Open().ok());
      bool done = false;
      CHECK(ReadBatches(&source, first, &text, &done).ok());
      CHECK(source.SavePosition(&saved));
      CHECK(saved.size() <= source.checkpoint_bytes());
      *rejected = source.rejected();
    }
    CsvSource resumed(options, Readings(), &symbols);
    saved.ForEach([&](bool is_delete, std::string_view key, std::string_view value) {
      CHECK_FALSE(is_delete);
      CHECK(resumed.RestoreEntry(key, value).ok());
    });
    CHECK(resumed.Open().ok());
    bool done = false;
    CHECK(ReadBatches(&resumed, -1, &text, &done).ok());
    *rejected += resumed.rejected();
    return text;
  }
};

TEST(CsvSourceReplay, ResumesAfterEveryBatchWithAHeader) {
  // Columns in another order than the schema, so the resumed source must
  // map the header again; blank and bad lines in between.
  std::string contents = "temp,ts,device\n";
  for (int i = 0; i < 9; ++i) {
    contents += std::to_string(i) + ".5," + std::to_string(1000 + i) + ",dev-" +
                std::to_string(i % 3) + "\n";
    if (i == 4) contents += "\nhot,1,dev-x\n";
  }
  contents += "7.25,2000,dev-last";  // no final newline
  CsvSourceOptions options;
  options.path = dir.Write("in.csv", contents);
  const std::string straight = ReadStraight(options);
  LONGS_EQUAL(10, std::count(straight.begin(), straight.end(), '\n'));
  // 0 batches: saved before the header was read; 6: at the end of the file.
  for (int first = 0; first <= 6; ++first) {
    uint64_t rejected = 0;
    STRCMP_EQUAL_TEXT(straight.c_str(), ReadResumed(options, first, &rejected).c_str(),
                      ("resumed after " + std::to_string(first) + " batches").c_str());
    LONGS_EQUAL(1, rejected);
  }
}

TEST(CsvSourceReplay, ResumesWithoutAHeader) {
  CsvSourceOptions options;
  options.path = dir.Write("in.csv", "a,1,1\r\nb,2,2\r\nc,3,3\r\nd,4,4\r\ne,5,5\r\n");
  options.header = false;
  const std::string straight = ReadStraight(options);
  for (int first = 0; first <= 3; ++first) {
    uint64_t rejected = 0;
    STRCMP_EQUAL(straight.c_str(), ReadResumed(options, first, &rejected).c_str());
  }
}

TEST(CsvSourceReplay, BadLinesKeepTheirNumbersAfterAResume) {
  CsvSourceOptions options;
  options.path = dir.Write("in.csv", "device,ts,temp\na,1,1\nb,2,2\n\nc,3,3\nd,4,hot\n");
  options.strict = true;
  runnel::runtime::StateBuffer saved(256);
  {
    CsvSource source(options, Readings(), &symbols);
    CHECK(source.Open().ok());
    bool done = false;
    CHECK(source.Read(&batch, &done).ok());  // a, b
    CHECK(source.SavePosition(&saved));
  }
  CsvSource resumed(options, Readings(), &symbols);
  saved.ForEach([&](bool, std::string_view key, std::string_view value) {
    CHECK(resumed.RestoreEntry(key, value).ok());
  });
  CHECK(resumed.Open().ok());
  batch.Clear();
  bool done = false;
  auto status = resumed.Read(&batch, &done);
  STRCMP_EQUAL((options.path + ":6: column 'temp': expected f64, found 'hot' (strict: stopping)")
                   .c_str(),
               status.message().c_str());
  LONGS_EQUAL(1, batch.size());  // c
}

TEST(CsvSourceReplay, StandardInputIsNotReplayable) {
  CsvSourceOptions options;
  options.path = "-";
  CsvSource source(options, Readings(), &symbols);
  CHECK_FALSE(source.replayable());
}

TEST(CsvSourceReplay, AFileShorterThanThePositionIsAClearError) {
  CsvSourceOptions options;
  options.path = dir.Write("in.csv", "device,ts,temp\na,1,1\nb,2,2\nc,3,3\n");
  runnel::runtime::StateBuffer saved(256);
  {
    CsvSource source(options, Readings(), &symbols);
    CHECK(source.Open().ok());
    bool done = false;
    CHECK(source.Read(&batch, &done).ok());
    CHECK(source.SavePosition(&saved));
  }
  dir.Write("in.csv", "device,ts,temp\n");
  CsvSource resumed(options, Readings(), &symbols);
  saved.ForEach([&](bool, std::string_view key, std::string_view value) {
    CHECK(resumed.RestoreEntry(key, value).ok());
  });
  CHECK(resumed.Open().ok());
  bool done = false;
  auto status = resumed.Read(&batch, &done);
  STRCMP_CONTAINS("fewer than the position to resume at", status.message().c_str());
}

TEST(CsvSourceReplay, ARecordOfAnotherKindIsRefused) {
  CsvSourceOptions options;
  options.path = dir.Write("in.csv", "device,ts,temp\n");
  CsvSource source(options, Readings(), &symbols);
  CHECK_FALSE(source.RestoreEntry("position", "short").ok());
  CHECK_FALSE(source.RestoreEntry("other", std::string(16, '\0')).ok());
}
