// Proof that the hot path does not allocate: a graph file — filter -> key_by
// -> keyed aggregate -> sink — planned by the planner the CLI uses runs
// 100,000 warm-up rows and then 1,000,000 rows with every heap allocation in
// the process counted, and the count must be zero. Its own test binary, because the
// counting hooks below replace the process's allocator entry points.
//
// How allocations are counted. Every heap allocation in a glibc process ends
// in the malloc family: operator new (CppUTest's replacements in
// libCppUTest.a, libstdc++'s aligned variants), std::vector, std::string,
// std::function, strdup inside glibc. So the hooks sit there:
//   - normal builds define malloc, calloc, realloc, reallocarray, memalign,
//     posix_memalign, aligned_alloc, valloc, pvalloc and free, forwarding to
//     glibc's __libc_* functions (glibc's documented way to replace malloc;
//     the executable's definitions interpose for libc and libstdc++ too).
//     operator new itself is not replaced: libCppUTest.a already defines it
//     (the leak detector) and two definitions would not link; every variant
//     is counted through the malloc it calls, which the positive controls
//     below check one by one.
//   - ASan and TSan own malloc, so a second definition would bypass them;
//     there the same counter is fed by the sanitizers' own allocation hook
//     (__sanitizer_install_malloc_and_free_hooks) and the same assertions
//     run. ASan's hook sees every user allocation; TSan's misses the C
//     aligned allocators (aligned_alloc, memalign, posix_memalign, valloc),
//     which the normal build counts.
// Counting is off except inside a window (AllocationCounter::Start/Stop);
// the counter is a std::atomic, so allocations on every thread are counted.
//
// Finding an allocation the test reports: in normal builds the stacks of the
// first counted allocations are printed with the failure (symbol names
// thanks to -rdynamic; `addr2line -e bazel-bin/tests/core/runtime/
// allocation_test ADDR` for lines), and each counted allocation calls
// runnel_counted_allocation(), so `gdb -ex 'break runnel_counted_allocation'
// -ex run -ex bt bazel-bin/tests/core/runtime/allocation_test` stops at the
// first one.
//
// The window. Warm-up ends with the source pausing after its warm-up rows;
// the test waits (polling Job::Stats(), while nothing is counted) until every
// warm-up row has gone through the aggregate — and, when it emits updates,
// into the sink — so every thread is idle in its wait loop. Then it starts
// counting and releases the source, which emits the counted rows and ends.
// The sink stops counting when it is closed: by then every task has
// processed every row, drained its operators and closed its outputs, so the
// window covers all the counted rows on every thread (and the end-of-input
// drain too, which must not allocate either).
#include <errno.h>
#include <execinfo.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "core/common/status.h"
#include "core/graph/diagnostics.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/graph/planner.h"
#include "core/runtime/job.h"
#include "core/runtime/operator.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"

#if defined(__SANITIZE_THREAD__)
#define RUNNEL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RUNNEL_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(RUNNEL_TSAN)
#define RUNNEL_SANITIZER_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RUNNEL_SANITIZER_ALLOCATOR 1
#endif
#endif

// ---------------------------------------------------------------------------
// The counter.

namespace {

std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};

// Stacks of the first counted allocations in a window (normal builds).
constexpr uint64_t kMaxStacks = 4;
constexpr int kMaxFrames = 32;
struct Stack {
  int depth = 0;
  void* frames[kMaxFrames];
};
Stack g_stacks[kMaxStacks];
#ifndef RUNNEL_SANITIZER_ALLOCATOR
thread_local bool t_recording_stack = false;
#endif

}  // namespace

// A place for a debugger breakpoint: called for every counted allocation.
extern "C" __attribute__((noinline)) void runnel_counted_allocation() {
  asm volatile("");
}

