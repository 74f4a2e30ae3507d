#include "core/checkpoint/checkpoint_store.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include <leveldb/db.h>
#include <leveldb/iterator.h>
#include <leveldb/options.h>

#include "core/checkpoint/leveldb_status.h"
#include "core/checkpoint/store_format.h"

namespace runnel::checkpoint {

namespace {

leveldb::ReadOptions VerifiedReads() {
  leveldb::ReadOptions options;
  options.verify_checksums = true;
  // Scans read each entry once: keep them from evicting the cached blocks.
  options.fill_cache = false;
  return options;
}

bool StartsWith(const leveldb::Slice& s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         std::string_view(s.data(), prefix.size()) == prefix;
}

std::string_view View(const leveldb::Slice& s) {
  return std::string_view(s.data(), s.size());
}

bool IsEntryValue(std::string_view value) {
  return !value.empty() &&
         (value[0] == format::kPutTag || value[0] == format::kDeleteTag);
}

// Calls fn(entry, value without its tag) for each (space, key) under
// `prefix` whose version that checkpoint `id` sees is a put: of its versions
// (newest first), the first one written by a checkpoint <= `id`.
template <typename Fn>
Status ForEachVisiblePut(leveldb::DB* db, std::string_view prefix, uint64_t id,
                         const std::string& where, Fn&& fn) {
  std::unique_ptr<leveldb::Iterator> it(db->NewIterator(VerifiedReads()));
  std::string group;
  bool found = false;  // the version of this group that `id` sees
  for (it->Seek(leveldb::Slice(prefix.data(), prefix.size()));
       it->Valid() && StartsWith(it->key(), prefix); it->Next()) {
    format::EntryKey entry;
    const std::string_view value = View(it->value());
    if (!format::ParseEntryKey(View(it->key()), &entry) ||
        !IsEntryValue(value)) {
      return DataError("cannot read " + where + ": malformed entry");
    }
    if (entry.group != group) {
      group.assign(entry.group);
      found = false;
    }
    if (found || entry.id > id) continue;
    found = true;
    if (value[0] == format::kPutTag) fn(entry, value.substr(1));
  }
  if (!it->status().ok()) return FromLevelDb("cannot read " + where, it->status());
  return Status::Ok();
}

}  // namespace

CheckpointStore::CheckpointStore(std::string dir, const StoreOptions& options)
    : dir_(std::move(dir)),
      retained_(options.retained),
      env_(options.env ? options.env : leveldb::Env::Default()),
      // The first commit after opening sweeps: a process restarted more
      // often than every `retained` commits still collects its garbage.
      commits_since_sweep_(options.retained - 1) {}

CheckpointStore::~CheckpointStore() = default;

namespace {

// The names LevelDB gives its own files (LOCK, LOG, MANIFEST-000001,
// 000003.log, ...).
bool IsLevelDbFileName(const std::string& name) {
  if (name == "LOCK" || name == "LOG" || name == "LOG.old") return true;
  if (name.compare(0, 9, "MANIFEST-") == 0) return true;
  const size_t dot = name.find('.');
  if (dot == 0 || dot == std::string::npos) return false;
  for (size_t i = 0; i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  const std::string ext = name.substr(dot);
  return ext == ".log" || ext == ".ldb" || ext == ".sst" || ext == ".dbtmp";
}

}  // namespace

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::Open(
    const std::string& dir, const std::string& graph_fingerprint,
    const StoreOptions& options) {
  if (options.retained < 1) {
    return InvalidArgument("checkpoint store " + dir +
                           ": retained must be at least 1");
  }
  std::unique_ptr<CheckpointStore> store(new CheckpointStore(dir, options));
  // LevelDB would happily create its files among someone else's.
  std::vector<std::string> children;
  if (store->env_.GetChildren(dir, &children).ok()) {
    bool empty = true;
    bool leveldb = false;
    bool only_leveldb_files = true;
    for (const std::string& child : children) {
      if (child == "." || child == "..") continue;
      empty = false;
      if (child == "CURRENT") leveldb = true;
      only_leveldb_files = only_leveldb_files && IsLevelDbFileName(child);
    }
    if (!empty && !leveldb) {
      if (!only_leveldb_files) {
        return InvalidArgument(dir +
                               " is not a Runnel checkpoint store: the directory "
                               "is not empty and holds no LevelDB database");
      }
      // LevelDB writes CURRENT before any data: files without it are what
      // a creation interrupted by a crash left, holding nothing.
      for (const std::string& child : children) {
        if (child != "." && child != "..") store->env_.RemoveFile(dir + "/" + child);
      }
    }
  }
  RUNNEL_RETURN_IF_ERROR(store->OpenDb());
  RUNNEL_RETURN_IF_ERROR(store->CheckMeta(graph_fingerprint));
  RUNNEL_RETURN_IF_ERROR(store->LoadCheckpoints());
  return store;
}

Status CheckpointStore::OpenDb() {
  leveldb::Options options;
  options.create_if_missing = true;
  options.paranoid_checks = true;
  options.env = &env_;
  leveldb::DB* db = nullptr;
  const leveldb::Status s = leveldb::DB::Open(options, dir_, &db);
  if (!s.ok()) {
    return FromLevelDb("cannot open checkpoint store " + dir_, s);
  }
  db_.reset(db);
  return Status::Ok();
}

Status CheckpointStore::CheckMeta(const std::string& graph_fingerprint) {
  std::string value;
  leveldb::Status s = db_->Get(VerifiedReads(), format::kMetaKey, &value);
  if (s.IsNotFound()) {
    std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(VerifiedReads()));
    it->SeekToFirst();
    if (it->Valid()) {
      return InvalidArgument(dir_ +
                             " is not a Runnel checkpoint store: a LevelDB "
                             "database without Runnel's meta record");
    }
    if (!it->status().ok()) {
      return FromLevelDb("cannot read checkpoint store " + dir_, it->status());
    }
    leveldb::WriteOptions sync;
    sync.sync = true;
    s = db_->Put(sync, format::kMetaKey, format::EncodeMeta(graph_fingerprint));
    if (!s.ok()) {
      return FromLevelDb("cannot create checkpoint store " + dir_, s);
    }
    return Status::Ok();
  }
  if (!s.ok()) {
    return FromLevelDb("cannot read checkpoint store " + dir_, s);
  }
  uint32_t version = 0;
  std::string fingerprint;
  if (!format::DecodeMeta(value, &version, &fingerprint)) {
    return DataError("checkpoint store " + dir_ + " is corrupt: bad meta record");
  }
  if (version != format::kFormatVersion) {
    return InvalidArgument("checkpoint store " + dir_ + " has format version " +
                           std::to_string(version) + "; this Runnel reads " +
                           std::to_string(format::kFormatVersion) +
                           " (formats may change before Runnel 1.0: move the directory "
                           "aside to start without its state)");
  }
  if (fingerprint != graph_fingerprint) {
    return InvalidArgument("checkpoint store " + dir_ +
                           " holds checkpoints of graph fingerprint '" +
                           fingerprint + "', not of this graph's '" +
                           graph_fingerprint +
                           "': use another directory for this graph");
  }
  return Status::Ok();
}

Status CheckpointStore::LoadCheckpoints() {
  checkpoints_.clear();
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(VerifiedReads()));
  const std::string tag(1, format::kCheckpointTag);
  for (it->Seek(tag); it->Valid() && StartsWith(it->key(), tag); it->Next()) {
    CheckpointInfo info;
    format::CheckpointRecord record;
    if (!format::ParseCheckpointKey(View(it->key()), &info.id) ||
        !format::DecodeCheckpointRecord(View(it->value()), &record)) {
      return DataError("checkpoint store " + dir_ +
                       " is corrupt: bad checkpoint record");
    }
    info.wall_ms = record.wall_ms;
    info.full = record.full;
    info.puts = record.puts;
    info.deletes = record.deletes;
    info.bytes = record.bytes;
    checkpoints_.push_back(info);
  }
  if (!it->status().ok()) {
    return FromLevelDb("cannot read the checkpoints of " + dir_, it->status());
  }
  return Status::Ok();
}

