// WindowOperator::Impl — how window.h's contract is kept.
//
// State. One KeyedTable `table_` holds every live window-sized thing, keyed
// by (key fields, id):
// - tumbling: one entry per window; id = the window start.
// - sliding: one entry per pane of gcd(size, slide); id = the pane start.
// - session: one entry per session; id = the arrival number of the row that
//   opened it (so a merge never re-keys an entry).
// - count: one entry per pane of count_slide (or count) rows; id = the
//   sequence number of its first row.
// Each value is kMeta bookkeeping slots followed by the accumulator state.
// Sliding panes and sessions of one key are chained in time order through
// their kPrev/kNext slots, which hold table cursors (entries never move while
// they live, so a step along the list is an array index, not a lookup), with
// the list ends in a per-key header in `keys_`; count windows keep the key's
// row count there. The table keeps its recency list only when evict_oldest
// or early rounds need the entries in update order.
//
// Time. `time_` is the operator's clock: the watermark for event time, the
// processing clock (ns) for processing time, INT64_MAX once draining. Every
// result is produced by a timer in `fire_` whose time is the window's emit
// time (end - 1, or end - 1 + lateness for emit final); a row that changes a
// window the clock has already passed re-registers that timer, so updates
// come out of the same ordered path. FireDue pops all timers of the
// earliest due time at once and fires them in order of the window's first
// row (arrival number), then `cleanup_` timers (end - 1 + lateness) drop the
// state — always after every due firing, so a pane or window is never
// dropped before the last window that needs it has fired. Tumbling windows
// and sessions whose cleanup time is their emit time (emit final, or no
// lateness) have no cleanup timer: firing drops them.
//
// Timer keys: (key fields, id, tag), except tumbling fire timers, whose key
// is the entry's table cursor: the entry is reached without a lookup, and
// the timer is pushed without the timer index (TimerHeap::Push; one per
// window by construction) and cancelled by the handle kept in kTimer.
// Sliding chain timers are pushed the same way, their handle in the key's
// header. Event-time tumbling windows prefetch the table bucket and entry of
// the row kPrefetchFar / kPrefetchNear rows ahead, and of the entries about
// to fire: a row's cost is mostly those cache misses.
//
// Sliding windows have no timer per window: each key has one "chain" timer
// for the earliest window not yet fired that holds a live pane; firing it
// registers the next one (a row that opens an earlier pane moves it back).
// Windows already fired that a late row changes get a re-fire timer (tag
// kRefire, or kLateFirst when the window had no rows before and so never
// emitted). Per-window marks (emitted flag, rows since the last result) are
// kept only when early firings are configured, in `marks_`. The header keeps
// the chain's last walk over the panes and its result, reused while the
// key's panes do not change (see kHasWalk).
//
// Output. Rows go to the caller's batch, then (not from OnProcessingTime) to
// a preallocated queue that Flush and Drain empty first. When both are full,
// firing stops and the due timers simply stay in `fire_`; Flush resumes
// them. Rows of the rest of the batch are still assigned meanwhile, so a
// late row can then be folded into a window's pending result instead of
// producing its own update (the final state is the same). The queue is sized
// so that this happens only when one batch fires more than
// `state.capacity + 1024` results.
#include "core/ops/window.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <initializer_list>
#include <numeric>
#include <string>
#include <vector>

#include "core/common/byte_count.h"
#include "core/schema/row_hash.h"
#include "core/state/rescale.h"
#include "core/state/timer_heap.h"
#include "core/state/state_image.h"
#include "core/state/state_memory.h"
#include "core/state/tracked_array.h"

namespace runnel::ops {
namespace {

using schema::RowBatch;
using schema::Slot;
using state::KeyedTable;
using state::KeyedTableOptions;
using state::OverflowPolicy;
using state::TimerHeap;
using Type = WindowSpec::Type;

constexpr int64_t kNsPerMs = 1000000;
// Results that fit neither the caller's batch nor a queue of
// state.capacity + kQueueSlackRows rows wait as due timers (see above).
constexpr uint32_t kQueueSlackRows = 1024;
// How many rows ahead tumbling windows prefetch a row's table bucket, and
// then its entry (once the bucket has arrived).
constexpr uint32_t kPrefetchFar = 16;
constexpr uint32_t kPrefetchNear = 8;
// Hashes of the rows from the current one to kPrefetchFar ahead.
constexpr uint32_t kAheadRing = 2 * kPrefetchFar;

// Entry value layout: bookkeeping, then the accumulator state.
enum : uint32_t {
  kEmitted,   // 1 once the window (tumbling, session) has emitted a result
  kRows,      // rows since the last result (early_every_rows, early_every_ms)
  kFirstSeq,  // arrival number of the first row: orders equal-time firings
  kStart,     // window / pane / session start (count: first row's number)
  kEnd,       // its end (exclusive)
  kPrev,      // list links (sliding panes, sessions): the neighbours' cursors
  kNext,
  kLinks,  // kHasPrev | kHasNext
  kTimer,  // tumbling: StoreId(handle) of its pending fire timer; 0: none
  kMeta,
};
constexpr int64_t kHasPrev = 1;
constexpr int64_t kHasNext = 2;

// Per-key header layout.
enum : uint32_t {
  kHead,  // cursors of the first and last entry of the key's list
  kTail,
  kSize,           // entries in the list
  kChain,          // sliding: start of the window the chain timer is for
  kFiredThrough,   // sliding: start of the last window the chain fired
  kFlags,          // kHasChain | kHasFired | kHasWalk
  kRowCount,       // count windows: rows of the key so far
  kChainFirstSeq,  // sliding: first row (arrival number) of the chain window
  kChainTimer,     // sliding: the chain timer's handle (with kHasChain)
  kHeaderSlots,
};
// Sliding headers go on with the chain's last walk (kHasWalk): while no pane
// of the key enters, leaves or changes, the next windows hold the same panes
// and need no walk; kFlags loses kHasWalk when a row or an eviction changes
// a pane. (Consecutive windows share all their panes unless one starts or
// ends between them: with slide << size, most results come from here.)
enum : uint32_t {
  kWalkWindow = kHeaderSlots,  // start of the window walked
  kWalkFirst,                  // start of its first pane
  kWalkAfter,   // start of the first pane at or after its end; INT64_MAX: none
  kWalkFirstSeq,  // first row of its panes
  kWalkResult,    // its result: Accumulators::Emit of its panes, merged
};
constexpr int64_t kHasChain = 1;
constexpr int64_t kHasFired = 2;
constexpr int64_t kHasWalk = 4;

// Sliding-window marks (only with early firings).
enum : uint32_t { kMarkEmitted, kMarkRows, kMarkSlots };

// The last slot of a timer key: why the timer fires.
enum : int64_t {
  kOnTime = 0,     // first result (and, for tumbling/session, every result)
  kRefire = 1,     // sliding: a fired window changed by a late row
  kLateFirst = 2,  // sliding: a fired-past window that got its first row late
};

// Time arithmetic that cannot overflow: values beyond the int64 range are
// clamped (windows at the very ends of time are then misaligned, not UB).
// Without 128-bit integers, which 32-bit ARM lacks.

// An exact sum of int64 terms: value + wraps * 2^64.
struct WideSum {
  int64_t value = 0;
  int wraps = 0;
  void Add(int64_t v) {
    if (__builtin_add_overflow(value, v, &value)) wraps += v > 0 ? 1 : -1;
  }
  // Any wrap puts the sum beyond the int64 range, on the side of its sign.
  int64_t Clamped() const {
    return wraps > 0 ? INT64_MAX : wraps < 0 ? INT64_MIN : value;
  }
};
int64_t Add(int64_t a, int64_t b) {
  WideSum sum;
  sum.Add(a);
  sum.Add(b);
  return sum.Clamped();
}
int64_t Multiply(int64_t a, int64_t b) {
  int64_t product;
  if (!__builtin_mul_overflow(a, b, &product)) return product;
  return (a < 0) != (b < 0) ? INT64_MIN : INT64_MAX;
}
// The largest multiple of `unit` <= t: windows are aligned to the epoch, so
// this is a floor division, also for negative times. REQUIRES: unit > 0.
// (64-bit: it runs for every row, where a 128-bit division is a library call.)
int64_t FloorTo(int64_t t, int64_t unit) {
  int64_t r = t % unit;
  if (r < 0) r += unit;
  int64_t floor;
  return __builtin_sub_overflow(t, r, &floor) ? INT64_MIN : floor;
}
// FloorTo(t, unit) for a fixed unit, remembering the last result: rows
// come mostly in time order, so most skip the division.
class AlignedFloor {
 public:
  explicit AlignedFloor(int64_t unit) : unit_(unit > 0 ? unit : 1) {}
  int64_t operator()(int64_t t) {
    // t - floor_ in unsigned arithmetic: no overflow, and t < floor_ wraps
    // to a huge difference. Windows that would wrap past INT64_MAX are
    // never remembered.
    if (valid_ && static_cast<uint64_t>(t) - static_cast<uint64_t>(floor_) <
                      static_cast<uint64_t>(unit_)) {
      return floor_;
    }
    const int64_t floor = FloorTo(t, unit_);
    valid_ = floor <= INT64_MAX - unit_;
    floor_ = floor;
    return floor;
  }