namespace {

void CountAllocation() {
  if (!g_counting.load(std::memory_order_relaxed)) return;
  const uint64_t n = g_allocations.fetch_add(1, std::memory_order_relaxed);
  runnel_counted_allocation();
#ifndef RUNNEL_SANITIZER_ALLOCATOR
  // backtrace() may itself allocate the first time; it was warmed up at
  // start, and the flag stops any recursion.
  if (n < kMaxStacks && !t_recording_stack) {
    t_recording_stack = true;
    g_stacks[n].depth = backtrace(g_stacks[n].frames, kMaxFrames);
    t_recording_stack = false;
  }
#else
  (void)n;
#endif
}

// Counts heap allocations, on every thread, between Start() and Stop().
class AllocationCounter {
 public:
  // Starts a window: resets the count and starts counting.
  static void Start() {
    g_allocations.store(0, std::memory_order_relaxed);
    for (Stack& s : g_stacks) s.depth = 0;
    g_counting.store(true, std::memory_order_seq_cst);
  }
  // Ends the window; safe to call when none is open.
  static void Stop() { g_counting.store(false, std::memory_order_seq_cst); }
  static bool counting() { return g_counting.load(std::memory_order_relaxed); }
  // Allocations counted in the last window.
  // REQUIRES: the threads that allocated are joined or otherwise synchronized.
  static uint64_t count() { return g_allocations.load(std::memory_order_relaxed); }

  // Prints the stacks recorded in the last window to stderr.
  static void PrintStacks() {
#ifndef RUNNEL_SANITIZER_ALLOCATOR
    const uint64_t n = count() < kMaxStacks ? count() : kMaxStacks;
    for (uint64_t i = 0; i < n; ++i) {
      fprintf(stderr, "counted allocation %llu of %llu:\n",
              static_cast<unsigned long long>(i + 1),
              static_cast<unsigned long long>(count()));
      fflush(stderr);
      backtrace_symbols_fd(g_stacks[i].frames, g_stacks[i].depth, STDERR_FILENO);
    }
#else
    fprintf(stderr, "(no stacks under a sanitizer: run the test without one, or "
                    "break on runnel_counted_allocation in gdb)\n");
#endif
  }
};

#ifndef RUNNEL_SANITIZER_ALLOCATOR
// Loads the unwinder before any window, so backtrace() in a hook does not.
const bool g_backtrace_ready = [] {
  void* frame[1];
  return backtrace(frame, 1) >= 0;
}();
#endif

}  // namespace

// ---------------------------------------------------------------------------
// The hooks.

#ifndef RUNNEL_SANITIZER_ALLOCATOR

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t count, size_t size);
void* __libc_realloc(void* pointer, size_t size);
void* __libc_memalign(size_t alignment, size_t size);
void* __libc_valloc(size_t size);
void* __libc_pvalloc(size_t size);
void __libc_free(void* pointer);

void* malloc(size_t size) noexcept {
  CountAllocation();
  return __libc_malloc(size);
}

void* calloc(size_t count, size_t size) noexcept {
  CountAllocation();
  return __libc_calloc(count, size);
}

void* realloc(void* pointer, size_t size) noexcept {
  if (size != 0) CountAllocation();  // realloc(p, 0) frees
  return __libc_realloc(pointer, size);
}

void* reallocarray(void* pointer, size_t count, size_t size) noexcept {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(pointer, bytes);
}

void* memalign(size_t alignment, size_t size) noexcept {
  CountAllocation();
  return __libc_memalign(alignment, size);
}

void* aligned_alloc(size_t alignment, size_t size) noexcept {
  CountAllocation();
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** result, size_t alignment, size_t size) noexcept {
  if (alignment % sizeof(void*) != 0 || (alignment & (alignment - 1)) != 0) return EINVAL;
  CountAllocation();
  void* pointer = __libc_memalign(alignment, size);
  if (pointer == nullptr) return ENOMEM;
  *result = pointer;
  return 0;
}

void* valloc(size_t size) noexcept {
  CountAllocation();
  return __libc_valloc(size);
}

void* pvalloc(size_t size) noexcept {
  CountAllocation();
  return __libc_pvalloc(size);
}

void free(void* pointer) noexcept { __libc_free(pointer); }
}  // extern "C"

#else  // RUNNEL_SANITIZER_ALLOCATOR

extern "C" int __sanitizer_install_malloc_and_free_hooks(
    void (*malloc_hook)(const volatile void*, size_t),
    void (*free_hook)(const volatile void*));

