// ReplaySpill: where an exactly-once ZeroMQ sink moves the oldest batches of
// its replay buffer when the buffer is full (docs/WIRE.md, "Spilling to
// disk"), so an uplink outage longer than the buffer costs disk space,
// within a budget, instead of stopping the sender's input.
//
// One LevelDB directory per sink. The batches in it are older than those in
// the buffer and contiguous (rows and entry numbers), oldest first. Records
// (docs/STATE.md): 'e' + the batch's first row (8 bytes, big-endian) → its
// entry number (u64) and its ReplayBuffer record; "m" → the row through
// which batches were released, the bytes of live records and their number
// (u64 each), rewritten in every write. Moves are synced (a checkpoint may
// count on them as soon as they leave the buffer); releases and discards
// are not (what comes back after a power loss is only sent again).
//
// LevelDB allocates: the spill is used only while the buffer overflows,
// never in the steady state. One thread (the sink's).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/checkpoint/listing_env.h"
#include "core/common/status.h"
#include "transports/zmq/replay_buffer.h"

namespace leveldb {
class Cache;
class DB;
class Env;
class Slice;
class WriteBatch;
}  // namespace leveldb

namespace runnel::zmq {

class ReplaySpill {
 public:
  // Opens (creating) the spill in `dir`, holding at most `budget_bytes` of
  // records. A directory that is not a spill, or a corrupt one, is refused
  // with a message naming it. `env`: LevelDB's default when nullptr (tests
  // inject faults); not owned, outlives the spill.
  static Result<std::unique_ptr<ReplaySpill>> Open(const std::string& dir, uint64_t budget_bytes,
                                                   leveldb::Env* env = nullptr);
  ~ReplaySpill();

  // Moves the oldest entries of `buffer` here, oldest first, until their
  // records total at least `bytes` or the buffer is empty. Moves nothing and
  // returns ResourceExhausted when the budget has no room for the oldest.
  Status MoveOldest(ReplayBuffer* buffer, size_t bytes);
  // Forgets the batches whose rows are all at or before `row` (the
  // receiver acknowledged them).
  Status Release(uint64_t row);
  // Forgets the batches numbered above `number` (restoring a checkpoint
  // taken before they came); Clear forgets all of them and the rows
  // released (a fresh start).
  Status DiscardAfter(uint64_t number);
  Status Clear() { return DiscardAfter(0); }

  // Calls fn(entry) for each batch holding a row at or after `row`, oldest
  // first, until it returns false.
  Status ForEachFrom(uint64_t row, const std::function<bool(const ReplayBuffer::Entry&)>& fn);

  bool empty() const { return high_number_ == 0; }
  uint64_t entries() const { return empty() ? 0 : high_number_ - low_number_ + 1; }
  // Numbers and rows of the oldest and newest batch (0 when empty).
  uint64_t low_number() const { return low_number_; }
  uint64_t high_number() const { return high_number_; }
  uint64_t first_row() const { return first_row_; }
  uint64_t last_row() const { return last_row_; }
  // The row through which batches were released, over the spill's life.
  uint64_t released_row() const { return released_row_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t budget() const { return budget_; }
  const std::string& dir() const { return dir_; }

 private:
  ReplaySpill(std::string dir, uint64_t budget_bytes, leveldb::Env* env);
  // Reads the meta record and both ends, and checks they agree.
  Status Load();
  // Reads the oldest and the newest batch (SetOldest, SetNewest).
  Status ReadEnds();
  void SetOldest(const ReplayBuffer::Entry& e);
  void SetNewest(const ReplayBuffer::Entry& e);
  void SetEmpty();
  // A batch record's value as an entry (its views point into `value`).
  Status Decode(const leveldb::Slice& value, ReplayBuffer::Entry* entry) const;
  // Writes `batch` with the meta record holding these totals.
  Status Write(leveldb::WriteBatch* batch, uint64_t released_row, uint64_t bytes,
               uint64_t entries, bool sync);

  std::string dir_;
  uint64_t budget_;
  checkpoint::ListingEnv env_;
  std::unique_ptr<leveldb::Cache> cache_;
  std::unique_ptr<leveldb::DB> db_;
  uint64_t low_number_ = 0, high_number_ = 0;
  uint64_t first_row_ = 0, last_row_ = 0;
  uint64_t oldest_last_row_ = 0;  // the oldest batch's last row
  uint64_t released_row_ = 0;
  uint64_t bytes_ = 0;
};

}  // namespace runnel::zmq