 private:
  int64_t unit_;
  int64_t floor_ = 0;
  bool valid_ = false;
};

// The smallest multiple of `unit` >= the exact sum of `terms`, clamped.
// Each term is split into a floor quotient and a remainder in [0, unit),
// which are summed separately so that nothing overflows. REQUIRES: unit > 0.
int64_t CeilTo(std::initializer_list<int64_t> terms, int64_t unit) {
  WideSum quotient;
  int64_t remainder = 0;
  for (int64_t t : terms) {
    int64_t q = t / unit;
    int64_t r = t % unit;
    if (r < 0) {
      q -= 1;
      r += unit;
    }
    quotient.Add(q);
    if (r >= unit - remainder) {  // remainder + r >= unit
      remainder = r - (unit - remainder);
      quotient.Add(1);
    } else {
      remainder += r;
    }
  }
  if (remainder > 0) quotient.Add(1);
  if (quotient.wraps != 0) return quotient.Clamped();
  return Multiply(quotient.value, unit);
}

bool IsEventTime(const WindowSpec& spec) {
  return !spec.processing_time && spec.type != Type::kCount;
}

uint32_t ResultSlots(const WindowSpec& spec) {
  return static_cast<uint32_t>(spec.key_fields.size()) + 3 +
         static_cast<uint32_t>(spec.accumulators.fns().size()) +
         (spec.out_watermark ? 1 : 0);
}

Status Validate(const WindowSpec& spec) {
  if (spec.out_width != ResultSlots(spec)) {
    return InvalidArgument(
        "window: out_width is " + std::to_string(spec.out_width) +
        ", expected " + std::to_string(ResultSlots(spec)) +
        " (keys, window_start, window_end, aggregates, is_update" +
        (spec.out_watermark ? ", watermark)" : ")"));
  }
  if (spec.state.capacity == 0)
    return InvalidArgument("window: state.capacity must be > 0");
  switch (spec.type) {
    case Type::kTumbling:
      if (spec.size_ns <= 0)
        return InvalidArgument("window: tumbling windows need size > 0");
      break;
    case Type::kSliding:
      if (spec.size_ns <= 0 || spec.slide_ns <= 0) {
        return InvalidArgument(
            "window: sliding windows need size > 0 and slide > 0");
      }
      break;
    case Type::kSession:
      if (spec.gap_ns <= 0)
        return InvalidArgument("window: session windows need gap > 0");
      break;
    case Type::kCount:
      if (spec.count == 0 || spec.count > uint64_t{INT64_MAX}) {
        return InvalidArgument("window: count windows need count > 0");
      }
      if (spec.count_slide > spec.count ||
          (spec.count_slide > 0 && spec.count % spec.count_slide != 0)) {
        return InvalidArgument("window: count_slide must divide count");
      }
      break;
  }
  if (IsEventTime(spec) && spec.ts_field < 0) {
    return InvalidArgument("window: event-time windows need ts_field");
  }
  if (spec.allowed_lateness_ns < 0 || spec.early_every_ms < 0) {
    return InvalidArgument(
        "window: allowed lateness and early_every_ms must be >= 0");
  }
  return Status::Ok();
}

KeyedTableOptions TableOptions(uint32_t capacity, uint32_t key_slots,
                               uint32_t value_slots, OverflowPolicy policy,
                               bool recency = true) {
  KeyedTableOptions options;
  options.recency = recency;
  options.capacity = capacity;
  options.key_slots = key_slots;
  options.value_slots = value_slots;
  options.policy = policy;
  options.ttl = 0;  // window state ends with its window, not by TTL
  return options;
}

// Early firings: off for emit final and count windows.
int64_t EarlyRows(const WindowSpec& spec) {
  return spec.emit_final || spec.type == Type::kCount
             ? 0
             : static_cast<int64_t>(std::min<uint64_t>(spec.early_every_rows, INT64_MAX));
}
int64_t EarlyMs(const WindowSpec& spec) {
  return spec.emit_final || spec.type == Type::kCount ? 0
                                                      : std::max<int64_t>(spec.early_every_ms, 0);
}

// What an instance allocates for `spec`, derived in one place for the
// constructor and WindowOperator::FootprintBytes.
struct Sizing {
  KeyedTableOptions table;  // panes, sessions or windows
  KeyedTableOptions keys;   // per-key headers (not for tumbling windows)
  KeyedTableOptions marks;  // sliding windows' early-firing marks
  uint32_t timers;          // fire_ and cleanup_ capacity
  uint32_t fire_key_slots;
  uint32_t cleanup_key_slots;
  uint32_t queue_rows;  // fired results waiting for room in the output

  explicit Sizing(const WindowSpec& spec) {
    const uint32_t kc = static_cast<uint32_t>(spec.key_fields.size());
    const bool marks_on = spec.type == Type::kSliding && (EarlyRows(spec) > 0 || EarlyMs(spec) > 0);
    const OverflowPolicy policy = spec.state.policy;
    // Entries in recency order only for evict_oldest and the early rounds
    // (EarlyRound walks them): keeping it costs every update.
    table = TableOptions(spec.state.capacity, kc + 1, kMeta + spec.accumulators.state_slots(),
                         OverflowPolicy::kFail,
                         /*recency=*/policy == OverflowPolicy::kEvictOldest || EarlyMs(spec) > 0);
    keys = TableOptions(spec.type == Type::kTumbling ? 0 : spec.state.capacity, kc,
                        spec.type == Type::kSliding
                            ? kWalkResult + static_cast<uint32_t>(spec.accumulators.fns().size())
                            : kHeaderSlots,
                        OverflowPolicy::kFail);
    marks = TableOptions(marks_on ? spec.state.capacity : 0, kc + 1, kMarkSlots,
                         OverflowPolicy::kEvictOldest);
    const uint32_t capacity = std::min(spec.state.capacity, state::KeyedTable::kMaxCapacity);
    timers = spec.type == Type::kCount ? 0 : capacity;
    fire_key_slots = spec.type == Type::kTumbling ? 1 : kc + 2;
    cleanup_key_slots = kc + 2;
    queue_rows = capacity + kQueueSlackRows;
  }
};

}  // namespace

namespace {

// The lateness rule, given the end of the latest window a row belongs to.
bool EndIsLate(const WindowSpec& spec, int64_t end, int64_t watermark) {
  return watermark != RowBatch::kNoWatermark &&
         Add(end - 1, std::max<int64_t>(spec.allowed_lateness_ns, 0)) <=
             watermark;
}

}  // namespace

bool IsLate(const WindowSpec& spec, int64_t ts, int64_t watermark) {
  if (!IsEventTime(spec) || watermark == RowBatch::kNoWatermark) return false;
  int64_t end = 0;
  switch (spec.type) {
    case Type::kTumbling:
      if (spec.size_ns <= 0) return false;
      end = Add(FloorTo(ts, spec.size_ns), spec.size_ns);
      break;
    case Type::kSliding:  // the latest window holding ts
      if (spec.size_ns <= 0 || spec.slide_ns <= 0) return false;
      end = Add(FloorTo(ts, spec.slide_ns), spec.size_ns);
      break;
    case Type::kSession:  // the row's own [ts, ts + gap)
      if (spec.gap_ns <= 0) return false;
      end = Add(ts, spec.gap_ns);
      break;
    case Type::kCount:
      return false;
  }
  return EndIsLate(spec, end, watermark);
}

class WindowOperator::Impl {
 public:
  Impl(const WindowSpec& spec, const Clock* clock);

  Status Process(const RowBatch& in, RowBatch* out);
  bool has_pending_output() const {
    return queue_size_ > 0 || (!fire_.empty() && fire_.next_time() <= time_);
  }
  Status Flush(RowBatch* out);
  int64_t next_processing_time_ms() const;
  Status OnProcessingTime(int64_t now_ms, RowBatch* out);
  Status Drain(RowBatch* out, bool* done);
  runtime::OperatorMetrics metrics() const;
  uint64_t footprint_bytes() const;
  static uint64_t FootprintBytes(const WindowSpec& spec);

  // Checkpoints (WindowOperator's).
  void PrepareCheckpoints() { image_.EnableTracking(); }
  bool Snapshot(bool full, runtime::StateBuffer* out);
  Status RestoreEntry(std::string_view key, std::string_view value) {
    return image_.RestoreEntry(key, value, &restored_);
  }
  Status FinishRestore();
  size_t checkpoint_bytes() const { return image_.MaxSnapshotBytes(sizeof(Scalars)); }
  // Rescaling (WindowOperator's).
  const WindowSpec& spec() const { return spec_; }
  const Clock* clock() const { return clock_; }
  Status MoveStateTo(Impl* const* to, uint32_t count, bool first);

 private:
  struct GroupItem {
    int64_t first_seq;
    uint32_t index;
    Slot* found;  // what FirstSeqOf looked up, for FireTimer (see there)
  };
  // What WalkWindow found among a key's panes for window [s, s + size).
  struct WindowWalk {
    uint32_t panes = 0;
    int64_t first_seq = INT64_MAX;
    bool has_next = false;               // a later window holds a pane:
    int64_t next = 0;                    // the first one,
    int64_t next_first_seq = INT64_MAX;  // and the first row of its panes
    int64_t first_pane = INT64_MAX;  // start of the window's first pane
    int64_t after_end = INT64_MAX;   // of the first pane from its end on
                                     // (INT64_MIN: unknown)
  };

  // --- Window arithmetic. `end` is exclusive.
  int64_t EmitTime(int64_t end) const {
    return spec_.emit_final ? CleanupTime(end) : end - 1;
  }
  int64_t CleanupTime(int64_t end) const { return Add(end - 1, lateness_); }
  int64_t SlidingEnd(int64_t start) const { return Add(start, spec_.size_ns); }
  int64_t FirstWindowOf(int64_t pane) const {
    return CeilTo({pane, pane_, -spec_.size_ns}, spec_.slide_ns);
  }
  int64_t LastWindowOf(int64_t pane) const {
    return FloorTo(pane, spec_.slide_ns);
  }
  // The earliest sliding window not yet past its cleanup time.
  int64_t FirstLiveWindow() const {
    return CeilTo({time_, -spec_.size_ns, 2, -lateness_}, spec_.slide_ns);
  }

  // --- Calls.
  void Begin(RowBatch* out, bool use_queue) {
    out_ = out;
    use_queue_ = use_queue;
  }
  Status Finish() {
    PublishMetrics();
    Status status = std::move(error_);
    error_ = Status::Ok();
    return status;
  }
  void Fail(Status status) {
    if (error_.ok()) error_ = std::move(status);
  }
  int64_t NowNs() const {
    return Multiply(clock_->NowMillis(), kNsPerMs);
  }
  // Moves the clock to `time` (if later) and fires what is due; with
  // event time, the output watermark follows once nothing due is left.
  void AdvanceTo(int64_t time);
  bool FireDue(int64_t up_to);
  void FireTimer(const Slot* tkey, Slot* found);
  void FireSliding(const Slot* key, int64_t start, int64_t tag, Slot* header);
  int64_t FirstSeqOf(const Slot* tkey, Slot** found);
  bool EarlyRound();

  // --- Rows.
  void Assign(const Slot* row, int64_t ts);
  // `hash`: of (key, window start), as LookupHash.
  void AssignTumbling(const Slot* row, int64_t ts, uint64_t hash);
  void AssignSliding(const Slot* row, int64_t ts);
  void AssignSession(const Slot* row, int64_t ts);
  void AssignCount(const Slot* row);
  void AfterWindowUpdate(const Slot* key, int64_t id, Slot* value);
  void UpdateChain(const Slot* key, Slot* header, int64_t pane);
  void RefireFired(const Slot* key, const Slot* header, int64_t pane,
                   const Slot* new_pane);
  void CountIntoOpenWindows(const Slot* key, const Slot* header, int64_t pane);
  WindowWalk WalkWindow(int64_t start, bool merge,
                        const Slot* header);

