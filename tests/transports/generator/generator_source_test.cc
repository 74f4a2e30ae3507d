#include "transports/generator/generator_source.h"

#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/schema/symbol_table.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::Status;
using runnel::StatusCode;
using runnel::generator::GeneratorOptions;
using runnel::generator::GeneratorSource;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

constexpr uint32_t kDevice = 0;
constexpr uint32_t kTs = 1;
constexpr uint32_t kTemp = 2;
constexpr uint32_t kKey = 3;
constexpr uint32_t kFlag = 4;

Schema Readings() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                 {"ts", FieldType::kTs, TimeUnit::kMs},
                 {"temp", FieldType::kF64, TimeUnit::kMs},
                 {"key", FieldType::kI64, TimeUnit::kMs},
                 {"flag", FieldType::kBool, TimeUnit::kMs}});
}

GeneratorOptions Options(uint64_t rows, uint32_t keys, uint64_t seed = 1) {
  GeneratorOptions o;
  o.rows = rows;
  o.keys = keys;
  o.seed = seed;
  o.start_ms = 1700000000000;
  o.interval_ms = 5;
  return o;
}

}  // namespace

TEST_GROUP(GeneratorSource) {
  SymbolTable symbols{1024, 1 << 16};
  ManualClock clock{5000};

  // Reads every row of a generator into one flat vector of slots, in batches
  // of `batch_rows`; records the size of each batch.
  std::vector<Slot> ReadAll(const GeneratorOptions& options, uint32_t batch_rows,
                            std::vector<uint32_t>* sizes = nullptr,
                            const Schema& schema = Readings()) {
    GeneratorSource source(options, schema, &symbols, &clock);
    Status open = source.Open();
    CHECK_TEXT(open.ok(), open.message().c_str());
    RowBatch batch(schema.size(), batch_rows);
    std::vector<Slot> slots;
    bool done = false;
    for (int reads = 0; !done; ++reads) {
      CHECK(reads < 100000);
      batch.Clear();
      Status read = source.Read(&batch, &done);
      CHECK_TEXT(read.ok(), read.message().c_str());
      if (sizes != nullptr) sizes->push_back(batch.size());
      for (uint32_t i = 0; i < batch.size(); ++i) {
        slots.insert(slots.end(), batch.row(i), batch.row(i) + schema.size());
      }
    }
    return slots;
  }
};

TEST(GeneratorSource, ExactRowCountAcrossBatchesThenDone) {
  std::vector<uint32_t> sizes;
  std::vector<Slot> rows = ReadAll(Options(1000, 10), 64, &sizes);
  LONGS_EQUAL(1000 * 5, rows.size());
  LONGS_EQUAL(16, sizes.size());  // 15 full batches and 40 rows, done with the last
  for (size_t i = 0; i + 1 < sizes.size(); ++i) LONGS_EQUAL(64, sizes[i]);
  LONGS_EQUAL(40, sizes.back());
}

TEST(GeneratorSource, ExactRowCountForManyBatchSizes) {
  for (uint64_t rows : {1u, 63u, 64u, 65u, 129u, 1000u}) {
    for (uint32_t batch_rows : {1u, 7u, 64u}) {
      std::vector<uint32_t> sizes;
      std::vector<Slot> got = ReadAll(Options(rows, 3), batch_rows, &sizes);
      std::string what = std::to_string(rows) + " rows by " + std::to_string(batch_rows);
      LONGS_EQUAL_TEXT(rows * 5, got.size(), what.c_str());
      // Done with the batch holding the last row, not before and not after.
      LONGS_EQUAL_TEXT((rows + batch_rows - 1) / batch_rows, sizes.size(), what.c_str());
      CHECK_TEXT(sizes.back() > 0, what.c_str());
    }
  }
}

TEST(GeneratorSource, DoneComesWithTheLastRowsWhenTheyFillTheBatch) {
  std::vector<uint32_t> sizes;
  std::vector<Slot> rows = ReadAll(Options(128, 10), 64, &sizes);
  LONGS_EQUAL(128 * 5, rows.size());
  LONGS_EQUAL(2, sizes.size());
  LONGS_EQUAL(64, sizes[1]);
}

TEST(GeneratorSource, ZeroRowsIsDoneAtOnce) {
  std::vector<uint32_t> sizes;
  std::vector<Slot> rows = ReadAll(Options(0, 10), 64, &sizes);
  LONGS_EQUAL(0, rows.size());
  LONGS_EQUAL(1, sizes.size());
}

