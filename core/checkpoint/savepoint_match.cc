#include "core/checkpoint/savepoint_match.h"

#include <algorithm>
#include <map>
#include <utility>

namespace runnel::checkpoint {
namespace {

// Whether saved space `space` holds stage `stage` of kind `kind`: it is
// KIND/STAGE (a job of one task) or KIND/TASK/STAGE.
bool IsStage(const std::string& space, const std::string& kind, const std::string& stage) {
  const std::string head = kind + "/";
  if (space.compare(0, head.size(), head) != 0) return false;
  if (space.size() == head.size() + stage.size()) {
    return space.compare(head.size(), stage.size(), stage) == 0;
  }
  const std::string tail = "/" + stage;
  return space.size() > head.size() + tail.size() &&
         space.compare(space.size() - tail.size(), tail.size(), tail) == 0;
}

// Splits a parallel instance's name, BASE#K.
bool SplitInstance(const std::string& name, std::string* base, size_t* k) {
  const size_t hash = name.rfind('#');
  if (hash == std::string::npos || hash == 0 || hash + 1 == name.size() ||
      name.size() - hash > 10 || (name[hash + 1] == '0' && hash + 2 != name.size())) {
    return false;
  }
  size_t value = 0;
  for (size_t i = hash + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    value = value * 10 + static_cast<size_t>(name[i] - '0');
  }
  *base = name.substr(0, hash);
  *k = value;
  return true;
}

// Instances numbered 0 .. n-1, each once.
bool Complete(const std::map<size_t, size_t>& by_instance) {
  return !by_instance.empty() && by_instance.rbegin()->first + 1 == by_instance.size();
}

}  // namespace

SavepointMatch MatchSavepoint(const std::vector<JobSpace>& job,
                              const std::vector<std::string>& saved) {
  SavepointMatch match;
  match.restore_from.resize(job.size());
  std::vector<bool> used(saved.size(), false);
  std::vector<bool> rescaled(job.size(), false);
  const auto take = [&](size_t space, size_t from) {
    match.restore_from[space] = saved[from];
    used[from] = true;
  };
  // Same name, same task: the graph kept its layout.
  for (size_t i = 0; i < job.size(); ++i) {
    auto at = std::find(saved.begin(), saved.end(), job[i].space);
    if (at != saved.end()) take(i, static_cast<size_t>(at - saved.begin()));
  }
  // Operators by name, all instances together: NAME#0 .. NAME#(p-1) (a
  // graph's names have no '#'), or NAME for one instance. A name several
  // stages share (each source's watermarks) is left to the other rules.
  std::map<std::string, std::map<size_t, size_t>> parallel;  // name -> instance -> space
  std::map<std::string, std::vector<size_t>> single;          // name -> spaces
  for (size_t i = 0; i < job.size(); ++i) {
    if (job[i].kind != "op") continue;
    std::string base;
    size_t k = 0;
    if (SplitInstance(job[i].stage, &base, &k)) {
      parallel[base][k] = i;
    } else {
      single[job[i].stage].push_back(i);
    }
  }
  std::vector<std::string> names;
  for (const auto& entry : parallel) names.push_back(entry.first);
  for (const auto& entry : single) {
    if (!parallel.count(entry.first)) names.push_back(entry.first);
  }
  for (const std::string& name : names) {
    const bool is_parallel = parallel.count(name) > 0;
    // An operator of several instances named like a single stage (a
    // source's watermarks): saved state under the plain name is that
    // stage's, not a one-instance run of the operator.
    const bool shared = is_parallel && single.count(name) > 0;
    std::map<size_t, size_t> instances;
    if (is_parallel) {
      instances = parallel[name];
    } else if (single[name].size() == 1) {
      instances[0] = single[name][0];
    } else {
      continue;
    }
    std::map<size_t, size_t> saved_instances;  // instance -> saved space
    std::vector<size_t> saved_single;
    for (size_t j = 0; j < saved.size(); ++j) {
      std::string stage;
      size_t k = 0;
      if (SplitInstance(saved[j], &stage, &k) && IsStage(stage, "op", name)) {
        saved_instances[k] = j;
      } else if (!shared && IsStage(saved[j], "op", name)) {
        saved_single.push_back(j);
      }
    }
    const bool one_set =
        saved_single.empty() || (saved_instances.empty() && saved_single.size() == 1);
    if (one_set && !saved_single.empty()) saved_instances[0] = saved_single[0];
    if (one_set && saved_instances.empty()) continue;  // a new operator
    if (!one_set || !Complete(saved_instances)) {
      match.conflicts.push_back("operator '" + name +
                                "': the savepoint's state for it is not one set of instances");
      continue;
    }
    if (saved_instances.size() == instances.size()) {
      for (const auto& [k, space] : instances) take(space, saved_instances.at(k));
      continue;
    }
    RescaledOperator op{name, {}, {}};
    for (const auto& [k, space] : instances) {
      match.restore_from[space].clear();
      rescaled[space] = true;
      op.instances.push_back(space);
    }
    for (const auto& [k, from] : saved_instances) {
      used[from] = true;
      op.saved.push_back(saved[from]);
    }
    match.rescaled.push_back(std::move(op));
  }
  // Sources, sinks and the rest by name, where the name is the job's
  // only stage of its kind so called and one saved space has it.
  std::map<std::string, int> stages;
  for (const JobSpace& space : job) ++stages[space.kind + "/" + space.stage];
  for (size_t i = 0; i < job.size(); ++i) {
    if (!match.restore_from[i].empty() || rescaled[i] || job[i].kind.empty() ||
        stages[job[i].kind + "/" + job[i].stage] > 1) {
      continue;
    }
    size_t found = saved.size();
    size_t candidates = 0;
    for (size_t j = 0; j < saved.size(); ++j) {
      if (used[j] || !IsStage(saved[j], job[i].kind, job[i].stage)) continue;
      found = j;
      ++candidates;
    }
    if (candidates == 1) take(i, found);
  }
  for (size_t j = 0; j < saved.size(); ++j) {
    if (!used[j]) match.unmatched.push_back(saved[j]);
  }
  return match;
}

}  // namespace runnel::checkpoint
