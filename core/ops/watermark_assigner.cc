#include "core/ops/watermark_assigner.h"

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

}  // namespace runnel::ops
