#include "transports/zmq/replay_spill.h"

#include <cstring>
#include <filesystem>
#include <system_error>
#include <utility>

#include <leveldb/cache.h>
#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>
#include <leveldb/write_batch.h>

#include "core/checkpoint/leveldb_status.h"

namespace runnel::zmq {
namespace {

constexpr char kEntryPrefix = 'e';
constexpr size_t kEntryKeyBytes = 9;
constexpr std::string_view kMetaKey = "m";
constexpr size_t kMetaBytes = 16;        // released row, bytes
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
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return IoError("cannot create replay spill " + dir + ": " + error.message());
  std::unique_ptr<ReplaySpill> spill(new ReplaySpill(dir, budget_bytes, env));
  spill->cache_.reset(leveldb::NewLRUCache(kCacheBytes));
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
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
  return ReadEnds();
}

Status ReplaySpill::ReadEnds() {
  low_number_ = high_number_ = first_row_ = last_row_ = oldest_last_row_ = 0;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Scan()));
  it->Seek(leveldb::Slice(&kEntryPrefix, 1));
  if (it->Valid() && IsEntryKey(it->key())) {
    ReplayBuffer::Entry oldest, newest;
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &oldest));
    low_number_ = oldest.number;
    const char after = kEntryPrefix + 1;
    it->Seek(leveldb::Slice(&after, 1));
    if (it->Valid()) {
      it->Prev();
    } else {
      it->SeekToLast();
    }
    while (it->Valid() && !IsEntryKey(it->key())) it->Prev();
    if (!it->Valid()) return DataError("replay spill " + dir_ + " is corrupt: entries vanished");
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &newest));
    high_number_ = newest.number;
    first_row_ = oldest.first_row;
    oldest_last_row_ = oldest.last_row();
    last_row_ = newest.last_row();
    if (high_number_ < low_number_ || last_row_ < first_row_) {
      return DataError("replay spill " + dir_ + " is corrupt: batches out of order");
    }
  }
  return checkpoint::FromLevelDb("cannot read replay spill " + dir_, it->status());
}

Status ReplaySpill::MoveOldest(ReplayBuffer* buffer, size_t bytes) {
  leveldb::WriteBatch batch;
  std::string value;
  uint64_t added = 0;
  uint64_t first_number = 0, last_number = 0, first_row = 0, first_last_row = 0, last_row = 0;
  buffer->ForEach([&](const ReplayBuffer::Entry& e) {
    if (added >= bytes || bytes_ + added + e.record.size() > budget_) return false;
    value.resize(kNumberBytes);
    std::memcpy(value.data(), &e.number, kNumberBytes);
    value.append(e.record.data(), e.record.size());
    batch.Put(EntryKey(e.first_row).slice(), value);
    if (first_number == 0) {
      first_number = e.number;
      first_row = e.first_row;
      first_last_row = e.last_row();
    }
    last_number = e.number;
    last_row = e.last_row();
    added += e.record.size();
    return true;
  });
  if (added == 0) {
    return ResourceExhausted("replay spill " + dir_ + " is full: it holds " +
                             std::to_string(bytes_) + " bytes of its budget of " +
                             std::to_string(budget_) + " (replay_spill_bytes)");
  }
  const uint64_t new_bytes = bytes_ + added;
  RUNNEL_RETURN_IF_ERROR(Write(&batch, released_row_, new_bytes));
  if (empty()) {
    low_number_ = first_number;
    first_row_ = first_row;
    oldest_last_row_ = first_last_row;
  }
  high_number_ = last_number;
  last_row_ = last_row;
  bytes_ = new_bytes;
  buffer->Release(last_row);
  return Status::Ok();
}

Status ReplaySpill::Release(uint64_t row) {
  if (empty() || row < oldest_last_row_) return Status::Ok();
  leveldb::WriteBatch batch;
  uint64_t removed = 0;
  uint64_t released = released_row_;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Scan()));
  for (it->Seek(leveldb::Slice(&kEntryPrefix, 1)); it->Valid() && IsEntryKey(it->key());
       it->Next()) {
    ReplayBuffer::Entry e;
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &e));
    if (e.last_row() > row) break;
    batch.Delete(it->key());
    removed += e.record.size();
    released = e.last_row();
  }
  RUNNEL_RETURN_IF_ERROR(
      checkpoint::FromLevelDb("cannot read replay spill " + dir_, it->status()));
  it.reset();
  const uint64_t new_bytes = bytes_ - removed;
  RUNNEL_RETURN_IF_ERROR(Write(&batch, released, new_bytes));
  released_row_ = released;
  bytes_ = new_bytes;
  return ReadEnds();
}

Status ReplaySpill::DiscardAfter(uint64_t number) {
  if (empty() || high_number_ <= number) return Status::Ok();
  leveldb::WriteBatch batch;
  uint64_t removed = 0;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Scan()));
  for (it->Seek(EntryKey(first_row_).slice()); it->Valid() && IsEntryKey(it->key());
       it->Next()) {
    ReplayBuffer::Entry e;
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &e));
    if (e.number <= number) continue;
    batch.Delete(it->key());
    removed += e.record.size();
  }
  RUNNEL_RETURN_IF_ERROR(
      checkpoint::FromLevelDb("cannot read replay spill " + dir_, it->status()));
  it.reset();
  const uint64_t released = number == 0 ? 0 : released_row_;
  const uint64_t new_bytes = bytes_ - removed;
  RUNNEL_RETURN_IF_ERROR(Write(&batch, released, new_bytes));
  released_row_ = released;
  bytes_ = new_bytes;
  return ReadEnds();
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

Status ReplaySpill::Write(leveldb::WriteBatch* batch, uint64_t released_row, uint64_t bytes) {
  char meta[kMetaBytes];
  std::memcpy(meta, &released_row, 8);
  std::memcpy(meta + 8, &bytes, 8);
  batch->Put(leveldb::Slice(kMetaKey.data(), kMetaKey.size()), leveldb::Slice(meta, sizeof(meta)));
  const leveldb::Status s = db_->Write(leveldb::WriteOptions(), batch);
  if (!s.ok()) return checkpoint::FromLevelDb("cannot write replay spill " + dir_, s);
  unsynced_ = true;
  return Status::Ok();
}

Status ReplaySpill::Sync() {
  if (!unsynced_) return Status::Ok();
  leveldb::WriteOptions sync;
  sync.sync = true;
  leveldb::WriteBatch empty_batch;
  const leveldb::Status s = db_->Write(sync, &empty_batch);
  if (!s.ok()) return checkpoint::FromLevelDb("cannot sync replay spill " + dir_, s);
  unsynced_ = false;
  return Status::Ok();
}

Status ReplaySpill::ForEachFrom(uint64_t row,
                                const std::function<bool(const ReplayBuffer::Entry&)>& fn) {
  if (empty() || row > last_row_) return Status::Ok();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(Scan()));
  // The batch holding `row` starts at or before it: the last key <= row.
  const EntryKey start(row < first_row_ ? first_row_ : row);
  it->Seek(start.slice());
  if (!it->Valid() || it->key() != start.slice()) {
    it->Prev();
    if (!it->Valid() || !IsEntryKey(it->key())) it->Seek(EntryKey(first_row_).slice());
  }
  for (; it->Valid() && IsEntryKey(it->key()); it->Next()) {
    ReplayBuffer::Entry e;
    RUNNEL_RETURN_IF_ERROR(Decode(it->value(), &e));
    if (e.last_row() < row) continue;
    if (!fn(e)) break;
  }
  return checkpoint::FromLevelDb("cannot read replay spill " + dir_, it->status());
}

}  // namespace runnel::zmq
