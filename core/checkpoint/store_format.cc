#include "core/checkpoint/store_format.h"

namespace runnel::checkpoint::format {

namespace {

// A '\0' inside a space or key is written as "\0\xff"; "\0\x01" ends one.
// The terminator sorts before every escaped byte that could follow, so the
// escaped forms sort exactly like the raw bytes and no space or key can be a
// prefix of another's encoding.
constexpr char kEscape = '\xff';
constexpr char kTerminator = '\x01';

void AppendEscaped(std::string* out, std::string_view bytes) {
  for (char c : bytes) {
    out->push_back(c);
    if (c == '\0') out->push_back(kEscape);
  }
  out->push_back('\0');
  out->push_back(kTerminator);
}

void AppendBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((v >> shift) & 0xff));
  }
}

uint64_t ReadBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace

void AppendSpacePrefix(std::string* out, std::string_view space) {
  out->push_back(kEntryTag);
  AppendEscaped(out, space);
}

void AppendEntrySuffix(std::string* out, std::string_view key, uint64_t id) {
  AppendEscaped(out, key);
  AppendVersion(out, id);
}

void AppendVersion(std::string* out, uint64_t id) { AppendBigEndian64(out, ~id); }

bool ParseEntryKey(std::string_view key, EntryKey* parsed) {
  if (key.size() < 1 + 2 + kEntrySuffixBytes || key[0] != kEntryTag) {
    return false;
  }
  const size_t suffix = key.size() - kEntrySuffixBytes;
  if (key[suffix] != '\0' || key[suffix + 1] != kTerminator) return false;
  size_t i = 1;
  while (i + 1 < suffix) {
    if (key[i] != '\0') {
      ++i;
    } else if (key[i + 1] == kEscape) {
      i += 2;
    } else if (key[i + 1] == kTerminator) {
      break;
    } else {
      return false;
    }
  }
  if (i + 1 >= suffix) return false;
  parsed->escaped_space = key.substr(1, i - 1);
  parsed->escaped_key = key.substr(i + 2, suffix - (i + 2));
  parsed->group = key.substr(0, suffix + 2);
  parsed->id = ~ReadBigEndian64(key.data() + suffix + 2);
  return true;
}

void Unescape(std::string_view escaped, std::string* out) {
  out->clear();
  for (size_t i = 0; i < escaped.size(); ++i) {
    out->push_back(escaped[i]);
    if (escaped[i] == '\0') ++i;  // skip the escape byte
  }
}

std::string CheckpointKey(uint64_t id) {
  std::string key(1, kCheckpointTag);
  AppendBigEndian64(&key, id);
  return key;
}

bool ParseCheckpointKey(std::string_view key, uint64_t* id) {
  if (key.size() != 9 || key[0] != kCheckpointTag) return false;
  *id = ReadBigEndian64(key.data() + 1);
  return true;
}

void EncodeCheckpointRecord(const CheckpointRecord& record, std::string* out) {
  out->clear();
  AppendBigEndian64(out, static_cast<uint64_t>(record.wall_ms));
  out->push_back(record.full ? 1 : 0);
  AppendBigEndian64(out, record.puts);
  AppendBigEndian64(out, record.deletes);
  AppendBigEndian64(out, record.bytes);
}

bool DecodeCheckpointRecord(std::string_view value, CheckpointRecord* record) {
  if (value.size() != 8 * 4 + 1 || (value[8] != 0 && value[8] != 1)) {
    return false;
  }
  record->wall_ms = static_cast<int64_t>(ReadBigEndian64(value.data()));
  record->full = value[8] == 1;
  record->puts = ReadBigEndian64(value.data() + 9);
  record->deletes = ReadBigEndian64(value.data() + 17);
  record->bytes = ReadBigEndian64(value.data() + 25);
  return true;
}

std::string EncodeMeta(std::string_view fingerprint) {
  std::string value;
  AppendBigEndian64(&value, kFormatVersion);
  value.append(fingerprint);
  return value;
}

bool DecodeMeta(std::string_view value, uint32_t* version,
                std::string* fingerprint) {
  if (value.size() < 8) return false;
  const uint64_t v = ReadBigEndian64(value.data());
  if (v > UINT32_MAX) return false;
  *version = static_cast<uint32_t>(v);
  fingerprint->assign(value.substr(8));
  return true;
}

}  // namespace runnel::checkpoint::format
