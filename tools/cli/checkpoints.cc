#include "tools/cli/checkpoints.h"

#include <time.h>

#include <cinttypes>
#include <cstdio>

#include "core/common/log.h"
#include "core/common/path.h"

namespace runnel::cli {

namespace {

// Savepoints are stores of their own, readable by any graph.
constexpr char kSavepointFingerprint[] = "runnel savepoint";

// How long a control request waits for the task to take a savepoint (a
// batch boundary comes at least every idle poll of the sources), and how
// long `runnel savepoint` waits for the whole reply (a full checkpoint of
// a big state takes seconds to write).
constexpr int64_t kTakeTimeoutMs = 30000;
constexpr int kReplyTimeoutMs = 600000;

constexpr char kSavepointRequest[] = "savepoint ";

// The control socket's answer to "savepoint DIR": a full checkpoint of the
// running job, also written to the savepoint store DIR.
std::string ServeSavepoint(checkpoint::Coordinator* coordinator, const std::string& request,
                           const std::atomic<bool>& stopping) {
  if (request.rfind(kSavepointRequest, 0) != 0) return "error: unknown request '" + request + "'";
  const std::string dir = request.substr(sizeof(kSavepointRequest) - 1);
  auto savepoint = checkpoint::CheckpointStore::Open(dir, kSavepointFingerprint);
  if (!savepoint.ok()) return "error: " + savepoint.status().message();
  uint64_t id = 0;
  Status taken = coordinator->TakeSavepoint(savepoint.value().get(), kTakeTimeoutMs, &stopping, &id);
  if (!taken.ok()) {
    RUNNEL_LOG_ERROR("savepoint to %s failed: %s", dir.c_str(), taken.message().c_str());
    return "error: " + taken.message();
  }
  RUNNEL_LOG_INFO("savepoint %s written (checkpoint %" PRIu64 "), asked for on the control socket",
                  dir.c_str(), id);
  return "ok " + std::to_string(id);
}

// Starts the coordinator and the control socket; a socket that cannot be
// bound is logged and the job runs without it.
void StartCheckpoints(const std::string& state_dir, Checkpoints* c) {
  c->coordinator->Start();
  checkpoint::Coordinator* coordinator = c->coordinator.get();
  auto control = zmq::ControlServer::Start(
      zmq::ControlEndpoint(state_dir),
      [coordinator](const std::string& request, const std::atomic<bool>& stopping) {
        return ServeSavepoint(coordinator, request, stopping);
      });
  if (!control.ok()) {
    RUNNEL_LOG_WARN("%s; runnel savepoint cannot reach this job", control.status().message().c_str());
    return;
  }
  c->control = std::move(control.value());
}

// The coordinator of the plan's tasks, into c->coordinator.
Status MakeCoordinator(graph::PhysicalPlan* plan, const checkpoint::CheckpointOptions& options,
                       Checkpoints* c) {
  runtime::Job* job = plan->job.get();
  std::vector<runtime::Task*> tasks;
  for (const auto& task : job->tasks()) tasks.push_back(task.get());
  auto coordinator = checkpoint::Coordinator::Make(tasks, job->signals(), job->symbols(),
                                                   c->store.get(), options);
  if (!coordinator.ok()) return coordinator.status();
  c->coordinator = std::move(coordinator.value());
  if (c->savepoint != nullptr) c->coordinator->set_savepoint(c->savepoint.get());
  return Status::Ok();
}

}  // namespace

Result<Checkpoints> SetUpCheckpoints(graph::PhysicalPlan* plan, const SavepointOptions& savepoints,
                                     const std::function<graph::PhysicalPlan()>& replan) {
  Checkpoints c;
  if (!plan->checkpoint.enabled) {
    if (savepoints.write_to.empty() && savepoints.start_from.empty()) return c;
    return InvalidArgument("savepoints need checkpoints: add \"checkpoint\" to the graph "
                           "(docs/STATE.md)");
  }
  const graph::CheckpointPlan settings = plan->checkpoint;
  checkpoint::StoreOptions store_options;
  store_options.retained = settings.retained;
  auto store = checkpoint::CheckpointStore::Open(settings.dir, settings.fingerprint, store_options);
  if (!store.ok()) return store.status();
  c.store = std::move(store.value());
  if (!savepoints.write_to.empty()) {
    auto savepoint = checkpoint::CheckpointStore::Open(savepoints.write_to, kSavepointFingerprint);
    if (!savepoint.ok()) return savepoint.status();
    c.savepoint = std::move(savepoint.value());
  }
  checkpoint::CheckpointOptions options;
  options.interval_ms = settings.interval_ms;
  options.always_full = settings.always_full;
  RUNNEL_RETURN_IF_ERROR(MakeCoordinator(plan, options, &c));
  if (!savepoints.start_from.empty()) {
    if (!c.store->Checkpoints().empty()) {
      return InvalidArgument("--from-savepoint starts a job afresh, but " + settings.dir +
                             " holds its checkpoints already; use an empty directory");
    }
    auto from = checkpoint::CheckpointStore::Open(savepoints.start_from, kSavepointFingerprint);
    if (!from.ok()) return from.status();
    Status restored =
        c.coordinator->RestoreSavepoint(*from.value(), savepoints.allow_non_restored);
    if (!restored.ok()) {
      return Status(restored.code(),
                    "savepoint " + savepoints.start_from + ": " + restored.message());
    }
    RUNNEL_LOG_INFO("checkpoints: starting from savepoint %s", savepoints.start_from.c_str());
    StartCheckpoints(settings.dir, &c);
    return c;
  }
  // A checkpoint that fails part-way leaves the job holding part of it: the
  // job is planned anew for the next older one.
  RUNNEL_RETURN_IF_ERROR(checkpoint::RestoreNewest(
      c.coordinator.get(),
      [&]() -> Result<checkpoint::Coordinator*> {
        c.coordinator.reset();
        *plan = replan();
        if (!plan->job) return InvalidArgument("the graph could not be planned again");
        RUNNEL_RETURN_IF_ERROR(MakeCoordinator(plan, options, &c));
        return c.coordinator.get();
      },
      &c.restored, &c.finished));
  runtime::Job* job = plan->job.get();
  if (c.restored == 0) {
    RUNNEL_LOG_INFO("checkpoints: none in %s; starting afresh", settings.dir.c_str());
  } else if (c.finished) {
    RUNNEL_LOG_INFO("checkpoints: the job finished in checkpoint %" PRIu64
                    " (%s); nothing to run (remove the directory to run it again)",
                    c.restored, settings.dir.c_str());
    // A crash may have come between storing that checkpoint and its sinks'
    // commit: opening a restored sink finishes it.
    for (const auto& task : job->tasks()) {
      for (size_t i = 0; i < task->sink_count(); ++i) {
        RUNNEL_RETURN_IF_ERROR(task->sink(i)->Open());
        RUNNEL_RETURN_IF_ERROR(task->sink(i)->Close());
      }
    }
    return c;
  } else {
    RUNNEL_LOG_INFO("checkpoints: resuming from checkpoint %" PRIu64 " in %s", c.restored,
                    settings.dir.c_str());
  }
  StartCheckpoints(settings.dir, &c);
  return c;
}

int InspectSavepoint(const std::string& dir) {
  auto store = checkpoint::CheckpointStore::Open(dir, kSavepointFingerprint);
  if (!store.ok()) {
    RUNNEL_LOG_ERROR("%s", store.status().message().c_str());
    return 1;
  }
  const auto saved = store.value()->Checkpoints();
  if (saved.empty()) {
    RUNNEL_LOG_ERROR("%s holds no savepoint", dir.c_str());
    return 1;
  }
  const checkpoint::CheckpointInfo& latest = saved.back();
  auto spaces = store.value()->Spaces(latest.id);
  if (!spaces.ok()) {
    RUNNEL_LOG_ERROR("%s", spaces.status().message().c_str());
    return 1;
  }
  const time_t seconds = static_cast<time_t>(latest.wall_ms / 1000);
  tm utc;
  gmtime_r(&seconds, &utc);
  char when[32];
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &utc);
  printf("savepoint %s: taken %s, %" PRIu64 " entries, %" PRIu64 " bytes\n", dir.c_str(), when,
         latest.puts, latest.bytes);
  printf("%-32s %10s %12s\n", "stage", "entries", "bytes");
  for (const auto& space : spaces.value()) {
    printf("%-32s %10" PRIu64 " %12" PRIu64 "\n", space.space.c_str(), space.entries, space.bytes);
  }
  return 0;
}

int TakeSavepoint(const std::string& state_dir, const std::string& dir) {
  Result<std::string> normal = AbsolutePath(dir);
  const std::string absolute = normal.ok() ? normal.value() : dir;
  const std::string endpoint = zmq::ControlEndpoint(state_dir);
  auto reply = zmq::ControlRequest(endpoint, kSavepointRequest + absolute, kReplyTimeoutMs);
  if (!reply.ok()) {
    RUNNEL_LOG_ERROR("savepoint: %s", reply.status().message().c_str());
    return 1;
  }
  if (reply.value().rfind("ok ", 0) != 0) {
    RUNNEL_LOG_ERROR("savepoint to %s: %s", absolute.c_str(), reply.value().c_str());
    return 1;
  }
  printf("savepoint %s: checkpoint %s of the job in %s\n", absolute.c_str(),
         reply.value().c_str() + 3, state_dir.c_str());
  return 0;
}

}  // namespace runnel::cli