namespace {

void OnSanitizerMalloc(const volatile void*, size_t) { CountAllocation(); }
void OnSanitizerFree(const volatile void*) {}

const bool g_sanitizer_hooks_installed =
    __sanitizer_install_malloc_and_free_hooks(OnSanitizerMalloc, OnSanitizerFree) != 0;

}  // namespace

#endif  // RUNNEL_SANITIZER_ALLOCATOR

// ---------------------------------------------------------------------------
// Positive controls: one allocation (or two) of each kind. Here, before
// CppUTest's header, so its `new` macro does not rewrite the new-expressions.

namespace {

// Keeps the compiler from eliding an allocation it could prove unused.
void Escape(void* pointer) { asm volatile("" : : "r"(pointer) : "memory"); }

struct alignas(256) OverAligned {
  char bytes[256];
};

struct AllocationKind {
  const char* name;
  void (*allocate)();
  uint64_t at_least;  // allocations it must be counted as
  bool c_aligned = false;  // aligned_alloc, memalign, posix_memalign, valloc
};

const AllocationKind kAllocationKinds[] = {
    {"new", [] { int* p = new int(1); Escape(p); delete p; }, 1},
    {"new[]", [] { int* p = new int[8](); Escape(p); delete[] p; }, 1},
    {"nothrow new", [] { int* p = new (std::nothrow) int(1); Escape(p); delete p; }, 1},
    {"nothrow new[]",
     [] { int* p = new (std::nothrow) int[8](); Escape(p); delete[] p; }, 1},
    {"aligned new",
     [] { OverAligned* p = new OverAligned(); Escape(p); delete p; }, 1},
    {"aligned new[]",
     [] { OverAligned* p = new OverAligned[2](); Escape(p); delete[] p; }, 1},
    {"aligned nothrow new",
     [] { OverAligned* p = new (std::nothrow) OverAligned(); Escape(p); delete p; }, 1},
    {"std::vector growth",
     [] {
       std::vector<int> v;
       for (int i = 0; i < 100; ++i) v.push_back(i);
       Escape(v.data());
     },
     2},
    {"std::string", [] { std::string s(100, 'x'); Escape(s.data()); }, 1},
    {"std::make_shared", [] { auto p = std::make_shared<int>(1); Escape(p.get()); }, 1},
    {"std::function (large capture)",
     [] {
       char big[64] = {1};
       std::function<int()> f = [big] { return int{big[0]}; };
       Escape(&f);
     },
     1},
    {"malloc", [] { void* p = malloc(24); Escape(p); free(p); }, 1},
    {"calloc", [] { void* p = calloc(3, 8); Escape(p); free(p); }, 1},
    {"realloc",
     [] {
       void* p = realloc(nullptr, 24);
       Escape(p);
       p = realloc(p, 4096);
       Escape(p);
       free(p);
     },
     2},
    {"aligned_alloc", [] { void* p = aligned_alloc(64, 128); Escape(p); free(p); }, 1, true},
    {"posix_memalign",
     [] {
       void* p = nullptr;
       if (posix_memalign(&p, 64, 128) == 0) Escape(p);
       free(p);
     },
     1, true},
    {"memalign", [] { void* p = memalign(64, 128); Escape(p); free(p); }, 1, true},
    {"valloc", [] { void* p = valloc(128); Escape(p); free(p); }, 1, true},
    {"strdup (inside glibc)", [] { char* p = strdup("allocation"); Escape(p); free(p); }, 1},
};

// ---------------------------------------------------------------------------
// The graph: readings -> filter "temp > 10" -> key_by device -> aggregate
// (count, sum, avg, min, max of temp per device) -> sink.

namespace graph = runnel::graph;
namespace runtime = runnel::runtime;
namespace schema = runnel::schema;
using runnel::Status;
using schema::RowBatch;
using schema::Slot;

constexpr uint32_t kDevices = 40;
constexpr uint64_t kWarmupRows = 100000;
constexpr uint64_t kCountedRows = 1000000;
constexpr int64_t kStartMs = 1700000000000;

struct Reading {
  uint32_t device;
  int64_t ts_ms;
  double temp;
};

// Row i of the input. Devices interleave unevenly; temperatures cycle
// through [-5, 35) in steps of 0.1, so "temp > 10" drops 151 rows in 400.
Reading ReadingAt(uint64_t i) {
  Reading r;
  r.device = static_cast<uint32_t>((i * 7 + i / 13) % kDevices);
  r.ts_ms = kStartMs + static_cast<int64_t>(i);
  r.temp = static_cast<double>((i * 37) % 400) / 10.0 - 5.0;
  return r;
}

bool PassesFilter(const Reading& r) { return r.temp > 10.0; }

std::string DeviceName(uint32_t device) { return "dev-" + std::to_string(device); }

struct Scenario {
  uint32_t parallelism = 1;  // of the aggregate; 1 runs the job as one task
  bool emit_final = false;
  uint64_t counted_rows = kCountedRows;
  // Positive control through the job: the sink mallocs on every write.
  bool sink_allocates = false;
};

std::string GraphJson(const Scenario& s) {
  return R"({
  "name": "allocation_test",
  "symbols": 1024,
  "schemas": [{ "name": "reading", "fields": [
    { "name": "device", "type": "sym" },
    { "name": "ts", "type": "ts", "unit": "ms" },
    { "name": "temp", "type": "f64" } ] }],
  // The test's connectors build a ReplaySource and a CountingSink for these.
  "sources": [{ "name": "readings", "schema": "reading", "generator": {} }],
  "operators": [
    { "name": "warm", "input": "readings", "filter": "temp > 10" },
    { "name": "by_device", "input": "warm", "key_by": ["device"] },
    { "name": "totals", "input": "by_device", "parallelism": )" +
         std::to_string(s.parallelism) + R"(,
      "aggregate": {
        "values": ["count() as n", "sum(temp) as sum_temp", "avg(temp) as avg_temp",
                   "min(temp) as min_temp", "max(temp) as max_temp"],
        "emit": ")" +
         (s.emit_final ? "final" : "updates") + R"(",
        "state": { "capacity": 256 } } }
  ],
  "sinks": [{ "name": "out", "input": "totals", "csv": { "path": "-" } }]
})";
}

