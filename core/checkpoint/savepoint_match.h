// MatchSavepoint: which saved state each stage of a job restores from a
// savepoint (docs/STATE.md, Savepoints). Stages are matched by name
// (Flink's uids: a graph's source, operator and sink names), wherever their
// task is: a space is `KIND/NAME` in a job of one task and `KIND/TASK/NAME`
// in a job of several, and a change of parallelism moves stages between
// tasks. A parallel operator's instances are `NAME#0` .. `NAME#(p-1)`
// (graph names have no '#');
// when its saved instances are not its instances now (another
// parallelism), all of them are restored together and their keys spread
// over the new instances (rescaling).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace runnel::checkpoint {

// One space of the job being restored.
struct JobSpace {
  std::string space;  // its full name: "op/windows#0/windows#0", "symbols"
  std::string kind;   // "source", "op", "sink"; empty for the job's own spaces
  std::string stage;  // the stage's name: "windows#0"
};

// An operator whose saved instances are spread over its new ones.
struct RescaledOperator {
  std::string name;                // without the instance suffix
  std::vector<size_t> instances;   // its job spaces (indices), instance order
  std::vector<std::string> saved;  // its saved spaces, instance order
};

struct SavepointMatch {
  // Per job space (same order): the saved space it restores from; empty
  // when it starts empty or is rescaled.
  std::vector<std::string> restore_from;
  std::vector<RescaledOperator> rescaled;
  // Saved spaces no stage restores.
  std::vector<std::string> unmatched;
  // Operators whose saved state cannot be told apart (errors).
  std::vector<std::string> conflicts;
};

SavepointMatch MatchSavepoint(const std::vector<JobSpace>& job,
                              const std::vector<std::string>& saved);

}  // namespace runnel::checkpoint
