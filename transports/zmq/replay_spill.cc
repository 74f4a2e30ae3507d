#include "transports/zmq/replay_spill.h"

#include <cstring>
#include <utility>

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include "core/checkpoint/leveldb_status.h"
#include "core/common/path.h"

namespace runnel::zmq {
namespace {

constexpr char kEntryPrefix = 'e';
constexpr size_t kEntryKeyBytes = 9;
constexpr std::string_view kMetaKey = "m";
constexpr size_t kMetaBytes = 24;        // released row, bytes, entries
constexpr size_t kNumberBytes = 8;       // before the record in a value
constexpr size_t kCacheBytes = 1 << 20;  // LevelDB's block cache: a gateway's share
constexpr size_t kWriteBufferBytes = 1 << 20;

struct EntryKey {
  explicit EntryKey(uint64_t first_row) {
    bytes[0] = kEntryPrefix;
    for (int i = 0; i < 8; ++i) bytes[1 + i] = static_cast<char>(first_row >> (56 - 8 * i));
  }
  leveldb::Slice slice() const { return leveldb::Slice(bytes, sizeof(bytes)); }
  char bytes[kEntryKeyBytes];
};

bool IsEntryKey(const leveldb::Slice& key) {
  return key.size() == kEntryKeyBytes && key[0] == kEntryPrefix;
}

uint64_t Load64(const char* at) {
  uint64_t v;
  std::memcpy(&v, at, 8);
  return v;
}

// Positions `it` at the last key at or before `key` (not valid: none).
void SeekAtOrBefore(leveldb::Iterator* it, const leveldb::Slice& key) {
  it->Seek(key);
  if (!it->Valid()) {
    it->SeekToLast();
  } else if (it->key() != key) {
    it->Prev();
  }
}

leveldb::ReadOptions Scan() {
  leveldb::ReadOptions options;
  options.verify_checksums = true;
  options.fill_cache = false;
  return options;
}

}  // namespace

ReplaySpill::ReplaySpill(std::string dir, uint64_t budget_bytes, leveldb::Env* env)
    : dir_(std::move(dir)), budget_(budget_bytes), env_(env ? env : leveldb::Env::Default()) {}

ReplaySpill::~ReplaySpill() = default;

Result<std::unique_ptr<ReplaySpill>> ReplaySpill::Open(const std::string& dir,
                                                       uint64_t budget_bytes,
                                                       leveldb::Env* env) {
  int error = 0;
  if (!CreateDirectories(dir, &error).ok()) {
    return IoError("cannot create replay spill " + dir + ": " + strerror(error));
  }
  std::unique_ptr<ReplaySpill> spill(new ReplaySpill(dir, budget_bytes, env));
  spill->cache_.reset(leveldb::NewLRUCache(kCacheBytes));
  leveldb::Options options;
  options.create_if_missing = true;
  // Not paranoid: a write cut short by a power loss (never one a checkpoint
  // counts on: those were synced) leaves a torn log tail, which LevelDB
  // then skips instead of refusing to open. Reads verify checksums.
  options.env = &spill->env_;
  options.block_cache = spill->cache_.get();
  options.write_buffer_size = kWriteBufferBytes;
  options.max_open_files = 64;
  leveldb::DB* db = nullptr;
  const leveldb::Status s = leveldb::DB::Open(options, dir, &db);
  if (!s.ok()) return checkpoint::FromLevelDb("cannot open replay spill " + dir, s);
  spill->db_.reset(db);
  RUNNEL_RETURN_IF_ERROR(spill->Load());
  return spill;
}

Status ReplaySpill::Load() {
  std::string meta;
  const leveldb::Status s = db_->Get(Scan(), leveldb::Slice(kMetaKey.data(), kMetaKey.size()),
                                     &meta);
  if (s.IsNotFound()) {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Scan()));
    it->SeekToFirst();
    if (it->Valid()) {
      return InvalidArgument(dir_ + " is not a replay spill: a LevelDB database without its "
                                    "meta record");
    }
    return checkpoint::FromLevelDb("cannot read replay spill " + dir_, it->status());
  }
  if (!s.ok()) return checkpoint::FromLevelDb("cannot read replay spill " + dir_, s);
  if (meta.size() != kMetaBytes) {
    return DataError("replay spill " + dir_ + " is corrupt: a meta record of " +
                     std::to_string(meta.size()) + " bytes");
  }
  released_row_ = Load64(meta.data());
  bytes_ = Load64(meta.data() + 8);
  const uint64_t entries = Load64(meta.data() + 16);
  RUNNEL_RETURN_IF_ERROR(ReadEnds());
  if (entries != this->entries()) {
    return DataError("replay spill " + dir_ + " is corrupt: it should hold " +
                     std::to_string(entries) + " batches, but its oldest and newest are " +
                     std::to_string(this->entries()) + " apart");
  }
  return Status::Ok();
}

