#include "core/expr/program.h"

#include <climits>
#include <cmath>
#include <limits>

#include "core/expr/civil_time.h"
#include "core/schema/null.h"

namespace runnel::expr {
namespace {

using schema::RowBatch;
using schema::Slot;
using schema::kNullInt;

constexpr int64_t kMaxInt = INT64_MAX;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The saturated value of a result that overflowed (or hit kNullInt) with
// the sign `negative`.
inline int64_t Saturated(bool negative) { return negative ? -kMaxInt : kMaxInt; }

inline int64_t AddI(int64_t a, int64_t b) {
  if (a == kNullInt || b == kNullInt) return kNullInt;
  int64_t r;
  if (__builtin_add_overflow(a, b, &r) || r == kNullInt) return Saturated(a < 0);
  return r;
}
inline int64_t SubI(int64_t a, int64_t b) {
  if (a == kNullInt || b == kNullInt) return kNullInt;
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r) || r == kNullInt) return Saturated(a < 0);
  return r;
}
inline int64_t MulI(int64_t a, int64_t b) {
  if (a == kNullInt || b == kNullInt) return kNullInt;
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r) || r == kNullInt) return Saturated((a < 0) != (b < 0));
  return r;
}
// Neither operand is kNullInt afterwards, so INT64_MIN / -1 cannot occur.
inline int64_t DivI(int64_t a, int64_t b) {
  if (a == kNullInt || b == kNullInt || b == 0) return kNullInt;
  return a / b;
}
inline int64_t ModI(int64_t a, int64_t b) {
  if (a == kNullInt || b == kNullInt || b == 0) return kNullInt;
  return b == -1 ? 0 : a % b;
}

inline double ToF(int64_t v) {
  return v == kNullInt ? kNaN : static_cast<double>(v);
}
inline int64_t ToI(double v) {
  if (std::isnan(v)) return kNullInt;
  if (v >= 9223372036854775807.0) return kMaxInt;
  if (v <= -9223372036854775807.0) return -kMaxInt;
  return static_cast<int64_t>(v);  // truncates toward zero
}

// Both known: a null or NaN compares false (see program.h).
inline bool Known(int64_t a, int64_t b) { return a != kNullInt && b != kNullInt; }

template <typename Fn>
inline void Unary(Slot* x, uint32_t n, Fn fn) {
  for (uint32_t k = 0; k < n; ++k) x[k] = fn(x[k]);
}
template <typename Fn>
inline void Binary(Slot* x, const Slot* y, uint32_t n, Fn fn) {
  for (uint32_t k = 0; k < n; ++k) x[k] = fn(x[k], y[k]);
}

inline Slot I(int64_t v) {
  Slot s;
  s.i64 = v;
  return s;
}
inline Slot F(double v) {
  Slot s;
  s.f64 = v;
  return s;
}

void TimePartOf(TimePart part, Slot* x, uint32_t n) {
  constexpr int64_t kNanosPerDay = kSecondsPerDay * kNanosPerSecond;
  switch (part) {
    case TimePart::kYear:
    case TimePart::kMonth:
    case TimePart::kDay:
      for (uint32_t k = 0; k < n; ++k) {
        if (x[k].i64 == kNullInt) continue;
        CivilDate d = CivilFromDays(FloorDiv(x[k].i64, kNanosPerDay));
        x[k].i64 = part == TimePart::kYear ? d.year : part == TimePart::kMonth ? d.month : d.day;
      }
      break;
    case TimePart::kHour:
      Unary(x, n, [](Slot a) {
        return I(a.i64 == kNullInt ? kNullInt : FloorMod(a.i64, kNanosPerDay) / (3600 * kNanosPerSecond));
      });
      break;
    case TimePart::kMinute:
      Unary(x, n, [](Slot a) {
        return I(a.i64 == kNullInt ? kNullInt
                                   : FloorMod(a.i64, 3600 * kNanosPerSecond) / (60 * kNanosPerSecond));
      });
      break;
    case TimePart::kSecond:
      Unary(x, n, [](Slot a) {
        return I(a.i64 == kNullInt ? kNullInt : FloorMod(a.i64, 60 * kNanosPerSecond) / kNanosPerSecond);
      });
      break;
    case TimePart::kDayOfWeek:
      Unary(x, n, [](Slot a) {
        return I(a.i64 == kNullInt ? kNullInt : DayOfWeekFromDays(FloorDiv(a.i64, kNanosPerDay)));
      });
      break;
  }
}

}  // namespace

Program::Program(std::vector<Instruction> code, std::vector<Slot> constants, uint32_t depth,
                 schema::FieldType type, schema::TimeUnit unit)
    : code_(std::move(code)),
      constants_(std::move(constants)),
      depth_(depth == 0 ? 1 : depth),
      type_(type),
      unit_(unit),
      stack_(new Slot[size_t{depth_} * kChunkRows]()) {}

