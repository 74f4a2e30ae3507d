// Program: a compiled expression that evaluates whole batches of rows.
//
// A postfix program over a stack of columns: each instruction runs one
// tight loop over a chunk of up to kChunkRows rows (load a field, add two
// columns, compare with a constant...), so the dispatch is paid per
// instruction per chunk, never per row. Types were settled by the checker,
// so every opcode is specialized (AddI, AddF, ...). All memory — the code,
// the constants and the column stack (depth x kChunkRows slots) — is
// allocated by Compile (compiler.h) at plan time; Evaluate never allocates.
//
// Runtime rules (docs/GRAPH.md, Expressions; null per core/schema/null.h):
//   - i64 + - * and unary - saturate at +-INT64_MAX; / and % by zero give
//     null; / truncates toward zero, % takes the dividend's sign.
//   - f64 follows IEEE 754 (x / 0 is +-inf or NaN).
//   - Every operation with a null operand gives null; a comparison with a
//     null or NaN is false, except != which is true (a != b is always
//     not (a == b)); `x in (...)` with a null x is false.
//
// Thread safety: a Program is used by one thread at a time (its column
// stack is scratch space). Each operator instance owns its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/schema/field_type.h"
#include "core/schema/row.h"

namespace runnel::expr {

enum class Opcode : uint8_t {
  kField,     // push row[a]
  kConst,     // push imm
  kI2F, kF2I, // conversions; F2I truncates, saturates, NaN -> null
  kTsToUnit,  // ts ns -> whole units, floor; imm.i64 = ns per unit
  kNegI, kNegF, kNot,
  kAddI, kSubI, kMulI, kDivI, kModI,
  kAddF, kSubF, kMulF, kDivF, kModF,
  kEqI, kNeI, kLtI, kLeI, kGtI, kGeI,
  kEqF, kNeF, kLtF, kLeF, kGtF, kGeF,
  kAnd, kOr,
  kIsNullI, kIsNullF,
  kInI, kInF,  // constants [a, a + n) of the program
  kIf,         // pops condition, then, else
  kAbsI, kAbsF, kMinI, kMaxI, kMinF, kMaxF,
  kRound, kFloor, kCeil, kSqrt, kLog, kExp, kPow,
  kTimePart,   // a = TimePart
};

enum class TimePart : uint8_t { kYear, kMonth, kDay, kHour, kMinute, kSecond, kDayOfWeek };

struct Instruction {
  Opcode op;
  uint32_t a = 0;
  uint32_t n = 0;
  schema::Slot imm = {0};
};

class Program {
 public:
  static constexpr uint32_t kChunkRows = 256;

  // Built by Compile (compiler.h). `depth`: the most columns the code has
  // on its stack at once.
  Program(std::vector<Instruction> code, std::vector<schema::Slot> constants, uint32_t depth,
          schema::FieldType type, schema::TimeUnit unit);

  Program(Program&&) = default;
  Program& operator=(Program&&) = default;
  // Another program with the same code (its own scratch stack).
  Program Copy() const { return Program(code_, constants_, depth_, type_, unit_); }

  // The type (and, for ts, the unit) of the result.
  schema::FieldType type() const { return type_; }
  schema::TimeUnit unit() const { return unit_; }
  const std::vector<Instruction>& code() const { return code_; }

  // Evaluates rows [begin, begin + count) of `in` and returns their results
  // (count slots), valid until the next call.
  // REQUIRES: count <= kChunkRows, begin + count <= in.size().
  const schema::Slot* EvaluateChunk(const schema::RowBatch& in, uint32_t begin, uint32_t count);

  // Evaluates every row of `in`, writing row i's result to out[i * stride].
  void Evaluate(const schema::RowBatch& in, schema::Slot* out, size_t stride);

  // Bytes allocated for the program, for the plan's memory budget.
  size_t footprint_bytes() const;

 private:
  std::vector<Instruction> code_;
  std::vector<schema::Slot> constants_;
  uint32_t depth_;
  schema::FieldType type_;
  schema::TimeUnit unit_;
  std::unique_ptr<schema::Slot[]> stack_;  // depth_ columns of kChunkRows
};

}  // namespace runnel::expr