void ReplaySpill::SetOldest(const ReplayBuffer::Entry& e) {
  low_number_ = e.number;
  first_row_ = e.first_row;
  oldest_last_row_ = e.last_row();
}

void ReplaySpill::SetNewest(const ReplayBuffer::Entry& e) {
  high_number_ = e.number;
  last_row_ = e.last_row();
}

void ReplaySpill::SetEmpty() {
  low_number_ = high_number_ = first_row_ = last_row_ = oldest_last_row_ = 0;
}

Status ReplaySpill::ReadEnds() {
  SetEmpty();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Scan()));
  it->Seek(leveldb::Slice(&kEntryPrefix, 1));
  if (it->Valid() && IsEntryKey(it->key())) {
    ReplayBuffer::Entry oldest, newest;
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &oldest));
    SeekAtOrBefore(it.get(), EntryKey(UINT64_MAX).slice());
    if (!it->Valid() || !IsEntryKey(it->key())) {
      return DataError("replay spill " + dir_ + " is corrupt: its entries vanished");
    }
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &newest));
    if (newest.number < oldest.number || newest.last_row() < oldest.first_row) {
      return DataError("replay spill " + dir_ + " is corrupt: batches out of order");
    }
    SetOldest(oldest);
    SetNewest(newest);
  }
  return checkpoint::FromLevelDb("cannot read replay spill " + dir_, it->status());
}

Status ReplaySpill::MoveOldest(ReplayBuffer* buffer, size_t bytes) {
  leveldb::WriteBatch batch;
  std::string value;
  uint64_t added = 0, moved = 0;
  ReplayBuffer::Entry first, last;
  buffer->ForEach([&](const ReplayBuffer::Entry& e) {
    if (added >= bytes || bytes_ + added + e.record.size() > budget_) return false;
    value.resize(kNumberBytes);
    std::memcpy(value.data(), &e.number, kNumberBytes);
    value.append(e.record.data(), e.record.size());
    batch.Put(EntryKey(e.first_row).slice(), value);
    if (moved++ == 0) first = e;
    last = e;
    added += e.record.size();
    return true;
  });
  if (moved == 0) {
    return ResourceExhausted("replay spill " + dir_ + " is full: it holds " +
                             std::to_string(bytes_) + " bytes of its budget of " +
                             std::to_string(budget_) + " (replay_spill_bytes)");
  }
  // Synced: a checkpoint may count on these batches as soon as they are
  // gone from the buffer.
  RUNNEL_RETURN_IF_ERROR(
      Write(&batch, released_row_, bytes_ + added, entries() + moved, /*sync=*/true));
  if (empty()) SetOldest(first);
  SetNewest(last);
  bytes_ += added;
  buffer->Release(last.last_row());
  return Status::Ok();
}