std::vector<CheckpointInfo> CheckpointStore::Checkpoints() const {
  const size_t first = checkpoints_.size() > retained_
                           ? checkpoints_.size() - retained_
                           : 0;
  return std::vector<CheckpointInfo>(checkpoints_.begin() + first,
                                     checkpoints_.end());
}

void CheckpointStore::BeginCheckpoint(uint64_t id, bool full) {
  writing_ = true;
  pending_ = CheckpointInfo();
  pending_.id = id;
  pending_.full = full;
  batch_.Clear();
  touched_.clear();
}

void CheckpointStore::AddRecord(char tag, std::string_view space,
                                std::string_view key, std::string_view value) {
  key_scratch_.clear();
  format::AppendSpacePrefix(&key_scratch_, space);
  format::AppendEntrySuffix(&key_scratch_, key, pending_.id);
  value_scratch_.clear();
  value_scratch_.push_back(tag);
  value_scratch_.append(value);
  batch_.Put(key_scratch_, value_scratch_);
  if (pending_.full) {
    touched_.emplace_back(key_scratch_, 0, key_scratch_.size() - 8);
  }
}

void CheckpointStore::Put(std::string_view space, std::string_view key,
                          std::string_view value) {
  AddRecord(format::kPutTag, space, key, value);
  ++pending_.puts;
  pending_.bytes += key.size() + value.size();
}

