// TrackedArray: a fixed-size array of plain data that remembers which of its
// 256-byte blocks were written since the last checkpoint, so a checkpoint
// copies only those (docs/STATE.md, Operator state).
//
// Reads use operator[] (const only); every write goes through Mut(i) or
// MutRange(i, n), which mark the blocks they return dirty. There is no
// non-const operator[], so an unmarked write does not compile. Tracking is
// off until EnableTracking() (a job without checkpoints pays one predictable
// branch per write); the dirty bitmap, one bit per block, is allocated with
// the array.
//
// Checkpoints see the array through its TrackedRegion base: the dirty
// blocks' bytes (or every block's, for a full checkpoint), and the blocks of
// a restored checkpoint written back. The element type must be trivially
// copyable: a block is raw bytes.
//
// IdArray is a TrackedArray of ids (entry numbers) in which an element never
// set reads as kNone: it stores id + 1 (StoreId), so the zero bytes of fresh
// state memory are all kNone and building an index or a stack of ids
// writes nothing. Its memory becomes resident as ids arrive, not as
// capacity is reserved.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

#include "core/state/state_memory.h"

namespace runnel::state {

class TrackedRegion {
 public:
  static constexpr size_t kBlockBytes = 256;

  TrackedRegion(const TrackedRegion&) = delete;
  TrackedRegion& operator=(const TrackedRegion&) = delete;

  void EnableTracking() { tracking_ = true; }
  bool tracking() const { return tracking_; }
  size_t bytes() const { return bytes_; }
  uint32_t blocks() const { return static_cast<uint32_t>((bytes_ + kBlockBytes - 1) / kBlockBytes); }

  // Marks the blocks holding bytes [offset, offset + len) dirty.
  void MarkBytes(size_t offset, size_t len) {
    if (!tracking_ || len == 0) return;
    const size_t first = offset / kBlockBytes;
    const size_t last = (offset + len - 1) / kBlockBytes;
    for (size_t b = first; b <= last; ++b) {
      // Most writes hit a block already dirty: then only a load.
      uint64_t& word = dirty_[b / 64];
      const uint64_t bit = uint64_t{1} << (b % 64);
      if ((word & bit) == 0) word |= bit;
    }
  }

  // Hints that the bytes at `offset` are about to be written: loads the word
  // of the dirty bitmap that will mark them (a big table's random writes
  // keep evicting it from L1). Changes nothing.
  void PrefetchMark(size_t offset) const {
    if (tracking_) __builtin_prefetch(&dirty_[offset / kBlockBytes / 64], 1);
  }

  // Calls fn(uint32_t block, std::string_view bytes) for every dirty block
  // (every block when `all`), in block order, and clears the dirty bits.
  // Stops and returns false as soon as fn returns false; the blocks not yet
  // handed over stay dirty.
  template <typename Fn>
  bool TakeDirty(bool all, Fn&& fn) {
    const uint32_t n = blocks();
    for (uint32_t word = 0; word * 64 < n; ++word) {
      uint64_t bits = all ? ~uint64_t{0} : dirty_[word];
      while (bits != 0) {
        const uint32_t b = word * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
        if (b >= n) break;
        const size_t offset = size_t{b} * kBlockBytes;
        const size_t len = bytes_ - offset < kBlockBytes ? bytes_ - offset : kBlockBytes;
        if (!fn(b, std::string_view(data_ + offset, len))) return false;
        bits &= bits - 1;
        dirty_[word] &= ~(uint64_t{1} << (b % 64));
      }
    }
    return true;
  }

  // Writes a block a checkpoint holds back. False when `block` or the length
  // does not fit this array (the checkpoint is of another layout).
  bool RestoreBlock(uint32_t block, std::string_view bytes) {
    const size_t offset = size_t{block} * kBlockBytes;
    if (block >= blocks() || bytes.size() != std::min(kBlockBytes, bytes_ - offset)) return false;
    std::memcpy(data_ + offset, bytes.data(), bytes.size());
    return true;
  }

 protected:
  TrackedRegion(char* data, size_t bytes)
      : data_(data),
        bytes_(bytes),
        dirty_(new uint64_t[(bytes / kBlockBytes + 64) / 64]()) {}
  ~TrackedRegion() = default;

 private:
  char* data_;
  size_t bytes_;
  std::unique_ptr<uint64_t[]> dirty_;
  bool tracking_ = false;
};

template <typename T>
class TrackedArray : public TrackedRegion {
 public:
  // `n` elements, zero bytes when `zeroed`, else uninitialized, in state
  // memory (state_memory.h: zeroed pages of big arrays are not touched until
  // written, so a table a checkpoint restore overwrites is written once).
  explicit TrackedArray(size_t n, bool zeroed = false) : TrackedArray(StateArray<T>(n, zeroed)) {}

  const T& operator[](size_t i) const { return data_[i]; }
  const T* data() const { return data_.get(); }
  size_t size() const { return data_.size(); }

  T& Mut(size_t i) {
    MarkBytes(i * sizeof(T), sizeof(T));
    return data_[i];
  }
  // Elements [i, i + n), all marked.
  T* MutRange(size_t i, size_t n) {
    MarkBytes(i * sizeof(T), n * sizeof(T));
    return data_.get() + i;
  }

 private:
  explicit TrackedArray(StateArray<T> data)
      : TrackedRegion(reinterpret_cast<char*>(data.get()), data.size() * sizeof(T)),
        data_(std::move(data)) {}

  StateArray<T> data_;
};

// An id as state memory holds it: id + 1, so that zero bytes are kNoId.
inline constexpr uint32_t kNoId = UINT32_MAX;
inline uint32_t StoreId(uint32_t id) { return id + 1; }         // kNoId -> 0
inline uint32_t LoadId(uint32_t stored) { return stored - 1; }  // 0 -> kNoId

class IdArray {
 public:
  static constexpr uint32_t kNone = kNoId;

  explicit IdArray(size_t n) : stored_(n, /*zeroed=*/true) {}

  uint32_t operator[](size_t i) const { return LoadId(stored_[i]); }
  void Set(size_t i, uint32_t id) { stored_.Mut(i) = StoreId(id); }
  size_t size() const { return stored_.size(); }

  TrackedRegion* region() { return &stored_; }

 private:
  TrackedArray<uint32_t> stored_;
};

}  // namespace runnel::state