Status ReplaySpill::Release(uint64_t row) {
  if (empty() || row < oldest_last_row_) return Status::Ok();
  leveldb::WriteBatch batch;
  uint64_t removed = 0, count = 0;
  uint64_t released = released_row_;
  bool left = false;  // a batch not released is left
  ReplayBuffer::Entry e;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Scan()));
  for (it->Seek(EntryKey(first_row_).slice()); it->Valid() && IsEntryKey(it->key());
       it->Next()) {
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &e));
    if (e.last_row() > row) {
      left = true;
      break;
    }
    batch.Delete(it->key());
    removed += e.record.size();
    ++count;
    released = e.last_row();
  }
  RUNNEL_RETURN_IF_ERROR(
      checkpoint::FromLevelDb("cannot read replay spill " + dir_, it->status()));
  // Not synced: batches released but back after a power loss are sent
  // again, and the receiver drops them.
  RUNNEL_RETURN_IF_ERROR(
      Write(&batch, released, bytes_ - removed, entries() - count, /*sync=*/false));
  released_row_ = released;
  bytes_ -= removed;
  if (left) {
    SetOldest(e);
  } else {
    SetEmpty();
  }
  return Status::Ok();
}

Status ReplaySpill::DiscardAfter(uint64_t number) {
  if (number != 0 && (empty() || high_number_ <= number)) return Status::Ok();
  leveldb::WriteBatch batch;
  uint64_t removed = 0, count = 0;
  bool left = false;  // a batch numbered `number` or lower is left
  ReplayBuffer::Entry e;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Scan()));
  // Newest first: the newest batch starts at or before last_row_.
  for (SeekAtOrBefore(it.get(), EntryKey(last_row_).slice());
       it->Valid() && IsEntryKey(it->key()); it->Prev()) {
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &e));
    if (e.number <= number) {
      left = true;
      break;
    }
    batch.Delete(it->key());
    removed += e.record.size();
    ++count;
  }
  RUNNEL_RETURN_IF_ERROR(
      checkpoint::FromLevelDb("cannot read replay spill " + dir_, it->status()));
  // Clear (a fresh start) forgets the rows released too; a restore keeps
  // them (they say the batches it discarded the older of were acknowledged).
  const uint64_t released = number == 0 ? 0 : released_row_;
  RUNNEL_RETURN_IF_ERROR(
      Write(&batch, released, bytes_ - removed, entries() - count, /*sync=*/false));
  released_row_ = released;
  bytes_ -= removed;
  if (left) {
    SetNewest(e);
  } else {
    SetEmpty();
  }
  return Status::Ok();
}

Status ReplaySpill::Decode(const leveldb::Slice& value, ReplayBuffer::Entry* entry) const {
  if (value.size() < kNumberBytes ||
      !ReplayBuffer::DecodeRecord(
          std::string_view(value.data() + kNumberBytes, value.size() - kNumberBytes), entry)) {
    return DataError("replay spill " + dir_ + " is corrupt: a malformed batch record");
  }
  entry->number = Load64(value.data());
  return Status::Ok();
}

Status ReplaySpill::Write(leveldb::WriteBatch* batch, uint64_t released_row, uint64_t bytes,
                          uint64_t entries, bool sync) {
  char meta[kMetaBytes];
  std::memcpy(meta, &released_row, 8);
  std::memcpy(meta + 8, &bytes, 8);
  std::memcpy(meta + 16, &entries, 8);
  batch->Put(leveldb::Slice(kMetaKey.data(), kMetaKey.size()), leveldb::Slice(meta, sizeof(meta)));
  leveldb::WriteOptions options;
  options.sync = sync;
  const leveldb::Status s = db_->Write(options, batch);
  return checkpoint::FromLevelDb("cannot write replay spill " + dir_, s);
}

Status ReplaySpill::ForEachFrom(uint64_t row,
                                const std::function<bool(const ReplayBuffer::Entry&)>& fn) {
  if (empty() || row > last_row_) return Status::Ok();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Scan()));
  // The batch holding `row` starts at or before it: the last key <= row.
  SeekAtOrBefore(it.get(), EntryKey(row < first_row_ ? first_row_ : row).slice());
  if (!it->Valid() || !IsEntryKey(it->key())) it->Seek(EntryKey(first_row_).slice());
  for (; it->Valid() && IsEntryKey(it->key()); it->Next()) {
    ReplayBuffer::Entry e;
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &e));
    if (e.last_row() < row) continue;
    if (!fn(e)) break;
  }
  return checkpoint::FromLevelDb("cannot read replay spill " + dir_, it->status());
}

}  // namespace runnel::zmq
