#include "tools/cli/run_job.h"

#include <signal.h>
#include <time.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "core/common/log.h"
#include "tools/cli/systemd_notify.h"

namespace runnel::cli {

void PrintStats(const runtime::Job& job) {
  fprintf(stderr, "%-8s %-24s %12s %12s %9s %9s %9s %15s\n", "stage", "name", "rows_in",
          "rows_out", "rejected", "lost", "dropped", "state");
  for (const runtime::StageStats& s : job.Stats()) {
    char state[32] = "";
    if (s.metrics.state_capacity > 0) {
      snprintf(state, sizeof(state), "%llu/%llu",
               static_cast<unsigned long long>(s.metrics.state_entries),
               static_cast<unsigned long long>(s.metrics.state_capacity));
    }
    fprintf(stderr, "%-8s %-24s %12llu %12llu %9llu %9llu %9llu %15s\n", s.kind.c_str(),
            s.name.c_str(), static_cast<unsigned long long>(s.rows_in),
            static_cast<unsigned long long>(s.rows_out),
            static_cast<unsigned long long>(s.rejected),
            static_cast<unsigned long long>(s.lost_batches),
            static_cast<unsigned long long>(s.metrics.dropped + s.metrics.evicted), state);
  }
  for (const runtime::RingStats& r : job.Rings()) {
    fprintf(stderr, "ring     %-40s fill %u/%u, producer waited %llu times\n", r.name.c_str(),
            r.fill, r.slots, static_cast<unsigned long long>(r.full_waits));
  }
}

Status RunJob(runtime::Job* job, const RunOptions& options) {
  // The signals are taken synchronously by this thread; every job thread
  // inherits the blocked mask, so none is interrupted.
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);

  std::atomic<bool> finished{false};
  Status result;
  std::thread runner([&] {
    result = job->Run();
    finished.store(true, std::memory_order_release);
  });

  SystemdNotifier systemd;
  systemd.Ready();
  timespec started;
  clock_gettime(CLOCK_MONOTONIC, &started);
  double next_stats = options.stats_interval_s;
  int signals_seen = 0;
  while (!finished.load(std::memory_order_acquire)) {
    timespec wait{0, 50 * 1000 * 1000};
    int signal = sigtimedwait(&stop_signals, nullptr, &wait);
    if (signal == SIGINT || signal == SIGTERM) {
      if (++signals_seen == 1) {
        RUNNEL_LOG_INFO("%s: stopping: draining and flushing (again to cancel)",
                        signal == SIGINT ? "SIGINT" : "SIGTERM");
        job->RequestStop();
        systemd.Stopping();
      } else {
        RUNNEL_LOG_WARN("second signal: cancelling");
        job->Cancel();
      }
    }
    timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    systemd.Alive(int64_t{now.tv_sec} * 1000000 + now.tv_nsec / 1000);
    if (options.stats_interval_s > 0) {
      double elapsed = static_cast<double>(now.tv_sec - started.tv_sec) +
                       static_cast<double>(now.tv_nsec - started.tv_nsec) / 1e9;
      if (elapsed >= next_stats) {
        PrintStats(*job);
        next_stats += options.stats_interval_s;
      }
    }
  }
  runner.join();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (options.stats_at_exit || options.stats_interval_s > 0) PrintStats(*job);
  return result;
}

}  // namespace runnel::cli
