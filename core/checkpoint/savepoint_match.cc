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

// Whether saved space `space` is an instance of operator `base`, and which
// (a job whose operator ran as one instance saved it under `base` itself).
bool SavedInstance(const std::string& space, const std::string& base, size_t* k) {
  if (IsStage(space, "op", base)) {
    *k = 0;
    return true;
  }
  std::string stage_base;
  return SplitInstance(space, &stage_base, k) && IsStage(stage_base, "op", base);
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
  // Operators by name, all instances together. Names that repeat in the
  // job (each source's watermarks) are left to the other rules.
  std::map<std::string, std::map<size_t, size_t>> operators;  // name -> instance -> space
  std::map<std::string, bool> repeated;
  for (size_t i = 0; i < job.size(); ++i) {
    if (job[i].kind != "op") continue;
    std::string base = job[i].stage;
    size_t k = 0;
    if (!SplitInstance(job[i].stage, &base, &k)) base = job[i].stage;
    if (!operators[base].emplace(k, i).second) repeated[base] = true;
  }
  for (const auto& [name, instances] : operators) {
    if (repeated[name] || !Complete(instances)) continue;
    std::map<size_t, size_t> saved_instances;
    bool clash = false;
    for (size_t j = 0; j < saved.size(); ++j) {
      size_t k = 0;
      if (SavedInstance(saved[j], name, &k)) clash = clash || !saved_instances.emplace(k, j).second;
    }
    if (clash || !Complete(saved_instances)) continue;
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
