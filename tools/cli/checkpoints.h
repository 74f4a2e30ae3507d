// Checkpoints for `runnel run`: opens the graph's state directory, restores
// the newest readable checkpoint into the planned job and attaches the
// coordinator that takes the next ones (docs/STATE.md).
#pragma once

#include <memory>

#include "core/checkpoint/checkpoint_store.h"
#include "core/checkpoint/coordinator.h"
#include "core/common/status.h"
#include "core/graph/planner.h"

namespace runnel::cli {

struct Checkpoints {
  std::unique_ptr<checkpoint::CheckpointStore> store;
  std::unique_ptr<checkpoint::Coordinator> coordinator;
  uint64_t restored = 0;  // the checkpoint restored; 0 for a fresh start
  bool finished = false;  // it is of a job that finished: nothing to run
};

// Nothing (an empty Checkpoints) when the plan has no `checkpoint`. Logs
// which checkpoint the job resumes from. Must run before the job does.
Result<Checkpoints> SetUpCheckpoints(graph::PhysicalPlan* plan);

}  // namespace runnel::cli
