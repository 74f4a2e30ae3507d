// Checkpoints for `runnel run`: opens the graph's state directory, restores
// the newest readable checkpoint into the planned job and attaches the
// coordinator that takes the next ones (docs/STATE.md).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/checkpoint/checkpoint_store.h"
#include "core/checkpoint/coordinator.h"
#include "core/common/status.h"
#include "core/graph/planner.h"
#include "transports/zmq/control_socket.h"

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
  // Serves `runnel savepoint STATE_DIR DIR` while the job runs; declared
  // after the coordinator, so it stops first.
  std::unique_ptr<zmq::ControlServer> control;
  uint64_t restored = 0;  // the checkpoint restored; 0 for a fresh start
  bool finished = false;  // it is of a job that finished: nothing to run
};

// Nothing (an empty Checkpoints) when the plan has no `checkpoint`. Logs
// which checkpoint (or savepoint) the job resumes from, and binds the
// control socket (ipc://STATE_DIR/control) through which `runnel
// savepoint` asks the running job for a savepoint. Must run before the job
// does. Savepoint options need a plan with `checkpoint`. `replan` plans the
// graph again: a checkpoint that fails to read part-way spoils the job,
// which is then replaced in *plan for the next older checkpoint.
Result<Checkpoints> SetUpCheckpoints(graph::PhysicalPlan* plan, const SavepointOptions& savepoints,
                                     const std::function<graph::PhysicalPlan()>& replan);

// `runnel savepoint inspect DIR`: prints what the savepoint holds; returns
// the exit code.
int InspectSavepoint(const std::string& dir);

// `runnel savepoint STATE_DIR DIR`: asks the job running with state
// directory STATE_DIR for a savepoint into DIR, waits for it and prints
// which checkpoint it holds; returns the exit code.
int TakeSavepoint(const std::string& state_dir, const std::string& dir);

}  // namespace runnel::cli
