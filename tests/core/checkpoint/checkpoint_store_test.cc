#include "core/checkpoint/checkpoint_store.h"

#include <errno.h>
#include <string.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <leveldb/db.h>
#include <leveldb/env.h>
#include <leveldb/iterator.h>

#include "core/checkpoint/listing_env.h"
#include "tests/testing/faulty_env.h"
#include "tests/testing/leveldb_env_started.h"
#include "tests/testing/temp_dir.h"

// CppUTest last: its leak detector redefines `new` for what follows.
// clang-format off
#include <CppUTest/TestHarness.h>
// clang-format on

using runnel::testing::FaultyEnv;
using runnel::StatusCode;
using runnel::checkpoint::CheckpointInfo;
using runnel::checkpoint::CheckpointStore;
using runnel::checkpoint::StoreOptions;
using runnel::testing::TempDir;
using namespace std::string_literals;

namespace {

using Entries = std::map<std::string, std::string>;

std::unique_ptr<CheckpointStore> OpenOk(const std::string& dir,
                                        StoreOptions options = {},
                                        const std::string& fingerprint = "fp1") {
  auto opened = CheckpointStore::Open(dir, fingerprint, options);
  if (!opened.ok()) FAIL(opened.status().message().c_str());
  return std::move(opened.value());
}

Entries Read(const CheckpointStore& store, uint64_t id, std::string_view space) {
  Entries entries;
  std::string last;
  bool first = true;
  const runnel::Status s =
      store.ForEach(id, space, [&](std::string_view key, std::string_view value) {
        // Key order, each key once.
        if (!first) CHECK(last < key);
        first = false;
        last.assign(key);
        entries.emplace(std::string(key), std::string(value));
      });
  if (!s.ok()) FAIL(s.message().c_str());
  return entries;
}

std::vector<uint64_t> Ids(const CheckpointStore& store) {
  std::vector<uint64_t> ids;
  for (const CheckpointInfo& info : store.Checkpoints()) ids.push_back(info.id);
  return ids;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Every record in the LevelDB directory, read directly (the store closed).
// Through a ListingEnv like the store's: under qemu-arm, the default Env
// would miss the log files.
size_t RawEntryCount(const std::string& dir) {
  runnel::checkpoint::ListingEnv env(leveldb::Env::Default());
  leveldb::DB* db = nullptr;
  leveldb::Options options;
  options.env = &env;
  if (!leveldb::DB::Open(options, dir, &db).ok()) return 0;
  size_t count = 0;
  {
    std::unique_ptr<leveldb::Iterator> it(db->NewIterator({}));
    for (it->SeekToFirst(); it->Valid(); it->Next()) ++count;
  }
  delete db;
  return count;
}

enum class Where { kThroughout, kMiddle };

// Flips bytes of every file of `dir` whose name ends in `suffix`, at seven
// places or only in the middle; returns how many files it changed.
int CorruptFiles(const std::string& dir, const std::string& suffix,
                 Where where = Where::kThroughout) {
  int changed = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    const std::string path = file.path().string();
    if (path.size() < suffix.size() ||
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    std::string contents = runnel::testing::ReadFile(path);
    if (contents.size() < 64) continue;
    if (where == Where::kMiddle) {
      for (size_t i = 0; i < 4; ++i) contents[contents.size() / 2 + i] ^= 0x5a;
    } else {
      for (size_t at = 8; at + 8 < contents.size(); at += contents.size() / 7) {
        for (size_t i = 0; i < 4; ++i) contents[at + i] ^= 0x5a;
      }
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << contents;
    ++changed;
  }
  return changed;
}


}  // namespace

TEST_GROUP(CheckpointStore) {
  TempDir temp;
  std::string dir() { return temp.File("store"); }
};

TEST(CheckpointStore, RoundTripsBinaryKeysAndValuesAcrossSpaces) {
  auto store = OpenOk(dir());
  CHECK(store->Checkpoints().empty());
  store->BeginCheckpoint(1, false);
  // Spaces and keys where '\0' would let one prefix swallow another.
  store->Put("a", "b", "in a");
  store->Put("a", "", "empty key");
  store->Put("a", "\0"s, "nul key");
  store->Put("a", "\0\0"s, "\0value\0"s);
  store->Put("a\0b"s, "x", "in a\\0b");
  store->Put("a\0"s, "\0b"s, "in a\\0");
  store->Put("op/windows", "k\xff\x01"s, "\xff\0\x01"s);
  LONGS_EQUAL(StatusCode::kOk, store->CommitCheckpoint(1000).code());

  const Entries a = Read(*store, 1, "a");
  LONGS_EQUAL(4, a.size());
  STRCMP_EQUAL("in a", a.at("b").c_str());
  STRCMP_EQUAL("empty key", a.at("").c_str());
  STRCMP_EQUAL("nul key", a.at("\0"s).c_str());
  CHECK("\0value\0"s == a.at("\0\0"s));
  const Entries ab = Read(*store, 1, "a\0b"s);
  LONGS_EQUAL(1, ab.size());
  STRCMP_EQUAL("in a\\0b", ab.at("x").c_str());
  const Entries a0 = Read(*store, 1, "a\0"s);
  LONGS_EQUAL(1, a0.size());
  STRCMP_EQUAL("in a\\0", a0.at("\0b"s).c_str());
  CHECK("\xff\0\x01"s == Read(*store, 1, "op/windows").at("k\xff\x01"s));
  CHECK(Read(*store, 1, "b").empty());

  auto spaces = store->Spaces(1);
  CHECK(spaces.ok());
  LONGS_EQUAL(4, spaces.value().size());
  CHECK("a"s == spaces.value()[0].space);
  LONGS_EQUAL(4, spaces.value()[0].entries);
  LONGS_EQUAL(1 + 4 + 0 + 9 + 1 + 7 + 2 + 7, spaces.value()[0].bytes);
  CHECK("a\0"s == spaces.value()[1].space);
  CHECK("a\0b"s == spaces.value()[2].space);
  CHECK("op/windows"s == spaces.value()[3].space);

  const std::vector<CheckpointInfo> infos = store->Checkpoints();
  LONGS_EQUAL(1, infos.size());
  LONGS_EQUAL(1, infos[0].id);
  LONGS_EQUAL(1000, infos[0].wall_ms);
  CHECK_FALSE(infos[0].full);
  LONGS_EQUAL(7, infos[0].puts);
  LONGS_EQUAL(0, infos[0].deletes);
}

TEST(CheckpointStore, LaterCheckpointSeesUnchangedEntriesAndDeletesHideThem) {
  auto store = OpenOk(dir());
  store->BeginCheckpoint(1, false);
  store->Put("s", "k1", "v1");
  store->Put("s", "k2", "v2");
  store->Put("s", "k3", "v3");
  CHECK(store->CommitCheckpoint(1).ok());
  store->BeginCheckpoint(2, false);
  store->Put("s", "k2", "v2b");
  store->Delete("s", "k3");
  store->Delete("s", "never-put");
  CHECK(store->CommitCheckpoint(2).ok());

  const Entries two = Read(*store, 2, "s");
  LONGS_EQUAL(2, two.size());
  STRCMP_EQUAL("v1", two.at("k1").c_str());
  STRCMP_EQUAL("v2b", two.at("k2").c_str());
  const CheckpointInfo info = store->Checkpoints().back();
  LONGS_EQUAL(1, info.puts);
  LONGS_EQUAL(2, info.deletes);
  LONGS_EQUAL(2 + 3 + 2 + 9, info.bytes);

  // Put again after a delete.
  store->BeginCheckpoint(3, false);
  store->Put("s", "k3", "v3c");
  CHECK(store->CommitCheckpoint(3).ok());
  STRCMP_EQUAL("v3c", Read(*store, 3, "s").at("k3").c_str());
}

TEST(CheckpointStore, OlderRetainedCheckpointReadsItsOwnState) {
  auto store = OpenOk(dir());
  for (uint64_t id = 1; id <= 3; ++id) {
    store->BeginCheckpoint(id, false);
    store->Put("s", "k", "v" + std::to_string(id));
    if (id == 2) store->Delete("s", "gone");
    if (id == 1) store->Put("s", "gone", "x");
    CHECK(store->CommitCheckpoint(id).ok());
  }
  const Entries one = Read(*store, 1, "s");
  LONGS_EQUAL(2, one.size());
  STRCMP_EQUAL("v1", one.at("k").c_str());
  const Entries two = Read(*store, 2, "s");
  LONGS_EQUAL(1, two.size());
  STRCMP_EQUAL("v2", two.at("k").c_str());
  STRCMP_EQUAL("v3", Read(*store, 3, "s").at("k").c_str());
}

TEST(CheckpointStore, KeepsOnlyTheRetainedCheckpointsReadable) {
  StoreOptions options;
  options.retained = 2;
  auto store = OpenOk(dir(), options);
  for (uint64_t id = 1; id <= 5; ++id) {
    store->BeginCheckpoint(id * 10, false);
    store->Put("s", "k" + std::to_string(id), "v");
    CHECK(store->CommitCheckpoint(id).ok());
  }
  CHECK((std::vector<uint64_t>{40, 50}) == Ids(*store));
  const Entries oldest = Read(*store, 40, "s");
  LONGS_EQUAL(4, oldest.size());
  LONGS_EQUAL(5, Read(*store, 50, "s").size());

  const runnel::Status gone = store->ForEach(30, "s", [](auto, auto) {});
  LONGS_EQUAL(StatusCode::kInvalidArgument, gone.code());
  CHECK(Contains(gone.message(), "checkpoint 30 is not readable in " + dir()));
  CHECK(Contains(gone.message(), "40, 50"));
  CHECK_FALSE(store->Spaces(30).ok());

  // Ids must grow.
  store->BeginCheckpoint(50, false);
  const runnel::Status again = store->CommitCheckpoint(6);
  CHECK_FALSE(again.ok());
  CHECK(Contains(again.message(), "not above the latest checkpoint 50"));
}

TEST(CheckpointStore, FullCheckpointDeletesWhatItDidNotPut) {
  auto store = OpenOk(dir());
  store->BeginCheckpoint(1, false);
  store->Put("a", "keep", "1");
  store->Put("a", "drop", "22");
  store->Put("b", "drop", "3");
  store->Put("b", "deleted", "4");
  CHECK(store->CommitCheckpoint(1).ok());
  store->BeginCheckpoint(2, true);
  store->Put("a", "keep", "1b");
  store->Put("c", "new", "5");
  store->Delete("b", "deleted");
  CHECK(store->CommitCheckpoint(2).ok());

  const Entries a = Read(*store, 2, "a");
  LONGS_EQUAL(1, a.size());
  STRCMP_EQUAL("1b", a.at("keep").c_str());
  CHECK(Read(*store, 2, "b").empty());
  LONGS_EQUAL(1, Read(*store, 2, "c").size());
  auto spaces = store->Spaces(2);
  CHECK(spaces.ok());
  LONGS_EQUAL(2, spaces.value().size());
  // The checkpoint before is untouched.
  LONGS_EQUAL(2, Read(*store, 1, "a").size());
  LONGS_EQUAL(2, Read(*store, 1, "b").size());

  const CheckpointInfo info = store->Checkpoints().back();
  CHECK(info.full);
  LONGS_EQUAL(2, info.puts);
  LONGS_EQUAL(3, info.deletes);  // b/deleted, and a/drop, b/drop unput
}

TEST(CheckpointStore, ReopeningSeesEverything) {
  {
    auto store = OpenOk(dir());
    for (uint64_t id = 1; id <= 3; ++id) {
      store->BeginCheckpoint(id, id == 2);
      store->Put("s", "k" + std::to_string(id), "v\0"s + std::to_string(id));
      CHECK(store->CommitCheckpoint(100 + id).ok());
    }
  }
  auto store = OpenOk(dir());
  const std::vector<CheckpointInfo> infos = store->Checkpoints();
  CHECK((std::vector<uint64_t>{1, 2, 3}) == Ids(*store));
  LONGS_EQUAL(102, infos[1].wall_ms);
  CHECK(infos[1].full);
  LONGS_EQUAL(1, infos[1].deletes);
  LONGS_EQUAL(1, Read(*store, 1, "s").size());
  const Entries three = Read(*store, 3, "s");
  LONGS_EQUAL(2, three.size());
  CHECK("v\0003"s == three.at("k3"));
  // And it goes on from there.
  store->BeginCheckpoint(4, false);
  store->Delete("s", "k2");
  CHECK(store->CommitCheckpoint(104).ok());
  LONGS_EQUAL(1, Read(*store, 4, "s").size());
}

TEST(CheckpointStore, RefusesAStoreOfAnotherGraph) {
  {
    auto store = OpenOk(dir(), {}, "graph-a-1234");
    store->BeginCheckpoint(1, false);
    store->Put("s", "k", "v");
    CHECK(store->CommitCheckpoint(1).ok());
  }
  auto other = CheckpointStore::Open(dir(), "graph-b-5678");
  CHECK_FALSE(other.ok());
  LONGS_EQUAL(StatusCode::kInvalidArgument, other.status().code());
  const std::string& message = other.status().message();
  CHECK(Contains(message, dir()));
  CHECK(Contains(message, "graph-a-1234"));
  CHECK(Contains(message, "graph-b-5678"));
  // Refusing changed nothing.
  auto same = OpenOk(dir(), {}, "graph-a-1234");
  STRCMP_EQUAL("v", Read(*same, 1, "s").at("k").c_str());
}

TEST(CheckpointStore, RefusesADirectoryThatIsNotAStore) {
  temp.Write("notes.txt", "not a database");
  auto plain = CheckpointStore::Open(temp.path(), "fp1");
  CHECK_FALSE(plain.ok());
  CHECK(Contains(plain.status().message(), temp.path()));
  CHECK(Contains(plain.status().message(), "not a Runnel checkpoint store"));

  const std::string leveldb_dir = temp.File("other-leveldb");
  {
    leveldb::DB* db = nullptr;
    leveldb::Options options;
    options.create_if_missing = true;
    CHECK(leveldb::DB::Open(options, leveldb_dir, &db).ok());
    CHECK(db->Put({}, "someone", "else's").ok());
    delete db;
  }
  auto foreign = CheckpointStore::Open(leveldb_dir, "fp1");
  CHECK_FALSE(foreign.ok());
  CHECK(Contains(foreign.status().message(), leveldb_dir));
  CHECK(Contains(foreign.status().message(), "meta record"));

  auto bad = CheckpointStore::Open(dir(), "fp1", StoreOptions{0, nullptr});
  CHECK_FALSE(bad.ok());
}

// A kill -9 while LevelDB creates a store leaves its files without CURRENT
// (written before any data): that is an empty store, not a foreign one.
TEST(CheckpointStore, OpensWhatAnInterruptedCreationLeft) {
  TempDir temp;
  temp.Write("LOCK", "");
  temp.Write("LOG", "2026/11/24-13:41:08.532 creating");
  temp.Write("MANIFEST-000001", "torn");
  auto store = CheckpointStore::Open(temp.path(), "fp1");
  CHECK_TEXT(store.ok(), store.status().message().c_str());
  LONGS_EQUAL(0, store.value()->Checkpoints().size());
  store.value()->BeginCheckpoint(1, false);
  store.value()->Put("op/x", "k", "v");
  CHECK(store.value()->CommitCheckpoint(1).ok());
  LONGS_EQUAL(1, store.value()->Checkpoints().size());
}

TEST(CheckpointStore, FailedWriteKeepsThePreviousCheckpoint) {
  FaultyEnv env;
  StoreOptions options;
  options.env = &env;
  {
    auto store = OpenOk(dir(), options);
    store->BeginCheckpoint(11, false);
    store->Put("s", "k", "v11");
    CHECK(store->CommitCheckpoint(1).ok());

    env.set_fault(FaultyEnv::Fault::kWrite);
    store->BeginCheckpoint(12, false);
    store->Put("s", "k", "v12");
    store->Put("s", "k12", "v12");
    const runnel::Status failed = store->CommitCheckpoint(2);
    LONGS_EQUAL(StatusCode::kIoError, failed.code());
    CHECK(Contains(failed.message(), "checkpoint 12 not written to " + dir()));
    CHECK(Contains(failed.message(), "No space left on device"));
    CHECK(Contains(failed.message(), "checkpoint 11 stays the latest"));
    CHECK((std::vector<uint64_t>{11}) == Ids(*store));
    const Entries eleven = Read(*store, 11, "s");
    LONGS_EQUAL(1, eleven.size());
    STRCMP_EQUAL("v11", eleven.at("k").c_str());
    CHECK_FALSE(store->ForEach(12, "s", [](auto, auto) {}).ok());
  }
  // The directory as a restart finds it.
  {
    auto store = OpenOk(dir());
    CHECK((std::vector<uint64_t>{11}) == Ids(*store));
    STRCMP_EQUAL("v11", Read(*store, 11, "s").at("k").c_str());
  }
}

TEST(CheckpointStore, NextCheckpointAfterAFaultSucceeds) {
  FaultyEnv env;
  StoreOptions options;
  options.env = &env;
  for (FaultyEnv::Fault fault :
       {FaultyEnv::Fault::kWrite, FaultyEnv::Fault::kSync}) {
    TempDir fresh;
    const std::string path = fresh.File("store");
    {
      auto store = OpenOk(path, options);
      store->BeginCheckpoint(1, false);
      store->Put("s", "k", "v1");
      CHECK(store->CommitCheckpoint(1).ok());

      env.set_fault(fault);
      store->BeginCheckpoint(2, false);
      store->Put("s", "k", "v2");
      store->Put("s", "k2", "v2");
      CHECK_FALSE(store->CommitCheckpoint(2).ok());
      // Still failing: the reopen fails too, and says so.
      store->BeginCheckpoint(2, false);
      store->Put("s", "k", "v2");
      const runnel::Status still = store->CommitCheckpoint(2);
      CHECK_FALSE(still.ok());
      CHECK(Contains(still.message(), "checkpoint 1 stays the latest"));

      env.set_fault(FaultyEnv::Fault::kNone);
      store->BeginCheckpoint(3, false);
      store->Put("s", "k3", "v3");
      const runnel::Status next = store->CommitCheckpoint(3);
      if (!next.ok()) FAIL(next.message().c_str());
      CHECK((std::vector<uint64_t>{1, 3}) == Ids(*store));
      // Nothing of checkpoint 2, even where its log record survived.
      const Entries three = Read(*store, 3, "s");
      LONGS_EQUAL(2, three.size());
      STRCMP_EQUAL("v1", three.at("k").c_str());
      STRCMP_EQUAL("v3", three.at("k3").c_str());
    }
    auto store = OpenOk(path);
    CHECK((std::vector<uint64_t>{1, 3}) == Ids(*store));
    LONGS_EQUAL(2, Read(*store, 3, "s").size());
  }
}

TEST(CheckpointStore, CorruptLogIsAnErrorNamingTheDirectory) {
  {
    auto store = OpenOk(dir());
    store->BeginCheckpoint(1, false);
    for (int i = 0; i < 200; ++i) {
      store->Put("s", "key" + std::to_string(i), std::string(40, 'a' + i % 26));
    }
    CHECK(store->CommitCheckpoint(1).ok());
  }
  CHECK(CorruptFiles(dir(), ".log") > 0);
  auto opened = CheckpointStore::Open(dir(), "fp1");
  CHECK_FALSE(opened.ok());
  LONGS_EQUAL(StatusCode::kDataError, opened.status().code());
  CHECK(Contains(opened.status().message(), dir()));
  CHECK(Contains(opened.status().message(), "Corruption"));
}

TEST(CheckpointStore, CorruptTableIsAnErrorNamingTheDirectory) {
  {
    auto store = OpenOk(dir());
    store->BeginCheckpoint(1, false);
    for (int i = 0; i < 2000; ++i) {
      store->Put("s", "key" + std::to_string(i), std::to_string(i * 7919));
    }
    CHECK(store->CommitCheckpoint(1).ok());
  }
  OpenOk(dir());  // recovery moves the log into a table file
  CHECK(CorruptFiles(dir(), ".ldb") > 0);
  auto opened = CheckpointStore::Open(dir(), "fp1");
  runnel::Status error = opened.status();
  if (opened.ok()) error = opened.value()->ForEach(1, "s", [](auto, auto) {});
  CHECK_FALSE(error.ok());
  LONGS_EQUAL(StatusCode::kDataError, error.code());
  CHECK(Contains(error.message(), dir()));
}

TEST(CheckpointStore, ReadErrorNamesCheckpointAndSpace) {
  {
    auto store = OpenOk(dir());
    store->BeginCheckpoint(1, false);
    store->Put("meta", "k", "v");
    CHECK(store->CommitCheckpoint(1).ok());
    store->BeginCheckpoint(2, false);
    for (int i = 0; i < 5000; ++i) {
      store->Put("s", "key" + std::to_string(i), std::to_string(i * 7919));
    }
    CHECK(store->CommitCheckpoint(2).ok());
  }
  OpenOk(dir());
  // The entries of "s" fill the middle blocks of the table; the checkpoint
  // and meta records sort before ('C') and after ('M') them.
  CHECK(CorruptFiles(dir(), ".ldb", Where::kMiddle) > 0);
  auto opened = CheckpointStore::Open(dir(), "fp1");
  if (!opened.ok()) FAIL(opened.status().message().c_str());
  const CheckpointStore& store = *opened.value();
  const runnel::Status error = store.ForEach(2, "s", [](auto, auto) {});
  LONGS_EQUAL(StatusCode::kDataError, error.code());
  CHECK(Contains(error.message(), "checkpoint 2 of " + dir() + ", space 's'"));
  CHECK(Contains(error.message(), "Corruption"));
  CHECK_FALSE(store.Spaces(2).ok());
  // What is left intact still reads.
  LONGS_EQUAL(1, Read(store, 1, "meta").size());
}

TEST(CheckpointStore, GarbageCollectionKeepsTheDatabaseBounded) {
  StoreOptions options;
  options.retained = 3;
  constexpr int kKeys = 20;
  constexpr int kUnique = 10;
  constexpr uint64_t kCheckpoints = 300;
  std::vector<size_t> counts;
  auto store = OpenOk(dir(), options);
  for (uint64_t id = 1; id <= kCheckpoints; ++id) {
    store->BeginCheckpoint(id, false);
    for (int k = 0; k < kKeys; ++k) {
      store->Put("same", "k" + std::to_string(k), std::to_string(id));
    }
    for (int u = 0; u < kUnique; ++u) {
      store->Put("unique", std::to_string(id) + "/" + std::to_string(u), "v");
      if (id > 1) {
        store->Delete("unique", std::to_string(id - 1) + "/" + std::to_string(u));
      }
    }
    CHECK(store->CommitCheckpoint(id).ok());
    if (id % 50 == 0) {
      // The oldest retained still reads its own state.
      const Entries unique = Read(*store, id - 2, "unique");
      LONGS_EQUAL(kUnique, unique.size());
      CHECK(unique.count(std::to_string(id - 2) + "/0") == 1);
      STRCMP_EQUAL(std::to_string(id - 2).c_str(),
                   Read(*store, id - 2, "same").at("k7").c_str());
      store.reset();
      counts.push_back(RawEntryCount(dir()));
      store = OpenOk(dir(), options);
    }
  }
  // Without collection: 300 * (20 + 20) entries. With it, per key at most
  // the versions of two sweep periods, whatever the number of checkpoints.
  const size_t bound = 1 + 3 + (kKeys + 2 * kUnique) * (2 * 3 + 1);
  for (size_t count : counts) {
    CHECK(count > 0);
    CHECK(count <= bound);
  }
  CHECK(counts.back() <= counts.front() + 2 * kUnique);
}
