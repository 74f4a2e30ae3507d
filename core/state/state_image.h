// StateImage: the checkpointable memory of one operator — its keyed tables,
// timer heaps and a few scalars of its own — as checkpoint records.
//
// Tables and heaps keep their arrays in TrackedArrays (tracked_array.h), so
// a Snapshot writes only the 256-byte blocks written since the previous one
// (every block for a full one) plus one header record holding every
// table's and heap's scalars and the operator's own, and one with the
// layout (each array's size), which a restore checks before anything else. Restoring writes the
// blocks and the header back into an operator constructed from the same
// graph: blocks a checkpoint does not hold are still as the constructor
// made them, which is what they were when the state was saved. The layout
// (record keys and the header) is in docs/STATE.md, Operator state.
//
// Plan time: Add every table and heap, then EnableTracking when the job
// checkpoints. Snapshot runs on the hot path and does not allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/status.h"
#include "core/runtime/state_buffer.h"
#include "core/state/keyed_table.h"
#include "core/state/timer_heap.h"

namespace runnel::state {

class StateImage {
 public:
  static constexpr uint32_t kMaxTables = 4;
  static constexpr uint32_t kMaxHeaps = 4;
  static constexpr uint32_t kMaxRegions =
      kMaxTables * KeyedTable::kRegions + kMaxHeaps * TimerHeap::kRegions;

  // REQUIRES: at most kMaxTables tables and kMaxHeaps heaps.
  void Add(KeyedTable* table);
  void Add(TimerHeap* heap);
  void EnableTracking();

  // Writes the header (the tables' and heaps' scalars, then `own`, the
  // operator's scalars) and the changed blocks (all blocks when `full`).
  // False when `out` is full; blocks already written are then no longer
  // marked, so the next snapshot must be full.
  bool Snapshot(bool full, std::string_view own, runtime::StateBuffer* out);

  // One record of a restored checkpoint. The header's scalars go back into
  // the tables and heaps at once and its `own` part to *own (which the
  // operator then reads). An error names what does not match this layout.
  Status RestoreEntry(std::string_view key, std::string_view value, std::string* own);

  // The most bytes a full Snapshot writes with `own_bytes` of own scalars.
  size_t MaxSnapshotBytes(size_t own_bytes) const;

 private:
  size_t ScalarBytes() const;
  size_t LayoutBytes() const { return region_count_ * sizeof(uint64_t); }
  // Notes the sizes of regions [first, region_count_).
  void RecordLayout(uint32_t first);

  KeyedTable* tables_[kMaxTables] = {};
  TimerHeap* heaps_[kMaxHeaps] = {};
  TrackedRegion* regions_[kMaxRegions] = {};
  uint32_t table_count_ = 0;
  uint32_t heap_count_ = 0;
  uint32_t region_count_ = 0;
  uint64_t layout_[kMaxRegions] = {};  // each region's bytes
  // The header under construction: the scalars, then the operator's own.
  static constexpr size_t kMaxHeaderBytes = 1024;
  char header_[kMaxHeaderBytes];
};

}  // namespace runnel::state
