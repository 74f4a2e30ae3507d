#include "tools/cli/checkpoints.h"

#include <cinttypes>

#include "core/common/log.h"

namespace runnel::cli {

Result<Checkpoints> SetUpCheckpoints(graph::PhysicalPlan* plan) {
  Checkpoints c;
  const graph::CheckpointPlan& settings = plan->checkpoint;
  if (!settings.enabled) return c;
  checkpoint::StoreOptions store_options;
  store_options.retained = settings.retained;
  auto store = checkpoint::CheckpointStore::Open(settings.dir, settings.fingerprint, store_options);
  if (!store.ok()) return store.status();
  c.store = std::move(store.value());
  runtime::Job* job = plan->job.get();
  checkpoint::CheckpointOptions options;
  options.interval_ms = settings.interval_ms;
  options.always_full = settings.always_full;
  auto coordinator = checkpoint::Coordinator::Make(job->tasks()[0].get(), job->symbols(),
                                                   c.store.get(), options);
  if (!coordinator.ok()) return coordinator.status();
  c.coordinator = std::move(coordinator.value());
  RUNNEL_RETURN_IF_ERROR(c.coordinator->Restore(&c.restored, &c.finished));
  if (c.restored == 0) {
    RUNNEL_LOG_INFO("checkpoints: none in %s; starting afresh", settings.dir.c_str());
  } else if (c.finished) {
    RUNNEL_LOG_INFO("checkpoints: the job finished in checkpoint %" PRIu64
                    " (%s); nothing to run (remove the directory to run it again)",
                    c.restored, settings.dir.c_str());
    // A crash may have come between storing that checkpoint and its sinks'
    // commit: opening a restored sink finishes it.
    runtime::Task* task = job->tasks()[0].get();
    for (size_t i = 0; i < task->sink_count(); ++i) {
      RUNNEL_RETURN_IF_ERROR(task->sink(i)->Open());
      RUNNEL_RETURN_IF_ERROR(task->sink(i)->Close());
    }
    return c;
  } else {
    RUNNEL_LOG_INFO("checkpoints: resuming from checkpoint %" PRIu64 " in %s", c.restored,
                    settings.dir.c_str());
  }
  job->tasks()[0]->set_checkpoint_trigger(c.coordinator.get());
  c.coordinator->Start();
  return c;
}

}  // namespace runnel::cli
