// CsvSink in transactional mode: the checkpoint hooks called in the
// coordinator's order, crashes (a child process killed with SIGKILL) at
// every point of the protocol, and recovery from the last stored checkpoint
// giving the output of a run without failures, exactly once.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "core/runtime/state_buffer.h"
#include "tests/testing/temp_dir.h"
#include "transports/file/csv_sink.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::Status;
using runnel::file::CsvSink;
using runnel::file::CsvSinkOptions;
using runnel::runtime::StateBuffer;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

constexpr int kRows = 30;
constexpr int kRowsPerCheckpoint = 5;  // checkpoints 1..6, 6 the final one

Schema Counts() {
  return Schema({{"device", FieldType::kSym, TimeUnit::kMs}, {"n", FieldType::kI64, TimeUnit::kMs}});
}

// What a run without failures writes to PATH.
std::string Expected() {
  std::string text = "device,n\n";
  for (int r = 0; r < kRows; ++r) text += "dev-" + std::to_string(r % 3) + "," + std::to_string(r) + "\n";
  return text;
}

// The part files in `dir`, by name.
std::vector<std::string> Parts(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// `cat PATH.part-*`: the committed parts concatenated in name order.
std::string Committed(const std::string& dir) {
  std::string text;
  for (const std::string& name : Parts(dir)) {
    if (name.rfind("out.csv.part-", 0) == 0 && name.find(".inprogress") == std::string::npos) {
      text += runnel::testing::ReadFile(dir + "/" + name);
    }
  }
  return text;
}

// The checkpoint store, as the coordinator's LevelDB would hold it: the id
// of the last stored checkpoint, the rows before it, and the sink's records.
// Written with write-then-rename, so a kill leaves the old or the new one.
struct Stored {
  uint64_t id = 0;
  uint64_t rows = 0;
  std::vector<std::pair<std::string, std::string>> records;
};

bool Store(const std::string& path, uint64_t id, uint64_t rows, const StateBuffer& buffer) {
  std::string bytes(reinterpret_cast<const char*>(&id), 8);
  bytes.append(reinterpret_cast<const char*>(&rows), 8);
  buffer.ForEach([&](bool, std::string_view key, std::string_view value) {
    const uint32_t sizes[2] = {static_cast<uint32_t>(key.size()),
                               static_cast<uint32_t>(value.size())};
    bytes.append(reinterpret_cast<const char*>(sizes), 8);
    bytes.append(key).append(value);
  });
  const std::string temp = path + ".tmp";
  FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) return false;
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  if (std::fclose(file) != 0 || !written) return false;
  return std::rename(temp.c_str(), path.c_str()) == 0;
}

Stored Load(const std::string& path) {
  Stored stored;
  const std::string bytes = runnel::testing::ReadFile(path);
  if (bytes.size() < 16) return stored;  // nothing stored yet
  std::memcpy(&stored.id, bytes.data(), 8);
  std::memcpy(&stored.rows, bytes.data() + 8, 8);
  for (size_t at = 16; at < bytes.size();) {
    uint32_t sizes[2];
    std::memcpy(sizes, bytes.data() + at, 8);
    at += 8;
    stored.records.emplace_back(bytes.substr(at, sizes[0]), bytes.substr(at + sizes[0], sizes[1]));
    at += sizes[0] + sizes[1];
  }
  return stored;
}

// Where the child is killed, at checkpoint `crash_id`.
enum class Crash {
  kNone,
  kAfterPrepare,    // PrepareCommit returned; not synced, not stored
  kAfterStore,      // SyncPrepared returned and the checkpoint is stored
  kBeforeCommit,    // ...and rows after it are in the next part
  kAfterCommit,     // Commit returned
};