  // The table hash of tumbling window row `row` will be looked up with.
  uint64_t AheadHash(const Slot* row) {
    for (uint32_t k = 0; k < kc_; ++k) ahead_[k] = row[spec_.key_fields[k]];
    ahead_[kc_].i64 = ahead_window_of_(row[spec_.ts_field].i64);
    return schema::HashSlots(ahead_.get(), kc_ + 1);
  }

  // --- State. `key` is always the kc_ key fields; ids are appended inside.
  const Slot* Lookup(const Slot* key, int64_t id) {
    schema::CopySlots(lookup_.get(), key, kc_);
    lookup_[kc_].i64 = id;
    return lookup_.get();
  }
  uint64_t LookupHash() const {
    return schema::HashSlots(lookup_.get(), kc_ + 1);
  }
  Slot* FindEntry(const Slot* key, int64_t id) {
    Lookup(key, id);
    return table_.Find(lookup_.get(), LookupHash());
  }
  // List links are table cursors: an entry never moves while it lives.
  Slot* Entry(int64_t cursor) {
    return table_.MutableValueAt(static_cast<uint32_t>(cursor));
  }
  int64_t IdAt(int64_t cursor) const {
    return table_.KeyAt(static_cast<uint32_t>(cursor))[kc_].i64;
  }
  Slot* FindHeader(const Slot* key) {
    return keys_.Find(key, schema::HashSlots(key, kc_));
  }
  Slot* FindMark(const Slot* key, int64_t start) {
    Lookup(key, start);
    return marks_.Find(lookup_.get(), LookupHash());
  }
  // Finds or inserts (key, id), applying state.on_full. False when the row
  // is dropped or the job must fail (error_ set).
  bool FindOrInsertEntry(const Slot* key, int64_t id, Slot** value,
                         bool* inserted);
  // The same with the hash of (key, id) known.
  bool FindOrInsertEntry(const Slot* key, int64_t id, uint64_t hash,
                         Slot** value, bool* inserted);
  bool FindOrInsertCountHeader(const Slot* key, Slot** header);
  // Removes entry (key, id) with its timers and list links.
  void RemoveEntry(const Slot* key, int64_t id);
  // Removes the entry (key fields `key`) at `value` and its list links, for
  // callers that know it has no pending timers.
  void DropEntry(const Slot* key, Slot* value);
  // Registers the fire timer of tumbling window `value` (its cursor is the
  // timer's key; kTimer keeps the handle for cancelling).
  void PushFire(Slot* value, int64_t time);
  // Rescaling: moves every pending timer of this instance's `heap`
  // (fire_ or cleanup_; its entries went to entry_target / entry_cursor by
  // old cursor) into the same heap of `to`.
  Status MoveTimers(TimerHeap Impl::*heap, Impl* const* to, uint32_t count,
                    const std::vector<uint32_t>& entry_target,
                    const std::vector<uint32_t>& entry_cursor);
  // Puts back a popped timer that found no room to fire; `found` is what
  // FirstSeqOf found for it.
  void Requeue(const Slot* tkey, Slot* found, int64_t time);
  void EvictOldestEntry();
  void EvictOldestCountKey();
  // Links entry `value` into its key's time-ordered list.
  void LinkSorted(const Slot* key, Slot* value);
  void Unlink(const Slot* key, Slot* value);
  // (key, id, tag) in tkey_, the layout of every timer key but tumbling's.
  const Slot* TimerKey(const Slot* key, int64_t id, int64_t tag);
  void AddTimer(TimerHeap* heap, const Slot* key, int64_t id, int64_t tag,
                int64_t time);
  // A sliding key's chain: the timer of the earliest unfired window holding
  // a pane (see the top of window.cc).
  void SetChain(const Slot* key, Slot* header, int64_t start,
                int64_t first_seq);
  void CancelChain(Slot* header);
  void CancelTimer(TimerHeap* heap, const Slot* key, int64_t id, int64_t tag,
                   int64_t time);
  void RetimeSession(const Slot* key, int64_t id, int64_t old_end,
                     int64_t new_end);

  // --- Output.
  bool HasRoom() const {
    return (queue_size_ == 0 && !out_->full()) ||
           (use_queue_ && queue_size_ < queue_cap_);
  }
  Slot* NextOutRow();
  void EmitResult(const Slot* key, int64_t start, int64_t end,
                  const Slot* state, bool is_update);
  // The same with the aggregates already computed (one slot per function).
  void EmitValues(const Slot* key, int64_t start, int64_t end,
                  const Slot* values, bool is_update);
  // A result row with all but the aggregates filled in; null (error_ set)
  // when there is no room.
  Slot* ResultRow(const Slot* key, int64_t start, int64_t end,
                  bool is_update);
  void DrainQueue();
  // The watermark an output batch carries: out_wm_, held back to queue_wm_
  // while queued results wait (they must reach the next operator before a
  // watermark that passes them).
  int64_t PassedWatermark() const {
    return queue_size_ > 0 ? std::min(queue_wm_, out_wm_) : out_wm_;
  }
  void PublishMetrics();

  // What a checkpoint keeps besides the tables and heaps. The queue is
  // always empty then (snapshots wait for pending output).
  struct Scalars {
    int64_t time, event_wm, out_wm, queue_wm, seq, early_due_ms;
    uint64_t late_dropped, full_dropped, evicted;
  };

  const WindowSpec spec_;
  const Clock* clock_;
  const Status config_;
  const uint32_t kc_;  // key fields
  const uint32_t out_width_;
  const bool event_time_;
  const int64_t lateness_;     // 0 for processing time
  const int64_t pane_;         // sliding: gcd(size, slide)
  const int64_t count_;        // count windows
  const int64_t count_slide_;  // count windows: rows per pane
  const int64_t early_rows_;   // 0 when off or emit final
  const int64_t early_ms_;     // 0 when off or emit final
  const bool marks_on_;        // sliding windows with early firings
  // Tumbling and session windows whose cleanup time is their emit time (emit
  // final, or no lateness): the state goes when the window fires, with no
  // cleanup timer.
  const bool cleanup_on_fire_;
  const OverflowPolicy policy_;
  AlignedFloor window_of_;  // tumbling: a time's window start
  AlignedFloor ahead_window_of_;  // the same for AheadHash

  KeyedTable table_;  // (key, id) -> bookkeeping + accumulators
  KeyedTable keys_;   // key -> header
  KeyedTable marks_;  // sliding: (key, window start) -> mark
  TimerHeap fire_;
  TimerHeap cleanup_;
  state::StateImage image_;  // the four above
  std::string restored_;     // a restored checkpoint's Scalars

  std::unique_ptr<Slot[]> key_;         // the current row's key fields
  std::unique_ptr<Slot[]> victim_;      // the key of an entry being evicted
  std::unique_ptr<Slot[]> lookup_;      // (key, id) for table lookups
  std::unique_ptr<Slot[]> ahead_;       // the same, rows ahead (AheadHash)
  uint64_t ahead_hashes_[kAheadRing];  // by row % kAheadRing
  std::unique_ptr<Slot[]> tkey_;        // (key, id, tag) for timers
  std::unique_ptr<Slot[]> popped_;      // a cleanup timer's key
  std::unique_ptr<Slot[]> merged_;      // accumulator state merged from panes
  // Scratch as big as the timers and the output queue: written before
  // read, so uninitialized state memory (untouched until a firing uses it).
  state::StateArray<Slot> group_keys_;  // timer keys of one firing time
  state::StateArray<GroupItem> group_;
  uint32_t queue_cap_;
  state::StateArray<Slot> queue_;
  uint32_t queue_head_ = 0;
  uint32_t queue_size_ = 0;

  RowBatch* out_ = nullptr;
  bool use_queue_ = false;
  int64_t time_ = INT64_MIN;
  int64_t event_wm_ = INT64_MIN;  // the input's watermark
  int64_t out_wm_ = INT64_MIN;    // event time: the watermark passed on
  // out_wm_ when the queue last became non-empty: its rows were fired
  // before the watermark moved past it, so batches may not pass more
  // until they are out.
  int64_t queue_wm_ = INT64_MIN;
  int64_t seq_ = 0;               // rows received
  int64_t early_due_ms_ = INT64_MAX;
  Status error_;

