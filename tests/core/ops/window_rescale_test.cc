// Windows keep their results across a change of parallelism (docs/STATE.md,
// Changing parallelism): every window type runs a random stream split by
// key over N instances, which are snapshotted; each snapshot is restored
// into a fresh operator whose keys MoveStateTo spreads over M new
// instances; those get the rest of the stream, split over M. All results
// together equal one uninterrupted operator's, and so does the state left.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/window.h"
#include "core/runtime/state_buffer.h"
#include "core/schema/row_hash.h"
#include "tests/core/ops/window_testing.h"
#include "tests/testing/checkpoint_records.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::runtime::StateBuffer;
using namespace window_testing;

namespace {

uint32_t InstanceOfKey(int64_t key, uint32_t instances) {
  Slot slot;
  slot.i64 = key;
  return runnel::schema::InstanceOf(runnel::schema::HashSlots(&slot, 1), instances);
}

// The rows of `rows` whose key goes to `instance` of `instances`.
std::vector<In> Share(const std::vector<In>& rows, uint32_t instance, uint32_t instances) {
  std::vector<In> share;
  for (const In& row : rows) {
    if (InstanceOfKey(row.key, instances) == instance) share.push_back(row);
  }
  return share;
}

// Results as sorted text, without the watermark an instance passed on
// (which depends on the rows it saw).
std::string Sorted(std::vector<Out> results) {
  for (Out& out : results) out.wm = 0;
  std::vector<std::string> lines;
  for (const Out& out : results) lines.push_back(out.ToString());
  std::sort(lines.begin(), lines.end());
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

// Runs `rows` through `from` instances up to `cut`, rescales to `to`
// instances and runs the rest; returns every result, and sets *entries to
// the state entries the new instances hold before they drain.
std::vector<Out> RunRescaled(const WindowSpec& spec, const std::vector<In>& rows, size_t cut,
                             uint32_t from, uint32_t to, uint64_t* entries) {
  ManualClock clock(0);
  const std::vector<In> head(rows.begin(), rows.begin() + static_cast<long>(cut));
  const std::vector<In> tail(rows.begin() + static_cast<long>(cut), rows.end());
  std::vector<Out> results;
  std::vector<runnel::testing::CheckpointRecords> saved(from);
  for (uint32_t i = 0; i < from; ++i) {
    Runner before(spec, &clock, 64);
    before.op().PrepareCheckpoints();
    CHECK(before.Feed(Share(head, i, from), tail.front().wm).ok());
    StateBuffer buffer(before.op().checkpoint_bytes());
    CHECK(before.op().Snapshot(/*full=*/true, &buffer));
    runnel::testing::KeepLatest(buffer, &saved[i]);
    results.insert(results.end(), before.results().begin(), before.results().end());
  }
  std::vector<std::unique_ptr<Runner>> after;
  std::vector<runnel::runtime::Operator*> targets;
  for (uint32_t i = 0; i < to; ++i) {
    after.push_back(std::make_unique<Runner>(spec, &clock, 64));
    targets.push_back(&after.back()->op());
  }
  for (uint32_t i = 0; i < from; ++i) {
    std::unique_ptr<runnel::runtime::Operator> restored = targets[0]->NewInstance();
    CHECK(restored != nullptr);
    for (const auto& [key, value] : saved[i]) CHECK(restored->RestoreEntry(key, value).ok());
    CHECK(restored->FinishRestore().ok());
    const auto moved = restored->MoveStateTo(targets.data(), to, i == 0);
    CHECK_TEXT(moved.ok(), moved.message().c_str());
  }
  *entries = 0;
  for (uint32_t i = 0; i < to; ++i) {
    CHECK(after[i]->Feed(Share(tail, i, to), tail.back().wm).ok());
    *entries += after[i]->op().metrics().state_entries;
    CHECK(after[i]->Drain().ok());
    results.insert(results.end(), after[i]->results().begin(), after[i]->results().end());
  }
  return results;
}

}  // namespace

TEST_GROUP(WindowRescale){};

TEST(WindowRescale, ResultsEqualAnUninterruptedRunWhateverTheParallelism) {
  const std::vector<WindowSpec> specs = SpecsOfEveryKind();
  const uint32_t changes[][2] = {{1, 3}, {2, 3}, {3, 2}, {2, 1}};
  for (size_t s = 0; s < specs.size(); ++s) {
    // Evicting keys depends on which keys share an instance's table.
    if (specs[s].state.policy == runnel::state::OverflowPolicy::kEvictOldest) continue;
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      const std::vector<In> rows = RandomStream(seed * 31 + s, 6000, 40, 0);
      ManualClock clock(0);
      Runner uninterrupted(specs[s], &clock, 64);
      CHECK(uninterrupted.Feed(rows, rows.back().wm).ok());
      const uint64_t entries = uninterrupted.op().metrics().state_entries;
      CHECK(uninterrupted.Drain().ok());
      const std::string expected = Sorted(uninterrupted.results());
      for (const auto& change : changes) {
        const size_t cut = 1000 + static_cast<size_t>(seed * 1100);
        const std::string what = "spec " + std::to_string(s) + " seed " + std::to_string(seed) +
                                 ", " + std::to_string(change[0]) + " -> " +
                                 std::to_string(change[1]);
        uint64_t rescaled_entries = 0;
        STRCMP_EQUAL_TEXT(
            expected.c_str(),
            Sorted(RunRescaled(specs[s], rows, cut, change[0], change[1], &rescaled_entries))
                .c_str(),
            what.c_str());
        // Windows past their lateness are dropped as they were.
        UNSIGNED_LONGLONGS_EQUAL_TEXT(entries, rescaled_entries, what.c_str());
      }
    }
  }
}

TEST(WindowRescale, TooManyKeysForTheNewInstancesIsAnErrorNamingTheCapacity) {
  WindowSpec spec = MakeSpec(WindowSpec::Type::kTumbling);
  spec.size_ns = 1000000;
  spec.state.capacity = 30;
  const std::vector<In> rows = RandomStream(7, 400, 40, 0);
  ManualClock clock(0);
  std::vector<std::unique_ptr<Runner>> before;
  std::vector<runnel::runtime::Operator*> targets;
  Runner merged(spec, &clock, 64);
  targets.push_back(&merged.op());
  for (uint32_t i = 0; i < 2; ++i) {
    before.push_back(std::make_unique<Runner>(spec, &clock, 64));
    CHECK(before.back()->Feed(Share(rows, i, 2)).ok());
  }
  CHECK(before[0]->op().MoveStateTo(targets.data(), 1, true).ok());
  const auto full = before[1]->op().MoveStateTo(targets.data(), 1, false);
  CHECK(!full.ok());
  CHECK_TEXT(full.message().find("window.state.capacity") != std::string::npos,
             full.message().c_str());
}
