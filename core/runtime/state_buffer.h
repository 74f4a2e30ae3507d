// StateBuffer: the preallocated bytes a stage writes its part of a
// checkpoint into, on the hot path, for the background writer to store.
//
// A checkpoint of a stage is a list of records in the stage's own key space
// (docs/STATE.md): Put(key, value) sets an entry, Delete(key) removes one.
// Records are appended to one flat buffer sized at plan time, so writing
// them never allocates; a record that does not fit is refused (the caller
// reports the checkpoint as failed, never a partial one). The writer thread
// reads the records back with ForEach once the hot path has handed the
// buffer over; a buffer is used by one thread at a time.
//
// Layout of one record: u8 kind (0 put, 1 delete), u32 key length, u32
// value length (0 for a delete), the key bytes, the value bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/state/state_memory.h"

namespace runnel::runtime {

class StateBuffer {
 public:
  // Bytes a record of `key_len` and `value_len` takes, for sizing.
  static constexpr size_t RecordBytes(size_t key_len, size_t value_len) {
    return kHeaderBytes + key_len + value_len;
  }

  // In state memory (core/state/state_memory.h): a full snapshot's buffer is
  // as big as the state, and its pages are first touched in a checkpoint's
  // pause.
  explicit StateBuffer(size_t capacity) : data_(capacity), capacity_(capacity) {}

  // Appends a record; false (nothing appended) when it does not fit.
  bool Put(std::string_view key, std::string_view value) {
    return Append(kPut, key, value);
  }
  bool Delete(std::string_view key) { return Append(kDelete, key, {}); }

  void Clear() {
    size_ = 0;
    records_ = 0;
  }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  uint64_t records() const { return records_; }

  // Calls fn(bool is_delete, std::string_view key, std::string_view value)
  // for each record, in the order they were appended.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    size_t at = 0;
    while (at < size_) {
      const char kind = data_[at];
      uint32_t key_len = 0;
      uint32_t value_len = 0;
      std::memcpy(&key_len, data_.get() + at + 1, 4);
      std::memcpy(&value_len, data_.get() + at + 5, 4);
      const char* key = data_.get() + at + kHeaderBytes;
      fn(kind == kDelete, std::string_view(key, key_len),
         std::string_view(key + key_len, value_len));
      at += kHeaderBytes + key_len + value_len;
    }
  }

 private:
  static constexpr size_t kHeaderBytes = 9;
  static constexpr char kPut = 0;
  static constexpr char kDelete = 1;

  bool Append(char kind, std::string_view key, std::string_view value) {
    const size_t bytes = RecordBytes(key.size(), value.size());
    if (bytes > capacity_ - size_) return false;
    char* at = data_.get() + size_;
    const uint32_t key_len = static_cast<uint32_t>(key.size());
    const uint32_t value_len = static_cast<uint32_t>(value.size());
    at[0] = kind;
    std::memcpy(at + 1, &key_len, 4);
    std::memcpy(at + 5, &value_len, 4);
    if (key_len != 0) std::memcpy(at + kHeaderBytes, key.data(), key_len);
    if (value_len != 0) std::memcpy(at + kHeaderBytes + key_len, value.data(), value_len);
    size_ += bytes;
    ++records_;
    return true;
  }

  state::StateArray<char> data_;
  size_t capacity_;
  size_t size_ = 0;
  uint64_t records_ = 0;
};

// Fixed-width numbers inside records: 8 bytes, little-endian, the same on
// every target (positions and counters that stages save).
inline void PutU64(uint64_t value, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (8 * i));
}
inline uint64_t GetU64(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value |= uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return value;
}

}  // namespace runnel::runtime
