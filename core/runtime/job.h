// Job: a planned graph ready to run — its tasks (one thread each), the
// rings between them and the symbol table they share.
//
// Built by the planner, which allocates everything; Run() starts one thread
// per task (a single-task job runs on the calling thread), waits for all of
// them, and returns the first failure. A failing task cancels the others so
// the job stops promptly; every task still closes its sinks. RequestStop()
// asks for a graceful stop (external inputs end, everything in flight is
// processed and flushed) and is safe to call from a signal handler.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/runtime/batch_ring.h"
#include "core/runtime/task.h"
#include "core/schema/symbol_table.h"

namespace runnel::runtime {

// The fill level of one ring, for metrics.
struct RingStats {
  std::string name;  // "producer -> consumer"
  uint32_t fill = 0;
  uint32_t slots = 0;
  uint64_t full_waits = 0;
};

class Job {
 public:
  explicit Job(std::unique_ptr<schema::SymbolTable> symbols);

  // Building (plan time).
  Task* AddTask(std::string name, uint32_t batch_rows);
  BatchRing* AddRing(std::string name, uint32_t slots, uint32_t width,
                     uint32_t batch_rows);

  schema::SymbolTable* symbols() { return symbols_.get(); }
  const JobSignals* signals() const { return &signals_; }
  const std::vector<std::unique_ptr<Task>>& tasks() const { return tasks_; }

  Status Run();
  // Async-signal-safe.
  void RequestStop() { signals_.stop.store(true, std::memory_order_relaxed); }
  // Stops every task as soon as it can; sinks are still closed.
  void Cancel() { signals_.cancel.store(true, std::memory_order_relaxed); }

  // Any thread, also while running.
  std::vector<StageStats> Stats() const;
  std::vector<RingStats> Rings() const;

  // Bytes preallocated for batches and rings (state and buffers are counted
  // by the planner).
  uint64_t batch_bytes() const;
  uint64_t ring_bytes() const;

 private:
  std::unique_ptr<schema::SymbolTable> symbols_;
  JobSignals signals_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::vector<std::unique_ptr<BatchRing>> rings_;
  std::vector<std::string> ring_names_;
};

}  // namespace runnel::runtime