void CheckpointStore::Delete(std::string_view space, std::string_view key) {
  AddRecord(format::kDeleteTag, space, key, {});
  ++pending_.deletes;
  pending_.bytes += key.size();
}

Status CheckpointStore::WriteFailed(uint64_t id, const std::string& why) const {
  std::string latest =
      checkpoints_.empty()
          ? "no checkpoint is complete yet"
          : "checkpoint " + std::to_string(checkpoints_.back().id) +
                " stays the latest";
  return IoError("checkpoint " + std::to_string(id) + " not written to " +
                 dir_ + ": " + why + "; " + latest);
}

Status CheckpointStore::CommitCheckpoint(int64_t wall_ms) {
  if (!writing_) {
    return Status(StatusCode::kInternal,
                  "checkpoint store " + dir_ +
                      ": CommitCheckpoint without BeginCheckpoint");
  }
  writing_ = false;
  const uint64_t id = pending_.id;
  if (!checkpoints_.empty() && id <= checkpoints_.back().id) {
    return Status(StatusCode::kInternal,
                  "checkpoint " + std::to_string(id) + " not written to " +
                      dir_ + ": its id is not above the latest checkpoint " +
                      std::to_string(checkpoints_.back().id));
  }
  if (reopen_needed_) {
    db_.reset();
    Status reopened = OpenDb();
    if (reopened.ok()) reopened = RemoveUncommitted();
    if (!reopened.ok()) return WriteFailed(id, reopened.message());
    reopen_needed_ = false;
  }
  if (pending_.full) {
    Status added = AddTombstonesForFull();
    if (!added.ok()) return WriteFailed(id, added.message());
  }
  // Retention: after this commit the newest `retained` stay readable.
  const size_t after = checkpoints_.size() + 1;
  const size_t dropped = after > retained_ ? after - retained_ : 0;
  for (size_t i = 0; i < dropped; ++i) {
    batch_.Delete(format::CheckpointKey(checkpoints_[i].id));
  }
  const uint64_t oldest_retained =
      dropped < checkpoints_.size() ? checkpoints_[dropped].id : id;
  const bool sweep = commits_since_sweep_ + 1 >= retained_;
  if (sweep) {
    Status added = AddGarbageCollection(oldest_retained);
    if (!added.ok()) return WriteFailed(id, added.message());
  }
  format::CheckpointRecord record;
  record.wall_ms = wall_ms;
  record.full = pending_.full;
  record.puts = pending_.puts;
  record.deletes = pending_.deletes;
  record.bytes = pending_.bytes;
  format::EncodeCheckpointRecord(record, &value_scratch_);
  batch_.Put(format::CheckpointKey(id), value_scratch_);

  leveldb::WriteOptions sync;
  sync.sync = true;
  const leveldb::Status s = db_->Write(sync, &batch_);
  if (!s.ok()) {
    reopen_needed_ = true;
    return WriteFailed(id, s.ToString());
  }
  commits_since_sweep_ = sweep ? 0 : commits_since_sweep_ + 1;
  pending_.wall_ms = wall_ms;
  checkpoints_.erase(checkpoints_.begin(), checkpoints_.begin() + dropped);
  checkpoints_.push_back(pending_);
  return Status::Ok();
}

Status CheckpointStore::AddTombstonesForFull() {
  std::sort(touched_.begin(), touched_.end());
  std::string key;
  return ForEachVisiblePut(
      db_.get(), std::string_view(&format::kEntryTag, 1), UINT64_MAX,
      "the entries of " + dir_,
      [&](const format::EntryKey& entry, std::string_view) {
        if (std::binary_search(touched_.begin(), touched_.end(),
                               entry.group)) {
          return;
        }
        key_scratch_.assign(entry.group);
        format::AppendVersion(&key_scratch_, pending_.id);
        batch_.Put(key_scratch_, leveldb::Slice(&format::kDeleteTag, 1));
        format::Unescape(entry.escaped_key, &key);
        ++pending_.deletes;
        pending_.bytes += key.size();
      });
}

// Of each (space, key), the version that `oldest_retained` sees is the last
// any retained checkpoint needs: the older ones go, and so does that one when
// it is a delete (nothing older is left for it to hide).
Status CheckpointStore::AddGarbageCollection(uint64_t oldest_retained) {
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(VerifiedReads()));
  const std::string tag(1, format::kEntryTag);
  std::string group;
  bool seen_visible = false;
  for (it->Seek(tag); it->Valid() && StartsWith(it->key(), tag); it->Next()) {
    format::EntryKey entry;
    if (!format::ParseEntryKey(View(it->key()), &entry) ||
        !IsEntryValue(View(it->value()))) {
      return DataError("malformed entry in " + dir_);
    }
    if (entry.group != group) {
      group.assign(entry.group);
      seen_visible = false;
    }
    if (entry.id > oldest_retained) continue;
    if (!seen_visible) {
      seen_visible = true;
      if (it->value()[0] == format::kPutTag) continue;
    }
    batch_.Delete(it->key());
  }
  if (!it->status().ok()) {
    return FromLevelDb("cannot read the entries of " + dir_, it->status());
  }
  return Status::Ok();
}

