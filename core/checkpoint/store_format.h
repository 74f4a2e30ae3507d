// The on-disk layout of a CheckpointStore's LevelDB records (docs/STATE.md,
// "Key layout"): how spaces, user keys and checkpoint ids become LevelDB keys
// so that entries sort by space, then user key, then newest version first,
// and how the meta and checkpoint records are encoded.
//
// Pure functions over bytes; the Append* functions add to a caller-owned
// string so the store can reuse one scratch buffer per checkpoint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace runnel::checkpoint::format {

// Bumped when the layout below, or the bytes of the operator state it holds
// (core/state), change incompatibly. 2: state indexes and free-id stacks
// hold id + 1 (IdArray, core/state/tracked_array.h).
inline constexpr uint32_t kFormatVersion = 2;

// First byte of each kind of record.
inline constexpr char kMetaKey[] = "M";
inline constexpr char kCheckpointTag = 'C';
inline constexpr char kEntryTag = 'E';

// First byte of an entry's value.
inline constexpr char kPutTag = 'P';
inline constexpr char kDeleteTag = 'D';

// Bytes after the escaped user key: the 2-byte terminator and the version.
inline constexpr size_t kEntrySuffixBytes = 2 + 8;

// Appends 'E' + escaped space + terminator: every entry of `space` starts so.
void AppendSpacePrefix(std::string* out, std::string_view space);

// Appends escaped key + terminator + version to a space prefix.
void AppendEntrySuffix(std::string* out, std::string_view key, uint64_t id);

// Appends the version of checkpoint `id` (big-endian ~id) to an entry group.
void AppendVersion(std::string* out, uint64_t id);

// The parts of an entry's LevelDB key.
struct EntryKey {
  std::string_view escaped_space;  // without its terminator
  std::string_view group;          // the key without its version: one per
                                   // (space, user key), shared by its versions
  std::string_view escaped_key;    // without its terminator
  uint64_t id = 0;                 // the checkpoint that wrote this version
};

// Splits an entry key (starting with kEntryTag). False if it is malformed.
bool ParseEntryKey(std::string_view key, EntryKey* parsed);

// Replaces `out` with the unescaped form of an escaped space or key.
void Unescape(std::string_view escaped, std::string* out);

// 'C' + big-endian id: checkpoint records sort by id.
std::string CheckpointKey(uint64_t id);
// The id of a checkpoint key. False if it is malformed.
bool ParseCheckpointKey(std::string_view key, uint64_t* id);

// The value of a checkpoint record: wall_ms, full, puts, deletes, bytes.
struct CheckpointRecord {
  int64_t wall_ms = 0;
  bool full = false;
  uint64_t puts = 0;
  uint64_t deletes = 0;
  uint64_t bytes = 0;
};
void EncodeCheckpointRecord(const CheckpointRecord& record, std::string* out);
bool DecodeCheckpointRecord(std::string_view value, CheckpointRecord* record);

// The meta record's value: format version and the graph fingerprint.
std::string EncodeMeta(std::string_view fingerprint);
bool DecodeMeta(std::string_view value, uint32_t* version,
                std::string* fingerprint);

}  // namespace runnel::checkpoint::format