// What the test thread, the source and the sink share.
struct Control {
  std::atomic<bool> paused{false};  // the source emitted the warm-up and waits
  std::atomic<bool> go{false};      // counting: emit the counted rows
  std::atomic<bool> sink_opened{false};
  int64_t device_ids[kDevices] = {};  // symbol id of DeviceName(d)
};

// Emits ReadingAt(0), ReadingAt(1), ...: the warm-up rows, then (waiting
// for Control::go) the counted rows, then ends. Read does not allocate.
class ReplaySource : public runtime::Source {
 public:
  ReplaySource(const schema::Schema& schema, Control* control, uint64_t counted_rows)
      : control_(control),
        total_rows_(kWarmupRows + counted_rows),
        device_(schema.IndexOf("device")),
        ts_(schema.IndexOf("ts")),
        temp_(schema.IndexOf("temp")) {}

  Status Open() override { return Status::Ok(); }

  Status Read(RowBatch* out, bool* done) override {
    *done = false;
    if (emitted_ == kWarmupRows && !control_->go.load(std::memory_order_acquire)) {
      control_->paused.store(true, std::memory_order_release);
      timespec pause{0, 100000};
      nanosleep(&pause, nullptr);
      return Status::Ok();
    }
    const uint64_t end = emitted_ < kWarmupRows ? kWarmupRows : total_rows_;
    while (!out->full() && emitted_ < end) {
      const Reading r = ReadingAt(emitted_++);
      Slot* row = out->Append();
      row[device_].i64 = control_->device_ids[r.device];
      row[ts_].i64 = r.ts_ms * 1000000;  // ns inside Runnel
      row[temp_].f64 = r.temp;
    }
    *done = emitted_ == total_rows_;
    return Status::Ok();
  }

 private:
  Control* control_;
  uint64_t total_rows_;
  uint64_t emitted_ = 0;
  int device_, ts_, temp_;
};