Status CheckpointStore::RemoveUncommitted() {
  const bool any = !checkpoints_.empty();
  const uint64_t latest = any ? checkpoints_.back().id : 0;
  std::unique_ptr<leveldb::Iterator> it(db_->NewIterator(VerifiedReads()));
  const std::string checkpoint_tag(1, format::kCheckpointTag);
  leveldb::WriteBatch removal;
  bool uncommitted = false;
  for (it->Seek(any ? format::CheckpointKey(latest + 1) : checkpoint_tag);
       it->Valid() && StartsWith(it->key(), checkpoint_tag); it->Next()) {
    removal.Delete(it->key());
    uncommitted = true;
  }
  if (!it->status().ok()) {
    return FromLevelDb("cannot read the checkpoints of " + dir_, it->status());
  }
  if (!uncommitted) return Status::Ok();  // the log kept nothing

  const std::string entry_tag(1, format::kEntryTag);
  for (it->Seek(entry_tag); it->Valid() && StartsWith(it->key(), entry_tag);
       it->Next()) {
    format::EntryKey entry;
    if (!format::ParseEntryKey(View(it->key()), &entry)) {
      return DataError("malformed entry in " + dir_);
    }
    if (!any || entry.id > latest) removal.Delete(it->key());
  }
  if (!it->status().ok()) {
    return FromLevelDb("cannot read the entries of " + dir_, it->status());
  }
  leveldb::WriteOptions sync;
  sync.sync = true;
  const leveldb::Status s = db_->Write(sync, &removal);
  if (!s.ok()) {
    return FromLevelDb("cannot remove a failed checkpoint from " + dir_, s);
  }
  // The failed commit may also have removed checkpoints from retention.
  return LoadCheckpoints();
}

Status CheckpointStore::CheckReadable(uint64_t id) const {
  const std::vector<CheckpointInfo> readable = Checkpoints();
  for (const CheckpointInfo& info : readable) {
    if (info.id != id) continue;
    if (!db_) {
      return IoError("checkpoint store " + dir_ +
                     " is closed after a failed write; it reopens at the "
                     "next commit");
    }
    return Status::Ok();
  }
  std::string ids;
  for (const CheckpointInfo& info : readable) {
    ids += (ids.empty() ? "" : ", ") + std::to_string(info.id);
  }
  return InvalidArgument("checkpoint " + std::to_string(id) +
                         " is not readable in " + dir_ + " (readable: " +
                         (ids.empty() ? "none" : ids) + ")");
}

Status CheckpointStore::ForEach(
    uint64_t id, std::string_view space,
    const std::function<void(std::string_view key, std::string_view value)>& fn)
    const {
  RUNNEL_RETURN_IF_ERROR(CheckReadable(id));
  std::string prefix;
  format::AppendSpacePrefix(&prefix, space);
  std::string key;
  return ForEachVisiblePut(
      db_.get(), prefix, id,
      "checkpoint " + std::to_string(id) + " of " + dir_ + ", space '" +
          std::string(space) + "'",
      [&](const format::EntryKey& entry, std::string_view value) {
        format::Unescape(entry.escaped_key, &key);
        fn(key, value);
      });
}

Result<std::vector<CheckpointStore::SpaceInfo>> CheckpointStore::Spaces(
    uint64_t id) const {
  RUNNEL_RETURN_IF_ERROR(CheckReadable(id));
  std::vector<SpaceInfo> spaces;
  std::string space;  // escaped, of spaces.back()
  std::string key;
  RUNNEL_RETURN_IF_ERROR(ForEachVisiblePut(
      db_.get(), std::string_view(&format::kEntryTag, 1), id,
      "checkpoint " + std::to_string(id) + " of " + dir_,
      [&](const format::EntryKey& entry, std::string_view value) {
        if (spaces.empty() || entry.escaped_space != space) {
          space.assign(entry.escaped_space);
          spaces.emplace_back();
          format::Unescape(space, &spaces.back().space);
        }
        format::Unescape(entry.escaped_key, &key);
        ++spaces.back().entries;
        spaces.back().bytes += key.size() + value.size();
      }));
  return spaces;
}

}  // namespace runnel::checkpoint
