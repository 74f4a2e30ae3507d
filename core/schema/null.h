// Null: how a missing value is represented in a row slot.
//
// Rows are plain 8-byte slots with no validity bits, so "missing" is a
// reserved value per type (docs/GRAPH.md, Null values):
//   i64, ts   INT64_MIN (kNullInt); no valid i64 result is ever INT64_MIN
//             (integer arithmetic saturates at +-INT64_MAX)
//   sym       INT64_MIN too: symbol ids are 32-bit, so it is never an id
//   f64       any NaN
//   bool      never missing (an empty bool cell is rejected)
// Nulls come from input (empty CSV cells, JSON null or a missing key) and
// from expressions (integer division by zero, sqrt/log of negatives, a cast
// of NaN). Sinks write them as a missing value, aggregates skip them.
#pragma once

#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/schema/field_type.h"
#include "core/schema/row.h"

namespace runnel::schema {

constexpr int64_t kNullInt = INT64_MIN;

// True when `type` has a null value (every type but bool).
inline bool IsNullable(FieldType type) { return type != FieldType::kBool; }

inline bool IsNull(Slot slot, FieldType type) {
  switch (type) {
    case FieldType::kI64:
    case FieldType::kTs:
    case FieldType::kSym:
      return slot.i64 == kNullInt;
    case FieldType::kF64:
      return std::isnan(slot.f64);
    case FieldType::kBool:
      return false;
  }
  return false;
}

// The null of `type`; for bool, which has none, false.
inline Slot NullSlot(FieldType type) {
  Slot slot;
  if (type == FieldType::kF64) {
    slot.f64 = std::numeric_limits<double>::quiet_NaN();
  } else {
    slot.i64 = type == FieldType::kBool ? 0 : kNullInt;
  }
  return slot;
}

}  // namespace runnel::schema
