// ReplaySpill on real LevelDB directories: batches moved out of a full
// replay buffer come back in order from any row, are forgotten once
// acknowledged, survive reopening, stay within the budget, and a full disk
// or a foreign directory is a clear error that loses no batch.
#include <leveldb/db.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/checkpoint/listing_env.h"
#include "tests/testing/faulty_env.h"
#include "tests/testing/leveldb_env_started.h"
#include "tests/testing/temp_dir.h"
#include "transports/zmq/replay_buffer.h"
#include "transports/zmq/replay_spill.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::testing::FaultyEnv;
using runnel::testing::TempDir;
using runnel::zmq::ReplayBuffer;
using runnel::zmq::ReplaySpill;

namespace {

constexpr uint32_t kRows = 10;  // rows per batch

// Batch i (0-based) holds rows 10i+1 .. 10i+10; its message (88 bytes)
// names it.
std::string Message(uint64_t i) {
  std::string message = "batch " + std::to_string(i);
  message.resize(88, '.');
  return message;
}

void AppendBatches(ReplayBuffer* buffer, uint64_t first, uint64_t count) {
  for (uint64_t i = first; i < first + count; ++i) {
    CHECK(buffer->Append(i * kRows + 1, kRows, Message(i)));
  }
}

// The messages of the batches holding rows from `row` on.
std::vector<std::string> From(ReplaySpill* spill, uint64_t row) {
  std::vector<std::string> messages;
  CHECK(spill->ForEachFrom(row, [&](const ReplayBuffer::Entry& e) {
                 messages.emplace_back(e.message);
                 return true;
               }).ok());
  return messages;
}

std::vector<std::string> Messages(uint64_t first, uint64_t last) {
  std::vector<std::string> messages;
  for (uint64_t i = first; i <= last; ++i) messages.push_back(Message(i));
  return messages;
}

std::unique_ptr<ReplaySpill> OpenSpill(const std::string& dir, uint64_t budget = 1 << 20,
                                       leveldb::Env* env = nullptr) {
  auto spill = ReplaySpill::Open(dir, budget, env);
  CHECK_TEXT(spill.ok(), spill.status().message().c_str());
  return std::move(spill.value());
}

}  // namespace

TEST_GROUP(ReplaySpill) {
  TempDir temp;
  ReplayBuffer buffer{4096};
};

TEST(ReplaySpill, MovesTheOldestBatchesAndSendsThemBackFromAnyRow) {
  auto spill = OpenSpill(temp.File("spill"));
  CHECK(spill->empty());
  AppendBatches(&buffer, 0, 20);
  CHECK(spill->MoveOldest(&buffer, 500).ok());
  // Records of 16 + 88 bytes: five make 500.
  UNSIGNED_LONGLONGS_EQUAL(5, spill->entries());
  UNSIGNED_LONGLONGS_EQUAL(1, spill->low_number());
  UNSIGNED_LONGLONGS_EQUAL(5, spill->high_number());
  UNSIGNED_LONGLONGS_EQUAL(1, spill->first_row());
  UNSIGNED_LONGLONGS_EQUAL(50, spill->last_row());
  UNSIGNED_LONGLONGS_EQUAL(5 * (16 + 88), spill->bytes());
  UNSIGNED_LONGLONGS_EQUAL(15, buffer.entries());
  UNSIGNED_LONGLONGS_EQUAL(6, buffer.oldest_number());
  CHECK(From(spill.get(), 1) == Messages(0, 4));
  CHECK(From(spill.get(), 25) == Messages(2, 4));  // inside batch 2
  CHECK(From(spill.get(), 31) == Messages(3, 4));  // its first row
  CHECK(From(spill.get(), 51).empty());
  // More moves continue the run.
  CHECK(spill->MoveOldest(&buffer, 1).ok());
  UNSIGNED_LONGLONGS_EQUAL(6, spill->high_number());
  CHECK(From(spill.get(), 1) == Messages(0, 5));
}

TEST(ReplaySpill, ForgetsAcknowledgedBatchesAndKeepsItsStateAcrossReopening) {
  {
    auto spill = OpenSpill(temp.File("spill"));
    AppendBatches(&buffer, 0, 10);
    CHECK(spill->MoveOldest(&buffer, SIZE_MAX).ok());
    CHECK(buffer.empty());
    CHECK(spill->Release(35).ok());  // batch 3 (rows 31..40) not wholly acknowledged
    UNSIGNED_LONGLONGS_EQUAL(4, spill->low_number());
    UNSIGNED_LONGLONGS_EQUAL(31, spill->first_row());
    UNSIGNED_LONGLONGS_EQUAL(30, spill->released_row());
  }
  auto reopened = OpenSpill(temp.File("spill"));
  UNSIGNED_LONGLONGS_EQUAL(7, reopened->entries());
  UNSIGNED_LONGLONGS_EQUAL(4, reopened->low_number());
  UNSIGNED_LONGLONGS_EQUAL(10, reopened->high_number());
  UNSIGNED_LONGLONGS_EQUAL(100, reopened->last_row());
  UNSIGNED_LONGLONGS_EQUAL(30, reopened->released_row());
  UNSIGNED_LONGLONGS_EQUAL(7 * (16 + 88), reopened->bytes());
  CHECK(From(reopened.get(), 1) == Messages(3, 9));
  CHECK(reopened->Release(100).ok());
  CHECK(reopened->empty());
  UNSIGNED_LONGLONGS_EQUAL(0, reopened->bytes());
  UNSIGNED_LONGLONGS_EQUAL(100, reopened->released_row());
}