  uint64_t late_dropped_ = 0;
  uint64_t full_dropped_ = 0;
  uint64_t evicted_ = 0;
  std::atomic<uint64_t> dropped_metric_{0};
  std::atomic<uint64_t> evicted_metric_{0};
  std::atomic<uint64_t> entries_metric_{0};
};

WindowOperator::Impl::Impl(const WindowSpec& spec, const Clock* clock)
    : spec_(spec),
      clock_(clock),
      config_(Validate(spec)),
      kc_(static_cast<uint32_t>(spec.key_fields.size())),
      out_width_(spec.out_width),
      event_time_(IsEventTime(spec)),
      lateness_(event_time_ ? std::max<int64_t>(spec.allowed_lateness_ns, 0)
                            : 0),
      pane_(spec.type == Type::kSliding && spec.size_ns > 0 && spec.slide_ns > 0
                ? std::gcd(spec.size_ns, spec.slide_ns)
                : 1),
      count_(static_cast<int64_t>(std::min<uint64_t>(spec.count, INT64_MAX))),
      count_slide_(spec.count_slide > 0
                       ? static_cast<int64_t>(
                             std::min<uint64_t>(spec.count_slide, INT64_MAX))
                       : count_),
      early_rows_(EarlyRows(spec)),
      early_ms_(EarlyMs(spec)),
      marks_on_(spec.type == Type::kSliding &&
                (early_rows_ > 0 || early_ms_ > 0)),
      cleanup_on_fire_(
          (spec.type == Type::kTumbling || spec.type == Type::kSession) &&
          (spec.emit_final || lateness_ == 0)),
      policy_(spec.state.policy),
      window_of_(spec.size_ns),
      ahead_window_of_(spec.size_ns),
      table_(Sizing(spec).table),
      keys_(Sizing(spec).keys),
      marks_(Sizing(spec).marks),
      fire_(Sizing(spec).timers, Sizing(spec).fire_key_slots),
      cleanup_(Sizing(spec).timers, Sizing(spec).cleanup_key_slots),
      key_(new Slot[kc_ + 1]()),
      victim_(new Slot[kc_ + 1]()),
      lookup_(new Slot[kc_ + 2]()),
      ahead_(new Slot[kc_ + 1]()),
      tkey_(new Slot[kc_ + 2]()),
      popped_(new Slot[kc_ + 2]()),
      merged_(new Slot[spec.accumulators.state_slots()]()),
      group_keys_(size_t{fire_.capacity()} * fire_.key_slots()),
      group_(fire_.capacity()),
      queue_cap_(Sizing(spec).queue_rows),
      queue_(size_t{queue_cap_} * out_width_) {
  if (early_ms_ > 0) early_due_ms_ = Add(clock_->NowMillis(), early_ms_);
  image_.Add(&table_);
  image_.Add(&keys_);
  image_.Add(&marks_);
  image_.Add(&fire_);
  image_.Add(&cleanup_);
}

bool WindowOperator::Impl::Snapshot(bool full, runtime::StateBuffer* out) {
  const Scalars s{time_,         event_wm_,     out_wm_,       queue_wm_, seq_,
                  early_due_ms_, late_dropped_, full_dropped_, evicted_};
  return image_.Snapshot(full, std::string_view(reinterpret_cast<const char*>(&s), sizeof(s)),
                         out);
}

Status WindowOperator::Impl::FinishRestore() {
  if (restored_.size() != sizeof(Scalars)) {
    return DataError("window state: scalars of " + std::to_string(restored_.size()) +
                     " bytes, expected " + std::to_string(sizeof(Scalars)));
  }
  Scalars s;
  std::memcpy(&s, restored_.data(), sizeof(s));
  time_ = s.time;
  event_wm_ = s.event_wm;
  out_wm_ = s.out_wm;
  queue_wm_ = s.queue_wm;
  seq_ = s.seq;
  early_due_ms_ = s.early_due_ms;
  late_dropped_ = s.late_dropped;
  full_dropped_ = s.full_dropped;
  evicted_ = s.evicted;
  PublishMetrics();
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// Rescaling: each key's entries, header, marks and timers go to its new
// instance. Entries keep their values, but the slots holding cursors (list
// links, a header's list ends) and timer handles (kTimer, kChainTimer)
// are rewritten for where they landed.

Status WindowOperator::Impl::MoveStateTo(Impl* const* to, uint32_t count, bool first) {
  const std::string capacity = "window.state.capacity";
  std::vector<KeyedTable*> tables(count), headers(count), marks(count);
  for (uint32_t i = 0; i < count; ++i) {
    tables[i] = &to[i]->table_;
    headers[i] = &to[i]->keys_;
    marks[i] = &to[i]->marks_;
  }
  std::vector<uint32_t> entry_target(table_.capacity()), entry_cursor(table_.capacity());
  RUNNEL_RETURN_IF_ERROR(state::MoveEntries(
      table_, tables.data(), count, kc_, capacity, [&](uint32_t from, uint32_t t, uint32_t c) {
        entry_target[from] = t;
        entry_cursor[from] = c;
      }));
  const bool lists = spec_.type == Type::kSession || spec_.type == Type::kSliding;
  RUNNEL_RETURN_IF_ERROR(state::MoveEntries(
      keys_, headers.data(), count, kc_, capacity, [&](uint32_t from, uint32_t t, uint32_t c) {
        if (!lists) return;
        Slot* header = headers[t]->MutableValueAt(c);
        header[kHead].i64 = entry_cursor[keys_.ValueAt(from)[kHead].i64];
        header[kTail].i64 = entry_cursor[keys_.ValueAt(from)[kTail].i64];
      }));
  if (lists) {
    table_.ForEachCursor([&](uint32_t from) {
      const Slot* old = table_.ValueAt(from);
      Slot* moved = tables[entry_target[from]]->MutableValueAt(entry_cursor[from]);
      if ((old[kLinks].i64 & kHasPrev) != 0) moved[kPrev].i64 = entry_cursor[old[kPrev].i64];
      if ((old[kLinks].i64 & kHasNext) != 0) moved[kNext].i64 = entry_cursor[old[kNext].i64];
    });
  }
  RUNNEL_RETURN_IF_ERROR(state::MoveEntries(marks_, marks.data(), count, kc_, capacity));
  RUNNEL_RETURN_IF_ERROR(MoveTimers(&Impl::fire_, to, count, entry_target, entry_cursor));
  RUNNEL_RETURN_IF_ERROR(MoveTimers(&Impl::cleanup_, to, count, entry_target, entry_cursor));
  to[0]->table_.AddCounters(table_);
  to[0]->keys_.AddCounters(keys_);
  to[0]->late_dropped_ += late_dropped_;
  to[0]->full_dropped_ += full_dropped_;
  to[0]->evicted_ += evicted_;
  for (uint32_t i = 0; i < count; ++i) {
    Impl* t = to[i];
    // The lowest clocks: a watermark is a promise every moved key kept.
    // Rows carry their own watermark, which advances the clock at once.
    t->time_ = first ? time_ : std::min(t->time_, time_);
    t->event_wm_ = first ? event_wm_ : std::min(t->event_wm_, event_wm_);
    t->out_wm_ = first ? out_wm_ : std::min(t->out_wm_, out_wm_);
    t->queue_wm_ = first ? queue_wm_ : std::min(t->queue_wm_, queue_wm_);
    t->early_due_ms_ = first ? early_due_ms_ : std::min(t->early_due_ms_, early_due_ms_);
    // Arrival numbers order firings and name sessions: keep them rising.
    t->seq_ = first ? seq_ : std::max(t->seq_, seq_);
    t->PublishMetrics();
  }
  return Status::Ok();
}

Status WindowOperator::Impl::MoveTimers(TimerHeap Impl::*heap, Impl* const* to, uint32_t count,
                                        const std::vector<uint32_t>& entry_target,
                                        const std::vector<uint32_t>& entry_cursor) {
  const TimerHeap& from = this->*heap;
  Status status = Status::Ok();
  const bool tumbling_fire = heap == &Impl::fire_ && spec_.type == Type::kTumbling;
  from.ForEachPending([&](uint32_t, const Slot* tkey, int64_t time, bool pushed) {
    if (!status.ok()) return;
    bool full = false;
    if (tumbling_fire) {
      // Keyed by the entry's cursor; the entry keeps the handle.
      const int64_t old = tkey[0].i64;
      Impl* t = to[entry_target[old]];
      Slot cursor;
      cursor.i64 = entry_cursor[old];
      const uint32_t handle = (t->*heap).Push(&cursor, time);
      full = handle == TimerHeap::kNoHandle;
      if (!full) t->table_.MutableValueAt(entry_cursor[old])[kTimer].i64 = state::StoreId(handle);
    } else {
      Impl* t = to[schema::InstanceOf(schema::HashSlots(tkey, kc_), count)];
      if (pushed) {
        // A sliding key's chain timer: its header keeps the handle.
        const uint32_t handle = (t->*heap).Push(tkey, time);
        full = handle == TimerHeap::kNoHandle;
        if (!full) t->FindHeader(tkey)[kChainTimer].i64 = handle;
      } else {
        full = (t->*heap).Add(tkey, schema::HashSlots(tkey, kc_ + 2), time) ==
               TimerHeap::AddOutcome::kFull;
      }
    }
    if (full) {
      status = ResourceExhausted("a new instance has no room for the timers of a saved one (" +
                                 std::to_string(from.capacity()) +
                                 " at most); raise window.state.capacity");
    }
  });
  return status;
}

// ---------------------------------------------------------------------------
// Calls

Status WindowOperator::Impl::Process(const RowBatch& in, RowBatch* out) {
  if (!config_.ok()) return config_;
  Begin(out, /*use_queue=*/true);
  if (!event_time_ && spec_.type != Type::kCount) AdvanceTo(NowNs());
  const uint32_t* key_fields = spec_.key_fields.data();
  // Event-time tumbling windows look their rows' windows up a few rows
  // ahead (see PrefetchWindow): the table lookup is the cost of a row.
  const bool prefetch = event_time_ && spec_.type == Type::kTumbling;
  for (uint32_t r = 0; r < in.size() && error_.ok(); ++r) {
    const Slot* row = in.row(r);
    if (prefetch) {
      if (r == 0) {
        for (uint32_t a = 0; a < kPrefetchFar && a < in.size(); ++a) {
          ahead_hashes_[a % kAheadRing] = AheadHash(in.row(a));
          table_.PrefetchBucket(ahead_hashes_[a % kAheadRing]);
        }
      }
      const uint32_t far = r + kPrefetchFar;
      if (far < in.size()) {
        ahead_hashes_[far % kAheadRing] = AheadHash(in.row(far));
        table_.PrefetchBucket(ahead_hashes_[far % kAheadRing]);
      }
      if (r + kPrefetchNear < in.size())
        table_.PrefetchEntry(ahead_hashes_[(r + kPrefetchNear) % kAheadRing]);
    }
    ++seq_;
    for (uint32_t k = 0; k < kc_; ++k) key_[k] = row[key_fields[k]];
    int64_t row_watermark = event_wm_;
    if (spec_.watermark_slot >= 0) {
      row_watermark = row[spec_.watermark_slot].i64;
      event_wm_ = std::max(event_wm_, row_watermark);
    }
    if (spec_.type == Type::kCount) {
      AssignCount(row);
    } else if (event_time_) {
      // The watermark before this row fires what it passed (and the updates
      // the previous row caused), then the row is assigned.
      AdvanceTo(event_wm_);
      const int64_t ts = row[spec_.ts_field].i64;
      // (IsLate, without a division per row for tumbling windows.)
      const bool late =
          spec_.type == Type::kTumbling
              ? EndIsLate(spec_, Add(window_of_(ts), spec_.size_ns),
                          row_watermark)
              : IsLate(spec_, ts, row_watermark);
      if (late) {
        ++late_dropped_;
        continue;
      }
      if (prefetch) {
        // Row r's hash, computed kPrefetchFar rows ago.
        AssignTumbling(row, ts, ahead_hashes_[r % kAheadRing]);
      } else {
        Assign(row, ts);
      }
    } else {
      AdvanceTo(time_);
      Assign(row, time_);
    }
  }
  event_wm_ = std::max(event_wm_, in.watermark());
  if (event_time_) {
    AdvanceTo(event_wm_);
    out->set_watermark(PassedWatermark());
  } else if (spec_.type != Type::kCount) {
    AdvanceTo(time_);
  }
  return Finish();
}

Status WindowOperator::Impl::Flush(RowBatch* out) {
  if (!config_.ok()) return config_;
  // Firing may fill the queue again: a group of due timers that does not
  // fit `out` is then fired once, not popped, sorted and put back per batch.
  Begin(out, /*use_queue=*/true);
  DrainQueue();
  if (queue_size_ == 0) AdvanceTo(time_);
  if (event_time_) out->set_watermark(PassedWatermark());
  return Finish();
}

int64_t WindowOperator::Impl::next_processing_time_ms() const {
  int64_t next = INT64_MAX;
  if (!event_time_ && spec_.type != Type::kCount) {
    const int64_t due = std::min(fire_.next_time(), cleanup_.next_time());
    // The first ms at which now_ms * 1e6 >= due.
    if (due != INT64_MAX) next = CeilTo({due}, kNsPerMs) / kNsPerMs;
  }
  if (early_ms_ > 0) next = std::min(next, early_due_ms_);
  return next;
}

Status WindowOperator::Impl::OnProcessingTime(int64_t now_ms, RowBatch* out) {
  if (!config_.ok()) return config_;
  Begin(out, /*use_queue=*/false);
  DrainQueue();
  if (queue_size_ == 0 && !event_time_ && spec_.type != Type::kCount) {
    AdvanceTo(Multiply(now_ms, kNsPerMs));
  }
  // An early round runs once nothing is due; if the batch fills first, it
  // stays due and the next call finishes it.
  if (early_ms_ > 0 && now_ms >= early_due_ms_ && !has_pending_output() &&
      EarlyRound()) {
    early_due_ms_ = Add(now_ms, early_ms_);
  }
  return Finish();
}

Status WindowOperator::Impl::Drain(RowBatch* out, bool* done) {
  if (!config_.ok()) return config_;
  Begin(out, /*use_queue=*/true);  // as Flush
  DrainQueue();
  *done = false;
  if (queue_size_ > 0) return Finish();
  if (spec_.type == Type::kCount) {
    *done = true;  // incomplete count windows are not emitted (as Flink)
    return Finish();
  }
  // The final watermark: everything fires. Results keep the watermark that
  // was passed on before it (out_wm_), like every on-time result.
  time_ = INT64_MAX;
  *done = FireDue(INT64_MAX) && queue_size_ == 0;
  return Finish();
}

runtime::OperatorMetrics WindowOperator::Impl::metrics() const {
  runtime::OperatorMetrics m;
  m.dropped = dropped_metric_.load(std::memory_order_relaxed);
  m.evicted = evicted_metric_.load(std::memory_order_relaxed);
  m.state_entries = entries_metric_.load(std::memory_order_relaxed);
  m.state_capacity = table_.capacity();
  return m;
}

uint64_t WindowOperator::Impl::footprint_bytes() const { return FootprintBytes(spec_); }

uint64_t WindowOperator::Impl::FootprintBytes(const WindowSpec& spec) {
  const Sizing s(spec);
  const uint64_t parts[] = {
      state::KeyedTable::FootprintBytes(s.table),
      state::KeyedTable::FootprintBytes(s.keys),
      state::KeyedTable::FootprintBytes(s.marks),
      state::TimerHeap::FootprintBytes(s.timers, s.fire_key_slots),
      state::TimerHeap::FootprintBytes(s.timers, s.cleanup_key_slots),
      SaturatingMul(sizeof(Slot) * uint64_t{s.queue_rows}, spec.out_width),  // the queue
      SaturatingMul(sizeof(Slot) * uint64_t{s.fire_key_slots} + sizeof(GroupItem), s.timers),
      sizeof(Slot) * uint64_t{spec.accumulators.state_slots()},
  };
  uint64_t bytes = 0;
  for (uint64_t part : parts) bytes = SaturatingAdd(bytes, part);
  return bytes;
}

void WindowOperator::Impl::PublishMetrics() {
  dropped_metric_.store(late_dropped_ + full_dropped_,
                        std::memory_order_relaxed);
  evicted_metric_.store(evicted_, std::memory_order_relaxed);
  entries_metric_.store(table_.size(), std::memory_order_relaxed);
}

// ---------------------------------------------------------------------------
// Firing

void WindowOperator::Impl::AdvanceTo(int64_t time) {
  time_ = std::max(time_, time);
  // Most rows move the clock without anything coming due.
  const bool due = fire_.next_time() <= time_ || cleanup_.next_time() <= time_;
  if ((!due || FireDue(time_)) && event_time_) {
    out_wm_ = std::max(out_wm_, time_);
  }
}

bool WindowOperator::Impl::FireDue(int64_t up_to) {
  const uint32_t tslots = fire_.key_slots();
  while (!fire_.empty() && fire_.next_time() <= up_to) {
    if (!HasRoom()) return false;
    // Every timer of the earliest time, fired in order of first row.
    const int64_t time = fire_.next_time();
    uint32_t n = 0;
    int64_t popped_time;
    bool sorted = true;  // timers mostly come in first-row order already
    while (fire_.PopDue(time, &popped_time,
                        group_keys_.get() + size_t{n} * tslots)) {
      Slot* found;
      const int64_t first_seq =
          FirstSeqOf(group_keys_.get() + size_t{n} * tslots, &found);
      group_[n] = GroupItem{first_seq, n, found};
      if (n > 0 && first_seq < group_[n - 1].first_seq) sorted = false;
      ++n;
    }
    if (!sorted) {
      std::sort(group_.get(), group_.get() + n,
                [](const GroupItem& a, const GroupItem& b) {
                  return a.first_seq != b.first_seq
                             ? a.first_seq < b.first_seq
                             : a.index < b.index;
                });
    }
    for (uint32_t i = 0; i < n; ++i) {
      const Slot* tkey = group_keys_.get() + size_t{group_[i].index} * tslots;
      if (spec_.type == Type::kTumbling && i + kPrefetchNear < n) {
        // Tumbling timers hold the entry's cursor (FirstSeqOf).
        table_.PrefetchCursor(static_cast<uint32_t>(
            group_keys_[size_t{group_[i + kPrefetchNear].index} * tslots].i64));
      }
      if (!HasRoom()) {
        // Out of room: the rest waits in the heap (same time; the order is
        // by first row again when they are popped next).
        for (uint32_t j = i; j < n; ++j) {
          const Slot* rest =
              group_keys_.get() + size_t{group_[j].index} * tslots;
          Requeue(rest, group_[j].found, time);
        }
        return false;
      }
      FireTimer(tkey, group_[i].found);
    }
  }
  // Nothing due is left to fire: drop what no window needs any more. The
  // entry has no timers left: its fire timers were due no later than this
  // one, which is popped.
  int64_t time;
  while (cleanup_.PopDue(up_to, &time, popped_.get())) {
    const int64_t id = popped_[kc_].i64;
    if (Slot* value = FindEntry(popped_.get(), id))
      DropEntry(popped_.get(), value);
  }
  return true;
}

// *found: the timer's entry (tumbling, session) or the key's header
// (sliding), or null. Firing one timer of a group erases no other timer's
// entry or header, so FireTimer can use it instead of looking it up again.
int64_t WindowOperator::Impl::FirstSeqOf(const Slot* tkey, Slot** found) {
  if (spec_.type == Type::kSliding) {
    Slot* header = FindHeader(tkey);
    *found = header;
    if (tkey[kc_ + 1].i64 == kOnTime) {
      // Known since the chain reached the window: panes added later have
      // later first rows, and none leaves before the window fires.
      const bool current = header != nullptr &&
                           (header[kFlags].i64 & kHasChain) != 0 &&
                           header[kChain].i64 == tkey[kc_].i64;
      return current ? header[kChainFirstSeq].i64 : INT64_MAX;
    }
    return WalkWindow(tkey[kc_].i64, false, header).first_seq;
  }
  // Tumbling timers hold the entry's cursor: a pending one's entry is live
  // (evicting an entry cancels its timer).
  Slot* value = spec_.type == Type::kTumbling
                    ? table_.MutableValueAt(static_cast<uint32_t>(tkey[0].i64))
                    : FindEntry(tkey, tkey[kc_].i64);
  *found = value;
  return value != nullptr ? value[kFirstSeq].i64 : INT64_MAX;
}

void WindowOperator::Impl::FireTimer(const Slot* tkey, Slot* found) {
  if (spec_.type == Type::kSliding) {
    FireSliding(tkey, tkey[kc_].i64, tkey[kc_ + 1].i64, found);
    return;
  }
  Slot* value = found;
  if (value == nullptr) return;  // evicted
  // The entry's own key: tumbling timers hold only its cursor.
  const Slot* key = tkey;
  if (spec_.type == Type::kTumbling) {
    value[kTimer].i64 = 0;
    key = table_.KeyAt(table_.CursorOf(value));
  }
  EmitResult(key, value[kStart].i64, value[kEnd].i64, value + kMeta,
             value[kEmitted].i64 != 0);
  value[kEmitted].i64 = 1;
  value[kRows].i64 = 0;
  // Its only timer was this one (just popped).
  if (cleanup_on_fire_) DropEntry(key, value);
}

void WindowOperator::Impl::FireSliding(const Slot* key, int64_t start,
                                       int64_t tag, Slot* header) {
  if (tag != kOnTime) {
    const WindowWalk walk = WalkWindow(start, true, header);
    if (walk.panes > 0) {
      EmitResult(key, start, SlidingEnd(start), merged_.get(), tag == kRefire);
    }
    return;
  }
  if (header == nullptr || (header[kFlags].i64 & kHasChain) == 0 ||
      header[kChain].i64 != start) {
    return;  // stale
  }
  header[kFlags].i64 = (header[kFlags].i64 & ~kHasChain) | kHasFired;
  header[kFiredThrough].i64 = start;
  bool is_update = false;
  if (marks_on_) {
    if (const Slot* mark = FindMark(key, start)) {
      is_update = mark[kMarkEmitted].i64 != 0;
      marks_.Erase(lookup_.get(), LookupHash());
    }
  }
  // The last walk still holds when its panes are all there is in this
  // window and the next: none starts before the next window (none leaves)
  // and none between its end and the next one's (none enters). The next
  // window is then the chain's, with the same first row.
  const int64_t after = Add(start, spec_.slide_ns);
  bool has_next = true;
  int64_t next = after;
  int64_t next_first_seq = header[kWalkFirstSeq].i64;
  if ((header[kFlags].i64 & kHasWalk) == 0 ||
      header[kWalkWindow].i64 > start || header[kWalkFirst].i64 < after ||
      header[kWalkAfter].i64 < SlidingEnd(after)) {
    const WindowWalk walk = WalkWindow(start, true, header);
    header[kFlags].i64 &= ~kHasWalk;
    if (walk.panes > 0) {
      header[kWalkWindow].i64 = start;
      header[kWalkFirst].i64 = walk.first_pane;
      header[kWalkAfter].i64 = walk.after_end;
      header[kWalkFirstSeq].i64 = walk.first_seq;
      spec_.accumulators.Emit(merged_.get(), header + kWalkResult);
      header[kFlags].i64 |= kHasWalk;
    }
    has_next = walk.has_next;
    next = walk.next;
    next_first_seq = walk.next_first_seq;
  }
  if ((header[kFlags].i64 & kHasWalk) != 0) {
    EmitValues(key, start, SlidingEnd(start), header + kWalkResult,
               is_update);
  }
  if (has_next) SetChain(key, header, next, next_first_seq);
}

// `header`: the key's (FindHeader), or null.
WindowOperator::Impl::WindowWalk WindowOperator::Impl::WalkWindow(
    int64_t start, bool merge, const Slot* header) {
  WindowWalk walk;
  if (merge)
    std::memset(merged_.get(), 0,
                sizeof(Slot) * spec_.accumulators.state_slots());
  if (header == nullptr) return walk;
  const int64_t end = SlidingEnd(start);
  const int64_t after = Add(start, spec_.slide_ns);
  int64_t next_end = end;  // panes up to here matter
  int64_t at = header[kHead].i64;
  for (;;) {
    const Slot* pane = Entry(at);
    const int64_t pane_start = pane[kStart].i64;
    if (pane_start >= end && walk.after_end == INT64_MAX)
      walk.after_end = pane_start;
    if (!walk.has_next && pane_start >= after) {
      // The first pane after `start + slide`: the next window holding a
      // pane is the first that holds this one; walk on to its end for the
      // first row of its panes.
      walk.has_next = true;
      walk.next = std::max(after, FirstWindowOf(pane_start));
      next_end = std::max(end, SlidingEnd(walk.next));
    }
    // (Before the next pane is found, panes past `end` can only be in the
    // gaps between windows when slide > size: walk over them.)
    if (walk.has_next && pane_start >= next_end) break;
    if (pane_start >= start && pane_start < end) {
      if (merge) spec_.accumulators.Merge(merged_.get(), pane + kMeta);
      ++walk.panes;
      walk.first_seq = std::min(walk.first_seq, pane[kFirstSeq].i64);
      walk.first_pane = std::min(walk.first_pane, pane_start);
    }
    if (walk.has_next && pane_start >= walk.next) {
      walk.next_first_seq = std::min(walk.next_first_seq, pane[kFirstSeq].i64);
    }
    if ((pane[kLinks].i64 & kHasNext) == 0) break;
    at = pane[kNext].i64;
  }
  return walk;
}

bool WindowOperator::Impl::EarlyRound() {
  if (marks_on_) {
    for (uint32_t c = marks_.First(); c != KeyedTable::kEnd;
         c = marks_.Next(c)) {
      const Slot* mkey = marks_.KeyAt(c);
      if (marks_.ValueAt(c)[kMarkRows].i64 == 0) continue;
      const int64_t start = mkey[kc_].i64;
      const Slot* header = FindHeader(mkey);
      const bool fired =
          header == nullptr || ((header[kFlags].i64 & kHasFired) != 0 &&
                                start <= header[kFiredThrough].i64);
      if (fired || EmitTime(SlidingEnd(start)) <= time_) continue;
      if (!HasRoom()) return false;
      const WindowWalk walk = WalkWindow(start, true, header);
      Slot* mark = FindMark(mkey, start);
      if (walk.panes > 0) {
        EmitResult(mkey, start, SlidingEnd(start), merged_.get(),
                   mark[kMarkEmitted].i64 != 0);
        mark[kMarkEmitted].i64 = 1;
      }
      mark[kMarkRows].i64 = 0;
    }
    return true;
  }
  for (uint32_t c = table_.First(); c != KeyedTable::kEnd; c = table_.Next(c)) {
    const Slot* ekey = table_.KeyAt(c);
    const Slot* value = table_.ValueAt(c);
    if (value[kRows].i64 == 0 || EmitTime(value[kEnd].i64) <= time_) continue;
    if (!HasRoom()) return false;
    Slot* entry = FindEntry(ekey, ekey[kc_].i64);
    EmitResult(ekey, entry[kStart].i64, entry[kEnd].i64, entry + kMeta,
               entry[kEmitted].i64 != 0);
    entry[kEmitted].i64 = 1;
    entry[kRows].i64 = 0;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Rows

void WindowOperator::Impl::Assign(const Slot* row, int64_t ts) {
  switch (spec_.type) {
    case Type::kTumbling: {
      Lookup(key_.get(), window_of_(ts));
      AssignTumbling(row, ts, LookupHash());
      break;
    }
    case Type::kSliding:
      AssignSliding(row, ts);
      break;
    case Type::kSession:
      AssignSession(row, ts);
      break;
    case Type::kCount:
      AssignCount(row);
      break;
  }
}

void WindowOperator::Impl::AssignTumbling(const Slot* row, int64_t ts,
                                          uint64_t hash) {
  const Slot* key = key_.get();
  const int64_t start = window_of_(ts);
  const int64_t end = Add(start, spec_.size_ns);
  Slot* value;
  bool inserted;
  if (!FindOrInsertEntry(key, start, hash, &value, &inserted)) return;
  if (inserted) {
    value[kStart].i64 = start;
    value[kEnd].i64 = end;
    value[kFirstSeq].i64 = seq_;
    PushFire(value, EmitTime(end));
    if (!cleanup_on_fire_)
      AddTimer(&cleanup_, key, start, kOnTime, CleanupTime(end));
  }
  spec_.accumulators.Update(value + kMeta, row);
  ++value[kRows].i64;
  AfterWindowUpdate(key, start, value);
}

void WindowOperator::Impl::AssignSession(const Slot* row, int64_t ts) {
  const Slot* key = key_.get();
  const int64_t end = Add(ts, spec_.gap_ns);
  // The sessions [first, last] the row's [ts, end) touches (as Flink, windows
  // that only meet merge too). Sessions are disjoint and in time order, so
  // they are a run of the list, found walking back from the newest.
  int64_t first = 0;  // cursors
  int64_t last = 0;
  bool found = false;
  if (const Slot* header = FindHeader(key)) {
    int64_t at = header[kTail].i64;
    for (;;) {
      const Slot* session = Entry(at);
      if (session[kStart].i64 <= end) {
        if (session[kEnd].i64 < ts) break;
        if (!found) last = at;
        found = true;
        first = at;
      }
      if ((session[kLinks].i64 & kHasPrev) == 0) break;
      at = session[kPrev].i64;
    }
  }
  Slot* target;
  int64_t id;  // the target session's
  if (!found) {
    id = seq_;
    bool inserted;
    if (!FindOrInsertEntry(key, id, &target, &inserted)) return;
    target[kStart].i64 = ts;
    target[kEnd].i64 = end;
    target[kFirstSeq].i64 = seq_;
    LinkSorted(key, target);
    AddTimer(&fire_, key, id, kOnTime, EmitTime(end));
    if (!cleanup_on_fire_)
      AddTimer(&cleanup_, key, id, kOnTime, CleanupTime(end));
  } else {
    target = Entry(first);
    id = IdAt(first);
    const int64_t old_end = target[kEnd].i64;
    // Fold the later sessions into the first, in time order.
    int64_t at = target[kNext].i64;
    while (first != last) {
      Slot* session = Entry(at);
      const int64_t next = session[kNext].i64;
      spec_.accumulators.Merge(target + kMeta, session + kMeta);
      target[kEmitted].i64 |= session[kEmitted].i64;
      target[kRows].i64 += session[kRows].i64;
      target[kFirstSeq].i64 =
          std::min(target[kFirstSeq].i64, session[kFirstSeq].i64);
      target[kEnd].i64 = std::max(target[kEnd].i64, session[kEnd].i64);
      RemoveEntry(key, IdAt(at));  // cancels its timers and unlinks it
      if (at == last) break;
      at = next;
    }
    target[kStart].i64 = std::min(target[kStart].i64, ts);
    target[kEnd].i64 = std::max(target[kEnd].i64, end);
    if (target[kEnd].i64 != old_end)
      RetimeSession(key, id, old_end, target[kEnd].i64);
  }
  spec_.accumulators.Update(target + kMeta, row);
  ++target[kRows].i64;
  AfterWindowUpdate(key, id, target);
}

void WindowOperator::Impl::RetimeSession(const Slot* key, int64_t id,
                                         int64_t old_end, int64_t new_end) {
  CancelTimer(&fire_, key, id, kOnTime, EmitTime(old_end));
  AddTimer(&fire_, key, id, kOnTime, EmitTime(new_end));
  if (cleanup_on_fire_) return;
  CancelTimer(&cleanup_, key, id, kOnTime, CleanupTime(old_end));
  AddTimer(&cleanup_, key, id, kOnTime, CleanupTime(new_end));
}

void WindowOperator::Impl::AfterWindowUpdate(const Slot* key, int64_t id,
                                             Slot* value) {
  if (spec_.emit_final) return;
  const int64_t emit = EmitTime(value[kEnd].i64);
  if (emit <= time_) {
    // Behind the clock: (re)fire now, through the timers so that order and
    // room are handled in one place. A pending timer stays as it is.
    if (spec_.type != Type::kTumbling) {
      AddTimer(&fire_, key, id, kOnTime, emit);
    } else if (value[kTimer].i64 == 0) {
      PushFire(value, emit);
    }
    return;
  }
  if (early_rows_ > 0 && value[kRows].i64 >= early_rows_ && HasRoom()) {
    EmitResult(key, value[kStart].i64, value[kEnd].i64, value + kMeta,
               value[kEmitted].i64 != 0);
    value[kEmitted].i64 = 1;
    value[kRows].i64 = 0;
  }
}

void WindowOperator::Impl::AssignSliding(const Slot* row, int64_t ts) {
  const Slot* key = key_.get();
  const int64_t pane = FloorTo(ts, pane_);
  Slot* value;
  bool inserted;
  if (!FindOrInsertEntry(key, pane, &value, &inserted)) return;
  if (inserted) {
    value[kStart].i64 = pane;
    value[kEnd].i64 = Add(pane, pane_);
    value[kFirstSeq].i64 = seq_;
    LinkSorted(key, value);
    if (!error_.ok()) return;
    // A pane goes once the last window holding it is past its lateness.
    AddTimer(&cleanup_, key, pane, kOnTime,
             CleanupTime(SlidingEnd(LastWindowOf(pane))));
  }
  spec_.accumulators.Update(value + kMeta, row);
  ++value[kRows].i64;
  Slot* header = FindHeader(key);
  if (header == nullptr) return;  // unreachable: the pane is linked under it
  header[kFlags].i64 &= ~kHasWalk;
  if (inserted) UpdateChain(key, header, pane);
  if (!spec_.emit_final)
    RefireFired(key, header, pane, inserted ? value : nullptr);
  if (marks_on_) CountIntoOpenWindows(key, header, pane);
}

void WindowOperator::Impl::UpdateChain(const Slot* key, Slot* header,
                                       int64_t pane) {
  // The earliest window of the new pane that has not fired and is not past
  // its lateness; the chain must reach it.
  int64_t first = std::max(FirstWindowOf(pane), FirstLiveWindow());
  if ((header[kFlags].i64 & kHasFired) != 0) {
    first = std::max(first, Add(header[kFiredThrough].i64, spec_.slide_ns));
  }
  if (first > LastWindowOf(pane)) return;
  if ((header[kFlags].i64 & kHasChain) != 0) {
    if (header[kChain].i64 <= first) return;
    CancelChain(header);
  }
  // No older pane lies in that window (else the chain would be there
  // already), so its first row is this one.
  SetChain(key, header, first, seq_);
}

void WindowOperator::Impl::SetChain(const Slot* key, Slot* header,
                                    int64_t start, int64_t first_seq) {
  // One chain per key, so its timer needs no duplicate check.
  const uint32_t handle = fire_.Push(TimerKey(key, start, kOnTime),
                                     EmitTime(SlidingEnd(start)));
  if (handle == TimerHeap::kNoHandle) {
    Fail(Status(StatusCode::kInternal, "window: timers full"));
    return;
  }
  header[kChain].i64 = start;
  header[kChainFirstSeq].i64 = first_seq;
  header[kChainTimer].i64 = handle;
  header[kFlags].i64 |= kHasChain;
}

void WindowOperator::Impl::CancelChain(Slot* header) {
  fire_.CancelHandle(static_cast<uint32_t>(header[kChainTimer].i64));
  header[kFlags].i64 &= ~kHasChain;
}

void WindowOperator::Impl::RefireFired(const Slot* key, const Slot* header,
                                       int64_t pane, const Slot* new_pane) {
  if ((header[kFlags].i64 & kHasFired) == 0) return;
  const int64_t last = std::min(LastWindowOf(pane), header[kFiredThrough].i64);
  for (int64_t start = std::max(FirstWindowOf(pane), FirstLiveWindow());
       start <= last; start = Add(start, spec_.slide_ns)) {
    // A window with no other pane never emitted: this is its first result.
    int64_t tag = kRefire;
    if (new_pane != nullptr) {
      const bool before = (new_pane[kLinks].i64 & kHasPrev) != 0 &&
                          Entry(new_pane[kPrev].i64)[kStart].i64 >= start;
      const bool after =
          (new_pane[kLinks].i64 & kHasNext) != 0 &&
          Entry(new_pane[kNext].i64)[kStart].i64 < SlidingEnd(start);
      if (!before && !after) tag = kLateFirst;
    }
    // Keep room for every key's chain timer.
    if (fire_.size() + keys_.size() < fire_.capacity()) {
      AddTimer(&fire_, key, start, tag, EmitTime(SlidingEnd(start)));
    }
    if (start == INT64_MAX) break;
  }
}

void WindowOperator::Impl::CountIntoOpenWindows(const Slot* key,
                                                const Slot* header,
                                                int64_t pane) {
  int64_t first = std::max(FirstWindowOf(pane), FirstLiveWindow());
  if ((header[kFlags].i64 & kHasFired) != 0) {
    first = std::max(first, Add(header[kFiredThrough].i64, spec_.slide_ns));
  }
  const int64_t last = LastWindowOf(pane);
  for (int64_t start = first; start <= last;
       start = Add(start, spec_.slide_ns)) {
    if (EmitTime(SlidingEnd(start)) > time_) {
      Slot* mark;
      Lookup(key, start);
      marks_.FindOrInsert(lookup_.get(), LookupHash(), seq_, &mark);
      ++mark[kMarkRows].i64;
      if (early_rows_ > 0 && mark[kMarkRows].i64 >= early_rows_ && HasRoom()) {
        const bool is_update = mark[kMarkEmitted].i64 != 0;
        mark[kMarkEmitted].i64 = 1;
        mark[kMarkRows].i64 = 0;
        const WindowWalk walk = WalkWindow(start, true, header);
        if (walk.panes > 0)
          EmitResult(key, start, SlidingEnd(start), merged_.get(), is_update);
      }
    }
    if (start == INT64_MAX) break;
  }
}

void WindowOperator::Impl::AssignCount(const Slot* row) {
  const Slot* key = key_.get();
  Slot* header;
  if (!FindOrInsertCountHeader(key, &header)) return;
  const int64_t n = header[kRowCount].i64;  // this row's number within the key
  const int64_t pane = n - n % count_slide_;
  Slot* value;
  bool inserted;
  if (!FindOrInsertEntry(key, pane, &value, &inserted)) return;
  header[kRowCount].i64 = n + 1;
  if (inserted) {
    value[kStart].i64 = pane;
    value[kEnd].i64 = pane + count_slide_;
    value[kFirstSeq].i64 = seq_;
  }
  spec_.accumulators.Update(value + kMeta, row);
  if ((n + 1) % count_slide_ != 0 || n + 1 < count_) return;
  // Rows [n + 1 - count, n + 1) are complete.
  const int64_t start = n + 1 - count_;
  const Slot* state = value + kMeta;
  if (count_slide_ != count_) {
    std::memset(merged_.get(), 0,
                sizeof(Slot) * spec_.accumulators.state_slots());
    for (int64_t p = start; p <= pane; p += count_slide_) {
      if (const Slot* part = FindEntry(key, p))
        spec_.accumulators.Merge(merged_.get(), part + kMeta);
    }
    state = merged_.get();
  }
  if (!HasRoom()) {
    Fail(Status(StatusCode::kInternal,
                "window: no room for a count window result"));
    return;
  }
  EmitResult(key, start, n + 1, state, false);
  // No later window starts this early.
  Lookup(key, start);
  table_.Erase(lookup_.get(), LookupHash());
}

// ---------------------------------------------------------------------------
// State

bool WindowOperator::Impl::FindOrInsertEntry(const Slot* key, int64_t id,
                                             Slot** value, bool* inserted) {
  Lookup(key, id);
  return FindOrInsertEntry(key, id, LookupHash(), value, inserted);
}

bool WindowOperator::Impl::FindOrInsertEntry(const Slot* key, int64_t id,
                                             uint64_t hash, Slot** value,
                                             bool* inserted) {
  for (;;) {
    Lookup(key, id);
    switch (table_.FindOrInsert(lookup_.get(), hash, seq_, value)) {
      case KeyedTable::Outcome::kFound:
        *inserted = false;
        return true;
      case KeyedTable::Outcome::kInserted:
        *inserted = true;
        return true;
      case KeyedTable::Outcome::kDropped:
      case KeyedTable::Outcome::kFull:
        break;
    }
    switch (policy_) {
      case OverflowPolicy::kFail:
        Fail(ResourceExhausted(
            "window state is full (" + std::to_string(table_.capacity()) +
            " windows, panes or sessions); raise window.state.capacity "
            "or set window.state.on_full to evict_oldest or drop_new"));
        return false;
      case OverflowPolicy::kDropNew:
        ++full_dropped_;
        return false;
      case OverflowPolicy::kEvictOldest:
        EvictOldestEntry();
        break;
    }
  }
}

bool WindowOperator::Impl::FindOrInsertCountHeader(const Slot* key,
                                                   Slot** header) {
  for (;;) {
    switch (
        keys_.FindOrInsert(key, schema::HashSlots(key, kc_), seq_, header)) {
      case KeyedTable::Outcome::kFound:
      case KeyedTable::Outcome::kInserted:
        return true;
      case KeyedTable::Outcome::kDropped:
      case KeyedTable::Outcome::kFull:
        break;
    }
    switch (policy_) {
      case OverflowPolicy::kFail:
        Fail(ResourceExhausted(
            "window state is full (" + std::to_string(keys_.capacity()) +
            " keys); raise window.state.capacity or set "
            "window.state.on_full to evict_oldest or drop_new"));
        return false;
      case OverflowPolicy::kDropNew:
        ++full_dropped_;
        return false;
      case OverflowPolicy::kEvictOldest:
        EvictOldestCountKey();
        break;
    }
  }
}

void WindowOperator::Impl::EvictOldestEntry() {
  std::memcpy(victim_.get(), table_.KeyAt(table_.First()),
              sizeof(Slot) * (kc_ + 1));
  RemoveEntry(victim_.get(), victim_[kc_].i64);
  ++evicted_;
}

void WindowOperator::Impl::EvictOldestCountKey() {
  std::memcpy(victim_.get(), keys_.KeyAt(keys_.First()), sizeof(Slot) * kc_);
  const int64_t n = keys_.ValueAt(keys_.First())[kRowCount].i64;
  // The key's panes: the open one and those still needed before it.
  for (int64_t pane = n - n % count_slide_;
       pane >= 0 && pane > n - count_ - count_slide_; pane -= count_slide_) {
    Lookup(victim_.get(), pane);
    table_.Erase(lookup_.get(), LookupHash());
  }
  keys_.Erase(victim_.get(), schema::HashSlots(victim_.get(), kc_));
  ++evicted_;
}

void WindowOperator::Impl::RemoveEntry(const Slot* key, int64_t id) {
  Slot* value = FindEntry(key, id);
  if (value == nullptr) return;
  const int64_t end = value[kEnd].i64;
  switch (spec_.type) {
    case Type::kTumbling:
    case Type::kSession:
      if (spec_.type == Type::kSession) {
        CancelTimer(&fire_, key, id, kOnTime, EmitTime(end));
      } else if (value[kTimer].i64 != 0) {
        fire_.CancelHandle(state::LoadId(static_cast<uint32_t>(value[kTimer].i64)));
      }
      if (!cleanup_on_fire_)
        CancelTimer(&cleanup_, key, id, kOnTime, CleanupTime(end));
      break;
    case Type::kSliding:
      CancelTimer(&cleanup_, key, id, kOnTime,
                  CleanupTime(SlidingEnd(LastWindowOf(id))));
      break;
    case Type::kCount:
      break;
  }
  DropEntry(key, value);
}

void WindowOperator::Impl::DropEntry(const Slot* key, Slot* value) {
  if (spec_.type == Type::kSession || spec_.type == Type::kSliding)
    Unlink(key, value);
  table_.EraseAt(table_.CursorOf(value));
}

void WindowOperator::Impl::Requeue(const Slot* tkey, Slot* found,
                                   int64_t time) {
  switch (spec_.type) {
    case Type::kTumbling:
      PushFire(found, time);
      return;
    case Type::kSliding:
      if (tkey[kc_ + 1].i64 == kOnTime) {
        // A chain timer (its key's header is `found`, which keeps the
        // handle).
        if (found != nullptr)
          SetChain(tkey, found, tkey[kc_].i64, found[kChainFirstSeq].i64);
        return;
      }
      break;
    case Type::kSession:
    case Type::kCount:
      break;
  }
  fire_.Add(tkey, schema::HashSlots(tkey, kc_ + 2), time);
}

void WindowOperator::Impl::PushFire(Slot* value, int64_t time) {
  Slot cursor;
  cursor.i64 = table_.CursorOf(value);
  const uint32_t handle = fire_.Push(&cursor, time);
  if (handle == TimerHeap::kNoHandle) {
    // One timer per entry always fits: a bug if not.
    Fail(Status(StatusCode::kInternal, "window: timers full"));
    return;
  }
  value[kTimer].i64 = state::StoreId(handle);
}

void WindowOperator::Impl::LinkSorted(const Slot* key, Slot* value) {
  const int64_t self = table_.CursorOf(value);
  Slot* header;
  switch (keys_.FindOrInsert(key, schema::HashSlots(key, kc_), seq_, &header)) {
    case KeyedTable::Outcome::kInserted:
      header[kHead].i64 = self;
      header[kTail].i64 = self;
      header[kSize].i64 = 1;
      value[kLinks].i64 = 0;
      return;
    case KeyedTable::Outcome::kFound:
      break;
    case KeyedTable::Outcome::kFull:
    case KeyedTable::Outcome::kDropped:
      // Headers never outnumber entries, and both tables have one capacity.
      Fail(Status(StatusCode::kInternal, "window: key headers full"));
      return;
  }
  ++header[kSize].i64;
  // Walk back from the newest to the last entry that starts no later: rows
  // mostly arrive in order, so this is usually one step.
  const int64_t start = value[kStart].i64;
  int64_t at = header[kTail].i64;
  Slot* prev = nullptr;
  for (;;) {
    Slot* node = Entry(at);
    if (node[kStart].i64 <= start) {
      prev = node;
      break;
    }
    if ((node[kLinks].i64 & kHasPrev) == 0) break;
    at = node[kPrev].i64;
  }
  if (prev == nullptr) {  // new head
    const int64_t head = header[kHead].i64;
    Slot* next = Entry(head);
    value[kNext].i64 = head;
    value[kLinks].i64 = kHasNext;
    next[kPrev].i64 = self;
    next[kLinks].i64 |= kHasPrev;
    header[kHead].i64 = self;
    return;
  }
  value[kPrev].i64 = at;
  value[kLinks].i64 = kHasPrev;
  if ((prev[kLinks].i64 & kHasNext) != 0) {
    const int64_t after = prev[kNext].i64;
    Slot* next = Entry(after);
    value[kNext].i64 = after;
    value[kLinks].i64 |= kHasNext;
    next[kPrev].i64 = self;
  } else {
    header[kTail].i64 = self;
  }
  prev[kNext].i64 = self;
  prev[kLinks].i64 |= kHasNext;
}

void WindowOperator::Impl::Unlink(const Slot* key, Slot* value) {
  Slot* header = FindHeader(key);
  if (header == nullptr) return;
  header[kFlags].i64 &= ~kHasWalk;
  const int64_t links = value[kLinks].i64;
  if ((links & kHasPrev) != 0) {
    Slot* prev = Entry(value[kPrev].i64);
    prev[kNext].i64 = value[kNext].i64;
    prev[kLinks].i64 = (prev[kLinks].i64 & ~kHasNext) | (links & kHasNext);
  } else {
    header[kHead].i64 = value[kNext].i64;
  }
  if ((links & kHasNext) != 0) {
    Slot* next = Entry(value[kNext].i64);
    next[kPrev].i64 = value[kPrev].i64;
    next[kLinks].i64 = (next[kLinks].i64 & ~kHasPrev) | (links & kHasPrev);
  } else {
    header[kTail].i64 = value[kPrev].i64;
  }
  value[kLinks].i64 = 0;
  if (--header[kSize].i64 > 0) return;
  if ((header[kFlags].i64 & kHasChain) != 0) CancelChain(header);
  keys_.Erase(key, schema::HashSlots(key, kc_));
}

const Slot* WindowOperator::Impl::TimerKey(const Slot* key, int64_t id,
                                         int64_t tag) {
  schema::CopySlots(tkey_.get(), key, kc_);
  tkey_[kc_].i64 = id;
  tkey_[kc_ + 1].i64 = tag;
  return tkey_.get();
}

void WindowOperator::Impl::AddTimer(TimerHeap* heap, const Slot* key,
                                    int64_t id, int64_t tag, int64_t time) {
  TimerKey(key, id, tag);
  if (heap->Add(tkey_.get(), schema::HashSlots(tkey_.get(), kc_ + 2), time) ==
      TimerHeap::AddOutcome::kFull) {
    // One timer per entry (plus per-key chains) always fits: a bug if not.
    Fail(Status(StatusCode::kInternal, "window: timers full"));
  }
}

void WindowOperator::Impl::CancelTimer(TimerHeap* heap, const Slot* key,
                                       int64_t id, int64_t tag, int64_t time) {
  TimerKey(key, id, tag);
  heap->Cancel(tkey_.get(), schema::HashSlots(tkey_.get(), kc_ + 2), time);
}

// ---------------------------------------------------------------------------
// Output

Slot* WindowOperator::Impl::NextOutRow() {
  if (queue_size_ == 0 && !out_->full()) return out_->Append();
  if (use_queue_ && queue_size_ < queue_cap_) {
    if (queue_size_ == 0) queue_wm_ = out_wm_;
    const uint32_t at = (queue_head_ + queue_size_++) % queue_cap_;
    return queue_.get() + size_t{at} * out_width_;
  }
  return nullptr;
}

void WindowOperator::Impl::EmitResult(const Slot* key, int64_t start,
                                      int64_t end, const Slot* state,
                                      bool is_update) {
  Slot* row = ResultRow(key, start, end, is_update);
  if (row != nullptr) spec_.accumulators.Emit(state, row + kc_ + 2);
}

void WindowOperator::Impl::EmitValues(const Slot* key, int64_t start,
                                      int64_t end, const Slot* values,
                                      bool is_update) {
  Slot* row = ResultRow(key, start, end, is_update);
  if (row != nullptr) {
    std::memcpy(row + kc_ + 2, values,
                sizeof(Slot) * spec_.accumulators.fns().size());
  }
}

Slot* WindowOperator::Impl::ResultRow(const Slot* key, int64_t start,
                                      int64_t end, bool is_update) {
  Slot* row = NextOutRow();
  if (row == nullptr) {
    Fail(Status(StatusCode::kInternal, "window: result without room"));
    return nullptr;
  }
  schema::CopySlots(row, key, kc_);
  row[kc_].i64 = start;
  row[kc_ + 1].i64 = end;
  const uint32_t after =
      kc_ + 2 + static_cast<uint32_t>(spec_.accumulators.fns().size());
  row[after].i64 = is_update ? 1 : 0;
  if (spec_.out_watermark)
    row[after + 1].i64 = event_time_ ? out_wm_ : event_wm_;
  return row;
}

void WindowOperator::Impl::DrainQueue() {
  while (queue_size_ > 0 && !out_->full()) {
    std::memcpy(out_->Append(), queue_.get() + size_t{queue_head_} * out_width_,
                sizeof(Slot) * out_width_);
    queue_head_ = (queue_head_ + 1) % queue_cap_;
    --queue_size_;
  }
}

// ---------------------------------------------------------------------------
// WindowOperator

WindowOperator::WindowOperator(const WindowSpec& spec, const Clock* clock)
    : impl_(new Impl(spec, clock)) {}

WindowOperator::~WindowOperator() = default;

Status WindowOperator::Process(const schema::RowBatch& in,
                               schema::RowBatch* out) {
  return impl_->Process(in, out);
}
bool WindowOperator::has_pending_output() const {
  return impl_->has_pending_output();
}
Status WindowOperator::Flush(schema::RowBatch* out) {
  return impl_->Flush(out);
}
int64_t WindowOperator::next_processing_time_ms() const {
  return impl_->next_processing_time_ms();
}
Status WindowOperator::OnProcessingTime(int64_t now_ms, schema::RowBatch* out) {
  return impl_->OnProcessingTime(now_ms, out);
}
Status WindowOperator::Drain(schema::RowBatch* out, bool* done) {
  return impl_->Drain(out, done);
}
runtime::OperatorMetrics WindowOperator::metrics() const {
  return impl_->metrics();
}
uint64_t WindowOperator::footprint_bytes() const {
  return impl_->footprint_bytes();
}

uint64_t WindowOperator::FootprintBytes(const WindowSpec& spec) {
  return Impl::FootprintBytes(spec);
}
void WindowOperator::PrepareCheckpoints() { impl_->PrepareCheckpoints(); }
bool WindowOperator::Snapshot(bool full, runtime::StateBuffer* out) {
  return impl_->Snapshot(full, out);
}
Status WindowOperator::RestoreEntry(std::string_view key, std::string_view value) {
  return impl_->RestoreEntry(key, value);
}
Status WindowOperator::FinishRestore() { return impl_->FinishRestore(); }
size_t WindowOperator::checkpoint_bytes() const { return impl_->checkpoint_bytes(); }

std::unique_ptr<runtime::Operator> WindowOperator::NewInstance() const {
  return std::make_unique<WindowOperator>(impl_->spec(), impl_->clock());
}

Status WindowOperator::MoveStateTo(runtime::Operator* const* to, uint32_t count, bool first) {
  std::vector<Impl*> impls;
  for (uint32_t i = 0; i < count; ++i) {
    impls.push_back(static_cast<WindowOperator*>(to[i])->impl_.get());
  }
  return impl_->MoveStateTo(impls.data(), count, first);
}

}  // namespace runnel::ops
