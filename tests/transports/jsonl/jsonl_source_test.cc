#include "transports/jsonl/jsonl_source.h"

#include <CppUTest/TestHarness.h>

#include <string>

#include "tests/testing/temp_dir.h"

using runnel::jsonl::JsonlSource;
using runnel::jsonl::JsonlSourceOptions;
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

const char kInput[] =
    "{\"device\":\"dev-1\",\"ts\":1000,\"temp\":21.5}\r\n"
    "\n"
    "{\"device\":\"dev-2\",\"ts\":2000,\"temp\":\"hot\"}\n"
    "{\"device\":\"dev-2\",\"ts\":3000,\"temp\":22,\"extra\":[1,2]}\n"
    "{\"device\":\"dev-3\",\"ts\":4000,\"temp\":23";  // truncated, no newline

}  // namespace

TEST_GROUP(JsonlSource) {
  runnel::testing::TempDir dir;
  SymbolTable symbols{64, 1024};
  RowBatch batch{3, 16};

  JsonlSourceOptions Options(const std::string& contents, bool strict = false) {
    JsonlSourceOptions options;
    options.path = dir.Write("in.jsonl", contents);
    options.strict = strict;
    return options;
  }
};

TEST(JsonlSource, ReadsGoodLinesAndSkipsBadOnes) {
  JsonlSource source(Options(kInput), Readings(), &symbols);
  CHECK(source.Open().ok());
  bool done = false;
  size_t rows = 0;
  while (!done) {
    batch.Clear();
    auto status = source.Read(&batch, &done);
    CHECK_TEXT(status.ok(), status.message().c_str());
    for (uint32_t r = 0; r < batch.size(); ++r, ++rows) {
      if (rows == 0) {
        STRCMP_EQUAL("dev-1", std::string(symbols.Lookup(batch.row(r)[0].i64)).c_str());
        CHECK(batch.row(r)[1].i64 == 1000000000LL);
        DOUBLES_EQUAL(21.5, batch.row(r)[2].f64, 0);
      } else {
        CHECK(batch.row(r)[1].i64 == 3000000000LL);
        DOUBLES_EQUAL(22, batch.row(r)[2].f64, 0);
      }
    }
  }
  LONGS_EQUAL(2, rows);
  LONGS_EQUAL(2, source.rejected());  // line 3 (temp) and line 5 (truncated)
}

TEST(JsonlSource, StrictStopsAtTheFirstBadLineNamingIt) {
  JsonlSourceOptions options = Options(kInput, /*strict=*/true);
  std::string path = options.path;
  JsonlSource source(std::move(options), Readings(), &symbols);
  CHECK(source.Open().ok());
  bool done = false;
  auto status = source.Read(&batch, &done);
  CHECK(!status.ok());
  STRCMP_EQUAL((path + ":3: field 'temp': expected a number (strict: stopping)").c_str(),
               status.message().c_str());
}

TEST(JsonlSource, TooLongLinesAreSkipped) {
  JsonlSourceOptions options =
      Options("{\"device\":\"" + std::string(200, 'x') + "\",\"ts\":1,\"temp\":1}\n"
              "{\"device\":\"d\",\"ts\":1,\"temp\":1}\n");
  options.max_line_bytes = 128;
  JsonlSource source(std::move(options), Readings(), &symbols);
  CHECK(source.Open().ok());
  bool done = false;
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(1, batch.size());
  LONGS_EQUAL(1, source.rejected());
}

TEST(JsonlSource, ResumesAfterEveryBatchWithLineNumbersKept) {
  // kInput has a bad line (3) and a truncated last one (5), so each half
  // rejects what a straight read rejects.
  JsonlSourceOptions options = Options(kInput);
  RowBatch small{3, 1};
  auto format = [&](std::string* text) {
    for (uint32_t i = 0; i < small.size(); ++i) {
      *text += std::string(symbols.Lookup(small.row(i)[0].i64)) + "@" +
               std::to_string(small.row(i)[1].i64) + "\n";
    }
  };
  for (int first = 0; first <= 3; ++first) {
    runnel::runtime::StateBuffer saved(64);
    std::string text;
    uint64_t rejected = 0;
    {
      JsonlSource source(options, Readings(), &symbols);
      CHECK(source.replayable());
      CHECK(source.Open().ok());
      bool done = false;
      for (int b = 0; b < first && !done; ++b) {
        small.Clear();
        CHECK(source.Read(&small, &done).ok());
        format(&text);
      }
      CHECK(source.SavePosition(&saved));
      LONGS_EQUAL(source.checkpoint_bytes(), saved.size());
      rejected = source.rejected();
    }
    JsonlSource resumed(options, Readings(), &symbols);
    saved.ForEach([&](bool, std::string_view key, std::string_view value) {
      CHECK(resumed.RestoreEntry(key, value).ok());
    });
    CHECK(resumed.Open().ok());
    for (bool done = false; !done;) {
      small.Clear();
      CHECK(resumed.Read(&small, &done).ok());
      format(&text);
    }
    STRCMP_EQUAL("dev-1@1000000000\ndev-2@3000000000\n", text.c_str());
    LONGS_EQUAL(2, rejected + resumed.rejected());
  }
}

TEST(JsonlSource, ABadLineAfterAResumeNamesItsLine) {
  JsonlSourceOptions options = Options(kInput, /*strict=*/true);
  runnel::runtime::StateBuffer saved(64);
  RowBatch small{3, 1};
  {
    JsonlSource source(options, Readings(), &symbols);
    CHECK(source.Open().ok());
    bool done = false;
    CHECK(source.Read(&small, &done).ok());  // line 1
    CHECK(source.SavePosition(&saved));
  }
  JsonlSource resumed(options, Readings(), &symbols);
  saved.ForEach([&](bool, std::string_view key, std::string_view value) {
    CHECK(resumed.RestoreEntry(key, value).ok());
  });
  CHECK(resumed.Open().ok());
  small.Clear();
  bool done = false;
  STRCMP_CONTAINS((options.path + ":3: ").c_str(), resumed.Read(&small, &done).message().c_str());
}

TEST(JsonlSource, StandardInputIsNotReplayable) {
  JsonlSourceOptions options;
  options.path = "-";
  JsonlSource source(options, Readings(), &symbols);
  CHECK_FALSE(source.replayable());
}
