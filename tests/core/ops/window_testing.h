// Shared by the window tests: an input schema (key, ts, v + the hidden
// watermark slot), a WindowSpec for it with count() and sum(v), and a
// runner that feeds rows in batches the way a task does (Process, then
// Flush while output is pending; Drain at the end) and collects results.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/ops/accumulators.h"
#include "core/ops/late_filter.h"
#include "core/ops/window.h"
#include "core/schema/row.h"
#include "core/schema/schema.h"

namespace window_testing {

using runnel::Status;
using runnel::ops::Accumulators;
using runnel::ops::WindowOperator;
using runnel::ops::WindowSpec;
using runnel::schema::RowBatch;
using runnel::schema::Slot;
using Type = WindowSpec::Type;

constexpr int64_t kNoWm = RowBatch::kNoWatermark;

// Input fields; the hidden watermark slot follows them.
constexpr uint32_t kKey = 0;
constexpr uint32_t kTs = 1;
constexpr uint32_t kV = 2;
constexpr uint32_t kWmSlot = 3;
constexpr uint32_t kInWidth = 4;

struct In {
  int64_t key;
  int64_t ts;
  int64_t v;
  int64_t wm = kNoWm;  // the watermark slot: the watermark before this row
};

struct Out {
  int64_t key, start, end, n, sum, is_update, wm;
  bool operator==(const Out& o) const {
    return key == o.key && start == o.start && end == o.end && n == o.n &&
           sum == o.sum && is_update == o.is_update && wm == o.wm;
  }
  bool operator!=(const Out& o) const { return !(*this == o); }
  std::string ToString() const {
    return "{key " + std::to_string(key) + " [" + std::to_string(start) + ", " +
           std::to_string(end) + ") n " + std::to_string(n) + " sum " +
           std::to_string(sum) + " upd " + std::to_string(is_update) + " wm " +
           std::to_string(wm) + "}";
  }
};

inline std::string ToString(const std::vector<Out>& rows) {
  std::string s;
  for (const Out& o : rows) s += o.ToString() + "\n";
  return s;
}

inline runnel::schema::Schema InputSchema() {
  using runnel::schema::FieldType;
  return runnel::schema::Schema({{"key", FieldType::kI64, {}},
                                 {"ts", FieldType::kTs, {}},
                                 {"v", FieldType::kI64, {}}});
}

// A spec over InputSchema(): key, event time ts, count() and sum(v).
inline WindowSpec MakeSpec(Type type) {
  WindowSpec spec;
  spec.type = type;
  spec.key_fields = {kKey};
  spec.ts_field = kTs;
  spec.watermark_slot = kWmSlot;
  auto acc =
      Accumulators::Parse({"count() as n", "sum(v) as s"}, InputSchema());
  spec.accumulators = acc.value();
  spec.out_width = 6;  // key, start, end, n, s, is_update
  spec.state.capacity = 1024;
  return spec;
}

// One spec of each window kind with its options over MakeSpec's input:
// tumbling with lateness and early firings by rows, sliding with lateness
// (and again with early firings), session with lateness (and again emit
// final), sliding count windows, and a tumbling window whose full state
// evicts.
inline std::vector<WindowSpec> SpecsOfEveryKind() {
  std::vector<WindowSpec> specs;
  specs.push_back(MakeSpec(Type::kTumbling));
  specs.back().size_ns = 50;
  specs.back().allowed_lateness_ns = 30;
  specs.back().early_every_rows = 3;
  specs.push_back(MakeSpec(Type::kSliding));
  specs.back().size_ns = 200;
  specs.back().slide_ns = 30;
  specs.back().allowed_lateness_ns = 40;
  specs.push_back(specs.back());
  specs.back().early_every_rows = 5;
  specs.push_back(MakeSpec(Type::kSession));
  specs.back().gap_ns = 15;
  specs.back().allowed_lateness_ns = 25;
  specs.push_back(specs.back());
  specs.back().emit_final = true;
  specs.push_back(MakeSpec(Type::kCount));
  specs.back().count = 6;
  specs.back().count_slide = 2;
  specs.push_back(MakeSpec(Type::kTumbling));
  specs.back().size_ns = 10;
  specs.back().state.capacity = 64;
  specs.back().state.policy = runnel::state::OverflowPolicy::kEvictOldest;
  return specs;
}

// Fills each row's watermark slot as a bounded-out-of-orderness source
// would: the largest ts before it minus `lag` (none before the first row).
inline void SetWatermarks(std::vector<In>* rows, int64_t lag) {
  int64_t max_ts = kNoWm;
  for (In& row : *rows) {
    row.wm = max_ts == kNoWm ? kNoWm : max_ts - lag;
    max_ts = std::max(max_ts, row.ts);
  }
}

// `rows` rows over `keys` keys from event time `start` on: 0-3 ns apart,
// now and then a 400 ns jump (windows and sessions close), each up to 40 ns
// out of order, watermarks 10 behind.
inline std::vector<In> RandomStream(uint64_t seed, int rows, int keys, int64_t start) {
  std::mt19937_64 rng(seed);
  std::vector<In> stream;
  int64_t t = start;
  for (int i = 0; i < rows; ++i) {
    t += static_cast<int64_t>(rng() % 4);
    if (rng() % 300 == 0) t += 400;
    stream.push_back({static_cast<int64_t>(rng() % static_cast<uint64_t>(keys)),
                      t - static_cast<int64_t>(rng() % 40),
                      static_cast<int64_t>(rng() % 100)});
  }
  SetWatermarks(&stream, 10);
  return stream;
}

inline Out ToOut(const Slot* row, bool with_wm) {
  return Out{row[0].i64,
             row[1].i64,
             row[2].i64,
             row[3].i64,
             row[4].i64,
             row[5].i64,
             with_wm ? row[6].i64 : 0};
}

// Runs a WindowOperator (and, alongside, a LateRowFilter) like a task.
class Runner {
 public:
  Runner(const WindowSpec& spec, const runnel::Clock* clock,
         uint32_t batch_rows)
      : spec_(spec),
        op_(spec, clock),
        filter_(spec),
        in_(kInWidth, batch_rows),
        out_(spec.out_width, batch_rows),
        late_(kInWidth, batch_rows) {}

