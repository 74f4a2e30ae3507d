// TableMetrics: a keyed table's counters (live entries, rows dropped by
// drop_new, entries evicted), published by the one thread that owns the
// table for metrics() readers on other threads (--stats).
#pragma once

#include <atomic>
#include <cstdint>

#include "core/runtime/operator.h"
#include "core/state/keyed_table.h"

namespace runnel::ops {

class TableMetrics {
 public:
  // Copies `table`'s counters; the owning thread calls it after each batch.
  void Publish(const state::KeyedTable& table) {
    entries_.store(table.size(), std::memory_order_relaxed);
    dropped_.store(table.dropped(), std::memory_order_relaxed);
    evicted_.store(table.evicted(), std::memory_order_relaxed);
  }

  // The counters last published, with the table's capacity. Any thread.
  runtime::OperatorMetrics Read(uint32_t capacity) const {
    runtime::OperatorMetrics m;
    m.dropped = dropped_.load(std::memory_order_relaxed);
    m.evicted = evicted_.load(std::memory_order_relaxed);
    m.state_entries = entries_.load(std::memory_order_relaxed);
    m.state_capacity = capacity;
    return m;
  }

 private:
  std::atomic<uint64_t> entries_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> evicted_{0};
};

}  // namespace runnel::ops