// Runs the job from row `first` (the rows of a restored checkpoint come
// before it) with checkpoint ids from `next_id`, as the coordinator would:
// PrepareCommit; SyncPrepared; store; the rows after it are written; then
// Commit (so the task stages on while the writer commits). The final
// checkpoint commits at once. Returns false on any failure. Calls
// raise(SIGKILL) at `crash` of checkpoint `crash_id`.
bool RunJob(CsvSink* sink, SymbolTable* symbols, const std::string& store, int first,
            uint64_t next_id, Crash crash = Crash::kNone, uint64_t crash_id = 0) {
  RowBatch batch(2, kRowsPerCheckpoint);
  StateBuffer buffer(sink->checkpoint_bytes());
  uint64_t pending_commit = 0;
  for (int r = first; r < kRows;) {
    batch.Clear();
    while (!batch.full() && r < kRows) {
      auto* row = batch.Append();
      uint32_t id = 0;
      if (!symbols->Intern("dev-" + std::to_string(r % 3), &id)) return false;
      row[0].i64 = id;
      row[1].i64 = r++;
      if (r % kRowsPerCheckpoint == 0) break;
    }
    if (!sink->Write(batch).ok()) return false;
    if (pending_commit != 0) {
      if (crash == Crash::kBeforeCommit && pending_commit == crash_id) raise(SIGKILL);
      if (!sink->Commit(pending_commit).ok()) return false;
      if (crash == Crash::kAfterCommit && pending_commit == crash_id) raise(SIGKILL);
      pending_commit = 0;
    }
    if (r % kRowsPerCheckpoint != 0 && r != kRows) continue;
    const uint64_t id = next_id++;
    buffer.Clear();
    if (!sink->PrepareCommit(id, false, &buffer).ok()) return false;
    if (crash == Crash::kAfterPrepare && id == crash_id) raise(SIGKILL);
    if (!sink->SyncPrepared(id).ok() || !Store(store, id, static_cast<uint64_t>(r), buffer)) {
      return false;
    }
    if (crash == Crash::kAfterStore && id == crash_id) raise(SIGKILL);
    pending_commit = id;
  }
  if (pending_commit != 0) {  // the final checkpoint
    if (crash == Crash::kBeforeCommit && pending_commit == crash_id) raise(SIGKILL);
    if (!sink->Commit(pending_commit).ok()) return false;
    if (crash == Crash::kAfterCommit && pending_commit == crash_id) raise(SIGKILL);
  }
  return sink->Close().ok();
}

CsvSinkOptions Transactional(const std::string& path) {
  CsvSinkOptions options;
  options.path = path;
  options.transactional = true;
  return options;
}

}  // namespace

TEST_GROUP(CsvSinkCheckpoints) {
  runnel::testing::TempDir dir;
  SymbolTable symbols{64, 1024};

  std::string out() const { return dir.File("out/out.csv"); }
  std::string out_dir() const { return dir.File("out"); }
  std::string store() const { return dir.File("store"); }

  // Rows written below with their device slot left 0 name id 0: "dev-0".
  void setup() override {
    std::filesystem::create_directory(out_dir());
    uint32_t id = 0;
    CHECK(symbols.Intern("dev-0", &id));
    LONGS_EQUAL(0, id);
  }

  // Restores a fresh sink from the stored checkpoint (if any) and runs
  // the rest of the job.
  void Recover() {
    const Stored stored = Load(store());
    CsvSink sink(Transactional(out()), Counts(), &symbols);
    for (const auto& [key, value] : stored.records) CHECK(sink.RestoreEntry(key, value).ok());
    const Status open = sink.Open();
    CHECK_TEXT(open.ok(), open.message().c_str());
    for (const std::string& name : Parts(out_dir())) {
      CHECK_TEXT(name.find(".inprogress") == std::string::npos, name.c_str());
    }
    CHECK(RunJob(&sink, &symbols, store(), static_cast<int>(stored.rows), stored.id + 1));
  }
};

TEST(CsvSinkCheckpoints, PartsConcatenatedEqualARunWithoutCheckpoints) {
  CsvSink sink(Transactional(out()), Counts(), &symbols);
  CHECK(sink.transactional());
  CHECK(sink.Open().ok());
  CHECK(RunJob(&sink, &symbols, store(), 0, 1));
  STRCMP_EQUAL(Expected().c_str(), Committed(out_dir()).c_str());
  const std::vector<std::string> parts = Parts(out_dir());
  LONGS_EQUAL(6, parts.size());
  STRCMP_EQUAL("out.csv.part-000000", parts[0].c_str());
  STRCMP_EQUAL("out.csv.part-000005", parts[5].c_str());
  // The header is in the first part only.
  STRCMP_EQUAL("device,n\ndev-0,0\ndev-1,1\ndev-2,2\ndev-0,3\ndev-1,4\n",
               runnel::testing::ReadFile(out_dir() + "/" + parts[0]).c_str());
}