  // Feeds `rows` in batches; a batch's watermark is the next row's slot, or
  // `final_wm` after the last row.
  Status Feed(const std::vector<In>& rows, int64_t final_wm = kNoWm) {
    for (size_t i = 0; i < rows.size();) {
      in_.Clear();
      while (i < rows.size() && !in_.full()) {
        Slot* row = in_.Append();
        row[kKey].i64 = rows[i].key;
        row[kTs].i64 = rows[i].ts;
        row[kV].i64 = rows[i].v;
        row[kWmSlot].i64 = rows[i].wm;
        ++i;
      }
      in_.set_watermark(i < rows.size() ? rows[i].wm : final_wm);
      Status status = ProcessBatch();
      if (!status.ok()) return status;
    }
    return Status::Ok();
  }

  // An empty batch that only moves the watermark.
  Status Watermark(int64_t wm) {
    in_.Clear();
    in_.set_watermark(wm);
    return ProcessBatch();
  }

  Status ProcessingTime(int64_t now_ms) {
    out_.Clear();
    Status status = op_.OnProcessingTime(now_ms, &out_);
    Collect();
    return status;
  }

  Status Drain() {
    for (int guard = 0; guard < 1000000; ++guard) {
      out_.Clear();
      bool done = false;
      Status status = op_.Drain(&out_, &done);
      Collect();
      if (!status.ok() || done) return status;
    }
    return Status(runnel::StatusCode::kInternal, "Drain never finished");
  }

  WindowOperator& op() { return op_; }
  std::vector<Out>& results() { return results_; }
  // Rows the LateRowFilter kept: (key, ts, v).
  std::vector<In>& late_rows() { return late_rows_; }
  uint64_t flushes() const { return flushes_; }
  // First results that came after a batch whose watermark had passed them.
  uint64_t overtaken() const { return overtaken_; }

 private:
  Status ProcessBatch() {
    late_.Clear();
    Status status = filter_.Process(in_, &late_);
    if (!status.ok()) return status;
    for (uint32_t r = 0; r < late_.size(); ++r) {
      const Slot* row = late_.row(r);
      late_rows_.push_back(
          In{row[kKey].i64, row[kTs].i64, row[kV].i64, row[kWmSlot].i64});
    }
    out_.Clear();
    status = op_.Process(in_, &out_);
    Collect();
    while (status.ok() && op_.has_pending_output()) {
      out_.Clear();
      status = op_.Flush(&out_);
      ++flushes_;
      Collect();
    }
    return status;
  }

  // Also checks that no batch passed on a watermark that a later first
  // result of a window had to come before (event time: such a result would
  // be late downstream). Only without allowed lateness: with it, a late row
  // can legitimately give a window its first result after the watermark.
  void Collect() {
    const bool timed = spec_.type != WindowSpec::Type::kCount &&
                       !spec_.processing_time &&
                       spec_.allowed_lateness_ns == 0;
    for (uint32_t r = 0; r < out_.size(); ++r) {
      const Out out = ToOut(out_.row(r), spec_.out_watermark);
      const int64_t emit_time =
          out.end - 1 + (spec_.emit_final ? spec_.allowed_lateness_ns : 0);
      if (timed && out.is_update == 0 && passed_wm_ != kNoWm &&
          passed_wm_ >= emit_time) {
        ++overtaken_;
      }
      results_.push_back(out);
    }
    if (out_.watermark() != kNoWm)
      passed_wm_ = std::max(passed_wm_, out_.watermark());
  }

  WindowSpec spec_;
  int64_t passed_wm_ = kNoWm;  // the highest batch watermark passed on
  uint64_t overtaken_ = 0;
  WindowOperator op_;
  runnel::ops::LateRowFilter filter_;
  RowBatch in_;
  RowBatch out_;
  RowBatch late_;
  std::vector<Out> results_;
  std::vector<In> late_rows_;
  uint64_t flushes_ = 0;
};

}  // namespace window_testing
