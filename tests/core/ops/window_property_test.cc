// Random streams (fixed seeds) with disorder, lateness and random batch
// sizes through tumbling, sliding and session windows, checked against a
// deliberately simple model that keeps every row:
//
//   A row is late when the latest window holding it (for sessions: its own
//   [ts, ts + gap)) has end - 1 + lateness <= the row's watermark slot.
//   Tumbling/sliding: a window's rows are the non-late rows in it that
//   arrived while the window was not past its lateness (end - 1 + lateness
//   > watermark slot). With emit updates its results are: the rows that
//   arrived before the watermark reached end - 1 (if any), then one update
//   per later row, each over every row so far; is_update = 0 only for the
//   first. With emit final: one result over all its rows.
//   Sessions: merged as rows arrive (windows that touch merge); a session is
//   final once the watermark reaches end - 1 + lateness. Every final
//   session's last result covers exactly its rows; every result is for a
//   final session or a part of one that was merged later.
//
// About one value in six is null: sum(v) skips them (null when a window
// has only nulls) while count() counts every row.
//
// The LateRowFilter must keep exactly the late rows, and metrics().dropped
// must count them.
#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/window.h"
#include "core/schema/null.h"
#include "tests/core/ops/window_testing.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

using runnel::ManualClock;
using runnel::Status;
using runnel::schema::kNullInt;
using namespace window_testing;

namespace {

using WindowKey = std::tuple<int64_t, int64_t, int64_t>;  // key, start, end

struct Result {
  int64_t n, sum, is_update;
  bool operator==(const Result& o) const {
    return n == o.n && sum == o.sum && is_update == o.is_update;
  }
};

// sum(v) as SQL has it: nulls skipped, null when there is no value.
struct NullSkippingSum {
  int64_t total = 0;
  int64_t values = 0;
  void Add(int64_t v) {
    if (v == kNullInt) return;
    total += v;
    ++values;
  }
  void Add(const NullSkippingSum& other) {
    total += other.total;
    values += other.values;
  }
  int64_t Result() const { return values == 0 ? kNullInt : total; }
};

struct Case {
  WindowSpec spec;
  uint32_t batch_rows = 1;
  std::vector<In> rows;
  int64_t final_wm = kNoWm;
  std::string name;
};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && a < 0) --q;
  return q;
}

// [start, end) of every window holding ts (tumbling or sliding).
std::vector<std::pair<int64_t, int64_t>> WindowsOf(const WindowSpec& spec,
                                                   int64_t ts) {
  std::vector<std::pair<int64_t, int64_t>> windows;
  if (spec.type == Type::kTumbling) {
    const int64_t start = FloorDiv(ts, spec.size_ns) * spec.size_ns;
    windows.push_back({start, start + spec.size_ns});
  } else {
    for (int64_t start = FloorDiv(ts, spec.slide_ns) * spec.slide_ns;
         start > ts - spec.size_ns; start -= spec.slide_ns) {
      windows.push_back({start, start + spec.size_ns});
    }
  }
  return windows;
}

bool PastLateness(const WindowSpec& spec, int64_t end, int64_t wm) {
  return wm != kNoWm && end - 1 + spec.allowed_lateness_ns <= wm;
}

bool ModelLate(const WindowSpec& spec, int64_t ts, int64_t wm) {
  int64_t end;
  switch (spec.type) {
    case Type::kTumbling:
      end = FloorDiv(ts, spec.size_ns) * spec.size_ns + spec.size_ns;
      break;
    case Type::kSliding:
      end = FloorDiv(ts, spec.slide_ns) * spec.slide_ns + spec.size_ns;
      break;
    default:
      end = ts + spec.gap_ns;
      break;
  }
  return PastLateness(spec, end, wm);
}

// Tumbling and sliding windows: every window's results, in order.
std::map<WindowKey, std::vector<Result>> ModelTimeWindows(const Case& c) {
  std::map<WindowKey, std::vector<const In*>> rows_of;
  for (const In& row : c.rows) {
    if (ModelLate(c.spec, row.ts, row.wm)) continue;
    for (const auto& [start, end] : WindowsOf(c.spec, row.ts)) {
      if (!PastLateness(c.spec, end, row.wm))
        rows_of[{row.key, start, end}].push_back(&row);
    }
  }
  std::map<WindowKey, std::vector<Result>> results;
  for (const auto& [window, rows] : rows_of) {
    std::vector<Result>& out = results[window];
    const int64_t end = std::get<2>(window);
    NullSkippingSum sum;
    for (size_t i = 0; i < rows.size(); ++i) {
      sum.Add(rows[i]->v);
      if (c.spec.emit_final) continue;
      const bool on_time = rows[i]->wm == kNoWm || rows[i]->wm < end - 1;
      const bool more_on_time =
          on_time && i + 1 < rows.size() &&
          (rows[i + 1]->wm == kNoWm || rows[i + 1]->wm < end - 1);
      if (!more_on_time)
        out.push_back({static_cast<int64_t>(i + 1), sum.Result(), out.empty() ? 0 : 1});
    }
    if (c.spec.emit_final)
      out.push_back({static_cast<int64_t>(rows.size()), sum.Result(), 0});
  }
  return results;
}