size_t Program::footprint_bytes() const {
  return sizeof(Slot) * size_t{depth_} * kChunkRows + sizeof(Instruction) * code_.size() +
         sizeof(Slot) * constants_.size();
}

void Program::Evaluate(const RowBatch& in, Slot* out, size_t stride) {
  for (uint32_t begin = 0; begin < in.size(); begin += kChunkRows) {
    const uint32_t count = in.size() - begin < kChunkRows ? in.size() - begin : kChunkRows;
    const Slot* result = EvaluateChunk(in, begin, count);
    Slot* to = out + size_t{begin} * stride;
    for (uint32_t k = 0; k < count; ++k) to[size_t{k} * stride] = result[k];
  }
}

const Slot* Program::EvaluateChunk(const RowBatch& in, uint32_t begin, uint32_t n) {
  Slot* const stack = stack_.get();
  uint32_t sp = 0;  // columns in use
  auto column = [stack](uint32_t i) { return stack + size_t{i} * kChunkRows; };
  for (const Instruction& ins : code_) {
    // The two top columns: x (below) and y (top).
    Slot* x = sp >= 2 ? column(sp - 2) : nullptr;
    Slot* y = sp >= 1 ? column(sp - 1) : nullptr;
    switch (ins.op) {
      case Opcode::kField: {
        Slot* to = column(sp++);
        const uint32_t width = in.width();
        const Slot* from = n == 0 ? nullptr : in.row(begin) + ins.a;
        for (uint32_t k = 0; k < n; ++k) to[k] = from[size_t{k} * width];
        break;
      }
      case Opcode::kConst: {
        Slot* to = column(sp++);
        for (uint32_t k = 0; k < n; ++k) to[k] = ins.imm;
        break;
      }
      case Opcode::kI2F: Unary(y, n, [](Slot a) { return F(ToF(a.i64)); }); break;
      case Opcode::kF2I: Unary(y, n, [](Slot a) { return I(ToI(a.f64)); }); break;
      case Opcode::kTsToUnit: {
        const int64_t per = ins.imm.i64;
        Unary(y, n, [per](Slot a) { return I(a.i64 == kNullInt ? kNullInt : FloorDiv(a.i64, per)); });
        break;
      }
      case Opcode::kNegI: Unary(y, n, [](Slot a) { return I(a.i64 == kNullInt ? kNullInt : -a.i64); }); break;
      case Opcode::kNegF: Unary(y, n, [](Slot a) { return F(-a.f64); }); break;
      case Opcode::kNot: Unary(y, n, [](Slot a) { return I(a.i64 ^ 1); }); break;

      case Opcode::kAddI: Binary(x, y, n, [](Slot a, Slot b) { return I(AddI(a.i64, b.i64)); }); --sp; break;
      case Opcode::kSubI: Binary(x, y, n, [](Slot a, Slot b) { return I(SubI(a.i64, b.i64)); }); --sp; break;
      case Opcode::kMulI: Binary(x, y, n, [](Slot a, Slot b) { return I(MulI(a.i64, b.i64)); }); --sp; break;
      case Opcode::kDivI: Binary(x, y, n, [](Slot a, Slot b) { return I(DivI(a.i64, b.i64)); }); --sp; break;
      case Opcode::kModI: Binary(x, y, n, [](Slot a, Slot b) { return I(ModI(a.i64, b.i64)); }); --sp; break;
      case Opcode::kAddF: Binary(x, y, n, [](Slot a, Slot b) { return F(a.f64 + b.f64); }); --sp; break;
      case Opcode::kSubF: Binary(x, y, n, [](Slot a, Slot b) { return F(a.f64 - b.f64); }); --sp; break;
      case Opcode::kMulF: Binary(x, y, n, [](Slot a, Slot b) { return F(a.f64 * b.f64); }); --sp; break;
      case Opcode::kDivF: Binary(x, y, n, [](Slot a, Slot b) { return F(a.f64 / b.f64); }); --sp; break;
      case Opcode::kModF: Binary(x, y, n, [](Slot a, Slot b) { return F(std::fmod(a.f64, b.f64)); }); --sp; break;

      case Opcode::kEqI: Binary(x, y, n, [](Slot a, Slot b) { return I(Known(a.i64, b.i64) && a.i64 == b.i64); }); --sp; break;
      case Opcode::kNeI: Binary(x, y, n, [](Slot a, Slot b) { return I(!(Known(a.i64, b.i64) && a.i64 == b.i64)); }); --sp; break;
      case Opcode::kLtI: Binary(x, y, n, [](Slot a, Slot b) { return I(Known(a.i64, b.i64) && a.i64 < b.i64); }); --sp; break;
      case Opcode::kLeI: Binary(x, y, n, [](Slot a, Slot b) { return I(Known(a.i64, b.i64) && a.i64 <= b.i64); }); --sp; break;
      case Opcode::kGtI: Binary(x, y, n, [](Slot a, Slot b) { return I(Known(a.i64, b.i64) && a.i64 > b.i64); }); --sp; break;
      case Opcode::kGeI: Binary(x, y, n, [](Slot a, Slot b) { return I(Known(a.i64, b.i64) && a.i64 >= b.i64); }); --sp; break;
      case Opcode::kEqF: Binary(x, y, n, [](Slot a, Slot b) { return I(a.f64 == b.f64); }); --sp; break;
      case Opcode::kNeF: Binary(x, y, n, [](Slot a, Slot b) { return I(a.f64 != b.f64); }); --sp; break;
      case Opcode::kLtF: Binary(x, y, n, [](Slot a, Slot b) { return I(a.f64 < b.f64); }); --sp; break;
      case Opcode::kLeF: Binary(x, y, n, [](Slot a, Slot b) { return I(a.f64 <= b.f64); }); --sp; break;
      case Opcode::kGtF: Binary(x, y, n, [](Slot a, Slot b) { return I(a.f64 > b.f64); }); --sp; break;
      case Opcode::kGeF: Binary(x, y, n, [](Slot a, Slot b) { return I(a.f64 >= b.f64); }); --sp; break;
      case Opcode::kAnd: Binary(x, y, n, [](Slot a, Slot b) { return I(a.i64 & b.i64); }); --sp; break;
      case Opcode::kOr: Binary(x, y, n, [](Slot a, Slot b) { return I(a.i64 | b.i64); }); --sp; break;

      case Opcode::kIsNullI: Unary(y, n, [](Slot a) { return I(a.i64 == kNullInt); }); break;
      case Opcode::kIsNullF: Unary(y, n, [](Slot a) { return I(std::isnan(a.f64)); }); break;
      case Opcode::kInI: {
        const Slot* list = constants_.data() + ins.a;
        const uint32_t size = ins.n;
        Unary(y, n, [list, size](Slot a) {
          bool found = false;
          for (uint32_t c = 0; c < size; ++c) found |= list[c].i64 == a.i64;
          return I(found && a.i64 != kNullInt);
        });
        break;
      }
      case Opcode::kInF: {
        const Slot* list = constants_.data() + ins.a;
        const uint32_t size = ins.n;
        Unary(y, n, [list, size](Slot a) {
          bool found = false;
          for (uint32_t c = 0; c < size; ++c) found |= list[c].f64 == a.f64;
          return I(found);
        });
        break;
      }
      case Opcode::kIf: {
        Slot* c = column(sp - 3);
        for (uint32_t k = 0; k < n; ++k) c[k] = c[k].i64 ? x[k] : y[k];
        sp -= 2;
        break;
      }
      case Opcode::kAbsI: Unary(y, n, [](Slot a) { return I(a.i64 < 0 && a.i64 != kNullInt ? -a.i64 : a.i64); }); break;
      case Opcode::kAbsF: Unary(y, n, [](Slot a) { return F(std::fabs(a.f64)); }); break;
      case Opcode::kMinI:
        Binary(x, y, n, [](Slot a, Slot b) { return I(!Known(a.i64, b.i64) ? kNullInt : a.i64 < b.i64 ? a.i64 : b.i64); });
        --sp;
        break;
      case Opcode::kMaxI:
        Binary(x, y, n, [](Slot a, Slot b) { return I(!Known(a.i64, b.i64) ? kNullInt : a.i64 > b.i64 ? a.i64 : b.i64); });
        --sp;
        break;
      case Opcode::kMinF:
        Binary(x, y, n, [](Slot a, Slot b) { return F(std::isnan(a.f64) || std::isnan(b.f64) ? kNaN : a.f64 < b.f64 ? a.f64 : b.f64); });
        --sp;
        break;
      case Opcode::kMaxF:
        Binary(x, y, n, [](Slot a, Slot b) { return F(std::isnan(a.f64) || std::isnan(b.f64) ? kNaN : a.f64 > b.f64 ? a.f64 : b.f64); });
        --sp;
        break;
      case Opcode::kRound: Unary(y, n, [](Slot a) { return F(std::round(a.f64)); }); break;
      case Opcode::kFloor: Unary(y, n, [](Slot a) { return F(std::floor(a.f64)); }); break;
      case Opcode::kCeil: Unary(y, n, [](Slot a) { return F(std::ceil(a.f64)); }); break;
      case Opcode::kSqrt: Unary(y, n, [](Slot a) { return F(std::sqrt(a.f64)); }); break;
      case Opcode::kLog: Unary(y, n, [](Slot a) { return F(std::log(a.f64)); }); break;
      case Opcode::kExp: Unary(y, n, [](Slot a) { return F(std::exp(a.f64)); }); break;
      case Opcode::kPow: Binary(x, y, n, [](Slot a, Slot b) { return F(std::pow(a.f64, b.f64)); }); --sp; break;
      case Opcode::kTimePart: TimePartOf(static_cast<TimePart>(ins.a), y, n); break;
    }
  }
  return stack;
}

}  // namespace runnel::expr
