#include "core/ops/filter.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace runnel::ops {
namespace {

using schema::RowBatch;
using schema::Slot;

// Calls fn with the comparison functor for `op`, so each op gets its own
// inlined loop.
template <typename Fn>
void WithOp(expr::CompareOp op, Fn&& fn) {
  switch (op) {
    case expr::CompareOp::kEq: fn(std::equal_to<>()); break;
    case expr::CompareOp::kNe: fn(std::not_equal_to<>()); break;
    case expr::CompareOp::kLt: fn(std::less<>()); break;
    case expr::CompareOp::kLe: fn(std::less_equal<>()); break;
    case expr::CompareOp::kGt: fn(std::greater<>()); break;
    case expr::CompareOp::kGe: fn(std::greater_equal<>()); break;
  }
}

// Appends the rows `selected[0..count)` of `in` to `out`. Rows are a few
// slots wide, so a copy of a width known at compile time (a couple of moves)
// beats a memcpy call per row; wider rows take the memcpy.
template <uint32_t kWidth>
void GatherFixed(const RowBatch& in, const uint32_t* selected, uint32_t count, RowBatch* out) {
  for (uint32_t k = 0; k < count; ++k) {
    std::memcpy(out->Append(), in.row(selected[k]), sizeof(Slot) * kWidth);
  }
}

void Gather(const RowBatch& in, const uint32_t* selected, uint32_t count, RowBatch* out) {
  switch (in.width()) {
    case 1: return GatherFixed<1>(in, selected, count, out);
    case 2: return GatherFixed<2>(in, selected, count, out);
    case 3: return GatherFixed<3>(in, selected, count, out);
    case 4: return GatherFixed<4>(in, selected, count, out);
    case 5: return GatherFixed<5>(in, selected, count, out);
    case 6: return GatherFixed<6>(in, selected, count, out);
    case 7: return GatherFixed<7>(in, selected, count, out);
    case 8: return GatherFixed<8>(in, selected, count, out);
    default:
      for (uint32_t k = 0; k < count; ++k) out->AppendCopy(in.row(selected[k]));
  }
}

// Selects in chunks: first the indices of the rows that pass, written
// without a branch on the comparison (one mispredicts on about every other
// row when the data is unpredictable), then a copy of those rows.
template <typename Pred>
void Select(const RowBatch& in, RowBatch* out, bool negate, Pred holds) {
  constexpr uint32_t kChunk = 256;
  uint32_t selected[kChunk];
  for (uint32_t begin = 0; begin < in.size(); begin += kChunk) {
    const uint32_t end = std::min(in.size(), begin + kChunk);
    uint32_t count = 0;
    for (uint32_t i = begin; i < end; ++i) {
      selected[count] = i;
      count += holds(in.row(i)) != negate;
    }
    Gather(in, selected, count, out);
  }
}

inline double AsDouble(Slot slot, bool is_float) {
  return is_float ? slot.f64 : static_cast<double>(slot.i64);
}

}  // namespace

Result<std::unique_ptr<FilterOperator>> FilterOperator::Make(
    const expr::Comparison& comparison, const schema::Schema& input,
    schema::SymbolTable* symbols, bool negate) {
  std::unique_ptr<FilterOperator> f(new FilterOperator());
  f->negate_ = negate;
  f->op_ = comparison.op;
  f->lhs_ = static_cast<uint32_t>(comparison.lhs_field);
  f->lhs_is_float_ = input.field(f->lhs_).type == schema::FieldType::kF64;
  if (comparison.rhs_field >= 0) {
    f->rhs_ = static_cast<uint32_t>(comparison.rhs_field);
    f->rhs_is_float_ = input.field(f->rhs_).type == schema::FieldType::kF64;
    f->mode_ = (f->lhs_is_float_ || f->rhs_is_float_) ? Mode::kFloatFields
                                                      : Mode::kIntFields;
    return f;
  }
  switch (comparison.constant_kind) {
    case expr::Comparison::ConstantKind::kInt:
      f->int_constant_ = comparison.int_constant;
      f->mode_ = f->lhs_is_float_ ? Mode::kFloatConstant : Mode::kIntConstant;
      f->float_constant_ = static_cast<double>(comparison.int_constant);
      break;
    case expr::Comparison::ConstantKind::kFloat:
      f->float_constant_ = comparison.float_constant;
      f->mode_ = Mode::kFloatConstant;
      break;
    case expr::Comparison::ConstantKind::kSymbol: {
      uint32_t id;
      if (!symbols->Intern(comparison.symbol_constant, &id)) {
        return ResourceExhausted("symbol table is full (" +
                                 std::to_string(symbols->max_symbols()) +
                                 " symbols)");
      }
      f->int_constant_ = id;
      f->mode_ = Mode::kIntConstant;
      break;
    }
  }
  return f;
}

Status FilterOperator::Process(const RowBatch& in, RowBatch* out) {
  const uint32_t l = lhs_;
  const uint32_t r = rhs_;
  const bool lf = lhs_is_float_;
  const bool rf = rhs_is_float_;
  const int64_t ic = int_constant_;
  const double fc = float_constant_;
  WithOp(op_, [&](auto cmp) {
    switch (mode_) {
      case Mode::kIntConstant:
        Select(in, out, negate_, [&](const Slot* row) { return cmp(row[l].i64, ic); });
        break;
      case Mode::kFloatConstant:
        Select(in, out, negate_, [&](const Slot* row) { return cmp(AsDouble(row[l], lf), fc); });
        break;
      case Mode::kIntFields:
        Select(in, out, negate_, [&](const Slot* row) { return cmp(row[l].i64, row[r].i64); });
        break;
      case Mode::kFloatFields:
        Select(in, out, negate_, [&](const Slot* row) {
          return cmp(AsDouble(row[l], lf), AsDouble(row[r], rf));
        });
        break;
    }
  });
  return Status::Ok();
}

}  // namespace runnel::ops
