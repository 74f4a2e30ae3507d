// Windows restored from checkpoints continue exactly as if never stopped:
// every window type (tumbling with early firings, sliding with and without
// them, session with lateness and emit final, count, eviction) runs a
// random stream, taking incremental snapshots after random batches; a fresh
// operator restored from the latest record of each key then gets the rest
// of the stream, and its results (and those of the Drain) equal the
// original's on the same rest.
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/window.h"
#include "core/runtime/state_buffer.h"
#include "tests/testing/checkpoint_records.h"
#include "tests/core/ops/window_testing.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::runtime::StateBuffer;
using runnel::state::OverflowPolicy;
using namespace window_testing;

namespace {

}  // namespace

TEST_GROUP(WindowCheckpoint){};

TEST(WindowCheckpoint, RestoredWindowsContinueAsTheOriginal) {
  const std::vector<WindowSpec> specs = SpecsOfEveryKind();
  for (size_t s = 0; s < specs.size(); ++s) {
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      const std::vector<In> rows = RandomStream(seed * 31 + s, 6000, 40, 0);
      std::mt19937_64 rng(seed);
      const uint32_t batch = 1 + static_cast<uint32_t>(rng() % 200);
      ManualClock clock(0);
      Runner original(specs[s], &clock, batch);
      original.op().PrepareCheckpoints();
      StateBuffer buffer(original.op().checkpoint_bytes());
      runnel::testing::CheckpointRecords records;
      // The first part, batch by batch, with snapshots now and then (always
      // after the last batch: that is where the restored copy starts).
      const size_t cut = 1000 + static_cast<size_t>(rng() % 4000);
      for (size_t i = 0; i < cut; i += batch) {
        const size_t end = std::min(cut, i + batch);
        CHECK(original
                  .Feed(std::vector<In>(rows.begin() + static_cast<long>(i),
                                        rows.begin() + static_cast<long>(end)),
                        end < rows.size() ? rows[end].wm : kNoWm)
                  .ok());
        if (end == cut || rng() % 4 == 0) {
          buffer.Clear();
          CHECK(original.op().Snapshot(/*full=*/false, &buffer));
          runnel::testing::KeepLatest(buffer, &records);
        }
      }
      Runner restored(specs[s], &clock, batch);
      for (const auto& [key, value] : records) {
        const auto status = restored.op().RestoreEntry(key, value);
        CHECK_TEXT(status.ok(), status.message().c_str());
      }
      CHECK(restored.op().FinishRestore().ok());
      // The rest, and the drain, on both.
      const size_t before = original.results().size();
      const std::vector<In> rest(rows.begin() + static_cast<long>(cut), rows.end());
      CHECK(original.Feed(rest).ok());
      CHECK(original.Drain().ok());
      CHECK(restored.Feed(rest).ok());
      CHECK(restored.Drain().ok());
      const std::vector<Out> expected(original.results().begin() + static_cast<long>(before),
                                     original.results().end());
      STRCMP_EQUAL_TEXT(ToString(expected).c_str(), ToString(restored.results()).c_str(),
                        ("spec " + std::to_string(s) + " seed " + std::to_string(seed)).c_str());
    }
  }
}
