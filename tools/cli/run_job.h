// Running a planned job from the CLI: SIGINT/SIGTERM ask for a graceful stop
// (inputs end, everything in flight is processed and flushed; a second
// signal cancels), and stats are printed to stderr periodically and at exit.
// Under systemd it reports readiness and feeds the watchdog (systemd_notify.h)
// from the loop that waits for those signals.
#pragma once

#include "core/common/status.h"
#include "core/runtime/job.h"

namespace runnel::cli {

struct RunOptions {
  bool stats_at_exit = false;
  double stats_interval_s = 0;  // > 0: also print stats this often
};

Status RunJob(runtime::Job* job, const RunOptions& options);

// Per stage rows in/out, rejected, dropped, state; ring fill levels.
void PrintStats(const runtime::Job& job);

}  // namespace runnel::cli