TEST(GeneratorSource, ReadingOnAfterDoneGivesNothing) {
  GeneratorSource source(Options(3, 2), Readings(), &symbols, &clock);
  CHECK(source.Open().ok());
  RowBatch batch(5, 8);
  bool done = false;
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(3, batch.size());
  CHECK(done);
  batch.Clear();
  done = false;
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(0, batch.size());
  CHECK(done);
}

TEST(GeneratorSource, SameSeedSameRowsWhateverTheBatchSize) {
  std::vector<Slot> a = ReadAll(Options(500, 50, 42), 64);
  std::vector<Slot> b = ReadAll(Options(500, 50, 42), 7);
  LONGS_EQUAL(a.size(), b.size());
  MEMCMP_EQUAL(a.data(), b.data(), a.size() * sizeof(Slot));
}

TEST(GeneratorSource, AnotherSeedGivesOtherRows) {
  std::vector<Slot> a = ReadAll(Options(500, 50, 42), 64);
  std::vector<Slot> b = ReadAll(Options(500, 50, 43), 64);
  LONGS_EQUAL(a.size(), b.size());
  size_t key_diffs = 0;
  size_t temp_diffs = 0;
  for (size_t r = 0; r < 500; ++r) {
    key_diffs += a[r * 5 + kKey].i64 != b[r * 5 + kKey].i64;
    temp_diffs += a[r * 5 + kTemp].f64 != b[r * 5 + kTemp].f64;
    // Timestamps do not depend on the seed.
    CHECK(a[r * 5 + kTs].i64 == b[r * 5 + kTs].i64);
  }
  CHECK(key_diffs > 400);  // random keys of 50 agree ~2% of the time
  CHECK(temp_diffs > 490);
}

TEST(GeneratorSource, KeysInRangeAndSymFieldsNameTheKey) {
  const uint32_t kKeys = 37;
  std::vector<Slot> rows = ReadAll(Options(5000, kKeys), 100);
  std::vector<int> hits(kKeys, 0);
  for (size_t r = 0; r < 5000; ++r) {
    const Slot* row = &rows[r * 5];
    int64_t k = row[kKey].i64;
    CHECK(k >= 0);
    CHECK(k < kKeys);
    ++hits[static_cast<size_t>(k)];
    std::string expected = "key-" + std::to_string(k);
    std::string name(symbols.Lookup(static_cast<uint32_t>(row[kDevice].i64)));
    STRCMP_EQUAL(expected.c_str(), name.c_str());
  }
  // Every key shows up, none dominates (about 135 each).
  for (uint32_t k = 0; k < kKeys; ++k) {
    CHECK_TEXT(hits[k] > 50, std::to_string(k).c_str());
    CHECK_TEXT(hits[k] < 300, std::to_string(k).c_str());
  }
  LONGS_EQUAL(kKeys, symbols.size());  // exactly the key names were interned
}

TEST(GeneratorSource, TimestampsAreStartPlusIndexTimesIntervalInNanoseconds) {
  std::vector<Slot> rows = ReadAll(Options(300, 4), 64);
  for (size_t r = 0; r < 300; ++r) {
    int64_t expected = (int64_t{1700000000000} + static_cast<int64_t>(r) * 5) * 1000000;
    CHECK_TEXT(rows[r * 5 + kTs].i64 == expected, std::to_string(r).c_str());
  }
}

TEST(GeneratorSource, FloatsAreInZeroToHundredAndSpread) {
  std::vector<Slot> rows = ReadAll(Options(10000, 3), 256);
  double lo = 100, hi = 0, sum = 0;
  for (size_t r = 0; r < 10000; ++r) {
    double t = rows[r * 5 + kTemp].f64;
    CHECK(t >= 0.0);
    CHECK(t < 100.0);
    if (t < lo) lo = t;
    if (t > hi) hi = t;
    sum += t;
  }
  CHECK(lo < 1.0);
  CHECK(hi > 99.0);
  DOUBLES_EQUAL(50.0, sum / 10000, 2.0);
}

TEST(GeneratorSource, BoolsAreZeroOrOneAndBothAppear) {
  std::vector<Slot> rows = ReadAll(Options(1000, 3), 256);
  int ones = 0;
  for (size_t r = 0; r < 1000; ++r) {
    int64_t b = rows[r * 5 + kFlag].i64;
    CHECK(b == 0 || b == 1);
    ones += static_cast<int>(b);
  }
  CHECK(ones > 400);
  CHECK(ones < 600);
}

TEST(GeneratorSource, WithoutSymFieldsNothingIsInterned) {
  Schema numbers({{"key", FieldType::kI64, TimeUnit::kMs}});
  std::vector<Slot> rows = ReadAll(Options(100, 1000), 64, nullptr, numbers);
  LONGS_EQUAL(100, rows.size());
  LONGS_EQUAL(0, symbols.size());
}

