// CheckpointStore: Runnel's checkpoints of one graph in one LevelDB
// directory (docs/STATE.md).
//
// A checkpoint is a set of put/delete records in named spaces (one per stage,
// e.g. "op/windows", "source/readings"), committed as one synced LevelDB
// WriteBatch. Entries are versioned by checkpoint id, so a checkpoint writes
// only what changed and the last `retained` complete checkpoints stay
// readable: when the newest is corrupt, recovery falls back to an older one.
//
// Thread safety: none. The checkpoint writer thread owns the store; reads
// (recovery, inspection) must not run concurrently with writes. Every call
// that can fail returns a Status; nothing throws.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <leveldb/write_batch.h>

#include "core/checkpoint/listing_env.h"
#include "core/common/status.h"

namespace leveldb {
class DB;
}  // namespace leveldb

namespace runnel::checkpoint {

struct StoreOptions {
  uint32_t retained = 3;        // complete checkpoints kept readable (K >= 1)
  leveldb::Env* env = nullptr;  // nullptr: leveldb::Env::Default(); tests
                                // inject faults. Not owned; outlives the store.
};

struct CheckpointInfo {
  uint64_t id = 0;
  int64_t wall_ms = 0;  // when it was committed
  bool full = false;
  // What this checkpoint wrote: records, and bytes of their keys and values.
  // A full checkpoint's deletes include the entries it removed by not
  // putting them.
  uint64_t puts = 0, deletes = 0, bytes = 0;
};

class CheckpointStore {
 public:
  // Opens (creating) the store in directory `dir` for a graph whose
  // fingerprint is `graph_fingerprint` (opaque, computed by the caller).
  // Refuses, without loading anything: a store of another fingerprint or
  // format version, a LevelDB that is not a Runnel store, a non-empty
  // directory that is not a LevelDB, and a corrupt store. Every message
  // names the directory.
  static Result<std::unique_ptr<CheckpointStore>> Open(
      const std::string& dir, const std::string& graph_fingerprint,
      const StoreOptions& options = {});

  ~CheckpointStore();
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  // The complete checkpoints still readable, oldest first (at most
  // `retained`).
  std::vector<CheckpointInfo> Checkpoints() const;

  // Writing. BeginCheckpoint starts checkpoint `id`; Put and Delete add
  // records to it; CommitCheckpoint writes them all, with the checkpoint's
  // record last, as one WriteBatch with sync=true. Keys, values and spaces
  // are arbitrary bytes ('\0' included).
  //
  // A full checkpoint deletes, as of itself, every entry of every space that
  // it neither Put nor Deleted.
  //
  // When the commit fails (write error, full disk) nothing of the checkpoint
  // is visible, the previous one stays the latest, and the next commit first
  // reopens the database (LevelDB refuses writes after a write error) and
  // removes whatever of the failed checkpoint its log kept.
  // REQUIRES: id > every committed id (else CommitCheckpoint refuses it).
  void BeginCheckpoint(uint64_t id, bool full);
  // REQUIRES: between BeginCheckpoint and CommitCheckpoint.
  void Put(std::string_view space, std::string_view key,
           std::string_view value);
  void Delete(std::string_view space, std::string_view key);
  Status CommitCheckpoint(int64_t wall_ms);

  // Reading checkpoint `id`, one of Checkpoints(): for each key, the latest
  // Put/Delete of a checkpoint <= `id`. ForEach calls fn(key, value) for
  // every live entry of `space` in key order (bytewise). Checksums are
  // verified; corruption is an error naming the directory, the checkpoint and
  // the space. The views passed to fn are valid only during the call.
  Status ForEach(uint64_t id, std::string_view space,
                 const std::function<void(std::string_view key,
                                          std::string_view value)>& fn) const;

  // The spaces with live entries as of checkpoint `id`, in bytewise order,
  // with their entry counts and key + value bytes.
  struct SpaceInfo {
    std::string space;
    uint64_t entries = 0, bytes = 0;
  };
  Result<std::vector<SpaceInfo>> Spaces(uint64_t id) const;

 private:
  CheckpointStore(std::string dir, const StoreOptions& options);

  // Opens the LevelDB database (create_if_missing, paranoid_checks).
  Status OpenDb();
  // Checks (or, in an empty database, writes) the meta record.
  Status CheckMeta(const std::string& graph_fingerprint);
  Status LoadCheckpoints();
  // Deletes the records of checkpoints newer than the latest committed one:
  // what a failed commit's log record brought back on reopening.
  Status RemoveUncommitted();
  // Add to batch_ what a commit writes beyond the user's records: the
  // deletes of a full checkpoint, and the removal of versions that no
  // checkpoint >= `oldest_retained` sees.
  Status AddTombstonesForFull();
  Status AddGarbageCollection(uint64_t oldest_retained);
  Status WriteFailed(uint64_t id, const std::string& why) const;
  Status CheckReadable(uint64_t id) const;
  void AddRecord(char tag, std::string_view space, std::string_view key,
                 std::string_view value);

  const std::string dir_;
  const uint32_t retained_;
  ListingEnv env_;  // wraps the options' Env
  std::unique_ptr<leveldb::DB> db_;  // null after a failed reopen
  bool reopen_needed_ = false;       // after a failed write
  // Every checkpoint record in the database, oldest first; the last
  // `retained` are readable.
  std::vector<CheckpointInfo> checkpoints_;
  uint32_t commits_since_sweep_ = 0;

  // The checkpoint being written, reused across checkpoints.
  bool writing_ = false;
  CheckpointInfo pending_;
  leveldb::WriteBatch batch_;
  std::string key_scratch_;
  std::string value_scratch_;
  // Of a full checkpoint: the entry groups (space + key) it wrote.
  std::vector<std::string> touched_;
};

}  // namespace runnel::checkpoint