TEST(ReplaySpill, DiscardsBatchesNewerThanACheckpoint) {
  auto spill = OpenSpill(temp.File("spill"));
  AppendBatches(&buffer, 0, 10);
  CHECK(spill->MoveOldest(&buffer, SIZE_MAX).ok());
  CHECK(spill->DiscardAfter(6).ok());
  UNSIGNED_LONGLONGS_EQUAL(6, spill->high_number());
  UNSIGNED_LONGLONGS_EQUAL(60, spill->last_row());
  UNSIGNED_LONGLONGS_EQUAL(6 * (16 + 88), spill->bytes());
  CHECK(From(spill.get(), 1) == Messages(0, 5));
  CHECK(spill->Clear().ok());
  CHECK(spill->empty());
  UNSIGNED_LONGLONGS_EQUAL(0, spill->bytes());
}

// A checkpoint counted on batches 1..3; all were acknowledged (and more),
// then batches 4..6 spilled, and the process died. Restoring the
// checkpoint discards 4..6: the spill is empty, and still says rows
// through 60 were released, which is what lets the sink start.
TEST(ReplaySpill, DiscardingEverythingAfterAReleaseKeepsTheRowsReleased) {
  auto spill = OpenSpill(temp.File("spill"));
  AppendBatches(&buffer, 0, 6);
  CHECK(spill->MoveOldest(&buffer, 3 * (16 + 88)).ok());  // batches 1..3, rows 1..30
  CHECK(spill->Release(60).ok());
  CHECK(spill->empty());
  CHECK(spill->MoveOldest(&buffer, SIZE_MAX).ok());  // batches 4..6
  CHECK(spill->DiscardAfter(3).ok());
  CHECK(spill->empty());
  UNSIGNED_LONGLONGS_EQUAL(30, spill->released_row());
  CHECK(spill->Clear().ok());
  UNSIGNED_LONGLONGS_EQUAL(0, spill->released_row());
}

TEST(ReplaySpill, AFullBudgetMovesNothing) {
  auto spill = OpenSpill(temp.File("spill"), /*budget=*/3 * (16 + 88));
  AppendBatches(&buffer, 0, 10);
  CHECK(spill->MoveOldest(&buffer, SIZE_MAX).ok());  // three fit
  UNSIGNED_LONGLONGS_EQUAL(3, spill->entries());
  UNSIGNED_LONGLONGS_EQUAL(7, buffer.entries());
  const runnel::Status full = spill->MoveOldest(&buffer, 1);
  CHECK(full.code() == runnel::StatusCode::kResourceExhausted);
  STRCMP_CONTAINS("is full", full.message().c_str());
  STRCMP_CONTAINS("replay_spill_bytes", full.message().c_str());
  UNSIGNED_LONGLONGS_EQUAL(7, buffer.entries());
  CHECK(spill->Release(10).ok());  // room for one again
  CHECK(spill->MoveOldest(&buffer, 1).ok());
  UNSIGNED_LONGLONGS_EQUAL(6, buffer.entries());
}

TEST(ReplaySpill, AFullDiskIsAnErrorThatLosesNoBatch) {
  FaultyEnv env;
  auto spill = OpenSpill(temp.File("spill"), 1 << 20, &env);
  AppendBatches(&buffer, 0, 10);
  CHECK(spill->MoveOldest(&buffer, 300).ok());
  env.set_fault(FaultyEnv::Fault::kWrite);
  const runnel::Status failed = spill->MoveOldest(&buffer, 300);
  CHECK_FALSE(failed.ok());
  STRCMP_CONTAINS(temp.File("spill").c_str(), failed.message().c_str());
  // The batches not written stay in the buffer; the spill is as it was.
  UNSIGNED_LONGLONGS_EQUAL(7, buffer.entries());
  UNSIGNED_LONGLONGS_EQUAL(3, spill->entries());
  CHECK(From(spill.get(), 1) == Messages(0, 2));
}

TEST(ReplaySpill, RefusesALevelDbThatIsNotASpill) {
  leveldb::Options options;
  options.create_if_missing = true;
  leveldb::DB* db = nullptr;
  CHECK(leveldb::DB::Open(options, temp.File("other"), &db).ok());
  CHECK(db->Put(leveldb::WriteOptions(), "key", "value").ok());
  delete db;
  auto spill = ReplaySpill::Open(temp.File("other"), 1 << 20);
  CHECK_FALSE(spill.ok());
  STRCMP_CONTAINS("is not a replay spill", spill.status().message().c_str());
  STRCMP_CONTAINS(temp.File("other").c_str(), spill.status().message().c_str());
}

TEST(ReplaySpill, RefusesASpillWhoseBatchesDisagreeWithItsMetaRecord) {
  {
    auto spill = OpenSpill(temp.File("spill"));
    AppendBatches(&buffer, 0, 5);
    CHECK(spill->MoveOldest(&buffer, SIZE_MAX).ok());
  }
  // The newest batch (rows 41..50) vanishes behind the spill's back,
  // through a ListingEnv like the spill's: under qemu-arm the default Env
  // would miss the log files and see an empty database.
  runnel::checkpoint::ListingEnv env(leveldb::Env::Default());
  leveldb::Options options;
  options.env = &env;
  leveldb::DB* db = nullptr;
  CHECK(leveldb::DB::Open(options, temp.File("spill"), &db).ok());
  const char key[9] = {'e', 0, 0, 0, 0, 0, 0, 0, 41};
  CHECK(db->Delete(leveldb::WriteOptions(), leveldb::Slice(key, sizeof(key))).ok());
  delete db;
  auto spill = ReplaySpill::Open(temp.File("spill"), 1 << 20);
  CHECK_FALSE(spill.ok());
  STRCMP_CONTAINS("is corrupt: it should hold 5 batches", spill.status().message().c_str());
}
