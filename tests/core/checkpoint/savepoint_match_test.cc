// Which saved state each stage restores from a savepoint: by name wherever
// its task is, and a parallel operator's saved instances together when its
// parallelism changed.
#include <string>
#include <vector>

#include "core/checkpoint/savepoint_match.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::checkpoint::JobSpace;
using runnel::checkpoint::MatchSavepoint;
using runnel::checkpoint::SavepointMatch;

namespace {

// A job of several tasks: its source task, `windows` in `parallelism`
// instances, and a sink task.
std::vector<JobSpace> ParallelJob(int parallelism) {
  std::vector<JobSpace> job = {{"source/source readings/readings", "source", "readings"},
                               {"op/source readings/watermarks", "op", "watermarks"}};
  for (int i = 0; i < parallelism; ++i) {
    const std::string name = "windows#" + std::to_string(i);
    job.push_back({"op/" + name + "/" + name, "op", name});
  }
  job.push_back({"sink/out/out", "sink", "out"});
  job.push_back({"symbols", "", ""});
  return job;
}

std::vector<std::string> SpacesOf(const std::vector<JobSpace>& job) {
  std::vector<std::string> spaces;
  for (const JobSpace& space : job) spaces.push_back(space.space);
  return spaces;
}

}  // namespace

TEST_GROUP(SavepointMatch){};

TEST(SavepointMatch, TheSameJobRestoresEverySpaceFromItself) {
  const std::vector<JobSpace> job = ParallelJob(2);
  const SavepointMatch match = MatchSavepoint(job, SpacesOf(job));
  for (size_t i = 0; i < job.size(); ++i) {
    STRCMP_EQUAL(job[i].space.c_str(), match.restore_from[i].c_str());
  }
  CHECK(match.rescaled.empty());
  CHECK(match.unmatched.empty());
}

TEST(SavepointMatch, StagesOfAOneTaskJobAreFoundInTheirNewTasks) {
  const std::vector<std::string> saved = {"source/readings", "op/watermarks", "op/windows",
                                          "sink/out", "symbols"};
  const std::vector<JobSpace> job = ParallelJob(3);
  const SavepointMatch match = MatchSavepoint(job, saved);
  STRCMP_EQUAL("source/readings", match.restore_from[0].c_str());
  STRCMP_EQUAL("op/watermarks", match.restore_from[1].c_str());
  for (size_t i = 2; i < 5; ++i) STRCMP_EQUAL("", match.restore_from[i].c_str());
  STRCMP_EQUAL("sink/out", match.restore_from[5].c_str());
  STRCMP_EQUAL("symbols", match.restore_from[6].c_str());
  LONGS_EQUAL(1, match.rescaled.size());
  STRCMP_EQUAL("windows", match.rescaled[0].name.c_str());
  LONGS_EQUAL(3, match.rescaled[0].instances.size());
  LONGS_EQUAL(2, match.rescaled[0].instances[0]);
  LONGS_EQUAL(4, match.rescaled[0].instances[2]);
  LONGS_EQUAL(1, match.rescaled[0].saved.size());
  STRCMP_EQUAL("op/windows", match.rescaled[0].saved[0].c_str());
  CHECK(match.unmatched.empty());
}

TEST(SavepointMatch, AnotherParallelismSpreadsEverySavedInstanceInOrder) {
  const std::vector<JobSpace> job = ParallelJob(2);
  const SavepointMatch match = MatchSavepoint(job, SpacesOf(ParallelJob(3)));
  LONGS_EQUAL(1, match.rescaled.size());
  const std::vector<std::string> saved = {"op/windows#0/windows#0", "op/windows#1/windows#1",
                                          "op/windows#2/windows#2"};
  CHECK(match.rescaled[0].saved == saved);
  STRCMP_EQUAL("", match.restore_from[2].c_str());  // rescaled, not restored as is
  STRCMP_EQUAL("", match.restore_from[3].c_str());
  CHECK(match.unmatched.empty());
}

TEST(SavepointMatch, TheSameParallelismInOtherTasksRestoresInstanceByInstance) {
  std::vector<JobSpace> job = ParallelJob(2);
  job[2].space = "op/by_device#0/windows#0";
  job[3].space = "op/by_device#1/windows#1";
  const SavepointMatch match = MatchSavepoint(job, SpacesOf(ParallelJob(2)));
  STRCMP_EQUAL("op/windows#0/windows#0", match.restore_from[2].c_str());
  STRCMP_EQUAL("op/windows#1/windows#1", match.restore_from[3].c_str());
  CHECK(match.rescaled.empty());
}

TEST(SavepointMatch, StateOfStagesTheJobLacksIsUnmatched) {
  std::vector<std::string> saved = SpacesOf(ParallelJob(2));
  saved.push_back("sink/late/late");
  saved.push_back("op/dedupe");
  const SavepointMatch match = MatchSavepoint(ParallelJob(2), saved);
  const std::vector<std::string> unmatched = {"sink/late/late", "op/dedupe"};
  CHECK(match.unmatched == unmatched);
}

TEST(SavepointMatch, NamesThatRepeatInTheJobMatchOnlyByTheirTask) {
  const std::vector<JobSpace> job = {{"op/source a/watermarks", "op", "watermarks"},
                                     {"op/source b/watermarks", "op", "watermarks"}};
  const SavepointMatch match =
      MatchSavepoint(job, {"op/source b/watermarks", "op/source c/watermarks"});
  STRCMP_EQUAL("", match.restore_from[0].c_str());
  STRCMP_EQUAL("op/source b/watermarks", match.restore_from[1].c_str());
  const std::vector<std::string> unmatched = {"op/source c/watermarks"};
  CHECK(match.unmatched == unmatched);
}

TEST(SavepointMatch, AParallelOperatorNamedLikeASourcesWatermarksKeepsItsOwnState) {
  // A user operator "watermarks" in 2 instances, saved with 3, beside the
  // source's own watermarks stage.
  std::vector<JobSpace> job = {{"op/source readings/watermarks", "op", "watermarks"}};
  for (int i = 0; i < 2; ++i) {
    const std::string name = "watermarks#" + std::to_string(i);
    job.push_back({"op/" + name + "/" + name, "op", name});
  }
  std::vector<std::string> saved = {"op/source readings/watermarks"};
  for (int i = 0; i < 3; ++i) {
    const std::string name = "watermarks#" + std::to_string(i);
    saved.push_back("op/" + name + "/" + name);
  }
  const SavepointMatch match = MatchSavepoint(job, saved);
  CHECK(match.conflicts.empty());
  STRCMP_EQUAL("op/source readings/watermarks", match.restore_from[0].c_str());
  LONGS_EQUAL(1, match.rescaled.size());
  LONGS_EQUAL(3, match.rescaled[0].saved.size());
  LONGS_EQUAL(2, match.rescaled[0].instances.size());
  CHECK(match.unmatched.empty());
}

TEST(SavepointMatch, StateThatIsNotOneSetOfInstancesIsAConflict) {
  const std::vector<JobSpace> job = ParallelJob(2);
  // Instances 0 and 2 of 3: one is missing.
  std::vector<std::string> saved = {"op/windows#0/windows#0", "op/windows#2/windows#2"};
  SavepointMatch match = MatchSavepoint(job, saved);
  LONGS_EQUAL(1, match.conflicts.size());
  STRCMP_CONTAINS("'windows'", match.conflicts[0].c_str());
  // One instance saved under two tasks.
  saved = {"op/a/windows", "op/b/windows"};
  match = MatchSavepoint(job, saved);
  LONGS_EQUAL(1, match.conflicts.size());
}
