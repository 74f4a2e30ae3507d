// JobSignals: the stop and cancel flags a job shares with its tasks and
// their stages. Set from any thread (or a signal handler); tasks poll them
// between batches, and a stage that can wait (a sink for its peer) watches
// them so it never waits past a stop or a cancel.
#pragma once

#include <atomic>

namespace runnel::runtime {

struct JobSignals {
  std::atomic<bool> stop{false};    // graceful: end external inputs, drain
  std::atomic<bool> cancel{false};  // a task failed: stop now
};

}  // namespace runnel::runtime
