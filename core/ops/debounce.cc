#include "core/ops/debounce.h"

#include <algorithm>
#include <climits>
#include <cstring>

#include "core/expr/compiler.h"

namespace runnel::ops {
namespace {

}  // namespace

Result<std::unique_ptr<DebounceOperator>> DebounceOperator::Make(
    const schema::Schema& input, uint32_t in_width, const DebounceSpec& spec,
    state::KeyedTableOptions table, schema::SymbolTable* symbols, const Clock* clock) {
  if (spec.condition.empty() || spec.condition.type() != schema::FieldType::kBool) {
    return Status(StatusCode::kInternal, "a debounce needs a checked bool condition");
  }
  if (spec.consecutive == 0 || in_width < input.size()) {
    return Status(StatusCode::kInternal, "a debounce needs consecutive >= 1 and a valid width");
  }
  Result<expr::Program> program = expr::Compile(spec.condition, symbols);
  if (!program.ok()) return program.status();
  return std::unique_ptr<DebounceOperator>(new DebounceOperator(
      schema::KeyFields(input, spec.key_fields), input.size(), in_width, spec.consecutive,
      spec.repeat_every, StateOptions(spec, table), std::move(program.value()), clock));
}

state::KeyedTableOptions DebounceOperator::StateOptions(const DebounceSpec& spec,
                                                        state::KeyedTableOptions table) {
  table.key_slots = static_cast<uint32_t>(spec.key_fields.size());
  table.value_slots = 1;  // the streak
  return table;
}

DebounceOperator::DebounceOperator(schema::KeyFields key, uint32_t fields, uint32_t in_width,
                                   int64_t consecutive, int64_t repeat_every,
                                   state::KeyedTableOptions table, expr::Program program,
                                   const Clock* clock)
    : KeyedRowsOperator(key, key.size(), table, "debounce"),
      program_(std::move(program)),
      fields_(fields),
      in_width_(in_width),
      consecutive_(consecutive),
      repeat_every_(repeat_every),
      clock_(clock) {}

std::unique_ptr<runtime::Operator> DebounceOperator::NewInstance() const {
  return std::unique_ptr<runtime::Operator>(
      new DebounceOperator(state_.key_fields(), fields_, in_width_, consecutive_, repeat_every_,
                           state_.table().options(), program_.Copy(), clock_));
}

Status DebounceOperator::Process(const schema::RowBatch& in, schema::RowBatch* out) {
  constexpr uint32_t kChunk = expr::Program::kChunkRows;
  const int64_t now = clock_->NowMillis();
  const size_t head = sizeof(schema::Slot) * fields_;
  const size_t tail = sizeof(schema::Slot) * (in_width_ - fields_);
  Status status = Status::Ok();
  for (uint32_t begin = 0; begin < in.size() && status.ok(); begin += kChunk) {
    const uint32_t count = std::min(in.size() - begin, kChunk);
    const schema::Slot* holds = program_.EvaluateChunk(in, begin, count);
    for (uint32_t k = 0; k < count; ++k) {
      const schema::Slot* row = in.row(begin + k);
      if (holds[k].i64 == 0) {
        state_.Erase(row);  // the streak ends: arm again, free the entry
        continue;
      }
      schema::Slot* streak;
      state::KeyedTable::Outcome outcome = state_.FindOrInsert(row, now, &streak);
      if (outcome == state::KeyedTable::Outcome::kDropped) continue;
      if (outcome == state::KeyedTable::Outcome::kFull) {
        status = state_.FullError();
        break;
      }
      if (streak[0].i64 < INT64_MAX) ++streak[0].i64;
      if (!Emits(streak[0].i64)) continue;
      schema::Slot* emitted = out->Append();
      std::memcpy(emitted, row, head);
      emitted[fields_].i64 = streak[0].i64;
      if (tail > 0) std::memcpy(emitted + fields_ + 1, row + fields_, tail);
    }
  }
  state_.PublishMetrics();
  return status;
}

}  // namespace runnel::ops
