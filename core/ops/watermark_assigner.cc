#include "core/ops/watermark_assigner.h"

#include <cstring>
#include <string>

namespace runnel::ops {

int64_t WatermarkAssigner::Watermark() const {
  if (max_ts_ == INT64_MIN) return INT64_MIN;
  int64_t watermark;
  if (__builtin_sub_overflow(max_ts_, bound_, &watermark) || watermark == INT64_MIN) {
    return INT64_MIN;
  }
  return watermark - 1;
}

Status WatermarkAssigner::Process(const schema::RowBatch& in, schema::RowBatch* out) {
  for (uint32_t r = 0; r < in.size(); ++r) {
    const schema::Slot* row = in.row(r);
    schema::Slot* copy = out->Append();
    for (uint32_t f = 0; f < watermark_slot_; ++f) copy[f] = row[f];
    int64_t watermark = Watermark();
    copy[watermark_slot_].i64 = watermark > upstream_ ? watermark : upstream_;
    if (row[ts_field_].i64 > max_ts_) max_ts_ = row[ts_field_].i64;
  }
  // A source that receives watermarks (zmq) sets one after the batch.
  if (in.watermark() > upstream_) upstream_ = in.watermark();
  int64_t watermark = Watermark();
  out->set_watermark(watermark > upstream_ ? watermark : upstream_);
  return Status::Ok();
}

namespace {
constexpr std::string_view kTimesKey = "t";
}  // namespace

bool WatermarkAssigner::Snapshot(bool full, runtime::StateBuffer* out) {
  (void)full;  // always all of it: two numbers
  const int64_t times[2] = {max_ts_, upstream_};
  return out->Put(kTimesKey, std::string_view(reinterpret_cast<const char*>(times), sizeof(times)));
}

Status WatermarkAssigner::RestoreEntry(std::string_view key, std::string_view value) {
  int64_t times[2];
  if (key != kTimesKey || value.size() != sizeof(times)) {
    return DataError("watermark state: unexpected record (" + std::to_string(key.size()) +
                     "-byte key, " + std::to_string(value.size()) + "-byte value)");
  }
  std::memcpy(times, value.data(), sizeof(times));
  max_ts_ = times[0];
  upstream_ = times[1];
  return Status::Ok();
}

size_t WatermarkAssigner::checkpoint_bytes() const {
  return runtime::StateBuffer::RecordBytes(kTimesKey.size(), 2 * sizeof(int64_t));
}

}  // namespace runnel::ops
