#include "core/ops/late_filter.h"

#include <algorithm>

namespace runnel::ops {

LateRowFilter::LateRowFilter(const WindowSpec& spec) : spec_(spec) {}

Status LateRowFilter::Process(const schema::RowBatch& in,
                              schema::RowBatch* out) {
  if (spec_.ts_field >= 0) {
    for (uint32_t r = 0; r < in.size(); ++r) {
      const schema::Slot* row = in.row(r);
      const int64_t watermark = spec_.watermark_slot >= 0
                                    ? row[spec_.watermark_slot].i64
                                    : watermark_;
      if (IsLate(spec_, row[spec_.ts_field].i64, watermark))
        out->AppendCopy(row);
    }
  }
  watermark_ = std::max(watermark_, in.watermark());
  return Status::Ok();
}

}  // namespace runnel::ops