TEST(GeneratorSource, ATooSmallSymbolTableFailsOpen) {
  SymbolTable tiny(5, 1024);
  GeneratorSource source(Options(10, 10), Readings(), &tiny, &clock);
  Status status = source.Open();
  CHECK_FALSE(status.ok());
  CHECK(status.code() == StatusCode::kResourceExhausted);
  STRCMP_CONTAINS("after 5 generator keys", status.message().c_str());
}

TEST(GeneratorSource, TooFewSymbolBytesFailsOpen) {
  SymbolTable tiny(100, 20);  // "key-0" .. "key-3" take 20 bytes
  GeneratorSource source(Options(10, 10), Readings(), &tiny, &clock);
  Status status = source.Open();
  CHECK(status.code() == StatusCode::kResourceExhausted);
  STRCMP_CONTAINS("after 4 generator keys", status.message().c_str());
}

TEST(GeneratorSource, ZeroKeysFailsOpen) {
  GeneratorSource source(Options(10, 0), Readings(), &symbols, &clock);
  Status status = source.Open();
  CHECK(status.code() == StatusCode::kInvalidArgument);
}

TEST(GeneratorSource, RatePacesRowsByTheClock) {
  GeneratorOptions options = Options(1000, 10);
  options.rate = 200;  // rows per second: one every 5 ms
  clock.Set(10000);
  GeneratorSource source(options, Readings(), &symbols, &clock);
  CHECK(source.Open().ok());
  RowBatch batch(5, 64);
  uint64_t total = 0;
  bool done = false;

  auto read = [&]() -> uint32_t {
    batch.Clear();
    CHECK(source.Read(&batch, &done).ok());
    total += batch.size();
    return batch.size();
  };
  // At the start: one row; then nothing more until the clock moves.
  LONGS_EQUAL(1, read());
  LONGS_EQUAL(0, read());
  CHECK_FALSE(done);
  LONGS_EQUAL(0, read());
  LONGS_EQUAL(1, total);

  clock.Advance(4);  // 0.8 rows' worth: still nothing new
  LONGS_EQUAL(0, read());
  clock.Advance(1);  // 5 ms: one more
  LONGS_EQUAL(1, read());
  LONGS_EQUAL(0, read());

  // Each step, no more than rate * elapsed + 1 rows in all, and exactly that
  // after reading enough.
  for (int64_t elapsed = 100; elapsed <= 5000; elapsed += 100) {
    clock.Set(10000 + elapsed);
    uint64_t allowed = static_cast<uint64_t>(elapsed) * 200 / 1000 + 1;
    if (allowed > 1000) allowed = 1000;
    for (int i = 0; i < 5; ++i) {
      read();
      CHECK(total <= allowed);
    }
    CHECK(total == allowed);
    CHECK(done == (total == 1000));
  }
  CHECK(done);
  LONGS_EQUAL(1000, total);
}

TEST(GeneratorSource, UnpacedIgnoresTheClock) {
  GeneratorSource source(Options(100, 10), Readings(), &symbols, &clock);
  CHECK(source.Open().ok());
  RowBatch batch(5, 256);
  bool done = false;
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(100, batch.size());
  CHECK(done);
}

TEST(GeneratorSource, PacedWithZeroRowsIsDone) {
  GeneratorOptions options = Options(0, 10);
  options.rate = 1000;
  GeneratorSource source(options, Readings(), &symbols, &clock);
  CHECK(source.Open().ok());
  RowBatch batch(5, 8);
  bool done = false;
  for (int i = 0; i < 3 && !done; ++i) {
    clock.Advance(1000);
    CHECK(source.Read(&batch, &done).ok());
  }
  LONGS_EQUAL(0, batch.size());
  CHECK(done);  // "rows to generate, then the source ends"
}

TEST(GeneratorSource, PacedReadingOnAfterDoneStaysDone) {
  GeneratorOptions options = Options(3, 10);
  options.rate = 1000;
  GeneratorSource source(options, Readings(), &symbols, &clock);
  CHECK(source.Open().ok());
  RowBatch batch(5, 8);
  bool done = false;
  clock.Advance(1000);
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(3, batch.size());
  CHECK(done);
  batch.Clear();
  clock.Advance(1000);
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(0, batch.size());
  CHECK(done);
}