struct Session {
  int64_t key, start, end, n;
  NullSkippingSum sum;
};

// Sessions: the final ones.
std::vector<Session> ModelSessions(const Case& c) {
  std::vector<Session> live;
  std::vector<Session> done;
  int64_t watermark = kNoWm;
  for (const In& row : c.rows) {
    watermark = std::max(watermark, row.wm);
    for (size_t i = 0; i < live.size();) {
      if (PastLateness(c.spec, live[i].end, watermark)) {
        done.push_back(live[i]);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    if (ModelLate(c.spec, row.ts, row.wm)) continue;
    Session merged{row.key, row.ts, row.ts + c.spec.gap_ns, 1, {}};
    merged.sum.Add(row.v);
    for (size_t i = 0; i < live.size();) {
      const Session& s = live[i];
      if (s.key == row.key && s.start <= row.ts + c.spec.gap_ns &&
          s.end >= row.ts) {
        merged.start = std::min(merged.start, s.start);
        merged.end = std::max(merged.end, s.end);
        merged.n += s.n;
        merged.sum.Add(s.sum);
        live.erase(live.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        ++i;
      }
    }
    live.push_back(merged);
  }
  done.insert(done.end(), live.begin(), live.end());
  return done;
}

Case MakeCase(Type type, uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + static_cast<uint64_t>(type));
  auto below = [&rng](uint64_t n) { return static_cast<int64_t>(rng() % n); };
  Case c;
  c.spec = MakeSpec(type);
  c.spec.state.capacity = 512;
  c.spec.allowed_lateness_ns = below(3) == 0 ? 0 : below(12);
  c.spec.emit_final = below(4) == 0;
  c.spec.size_ns = 1 + below(15);
  c.spec.slide_ns = 1 + below(c.spec.size_ns);
  c.spec.gap_ns = 1 + below(10);
  if (!c.spec.emit_final && below(4) == 0)
    c.spec.early_every_rows = 1 + below(4);
  c.batch_rows = 1 + static_cast<uint32_t>(below(9));
  const int64_t keys = 1 + below(4);
  const int64_t rows = 10 + below(120);
  const int64_t lag = below(8);
  const int64_t disorder = below(10);
  int64_t t = below(3) == 0 ? -below(300) : below(50);
  int64_t max_ts = INT64_MIN;
  for (int64_t i = 0; i < rows; ++i) {
    t += below(4);
    if (below(40) == 0) t += 25 + below(40);
    const int64_t ts = t - below(disorder + 1);
    max_ts = std::max(max_ts, ts);
    c.rows.push_back({1 + below(keys), ts, below(6) == 0 ? kNullInt : below(50) - 10});
  }
  SetWatermarks(&c.rows, lag);
  if (below(2) == 0) c.final_wm = max_ts - lag;
  c.name = "seed " + std::to_string(seed) + " size " +
           std::to_string(c.spec.size_ns) + " slide " +
           std::to_string(c.spec.slide_ns) + " gap " +
           std::to_string(c.spec.gap_ns) + " lateness " +
           std::to_string(c.spec.allowed_lateness_ns) +
           (c.spec.emit_final ? " final" : " updates") + " early_rows " +
           std::to_string(c.spec.early_every_rows) + " batch " +
           std::to_string(c.batch_rows);
  return c;
}

// The operator's results per window, in order.
std::map<WindowKey, std::vector<Result>> ByWindow(
    const std::vector<Out>& results) {
  std::map<WindowKey, std::vector<Result>> by_window;
  for (const Out& o : results)
    by_window[{o.key, o.start, o.end}].push_back({o.n, o.sum, o.is_update});
  return by_window;
}

size_t ByWindowCount(const std::vector<Out>& results) {
  return ByWindow(results).size();
}

std::string Describe(const WindowKey& w) {
  return "window key " + std::to_string(std::get<0>(w)) + " [" +
         std::to_string(std::get<1>(w)) + ", " +
         std::to_string(std::get<2>(w)) + ")";
}

void Fail(const Case& c, const std::string& what) {
  FAIL((c.name + ": " + what).c_str());
}

// What the cases exercised, so a test can insist that they did.
struct Coverage {
  uint64_t late_rows = 0;
  uint64_t updates = 0;  // results with is_update = 1
  uint64_t windows = 0;
  uint64_t flushes = 0;
  uint64_t null_sums = 0;  // results over only nulls
};
Coverage coverage;

void Count(Runner& runner) {
  coverage.late_rows += runner.late_rows().size();
  coverage.flushes += runner.flushes();
  for (const Out& o : runner.results()) {
    coverage.updates += o.is_update != 0;
    coverage.null_sums += o.sum == kNullInt;
  }
  coverage.windows += ByWindowCount(runner.results());
}

void CheckLateRows(const Case& c, Runner& runner) {
  std::vector<In> late;
  for (const In& row : c.rows) {
    if (ModelLate(c.spec, row.ts, row.wm)) late.push_back(row);
  }
  if (runner.op().metrics().dropped != late.size()) Fail(c, "dropped count");
  if (runner.overtaken() != 0)
    Fail(c, "a batch watermark passed results still to come");
  if (runner.late_rows().size() != late.size())
    Fail(c, "late side output size");
  for (size_t i = 0; i < late.size(); ++i) {
    const In& got = runner.late_rows()[i];
    if (got.key != late[i].key || got.ts != late[i].ts || got.v != late[i].v) {
      Fail(c, "late side output row " + std::to_string(i));
    }
  }
}

void RunTimeWindowCase(const Case& c) {
  ManualClock clock(0);
  Runner runner(c.spec, &clock, c.batch_rows);
  Status status = runner.Feed(c.rows, c.final_wm);
  if (status.ok()) status = runner.Drain();
  if (!status.ok()) Fail(c, status.message());
  CheckLateRows(c, runner);
  Count(runner);
  const auto expected = ModelTimeWindows(c);
  const auto actual = ByWindow(runner.results());
  if (expected.size() != actual.size()) {
    Fail(c, "windows: expected " + std::to_string(expected.size()) + ", got " +
                std::to_string(actual.size()));
  }
  for (const auto& [window, results] : expected) {
    auto it = actual.find(window);
    if (it == actual.end()) Fail(c, "missing " + Describe(window));
    if (c.spec.early_every_rows == 0) {
      if (!(it->second == results)) Fail(c, "results of " + Describe(window));
    } else {
      // Early results come on top; the last result still covers every row.
      const Result& last = it->second.back();
      if (last.n != results.back().n || last.sum != results.back().sum) {
        Fail(c, "last result of " + Describe(window));
      }
    }
  }
  if (runner.op().metrics().state_entries != 0)
    Fail(c, "state left after Drain");
}

void RunSessionCase(const Case& c) {
  ManualClock clock(0);
  Runner runner(c.spec, &clock, c.batch_rows);
  Status status = runner.Feed(c.rows, c.final_wm);
  if (status.ok()) status = runner.Drain();
  if (!status.ok()) Fail(c, status.message());
  CheckLateRows(c, runner);
  Count(runner);
  const std::vector<Session> sessions = ModelSessions(c);
  const auto actual = ByWindow(runner.results());
  for (const Session& s : sessions) {
    const WindowKey window{s.key, s.start, s.end};
    auto it = actual.find(window);
    if (it == actual.end()) Fail(c, "missing session " + Describe(window));
    const Result& last = it->second.back();
    if (last.n != s.n || last.sum != s.sum.Result())
      Fail(c, "last result of session " + Describe(window));
    if (c.spec.emit_final && (it->second.size() != 1 || last.is_update != 0)) {
      Fail(c, "emit final: not one result for " + Describe(window));
    }
  }
  size_t final_windows = 0;
  for (const auto& entry : actual) {
    const WindowKey& window = entry.first;
    // Each result is for a final session or a part of one merged later.
    bool inside = false;
    for (const Session& s : sessions) {
      if (s.key == std::get<0>(window) && s.start <= std::get<1>(window) &&
          std::get<2>(window) <= s.end) {
        inside = true;
        if (s.start == std::get<1>(window) && s.end == std::get<2>(window))
          ++final_windows;
      }
    }
    if (!inside) Fail(c, "result for no session: " + Describe(window));
  }
  if (final_windows != sessions.size()) Fail(c, "session count");
  if (c.spec.emit_final && actual.size() != sessions.size())
    Fail(c, "emit final: extra results");
  if (runner.op().metrics().state_entries != 0)
    Fail(c, "state left after Drain");
}

constexpr uint64_t kCases = 2000;

}  // namespace

TEST_GROUP(WindowProperty){void setup() override{coverage = Coverage();
}
void teardown() override {
  // The random streams do exercise lateness: late rows, updates.
  CHECK(coverage.late_rows > 1000);
  CHECK(coverage.updates > 1000);
  CHECK(coverage.windows > 10000);
  CHECK(coverage.null_sums > 100);
}
}
;

TEST(WindowProperty, TumblingMatchesTheModel) {
  for (uint64_t seed = 0; seed < kCases; ++seed)
    RunTimeWindowCase(MakeCase(Type::kTumbling, seed));
}

TEST(WindowProperty, SlidingMatchesTheModel) {
  for (uint64_t seed = 0; seed < kCases; ++seed)
    RunTimeWindowCase(MakeCase(Type::kSliding, seed));
}

TEST(WindowProperty, SessionsMatchTheModel) {
  for (uint64_t seed = 0; seed < kCases; ++seed)
    RunSessionCase(MakeCase(Type::kSession, seed));
}