// Keeps the last row per device (with emit updates, the running aggregate;
// with emit final, the final one) in a table allocated at construction, and
// ends the counting window when closed. Write does not allocate unless told
// to (the positive control).
class CountingSink : public runtime::Sink {
 public:
  CountingSink(const schema::Schema& schema, Control* control, bool allocates)
      : control_(control),
        allocates_(allocates),
        width_(schema.size()),
        device_field_(schema.IndexOf("device")),
        latest_(size_t{kDevices} * width_),
        seen_(kDevices, false) {
    int64_t max_id = 0;
    for (int64_t id : control->device_ids) max_id = id > max_id ? id : max_id;
    device_of_id_.assign(static_cast<size_t>(max_id) + 1, -1);
    for (uint32_t d = 0; d < kDevices; ++d) {
      device_of_id_[control->device_ids[d]] = static_cast<int>(d);
    }
  }

  Status Open() override {
    control_->sink_opened.store(true, std::memory_order_release);
    return Status::Ok();
  }

  Status Write(const RowBatch& batch) override {
    for (uint32_t r = 0; r < batch.size(); ++r) {
      const Slot* row = batch.row(r);
      const int64_t id = row[device_field_].i64;
      if (id < 0 || static_cast<size_t>(id) >= device_of_id_.size() ||
          device_of_id_[id] < 0) {
        ++unknown_devices_;
        continue;
      }
      const size_t d = static_cast<size_t>(device_of_id_[id]);
      std::memcpy(&latest_[d * width_], row, sizeof(Slot) * width_);
      seen_[d] = true;
    }
    if (AllocationCounter::counting()) rows_in_window_ += batch.size();
    if (allocates_) {
      void* p = malloc(64);
      Escape(p);
      free(p);
      ++allocating_writes_;
    }
    return Status::Ok();
  }

  Status Close() override {
    AllocationCounter::Stop();
    return Status::Ok();
  }

  // After the job has run.
  uint64_t rows_in_window() const { return rows_in_window_; }
  uint64_t allocating_writes() const { return allocating_writes_; }
  uint64_t unknown_devices() const { return unknown_devices_; }
  bool seen(uint32_t device) const { return seen_[device]; }
  const Slot* latest(uint32_t device) const { return &latest_[size_t{device} * width_]; }

 private:
  Control* control_;
  bool allocates_;
  uint32_t width_;
  int device_field_;
  std::vector<int> device_of_id_;
  std::vector<Slot> latest_;
  std::vector<bool> seen_;
  uint64_t rows_in_window_ = 0;
  uint64_t allocating_writes_ = 0;
  uint64_t unknown_devices_ = 0;
};

struct Expected {
  int64_t count = 0;
  double sum = 0, min = 0, max = 0;
};

struct Outcome {
  std::string error;  // empty when the job ran and its output is right
  uint64_t allocations = 0;
  uint64_t sink_rows_in_window = 0;
  uint64_t expected_rows_in_window = 0;
  uint64_t allocating_writes = 0;
  size_t tasks = 0;
};

// Sums rows over the stages of `kind` whose name is `name` or `name#i`.
uint64_t StageRows(const std::vector<runtime::StageStats>& stats, const char* kind,
                   const std::string& name, bool rows_in) {
  uint64_t rows = 0;
  for (const runtime::StageStats& s : stats) {
    if (s.kind != kind) continue;
    if (s.name != name && s.name.compare(0, name.size() + 1, name + "#") != 0) continue;
    rows += rows_in ? s.rows_in : s.rows_out;
  }
  return rows;
}

// Whether every warm-up row has been through the aggregate (and, with emit
// updates, reached the sink), so every task is idle.
bool WarmupDone(const runtime::Job& job, const Control& control, const Scenario& s,
                uint64_t warmup_passing) {
  if (!control.paused.load(std::memory_order_acquire) ||
      !control.sink_opened.load(std::memory_order_acquire)) {
    return false;
  }
  const std::vector<runtime::StageStats> stats = job.Stats();
  return StageRows(stats, "source", "readings", false) == kWarmupRows &&
         StageRows(stats, "operator", "warm", false) == warmup_passing &&
         StageRows(stats, "operator", "totals", true) == warmup_passing &&
         StageRows(stats, "sink", "out", true) == (s.emit_final ? 0 : warmup_passing);
}

