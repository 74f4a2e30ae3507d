// DeadLetterFile on real files: records parse back with channel, reason,
// kept bytes and arrival size; an existing file is appended to; the size
// cap holds across restarts; a full disk (/dev/full) and an unopenable path
// are counted, never fatal, and leave whole records only; Write allocates
// nothing.
#include "transports/zmq/dead_letter.h"

#include <string>
#include <vector>

#include "tests/testing/allocation_counter.h"
#include "tests/testing/temp_dir.h"
#include "tests/transports/zmq/dead_letters.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::testing::DeadLetter;
using runnel::testing::ReadDeadLetters;
using runnel::testing::TempDir;
using runnel::zmq::DeadLetterFile;

TEST_GROUP(DeadLetterFile) {
  TempDir dir;
};

TEST(DeadLetterFile, RecordsParseBack) {
  std::string path = dir.File("dead.rnld");
  {
    DeadLetterFile file(path, 1 << 20, "in");
    CHECK(file.Open().ok());
    file.Write("readings", "not a Runnel envelope", std::string("\0\1\2junk", 7), 7);
    file.Write("", "a single-frame message", "abc", 3);
    file.Write("big", "too large", "first bytes", 1u << 30);
    UNSIGNED_LONGLONGS_EQUAL(3, file.written());
    UNSIGNED_LONGLONGS_EQUAL(0, file.not_written());
  }
  {  // Reopened: appended after what is there.
    DeadLetterFile file(path, 1 << 20, "in");
    CHECK(file.Open().ok());
    file.Write("readings", "line 2: field 'temp': expected a number", "x,1,oops", 8);
  }
  bool whole = false;
  std::vector<DeadLetter> records = ReadDeadLetters(path, &whole);
  CHECK(whole);
  LONGS_EQUAL(4, records.size());
  STRCMP_EQUAL("readings", records[0].channel.c_str());
  STRCMP_EQUAL("not a Runnel envelope", records[0].reason.c_str());
  CHECK(records[0].frame == std::string("\0\1\2junk", 7));
  UNSIGNED_LONGLONGS_EQUAL(7, records[0].frame_size);
  CHECK(records[0].received_at_ns > 1600000000LL * 1000000000);  // wall-clock time
  STRCMP_EQUAL("", records[1].channel.c_str());
  STRCMP_EQUAL("abc", records[1].frame.c_str());
  STRCMP_EQUAL("first bytes", records[2].frame.c_str());
  UNSIGNED_LONGLONGS_EQUAL(1u << 30, records[2].frame_size);
  STRCMP_EQUAL("x,1,oops", records[3].frame.c_str());
}

TEST(DeadLetterFile, NeverGrowsPastItsCap) {
  std::string path = dir.File("dead.rnld");
  const std::string frame(100, 'f');
  const uint64_t record = DeadLetterFile::kHeaderBytes + 2 + 3 + frame.size();  // 133
  {
    DeadLetterFile file(path, 1000, "in");
    CHECK(file.Open().ok());
    for (int i = 0; i < 20; ++i) file.Write("ch", "bad", frame, frame.size());
    UNSIGNED_LONGLONGS_EQUAL(1000 / record, file.written());
    UNSIGNED_LONGLONGS_EQUAL(20 - 1000 / record, file.not_written());
  }
  {  // A restart does not reset the cap: the file's size counts.
    DeadLetterFile file(path, 1000, "in");
    CHECK(file.Open().ok());
    file.Write("ch", "bad", frame, frame.size());
    UNSIGNED_LONGLONGS_EQUAL(0, file.written());
    UNSIGNED_LONGLONGS_EQUAL(1, file.not_written());
  }
  bool whole = false;
  LONGS_EQUAL(1000 / record, ReadDeadLetters(path, &whole).size());
  CHECK(whole);
}

TEST(DeadLetterFile, FailedWritesAreCountedNotFatal) {
  DeadLetterFile full("/dev/full", 1 << 20, "in");  // every write: ENOSPC
  CHECK(full.Open().ok());
  for (int i = 0; i < 3; ++i) full.Write("ch", "bad", "frame", 5);
  UNSIGNED_LONGLONGS_EQUAL(0, full.written());
  UNSIGNED_LONGLONGS_EQUAL(3, full.not_written());

  DeadLetterFile missing(dir.File("no/such/dir/dead.rnld"), 1 << 20, "in");
  CHECK_FALSE(missing.Open().ok());
  missing.Write("ch", "bad", "frame", 5);
  UNSIGNED_LONGLONGS_EQUAL(1, missing.not_written());
}

TEST(DeadLetterFile, WriteDoesNotAllocate) {
  DeadLetterFile file(dir.File("dead.rnld"), 1 << 20, "in");
  CHECK(file.Open().ok());
  const std::string frame(4000, 'x');
  file.Write("ch", "warm-up", frame, frame.size());
  runnel::testing::StartCountingAllocations();
  for (int i = 0; i < 100; ++i) file.Write("readings", "bad frame", frame, frame.size());
  UNSIGNED_LONGLONGS_EQUAL(0, runnel::testing::StopCountingAllocations());
  UNSIGNED_LONGLONGS_EQUAL(101, file.written());
}
