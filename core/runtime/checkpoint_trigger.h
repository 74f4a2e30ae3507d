// CheckpointTrigger: how a task hands control to the checkpoint coordinator
// (core/checkpoint/coordinator.h) at the points where its state is
// consistent: between batches, with no operator holding pending output.
#pragma once

#include <cstdint>

#include "core/common/status.h"

namespace runnel::runtime {

class CheckpointTrigger {
 public:
  virtual ~CheckpointTrigger() = default;
  // Task thread, between batches: takes a checkpoint if one is due.
  virtual Status MaybeCheckpoint() = 0;
  // Task thread: the task's input delivered checkpoint barrier `id`,
  // aligned across its rings (core/runtime/ring_io.h), after every row
  // before it: saves the task's state and passes the barrier on.
  virtual Status OnBarrier(uint64_t id) = 0;
  // Task thread, once the inputs are done, after the ring writers closed
  // and before the other sinks close: the job's last checkpoint, taken once
  // every task has come here; returns when it is stored and committed.
  // `drained`: the inputs ended by themselves and the operators were
  // drained (the job is finished); else a stop request ended them and the
  // state is kept for a resumed job.
  virtual Status FinalCheckpoint(bool drained) = 0;
  // Task thread, instead of FinalCheckpoint when the task ends with an
  // error (its own, or the job's cancellation), before its sinks close:
  // the job takes no final checkpoint, one being taken will not complete,
  // and one being written is committed before this returns.
  virtual void Failed() = 0;
};

}  // namespace runnel::runtime