// Checks the sink's rows against aggregates computed here.
std::string CheckResults(const CountingSink& sink, const schema::Schema& out,
                         uint64_t total_rows) {
  Expected expected[kDevices];
  for (uint64_t i = 0; i < total_rows; ++i) {
    const Reading r = ReadingAt(i);
    if (!PassesFilter(r)) continue;
    Expected& e = expected[r.device];
    e.min = e.count == 0 ? r.temp : std::fmin(e.min, r.temp);
    e.max = e.count == 0 ? r.temp : std::fmax(e.max, r.temp);
    e.sum += r.temp;
    ++e.count;
  }
  if (sink.unknown_devices() != 0) return "the sink saw rows of unknown devices";
  const int n = out.IndexOf("n"), sum = out.IndexOf("sum_temp"), avg = out.IndexOf("avg_temp"),
            min = out.IndexOf("min_temp"), max = out.IndexOf("max_temp");
  if (n < 0 || sum < 0 || avg < 0 || min < 0 || max < 0) {
    return "unexpected output schema: " + out.FieldNames();
  }
  auto near = [](double a, double b) {
    return std::fabs(a - b) <= 1e-9 * std::fmax(1.0, std::fabs(b));
  };
  for (uint32_t d = 0; d < kDevices; ++d) {
    const Expected& e = expected[d];
    if (e.count == 0) continue;
    const Slot* row = sink.latest(d);
    if (!sink.seen(d) || row[n].i64 != e.count || !near(row[sum].f64, e.sum) ||
        !near(row[avg].f64, e.sum / static_cast<double>(e.count)) || row[min].f64 != e.min ||
        row[max].f64 != e.max) {
      return DeviceName(d) + ": expected n=" + std::to_string(e.count) +
             " sum=" + std::to_string(e.sum) + " min=" + std::to_string(e.min) +
             " max=" + std::to_string(e.max) + ", got n=" + std::to_string(row[n].i64) +
             " sum=" + std::to_string(row[sum].f64) + " avg=" + std::to_string(row[avg].f64) +
             " min=" + std::to_string(row[min].f64) + " max=" + std::to_string(row[max].f64);
    }
  }
  return "";
}