TEST(CsvSinkCheckpoints, RecoversExactlyOnceFromAKillAtEveryPoint) {
  const Crash crashes[] = {Crash::kAfterPrepare, Crash::kAfterStore, Crash::kBeforeCommit,
                           Crash::kAfterCommit};
  for (uint64_t crash_id = 1; crash_id <= 6; ++crash_id) {
    for (Crash crash : crashes) {
      std::filesystem::remove_all(out_dir());
      std::filesystem::create_directory(out_dir());
      std::filesystem::remove(store());
      const std::string what = "killed at checkpoint " + std::to_string(crash_id) + ", point " +
                               std::to_string(static_cast<int>(crash));
      const pid_t child = fork();
      CHECK(child >= 0);
      if (child == 0) {
        SymbolTable child_symbols(64, 1024);
        CsvSink sink(Transactional(out()), Counts(), &child_symbols);
        if (!sink.Open().ok()) _exit(2);
        RunJob(&sink, &child_symbols, store(), 0, 1, crash, crash_id);
        _exit(3);  // not killed: the test is wrong
      }
      int status = 0;
      CHECK(waitpid(child, &status, 0) == child);
      CHECK_TEXT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, what.c_str());
      Recover();
      STRCMP_EQUAL_TEXT(Expected().c_str(), Committed(out_dir()).c_str(), what.c_str());
      for (const std::string& name : Parts(out_dir())) {
        CHECK_TEXT(name.find(".inprogress") == std::string::npos, (what + ": " + name).c_str());
      }
    }
  }
}

