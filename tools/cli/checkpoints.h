// Checkpoints for `runnel run`: opens the graph's state directory, restores
// the newest readable checkpoint into the planned job and attaches the
// coordinator that takes the next ones (docs/STATE.md).
#pragma once

#include <memory>
#include <string>

#include "core/checkpoint/checkpoint_store.h"
#include "core/checkpoint/coordinator.h"
#include "core/common/status.h"
#include "core/graph/planner.h"

namespace runnel::cli {

// runnel run's savepoint options.
struct SavepointOptions {
  std::string write_to;    // --savepoint: written when a stop request ends the job
  std::string start_from;  // --from-savepoint
  bool allow_non_restored = false;
};

struct Checkpoints {
  std::unique_ptr<checkpoint::CheckpointStore> store;
  std::unique_ptr<checkpoint::CheckpointStore> savepoint;  // --savepoint
  std::unique_ptr<checkpoint::Coordinator> coordinator;
  uint64_t restored = 0;  // the checkpoint restored; 0 for a fresh start
  bool finished = false;  // it is of a job that finished: nothing to run
};

// Nothing (an empty Checkpoints) when the plan has no `checkpoint`. Logs
// which checkpoint (or savepoint) the job resumes from. Must run before the
// job does. Savepoint options need a plan with `checkpoint`.
Result<Checkpoints> SetUpCheckpoints(graph::PhysicalPlan* plan, const SavepointOptions& savepoints);

// `runnel savepoint inspect DIR`: prints what the savepoint holds; returns
// the exit code.
int InspectSavepoint(const std::string& dir);

}  // namespace runnel::cli