// Plans the graph with the CLI's planner, runs it, and counts the
// allocations in the window (see the top of the file).
Outcome RunScenario(const Scenario& s) {
  Outcome outcome;
  uint64_t warmup_passing = 0;
  for (uint64_t i = 0; i < kWarmupRows; ++i) warmup_passing += PassesFilter(ReadingAt(i));
  uint64_t counted_passing = 0;
  for (uint64_t i = kWarmupRows; i < kWarmupRows + s.counted_rows; ++i) {
    counted_passing += PassesFilter(ReadingAt(i));
  }
  outcome.expected_rows_in_window = s.emit_final ? kDevices : counted_passing;

  auto file = graph::GraphFile::Parse("allocation_test.json", GraphJson(s));
  if (!file.ok()) {
    outcome.error = file.status().message();
    return outcome;
  }
  graph::Diagnostics diagnostics;
  graph::LogicalGraph logical = graph::BuildLogicalGraph(file.value(), &diagnostics);
  if (!diagnostics.empty()) {
    outcome.error = file.value()->Format(diagnostics);
    return outcome;
  }

  Control control;
  CountingSink* sink = nullptr;
  schema::Schema sink_schema;
  graph::Connectors connectors;
  connectors.make_source = [&](const graph::GraphFile&, const graph::LogicalSource&,
                               const schema::Schema& schema, schema::SymbolTable* symbols,
                               graph::Diagnostics* d) -> std::unique_ptr<runtime::Source> {
    for (uint32_t dev = 0; dev < kDevices; ++dev) {
      uint32_t id;
      if (!symbols->Intern(DeviceName(dev), &id)) {
        d->Add("symbols", "full");
        return nullptr;
      }
      control.device_ids[dev] = id;
    }
    return std::make_unique<ReplaySource>(schema, &control, s.counted_rows);
  };
  connectors.make_sink = [&](const graph::GraphFile&, const graph::LogicalSink&,
                             const schema::Schema& schema, const schema::SymbolTable*,
                             graph::Diagnostics*) -> std::unique_ptr<runtime::Sink> {
    auto made = std::make_unique<CountingSink>(schema, &control, s.sink_allocates);
    sink = made.get();
    sink_schema = schema;
    return made;
  };
  graph::PlanOptions options;
  graph::PhysicalPlan plan = graph::Plan(logical, connectors, options, &diagnostics);
  if (!diagnostics.empty() || !plan.job || sink == nullptr) {
    outcome.error = "plan failed: " + file.value()->Format(diagnostics);
    return outcome;
  }
  runtime::Job* job = plan.job.get();
  outcome.tasks = job->tasks().size();

  Status run_status;
  std::atomic<bool> finished{false};
  std::thread runner([&] {
    run_status = job->Run();
    finished.store(true, std::memory_order_release);
  });

  // Warm-up (nothing counted yet, so polling Stats() may allocate).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  bool warm = false;
  while (!finished.load(std::memory_order_acquire) &&
         std::chrono::steady_clock::now() < deadline) {
    if (WarmupDone(*job, control, s, warmup_passing)) {
      warm = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!warm) {
    const bool ended = finished.load(std::memory_order_acquire);
    job->Cancel();
    control.go.store(true, std::memory_order_release);
    runner.join();
    outcome.error = ended ? "the job ended during warm-up: " + run_status.message()
                          : "warm-up did not finish in time";
    return outcome;
  }

  // Steady state: from here until the sink is closed, this thread only joins.
  AllocationCounter::Start();
  control.go.store(true, std::memory_order_release);
  runner.join();
  AllocationCounter::Stop();  // in case the sink was never closed
  outcome.allocations = AllocationCounter::count();

  outcome.sink_rows_in_window = sink->rows_in_window();
  outcome.allocating_writes = sink->allocating_writes();
  if (!run_status.ok()) {
    outcome.error = "the job failed: " + run_status.message();
    return outcome;
  }
  const std::vector<runtime::StageStats> stats = job->Stats();
  const uint64_t passing = warmup_passing + counted_passing;
  if (StageRows(stats, "operator", "totals", true) != passing) {
    outcome.error = "the aggregate saw " +
                    std::to_string(StageRows(stats, "operator", "totals", true)) +
                    " rows, expected " + std::to_string(passing);
    return outcome;
  }
  outcome.error = CheckResults(*sink, sink_schema, kWarmupRows + s.counted_rows);
  return outcome;
}

}  // namespace

// CppUTest last: its leak detector redefines `new` for what follows.
// clang-format off
#include <CppUTest/TestHarness.h>
// clang-format on

namespace {

void CheckNoAllocations(const Outcome& outcome) {
  if (outcome.allocations != 0) AllocationCounter::PrintStacks();
  UNSIGNED_LONGLONGS_EQUAL(0, outcome.allocations);
}

}  // namespace

TEST_GROUP(AllocationCounter) {
  // The control on another thread news and deletes off the main thread.
  void setup() override { MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads(); }
  void teardown() override {
    AllocationCounter::Stop();
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }
};

TEST(AllocationCounter, CountsEveryKindOfAllocation) {
  std::string missed;
  for (const AllocationKind& kind : kAllocationKinds) {
#ifdef RUNNEL_TSAN
    // TSan's interceptors for these do not call the malloc hook (its malloc,
    // calloc, realloc and every operator new do); the other builds count them.
    if (kind.c_aligned) continue;
#endif
    AllocationCounter::Start();
    kind.allocate();
    AllocationCounter::Stop();
    const uint64_t counted = AllocationCounter::count();
    if (counted < kind.at_least) {
      missed += std::string(kind.name) + " counted " + std::to_string(counted) +
                " times, expected at least " + std::to_string(kind.at_least) + "; ";
    }
  }
  STRCMP_EQUAL("", missed.c_str());
}

