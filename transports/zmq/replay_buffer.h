// ReplayBuffer: the batches an exactly-once ZeroMQ sink has sent that its
// receiver has not yet confirmed (docs/WIRE.md, "Exactly-once links"), as
// the encoded messages, so they can be sent again after either side
// restarts and stored in the sender's checkpoints.
//
// A ring of entries in one preallocated block of state memory (resident
// only where written): Append adds the newest, Release forgets the oldest
// once the receiver's checkpoint holds their rows. Entries are numbered 1,
// 2, 3, ... in append order, numbers continuing across restarts (the sink
// keys its checkpoint records by them). Nothing allocates after the
// constructor. One thread.
//
// Entry layout, 8-byte aligned: u64 number, u64 first_row, u32 rows, u32
// size, then the message. record() is what a checkpoint stores: everything
// after the number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/state/state_memory.h"

namespace runnel::zmq {

class ReplayBuffer {
 public:
  // One batch: its rows and message.
  struct Entry {
    uint64_t number = 0;
    uint64_t first_row = 0;
    uint32_t rows = 0;
    std::string_view message;
    // first_row, rows, size and the message as one record (checkpoints).
    std::string_view record;
    uint64_t last_row() const { return first_row + rows - 1; }
  };

  // The bytes an entry header and the smallest message take (an entry
  // takes at least this many): bounds the entries a buffer can hold.
  static constexpr size_t kMinEntryBytes = 24 + 64;
  // A record's bytes before its message.
  static constexpr size_t kRecordHeaderBytes = 16;

  explicit ReplayBuffer(size_t capacity_bytes);

  // Whether a message of `size` bytes fits at all (in an empty buffer).
  bool Fits(size_t size) const { return EntryBytes(size) <= capacity_; }
  // Appends the next entry; false (nothing changed) when there is no room.
  bool Append(uint64_t first_row, uint32_t rows, std::string_view message);
  // Restoring a checkpoint: appends entry `number` from its record (as
  // record() gave it). False when the record is malformed, out of order
  // or does not fit.
  bool Restore(uint64_t number, std::string_view record);
  // Forgets the oldest entries whose rows are all at or before `row`.
  void Release(uint64_t row);
  // An empty buffer numbers its next entry `number` (restoring a sink
  // whose older entries are elsewhere); false if it is not empty or the
  // number is lower than the next.
  bool ResumeNumbering(uint64_t number);

  // Reads a record (as Entry::record gives it) into `out` (number not
  // set; the views point into `record`); false when it is malformed.
  static bool DecodeRecord(std::string_view record, Entry* out);

  // Calls fn(const Entry&) for each entry, oldest first, until it returns
  // false.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    size_t at = head_;
    for (uint64_t i = 0; i < count_; ++i) {
      at = Wrap(at);
      const Entry entry = Read(at);
      if (!fn(entry)) return;
      at += EntryBytes(entry.message.size());
    }
  }

  bool empty() const { return count_ == 0; }
  uint64_t entries() const { return count_; }
  // The oldest entry's number (when not empty), and the next to be given.
  uint64_t oldest_number() const { return next_number_ - count_; }
  uint64_t next_number() const { return next_number_; }
  size_t used_bytes() const { return used_; }
  size_t capacity() const { return capacity_; }
  // The most entries the buffer can hold at once.
  uint64_t max_entries() const { return capacity_ / kMinEntryBytes + 1; }

 private:
  static constexpr uint32_t kWrapMark = UINT32_MAX;  // size: the rest is unused

  static size_t EntryBytes(size_t size) {
    size_t bytes = 24 + ((size + 7) & ~size_t{7});
    return bytes < kMinEntryBytes ? kMinEntryBytes : bytes;
  }
  // Where the entry at `at` really starts: 0 when the ring wrapped there.
  size_t Wrap(size_t at) const;
  Entry Read(size_t at) const;
  // Where an entry of `bytes` can go, or SIZE_MAX; marks a wrap.
  size_t Place(size_t bytes);

  state::StateArray<char> data_;
  size_t capacity_;
  size_t head_ = 0;  // the oldest entry (or a wrap before it)
  size_t tail_ = 0;  // where the next entry goes
  size_t used_ = 0;  // bytes of live entries (and skipped ends)
  uint64_t count_ = 0;
  uint64_t next_number_ = 1;
};

}  // namespace runnel::zmq