TEST(CsvSinkCheckpoints, OpenDiscardsPartsStagedAfterTheRestoredCheckpoint) {
  // Checkpoint 1 staged part 0 (committed); part 1 was staged by a
  // checkpoint never stored, part 2 was being written.
  dir.Write("out/out.csv.part-000000", "device,n\ndev-0,0\n");
  dir.Write("out/out.csv.part-000001.inprogress", "dev-1,1\n");
  dir.Write("out/out.csv.part-000002.inprogress", "dev-2,2\n");
  dir.Write("out/other.csv.part-000003.inprogress", "not ours\n");
  StateBuffer buffer(64);
  {
    CsvSink first(Transactional(out()), Counts(), &symbols);
    CHECK(first.Open().ok());  // a fresh start: removes all three
  }
  dir.Write("out/out.csv.part-000000.inprogress", "device,n\ndev-0,0\n");
  dir.Write("out/out.csv.part-000001.inprogress", "dev-1,1\n");
  // The record PrepareCommit(1) writes after staging part 0.
  char value[16] = {1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
  CsvSink sink(Transactional(out()), Counts(), &symbols);
  CHECK(sink.RestoreEntry("parts", std::string_view(value, 16)).ok());
  CHECK(sink.Open().ok());
  const std::vector<std::string> parts = Parts(out_dir());
  LONGS_EQUAL(2, parts.size());
  STRCMP_EQUAL("other.csv.part-000003.inprogress", parts[0].c_str());
  STRCMP_EQUAL("out.csv.part-000000", parts[1].c_str());  // its commit finished
  STRCMP_EQUAL("device,n\ndev-0,0\n", Committed(out_dir()).c_str());
}

TEST(CsvSinkCheckpoints, AFreshStartRemovesEveryPartOfItsPath) {
  dir.Write("out/out.csv.part-000000", "old\n");
  dir.Write("out/out.csv.part-000007", "old\n");
  dir.Write("out/out.csv.part-000008.inprogress", "old\n");
  dir.Write("out/out.csv.partial", "not a part\n");
  CsvSink sink(Transactional(out()), Counts(), &symbols);
  CHECK(sink.Open().ok());
  CHECK(sink.Close().ok());
  const std::vector<std::string> parts = Parts(out_dir());
  LONGS_EQUAL(1, parts.size());
  STRCMP_EQUAL("out.csv.partial", parts[0].c_str());
}

TEST(CsvSinkCheckpoints, CloseWithoutACheckpointCommitsNothing) {
  CsvSink sink(Transactional(out()), Counts(), &symbols);
  CHECK(sink.Open().ok());
  RowBatch batch(2, 4);
  batch.Append()[1].i64 = 1;
  CHECK(sink.Write(batch).ok());
  CHECK(sink.Close().ok());
  const std::vector<std::string> parts = Parts(out_dir());
  LONGS_EQUAL(1, parts.size());
  STRCMP_EQUAL("out.csv.part-000000.inprogress", parts[0].c_str());
}

TEST(CsvSinkCheckpoints, AnEmptyRunCommitsTheHeaderAloneAndNoEmptyParts) {
  CsvSink sink(Transactional(out()), Counts(), &symbols);
  CHECK(sink.Open().ok());
  StateBuffer buffer(sink.checkpoint_bytes());
  for (uint64_t id = 1; id <= 3; ++id) {
    buffer.Clear();
    CHECK(sink.PrepareCommit(id, false, &buffer).ok());
    CHECK(sink.SyncPrepared(id).ok());
    CHECK(sink.Commit(id).ok());
  }
  CHECK(sink.Close().ok());
  const std::vector<std::string> parts = Parts(out_dir());
  LONGS_EQUAL(1, parts.size());
  STRCMP_EQUAL("device,n\n", Committed(out_dir()).c_str());
}

TEST(CsvSinkCheckpoints, ACommitTakesOnlyThePartsOfItsCheckpoints) {
  // PrepareCommit(2) ran before the writer got to checkpoint 1; checkpoint
  // 1's commit must leave part 1 in progress.
  CsvSink sink(Transactional(out()), Counts(), &symbols);
  CHECK(sink.Open().ok());
  StateBuffer buffer(sink.checkpoint_bytes());
  RowBatch batch(2, 4);
  batch.Append()[1].i64 = 1;
  for (uint64_t id = 1; id <= 2; ++id) {
    CHECK(sink.Write(batch).ok());
    buffer.Clear();
    CHECK(sink.PrepareCommit(id, false, &buffer).ok());
  }
  CHECK(sink.SyncPrepared(1).ok());
  CHECK(sink.Commit(1).ok());
  std::vector<std::string> parts = Parts(out_dir());
  LONGS_EQUAL(2, parts.size());
  STRCMP_EQUAL("out.csv.part-000000", parts[0].c_str());
  STRCMP_EQUAL("out.csv.part-000001.inprogress", parts[1].c_str());
  CHECK(sink.SyncPrepared(2).ok());
  CHECK(sink.Commit(2).ok());
  parts = Parts(out_dir());
  STRCMP_EQUAL("out.csv.part-000001", parts[1].c_str());
}

TEST(CsvSinkCheckpoints, AFailedCheckpointsPartsGoWithTheNextCommit) {
  CsvSink sink(Transactional(out()), Counts(), &symbols);
  CHECK(sink.Open().ok());
  StateBuffer buffer(sink.checkpoint_bytes());
  RowBatch batch(2, 4);
  batch.Append()[1].i64 = 1;
  for (uint64_t id = 1; id <= 2; ++id) {  // checkpoint 1 is never synced
    CHECK(sink.Write(batch).ok());
    buffer.Clear();
    CHECK(sink.PrepareCommit(id, false, &buffer).ok());
  }
  CHECK(sink.SyncPrepared(2).ok());
  CHECK(sink.Commit(2).ok());
  const std::vector<std::string> parts = Parts(out_dir());
  LONGS_EQUAL(2, parts.size());
  STRCMP_EQUAL("out.csv.part-000001", parts[1].c_str());
}

TEST(CsvSinkCheckpoints, StandardOutputIsNeverTransactional) {
  CsvSink sink(Transactional("-"), Counts(), &symbols);
  CHECK_FALSE(sink.transactional());
  LONGS_EQUAL(0, sink.checkpoint_bytes());
}