TEST(AllocationCounter, CountsNothingOutsideAWindow) {
  AllocationCounter::Start();
  AllocationCounter::Stop();
  for (const AllocationKind& kind : kAllocationKinds) kind.allocate();
  UNSIGNED_LONGLONGS_EQUAL(0, AllocationCounter::count());
}

TEST(AllocationCounter, CountsAllocationsOnOtherThreads) {
  std::atomic<int> phase{0};  // 1: allocate now, 2: done
  std::thread other([&phase] {
    while (phase.load(std::memory_order_acquire) != 1) std::this_thread::yield();
    std::vector<int> v;
    for (int i = 0; i < 100; ++i) v.push_back(i);
    Escape(v.data());
    void* p = malloc(32);
    Escape(p);
    free(p);
    phase.store(2, std::memory_order_release);
  });
  AllocationCounter::Start();
  phase.store(1, std::memory_order_release);
  while (phase.load(std::memory_order_acquire) != 2) std::this_thread::yield();
  AllocationCounter::Stop();
  other.join();
  CHECK_TRUE(AllocationCounter::count() >= 3);
}

TEST_GROUP(SteadyState) {
  // Job threads new and delete (std::thread's state) off the main thread.
  void setup() override { MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads(); }
  void teardown() override {
    AllocationCounter::Stop();
    MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads();
  }
};

// Positive control through the job: a sink that allocates on every write,
// on the sink task's own thread, is caught by the same window.
TEST(SteadyState, CatchesAnAllocatingSinkOnItsThread) {
  Scenario s;
  s.parallelism = 2;
  s.counted_rows = 50000;
  s.sink_allocates = true;
  const Outcome outcome = RunScenario(s);
  STRCMP_EQUAL("", outcome.error.c_str());
  LONGS_EQUAL(4, outcome.tasks);
  CHECK_TRUE(outcome.allocating_writes > 0);
  // Every write inside the window allocated once; warm-up writes did not count.
  CHECK_TRUE(outcome.allocations >= outcome.sink_rows_in_window / 1024);
  CHECK_TRUE(outcome.allocations > 0);
}

TEST(SteadyState, OneTaskEmittingUpdatesDoesNotAllocate) {
  Scenario s;
  const Outcome outcome = RunScenario(s);
  STRCMP_EQUAL("", outcome.error.c_str());
  LONGS_EQUAL(1, outcome.tasks);
  UNSIGNED_LONGLONGS_EQUAL(outcome.expected_rows_in_window, outcome.sink_rows_in_window);
  CheckNoAllocations(outcome);
}

TEST(SteadyState, OneTaskEmittingFinalDoesNotAllocate) {
  Scenario s;
  s.emit_final = true;
  const Outcome outcome = RunScenario(s);
  STRCMP_EQUAL("", outcome.error.c_str());
  LONGS_EQUAL(1, outcome.tasks);
  UNSIGNED_LONGLONGS_EQUAL(outcome.expected_rows_in_window, outcome.sink_rows_in_window);
  CheckNoAllocations(outcome);
}

// Source task (filter, partition by key), two aggregate tasks, sink task:
// four threads and the rings between them.
TEST(SteadyState, ParallelAggregateEmittingUpdatesDoesNotAllocate) {
  Scenario s;
  s.parallelism = 2;
  const Outcome outcome = RunScenario(s);
  STRCMP_EQUAL("", outcome.error.c_str());
  LONGS_EQUAL(4, outcome.tasks);
  UNSIGNED_LONGLONGS_EQUAL(outcome.expected_rows_in_window, outcome.sink_rows_in_window);
  CheckNoAllocations(outcome);
}

TEST(SteadyState, ParallelAggregateEmittingFinalDoesNotAllocate) {
  Scenario s;
  s.parallelism = 2;
  s.emit_final = true;
  const Outcome outcome = RunScenario(s);
  STRCMP_EQUAL("", outcome.error.c_str());
  LONGS_EQUAL(4, outcome.tasks);
  UNSIGNED_LONGLONGS_EQUAL(outcome.expected_rows_in_window, outcome.sink_rows_in_window);
  CheckNoAllocations(outcome);
}
