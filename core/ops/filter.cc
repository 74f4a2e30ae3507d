#include "core/ops/filter.h"

#include <algorithm>
#include <cstring>

#include "core/expr/compiler.h"

namespace runnel::ops {
namespace {

using schema::RowBatch;
using schema::Slot;

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

}  // namespace

Result<std::unique_ptr<FilterOperator>> FilterOperator::Make(const expr::Expression& condition,
                                                             schema::SymbolTable* symbols,
                                                             bool negate) {
  if (condition.empty() || condition.type() != schema::FieldType::kBool) {
    return Status(StatusCode::kInternal, "a filter needs a checked bool condition");
  }
  Result<expr::Program> program = expr::Compile(condition, symbols);
  if (!program.ok()) return program.status();
  return std::unique_ptr<FilterOperator>(new FilterOperator(std::move(program.value()), negate));
}

// Selects in chunks: the condition's results for a chunk of rows, then the
// indices of the rows that pass, written without a branch on the result
// (one mispredicts on about every other row when the data is
// unpredictable), then a copy of those rows.
Status FilterOperator::Process(const RowBatch& in, RowBatch* out) {
  constexpr uint32_t kChunk = expr::Program::kChunkRows;
  uint32_t selected[kChunk];
  const bool negate = negate_;
  for (uint32_t begin = 0; begin < in.size(); begin += kChunk) {
    const uint32_t count = std::min(in.size() - begin, kChunk);
    const Slot* holds = program_.EvaluateChunk(in, begin, count);
    uint32_t kept = 0;
    for (uint32_t k = 0; k < count; ++k) {
      selected[kept] = begin + k;
      kept += (holds[k].i64 != 0) != negate;
    }
    Gather(in, selected, kept, out);
  }
  return Status::Ok();
}

}  // namespace runnel::ops