// seed * 0x9E3779B97F4A7C15 + 1 wraps to 0 for this seed, and xorshift
// never leaves a zero state: every key would be 0 and every f64 0.0.
TEST(GeneratorSource, EverySeedGivesPseudoRandomRows) {
  std::vector<Slot> rows = ReadAll(Options(200, 50, 1018231460777725123ull), 64);
  std::set<int64_t> keys;
  std::set<double> temps;
  for (size_t r = 0; r < 200; ++r) {
    keys.insert(rows[r * 5 + kKey].i64);
    temps.insert(rows[r * 5 + kTemp].f64);
  }
  CHECK(keys.size() > 30);
  CHECK(temps.size() > 190);
}

TEST(GeneratorSource, StopEndsTheRowsAtWhatWasGenerated) {
  GeneratorSource source(Options(1000, 10), Readings(), &symbols, &clock);
  CHECK(source.Open().ok());
  RowBatch batch(5, 16);
  bool done = false;
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(16, batch.size());
  CHECK(source.Stop());
  batch.Clear();
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(0, batch.size());
  CHECK(done);
}

// A paced generator that is stopped must still report done (a graceful stop
// of a job reading one would otherwise never end).
TEST(GeneratorSource, StopEndsAPacedGeneratorToo) {
  GeneratorOptions options = Options(1000, 10);
  options.rate = 100;
  GeneratorSource source(options, Readings(), &symbols, &clock);
  CHECK(source.Open().ok());
  RowBatch batch(5, 16);
  bool done = false;
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(1, batch.size());
  CHECK(source.Stop());
  clock.Advance(1000);  // the rate would allow 100 more
  batch.Clear();
  CHECK(source.Read(&batch, &done).ok());
  LONGS_EQUAL(0, batch.size());
  CHECK(done);
}

TEST(GeneratorSource, ARestoredPositionGeneratesTheRowsThatCameNext) {
  const std::vector<Slot> straight = ReadAll(Options(300, 20, 7), 64);
  RowBatch batch(Readings().size(), 64);
  runnel::runtime::StateBuffer saved(64);
  std::vector<Slot> slots;
  {
    GeneratorSource source(Options(300, 20, 7), Readings(), &symbols, &clock);
    CHECK(source.replayable());
    CHECK(source.Open().ok());
    bool done = false;
    for (int b = 0; b < 2; ++b) {
      batch.Clear();
      CHECK(source.Read(&batch, &done).ok());
      for (uint32_t i = 0; i < batch.size(); ++i) {
        slots.insert(slots.end(), batch.row(i), batch.row(i) + 5);
      }
    }
    CHECK(source.SavePosition(&saved));
    LONGS_EQUAL(source.checkpoint_bytes(), saved.size());
  }
  GeneratorSource resumed(Options(300, 20, 7), Readings(), &symbols, &clock);
  saved.ForEach([&](bool, std::string_view key, std::string_view value) {
    CHECK(resumed.RestoreEntry(key, value).ok());
  });
  CHECK(resumed.Open().ok());
  for (bool done = false; !done;) {
    batch.Clear();
    CHECK(resumed.Read(&batch, &done).ok());
    for (uint32_t i = 0; i < batch.size(); ++i) {
      slots.insert(slots.end(), batch.row(i), batch.row(i) + 5);
    }
  }
  LONGS_EQUAL(straight.size(), slots.size());
  MEMCMP_EQUAL(straight.data(), slots.data(), straight.size() * sizeof(Slot));
}

TEST(GeneratorSource, ARestoredPacedSourceKeepsItsRateFromTheResume) {
  GeneratorOptions options = Options(1000, 10);
  options.rate = 100;  // one row every 10 ms
  runnel::runtime::StateBuffer saved(64);
  {
    GeneratorSource source(options, Readings(), &symbols, &clock);
    CHECK(source.Open().ok());
    RowBatch batch(Readings().size(), 64);
    bool done = false;
    clock.Advance(500);
    CHECK(source.Read(&batch, &done).ok());
    LONGS_EQUAL(51, batch.size());
    CHECK(source.SavePosition(&saved));
  }
  GeneratorSource resumed(options, Readings(), &symbols, &clock);
  saved.ForEach([&](bool, std::string_view key, std::string_view value) {
    CHECK(resumed.RestoreEntry(key, value).ok());
  });
  CHECK(resumed.Open().ok());
  RowBatch batch(Readings().size(), 64);
  bool done = false;
  CHECK(resumed.Read(&batch, &done).ok());
  LONGS_EQUAL(1, batch.size());  // not a burst of the rows "owed" since 0
  CHECK(batch.row(0)[kTs].i64 == (1700000000000 + 51 * 5) * 1000000);
}
