// Null: how a missing value is represented in a row slot.
//
// Rows are plain 8-byte slots with no validity bits, so "missing" is a
// reserved value per type (docs/GRAPH.md, Expressions):
//   i64, ts   INT64_MIN (kNullInt); no valid i64 result is ever INT64_MIN
//             (integer arithmetic saturates at +-INT64_MAX)
//   f64       any NaN
//   bool, sym never missing (no source or expression produces a missing one)
// Sources reject empty cells today, so nulls arise only from expressions:
// integer division or modulo by zero, sqrt/log of negatives, a cast of NaN.
#pragma once

#include <climits>
#include <cmath>
#include <cstdint>

#include "core/schema/field_type.h"
#include "core/schema/row.h"

namespace runnel::expr {

constexpr int64_t kNullInt = INT64_MIN;

inline bool IsNull(schema::Slot slot, schema::FieldType type) {
  switch (type) {
    case schema::FieldType::kI64:
    case schema::FieldType::kTs:
      return slot.i64 == kNullInt;
    case schema::FieldType::kF64:
      return std::isnan(slot.f64);
    default:
      return false;
  }
}

}  // namespace runnel::expr
