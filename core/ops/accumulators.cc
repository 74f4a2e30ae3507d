#include "core/ops/accumulators.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "core/expr/lexer.h"
#include "core/schema/null.h"
#include "core/schema/row_hash.h"

namespace runnel::ops {
namespace {

using expr::TokenKind;
using schema::FieldType;
using schema::Slot;

// ---------------------------------------------------------------------------
// Parsing

std::string ItemError(size_t index, const std::string& message) {
  return "[" + std::to_string(index) + "]: " + message;
}

// What state a function keeps; functions of a shared class over the same
// field share one state.
enum class StateClass { kNone, kOwn, kWelford, kDistinct, kSketch };

struct FunctionInfo {
  const char* name;
  AggregateKind kind;
  double q;  // p50, p90, p99
};

constexpr FunctionInfo kFunctions[] = {
    {"count", AggregateKind::kCount, 0},
    {"sum", AggregateKind::kSum, 0},
    {"min", AggregateKind::kMin, 0},
    {"max", AggregateKind::kMax, 0},
    {"avg", AggregateKind::kAvg, 0},
    {"first", AggregateKind::kFirst, 0},
    {"last", AggregateKind::kLast, 0},
    {"var_pop", AggregateKind::kVarPop, 0},
    {"var_samp", AggregateKind::kVarSamp, 0},
    {"variance", AggregateKind::kVarSamp, 0},
    {"stddev_pop", AggregateKind::kStddevPop, 0},
    {"stddev_samp", AggregateKind::kStddevSamp, 0},
    {"stddev", AggregateKind::kStddevSamp, 0},
    {"count_distinct", AggregateKind::kCountDistinct, 0},
    {"p50", AggregateKind::kQuantile, 0.5},
    {"p90", AggregateKind::kQuantile, 0.9},
    {"p99", AggregateKind::kQuantile, 0.99},
    {"quantile", AggregateKind::kQuantile, 0},
};

const char kFunctionList[] =
    "count, sum, min, max, avg, first, last, var_pop, var_samp, variance, stddev_pop, "
    "stddev_samp, stddev, count_distinct, p50, p90, p99 or quantile";

const FunctionInfo* FindFunction(const std::string& name) {
  for (const FunctionInfo& f : kFunctions) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

StateClass ClassOf(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kCount: return StateClass::kNone;
    case AggregateKind::kVarPop:
    case AggregateKind::kVarSamp:
    case AggregateKind::kStddevPop:
    case AggregateKind::kStddevSamp: return StateClass::kWelford;
    case AggregateKind::kCountDistinct: return StateClass::kDistinct;
    case AggregateKind::kQuantile: return StateClass::kSketch;
    default: return StateClass::kOwn;
  }
}

enum class Inputs { kNumber, kOrdered, kAny };

Inputs InputsOf(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kMin:
    case AggregateKind::kMax: return Inputs::kOrdered;
    case AggregateKind::kCount:
    case AggregateKind::kFirst:
    case AggregateKind::kLast:
    case AggregateKind::kCountDistinct: return Inputs::kAny;
    default: return Inputs::kNumber;
  }
}

FieldType ResultType(AggregateKind kind, FieldType input) {
  switch (kind) {
    case AggregateKind::kCount:
    case AggregateKind::kCountDistinct: return FieldType::kI64;
    case AggregateKind::kSum: return input == FieldType::kF64 ? FieldType::kF64 : FieldType::kI64;
    case AggregateKind::kMin:
    case AggregateKind::kMax:
    case AggregateKind::kFirst:
    case AggregateKind::kLast: return input;
    default: return FieldType::kF64;
  }
}

// The default name of quantile(f, q) from q's text: "0.95" -> "p95",
// "0.999" -> "p99_9", "0.5" -> "p50", "0.05" -> "p5"; "" for other spellings.
std::string PercentileName(const std::string& text) {
  std::string digits;
  if (text.rfind("0.", 0) == 0) {
    digits = text.substr(2);
  } else if (text.rfind(".", 0) == 0) {
    digits = text.substr(1);
  } else {
    return "";
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) return "";
  while (digits.size() < 2) digits += '0';
  std::string whole = digits.substr(0, 2);
  std::string fraction = digits.substr(2);
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  if (whole[0] == '0') whole = whole.substr(1);
  return "p" + whole + (fraction.empty() ? "" : "_" + fraction);
}

// ---------------------------------------------------------------------------
// Raw slot helpers

inline uint64_t Bits(Slot s) { return static_cast<uint64_t>(s.i64); }
inline void SetBits(Slot* s, uint64_t bits) { s->i64 = static_cast<int64_t>(bits); }

inline double AsDouble(Slot s, FieldType type) {
  return type == FieldType::kF64 ? s.f64 : static_cast<double>(s.i64);
}

inline bool Less(Slot a, Slot b, bool is_float) {
  return is_float ? a.f64 < b.f64 : a.i64 < b.i64;
}

// ---------------------------------------------------------------------------
// Welford over values shifted by the key's first value K, so the mean and
// the deviations keep their precision when the values are far from 0
// (1e9 +- 30): slot 0 K, slot 1 the mean of x - K, slot 2 M2 (the sum of
// squared deviations); n, the count of values, is the field's count.

constexpr uint32_t kWelfordSlots = 3;  // K, mean, M2

inline void WelfordAdd(Slot* w, double x, int64_t n_after) {
  if (n_after == 1) {
    w[0].f64 = x;
    w[1].f64 = 0;
    w[2].f64 = 0;
    return;
  }
  const double y = x - w[0].f64;
  const double delta = y - w[1].f64;
  w[1].f64 += delta / static_cast<double>(n_after);
  w[2].f64 += delta * (y - w[1].f64);
}

// Chan et al.'s parallel formula: combines (na, mean a, M2 a) with
// (nb, mean b, M2 b); the means are relative to each side's K.
inline void WelfordMerge(Slot* a, const Slot* b, int64_t na, int64_t nb) {
  const double n = static_cast<double>(na) + static_cast<double>(nb);
  const double delta = (b[0].f64 - a[0].f64) + (b[1].f64 - a[1].f64);
  const double fb = static_cast<double>(nb) / n;
  a[1].f64 += delta * fb;
  a[2].f64 += b[2].f64 + delta * delta * static_cast<double>(na) * fb;
}

double WelfordResult(const Slot* w, int64_t n, AggregateKind kind) {
  const double m2 = std::max(0.0, w[2].f64);
  const bool sample = kind == AggregateKind::kVarSamp || kind == AggregateKind::kStddevSamp;
  const int64_t divisor = sample ? n - 1 : n;
  if (divisor <= 0) return 0.0;
  const double variance = m2 / static_cast<double>(divisor);
  return kind == AggregateKind::kVarPop || kind == AggregateKind::kVarSamp ? variance
                                                                           : std::sqrt(variance);
}

// ---------------------------------------------------------------------------
// HyperLogLog: 1024 one-byte registers, 8 per slot.

constexpr uint32_t kRegisters = Accumulators::kDistinctRegisters;
constexpr int kRegisterBits = 10;
constexpr uint32_t kDistinctSlots = kRegisters / 8;
static_assert(uint32_t{1} << kRegisterBits == kRegisters, "registers are a power of two");

inline uint32_t Register(const Slot* regs, uint32_t j) {
  return static_cast<uint32_t>(Bits(regs[j >> 3]) >> ((j & 7) * 8)) & 0xff;
}

inline void RaiseRegister(Slot* regs, uint32_t j, uint32_t rank) {
  const uint64_t word = Bits(regs[j >> 3]);
  const int shift = static_cast<int>(j & 7) * 8;
  if (((word >> shift) & 0xff) < rank) {
    SetBits(&regs[j >> 3], (word & ~(uint64_t{0xff} << shift)) | (uint64_t{rank} << shift));
  }
}

constexpr int64_t kDistinctSalt = 0x636f756e745f6469;  // "count_di"

inline void DistinctAdd(Slot* regs, Slot value, FieldType type) {
  if (type == FieldType::kF64 && value.f64 == 0.0) value.f64 = 0.0;  // -0.0 is 0.0
  // Hashed with a salt slot: the plain HashSlots(&value, 1) is the hash that
  // routes rows by key to parallel instances (by its top bits, which pick
  // the register here), so an instance fed by key_by(f) would otherwise
  // fill only 1/parallelism of the registers of count_distinct(f).
  Slot salted[2];
  salted[0] = value;
  salted[1].i64 = kDistinctSalt;
  const uint64_t h = schema::HashSlots(salted, 2);
  const uint32_t j = static_cast<uint32_t>(h >> (64 - kRegisterBits));
  const uint64_t rest = h << kRegisterBits;
  // 1 + leading zeros of the remaining 54 bits; 55 when all are zero.
  const uint32_t rank =
      rest == 0 ? 64 - kRegisterBits + 1 : static_cast<uint32_t>(__builtin_clzll(rest)) + 1;
  RaiseRegister(regs, j, rank);
}

inline void DistinctMerge(Slot* into, const Slot* from) {
  for (uint32_t s = 0; s < kDistinctSlots; ++s) {
    uint64_t a = Bits(into[s]);
    const uint64_t b = Bits(from[s]);
    if (a == b) continue;
    uint64_t out = 0;
    for (int shift = 0; shift < 64; shift += 8) {
      out |= std::max((a >> shift) & 0xff, (b >> shift) & 0xff) << shift;
    }
    SetBits(&into[s], out);
  }
}

int64_t DistinctEstimate(const Slot* regs) {
  // A histogram of the register values first (integer increments into four
  // interleaved tables, so equal values do not wait on each other), then 56
  // floating-point terms instead of a chain of 1024 dependent additions.
  uint32_t counts[4][256] = {};
  for (uint32_t s = 0; s < kDistinctSlots; ++s) {
    const uint64_t word = Bits(regs[s]);
    ++counts[0][word & 0xff];
    ++counts[1][(word >> 8) & 0xff];
    ++counts[2][(word >> 16) & 0xff];
    ++counts[3][(word >> 24) & 0xff];
    ++counts[0][(word >> 32) & 0xff];
    ++counts[1][(word >> 40) & 0xff];
    ++counts[2][(word >> 48) & 0xff];
    ++counts[3][word >> 56];
  }
  uint32_t histogram[256];
  for (int r = 0; r < 256; ++r) {
    histogram[r] = counts[0][r] + counts[1][r] + counts[2][r] + counts[3][r];
  }
  double sum = 0;
  for (int r = 0; r <= 64 - kRegisterBits + 1; ++r) {
    sum += std::ldexp(static_cast<double>(histogram[r]), -r);
  }
  const double m = kRegisters;
  const double alpha = 0.7213 / (1.0 + 1.079 / m);
  double estimate = alpha * m * m / sum;
  const uint32_t zeros = histogram[0];
  if (estimate <= 2.5 * m && zeros > 0) {
    estimate = m * std::log(m / static_cast<double>(zeros));  // linear counting
  }
  return std::llround(estimate);
}

// ---------------------------------------------------------------------------
// Quantile sketch (layout in accumulators.h).

constexpr uint32_t kBuckets = Accumulators::kQuantileBuckets;
constexpr uint32_t kSketchHeader = 4;
constexpr uint32_t kSketchSlots = kSketchHeader + kBuckets / 2;
constexpr int kPositive = 0;
constexpr int kNegative = 1;
// |x| of a finite double has a bucket index within about +-37,300.
constexpr int32_t kMinIndex = -40000;

constexpr double kGamma = (1.0 + Accumulators::kQuantileRelativeError) /
                          (1.0 - Accumulators::kQuantileRelativeError);
const double kLogGamma = std::log(kGamma);
const double kInverseLogGamma = 1.0 / kLogGamma;

inline int32_t BucketIndex(double magnitude) {  // 0 < magnitude < infinity
  double i = std::ceil(std::log(magnitude) * kInverseLogGamma);
  if (i < kMinIndex) i = kMinIndex;
  return static_cast<int32_t>(i);
}

// 2 gamma^i / (gamma + 1) = (1 - a) gamma^i, finite for every finite input.
const double kLogOneMinusA = std::log1p(-Accumulators::kQuantileRelativeError);

inline double BucketValue(int32_t index) {
  return std::min(std::exp(index * kLogGamma + kLogOneMinusA),
                  std::numeric_limits<double>::max());
}

struct Store {
  int32_t lo = 0;
  uint32_t width = 0;  // 0: empty
  int32_t hi() const { return lo + static_cast<int32_t>(width) - 1; }
};

// Reads a sketch; Sketch below also changes one.
class SketchReader {
 public:
  explicit SketchReader(const Slot* s) : s_(s) {}

  uint64_t zeros() const { return static_cast<uint64_t>(s_[0].i64); }
  // Counts of +infinity (sign 0) and -infinity (sign 1).
  uint32_t infinities(int sign) const {
    return static_cast<uint32_t>(Bits(s_[3]) >> (sign * 32));
  }
  Store store(int sign) const {
    const uint64_t bits = Bits(s_[1 + sign]);
    Store st;
    st.lo = static_cast<int32_t>(static_cast<uint32_t>(bits));
    st.width = static_cast<uint32_t>(bits >> 32);
    return st;
  }
  // The count of `sign`'s bucket at offset j (index lo + j).
  uint32_t count(int sign, uint32_t j) const { return Get(Position(sign, j)); }

  // The rank-q value (accumulators.h); NaN when nothing was counted.
  double Quantile(double q) const {
    const Store neg = store(kNegative);
    const Store pos = store(kPositive);
    const uint64_t neg_total = StoreTotal(kBuckets - neg.width, kBuckets);
    const uint64_t pos_total = StoreTotal(0, pos.width);
    const uint64_t below_pos = infinities(kNegative) + neg_total + zeros();
    const uint64_t total = below_pos + pos_total + infinities(kPositive);
    if (total == 0) return std::numeric_limits<double>::quiet_NaN();
    const uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total - 1));
    const double inf = std::numeric_limits<double>::infinity();
    if (rank < infinities(kNegative)) return -inf;
    if (rank < infinities(kNegative) + neg_total) {
      // Walk the negative store from whichever end is nearer the rank.
      uint64_t seen = infinities(kNegative);
      if (rank - seen < neg_total / 2) {
        for (uint32_t j = neg.width; j-- > 0;) {
          seen += count(kNegative, j);
          if (seen > rank) return -BucketValue(neg.lo + static_cast<int32_t>(j));
        }
      } else {
        seen += neg_total;  // rows up to and including offset j: seen
        for (uint32_t j = 0; j < neg.width; ++j) {
          if (seen - count(kNegative, j) <= rank) {
            return -BucketValue(neg.lo + static_cast<int32_t>(j));
          }
          seen -= count(kNegative, j);
        }
      }
    }
    if (rank < below_pos) return 0.0;
    if (rank < below_pos + pos_total) {
      uint64_t seen = below_pos;
      if (rank - seen < pos_total / 2) {
        for (uint32_t j = 0; j < pos.width; ++j) {
          seen += count(kPositive, j);
          if (seen > rank) return BucketValue(pos.lo + static_cast<int32_t>(j));
        }
      } else {
        seen += pos_total;
        for (uint32_t j = pos.width; j-- > 0;) {
          if (seen - count(kPositive, j) <= rank) {
            return BucketValue(pos.lo + static_cast<int32_t>(j));
          }
          seen -= count(kPositive, j);
        }
      }
    }
    return inf;
  }

 protected:
  // The sum of the counts at positions [begin, end), a slot at a time.
  uint64_t StoreTotal(uint32_t begin, uint32_t end) const {
    uint64_t total = 0;
    uint32_t p = begin;
    if (p < end && (p & 1)) total += Get(p++);
    for (; p + 1 < end; p += 2) {
      const uint64_t word = Bits(s_[kSketchHeader + (p >> 1)]);
      total += (word & 0xffffffffu) + (word >> 32);
    }
    if (p < end) total += Get(p);
    return total;
  }
  static uint32_t Position(int sign, uint32_t j) {
    return sign == kPositive ? j : kBuckets - 1 - j;
  }
  uint32_t Get(uint32_t p) const {
    return static_cast<uint32_t>(Bits(s_[kSketchHeader + (p >> 1)]) >> ((p & 1) * 32));
  }

  const Slot* s_;
};

class Sketch : public SketchReader {
 public:
  explicit Sketch(Slot* s) : SketchReader(s), w_(s) {}

  void Add(double x) {
    if (x == 0) {
      ++w_[0].i64;
    } else if (std::isinf(x)) {
      AddInfinities(x > 0 ? kPositive : kNegative, 1);
    } else if (x > 0) {
      Insert(kPositive, BucketIndex(x), 1);
    } else if (x < 0) {
      Insert(kNegative, BucketIndex(-x), 1);
    }  // NaN: not counted
  }

  // Adds every count of `from` (a sketch in the same canonical form).
  void Merge(const SketchReader& from) {
    w_[0].i64 += static_cast<int64_t>(from.zeros());
    AddInfinities(kPositive, from.infinities(kPositive));
    AddInfinities(kNegative, from.infinities(kNegative));
    Store a[2] = {store(kPositive), store(kNegative)};
    Store b[2] = {from.store(kPositive), from.store(kNegative)};
    if (b[0].width == 0 && b[1].width == 0) return;
    int32_t want_lo[2], want_hi[2];
    for (int sign = 0; sign < 2; ++sign) {
      if (b[sign].width == 0) {
        want_lo[sign] = a[sign].lo;
        want_hi[sign] = a[sign].width == 0 ? a[sign].lo - 1 : a[sign].hi();
      } else if (a[sign].width == 0) {
        want_lo[sign] = b[sign].lo;
        want_hi[sign] = b[sign].hi();
      } else {
        want_lo[sign] = std::min(a[sign].lo, b[sign].lo);
        want_hi[sign] = std::max(a[sign].hi(), b[sign].hi());
      }
    }
    Reshape(want_lo, want_hi);
    for (int sign = 0; sign < 2; ++sign) {
      const Store now = store(sign);
      for (uint32_t j = 0; j < b[sign].width; ++j) {
        const uint32_t c = from.count(sign, j);
        if (c == 0) continue;
        const int32_t index = std::max(b[sign].lo + static_cast<int32_t>(j), now.lo);
        AddAt(Position(sign, static_cast<uint32_t>(index - now.lo)), c);
      }
    }
  }

 private:
  void Set(uint32_t p, uint32_t c) {
    Slot* slot = &w_[kSketchHeader + (p >> 1)];
    const int shift = static_cast<int>(p & 1) * 32;
    SetBits(slot, (Bits(*slot) & ~(uint64_t{0xffffffff} << shift)) | (uint64_t{c} << shift));
  }
  static uint32_t Saturate(uint64_t c) {
    return c > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(c);
  }
  void AddAt(uint32_t p, uint64_t c) { Set(p, Saturate(Get(p) + c)); }
  void AddInfinities(int sign, uint64_t c) {
    const uint64_t word = Bits(w_[3]);
    const int shift = sign * 32;
    const uint64_t sum = Saturate(((word >> shift) & 0xffffffffu) + c);
    SetBits(&w_[3], (word & ~(uint64_t{0xffffffff} << shift)) | (sum << shift));
  }
  void SetStore(int sign, Store st) {
    SetBits(&w_[1 + sign],
            uint64_t{static_cast<uint32_t>(st.lo)} | (uint64_t{st.width} << 32));
  }

  void Insert(int sign, int32_t index, uint32_t c) {
    const Store st = store(sign);
    if (st.width != 0 && index >= st.lo && index <= st.hi()) {
      AddAt(Position(sign, static_cast<uint32_t>(index - st.lo)), c);
      return;
    }
    const Store other = store(1 - sign);
    int32_t want_lo[2], want_hi[2];
    want_lo[sign] = st.width == 0 ? index : std::min(st.lo, index);
    want_hi[sign] = st.width == 0 ? index : std::max(st.hi(), index);
    want_lo[1 - sign] = other.lo;
    want_hi[1 - sign] = other.hi();  // lo - 1 when empty
    Reshape(want_lo, want_hi);
    const Store now = store(sign);
    AddAt(Position(sign, static_cast<uint32_t>(std::max(index, now.lo) - now.lo)), c);
  }

  // Moves both stores to the canonical windows for these index ranges
  // (hi < lo: empty), collapsing what no longer fits into each store's
  // lowest bucket. Widths: see accumulators.h.
  void Reshape(const int32_t want_lo[2], const int32_t want_hi[2]) {
    int64_t need[2];
    for (int sign = 0; sign < 2; ++sign) {
      need[sign] = std::max<int64_t>(0, int64_t{want_hi[sign]} - want_lo[sign] + 1);
    }
    const int64_t n = kBuckets;
    int64_t width[2] = {need[0], need[1]};
    if (need[0] + need[1] > n) {
      for (int sign = 0; sign < 2; ++sign) {
        const int64_t other = need[1 - sign];
        width[sign] = std::min(need[sign], other <= n / 2 ? n - other : n / 2);
      }
    }
    Store target[2];
    for (int sign = 0; sign < 2; ++sign) {
      target[sign].width = static_cast<uint32_t>(width[sign]);
      target[sign].lo =
          width[sign] == 0 ? 0 : want_hi[sign] - static_cast<int32_t>(width[sign]) + 1;
    }
    // Shrink before growing, so the stores never overlap.
    const Store old[2] = {store(kPositive), store(kNegative)};
    const int first = target[kPositive].width <= old[kPositive].width ? kPositive : kNegative;
    Rebase(first, old[first], target[first]);
    Rebase(1 - first, old[1 - first], target[1 - first]);
  }

  void Rebase(int sign, Store old, Store target) {
    SetStore(sign, target);
    if (old.width == 0) return;  // its positions are all zero already
    const int64_t shift = int64_t{target.lo} - old.lo;
    if (shift > 0) {
      // Down: offsets [0, shift] collapse into offset 0.
      uint64_t collapsed = 0;
      for (int64_t j = 0; j <= shift && j < old.width; ++j) {
        collapsed += count(sign, static_cast<uint32_t>(j));
      }
      for (uint32_t j = 1; j < target.width; ++j) {
        const int64_t from = j + shift;
        Set(Position(sign, j), from < old.width ? count(sign, static_cast<uint32_t>(from)) : 0);
      }
      Set(Position(sign, 0), Saturate(collapsed));
      for (uint32_t j = std::max<uint32_t>(target.width, 1); j < old.width; ++j) {
        Set(Position(sign, j), 0);
      }
    } else if (shift < 0) {
      // Up: target.width >= old.width - shift.
      for (uint32_t j = target.width; j-- > 0;) {
        const int64_t from = int64_t{j} + shift;
        Set(Position(sign, j),
            from >= 0 && from < old.width ? count(sign, static_cast<uint32_t>(from)) : 0);
      }
    }
  }

  Slot* w_;
};

// Slots of a function's own state (see accumulators.h), besides its
// field's count of values: none for the counts; sum, avg, min, max, first
// and last the value (and, for first/last with event time, its time).
uint32_t OwnSlots(AggregateKind kind, bool event_time) {
  switch (ClassOf(kind)) {
    case StateClass::kNone: return 0;
    case StateClass::kWelford: return kWelfordSlots;
    case StateClass::kDistinct: return kDistinctSlots;
    case StateClass::kSketch: return kSketchSlots;
    case StateClass::kOwn: break;
  }
  return (kind == AggregateKind::kFirst || kind == AggregateKind::kLast) && event_time ? 2 : 1;
}

// Whether a function reads its field's count of values.
bool Counted(const AggregateFn& fn) {
  const StateClass cls = ClassOf(fn.kind);
  return fn.field >= 0 && cls != StateClass::kDistinct && cls != StateClass::kSketch;
}

// Whether a function's state is the f64 sum of its field's values: sum and
// avg over an f64 field, which share it (avg over i64 sums into an f64, sum
// over i64 wraps around as an i64: those keep their own).
bool IsFloatSum(const AggregateFn& fn) {
  return (fn.kind == AggregateKind::kSum || fn.kind == AggregateKind::kAvg) &&
         fn.input_type == FieldType::kF64;
}

}  // namespace

// ---------------------------------------------------------------------------

Result<Accumulators> Accumulators::Parse(const std::vector<std::string>& items,
                                         const schema::Schema& input, int event_time_field) {
  if (items.empty()) return InvalidArgument("lists no aggregates");
  if (event_time_field >= 0 &&
      (static_cast<uint32_t>(event_time_field) >= input.size() ||
       input.field(static_cast<uint32_t>(event_time_field)).type != FieldType::kTs)) {
    return InvalidArgument("event-time field " + std::to_string(event_time_field) +
                           " is not a ts field of the input (fields: " + input.FieldNames() +
                           ")");
  }
  Accumulators acc;
  acc.event_time_field_ = event_time_field < 0 ? -1 : event_time_field;
  for (size_t i = 0; i < items.size(); ++i) {
    auto tokens = expr::Tokenize(items[i]);
    if (!tokens.ok()) return InvalidArgument(ItemError(i, tokens.status().message()));
    const auto& t = tokens.value();
    // fn ( [field [, number]] | * ) [as name]
    auto is = [&](size_t k, TokenKind kind) { return k < t.size() && t[k].kind == kind; };
    auto punct = [&](size_t k, const char* text) {
      return is(k, TokenKind::kPunct) && t[k].text == text;
    };
    bool shape = is(0, TokenKind::kIdentifier) && punct(1, "(");
    size_t close = 2;
    const bool has_field = shape && is(2, TokenKind::kIdentifier);
    const bool star = shape && is(2, TokenKind::kOperator) && t[2].text == "*";
    if (star) close = 3;
    bool has_arg = false;
    if (has_field) {
      close = 3;
      if (punct(3, ",") && is(4, TokenKind::kNumber)) {
        has_arg = true;
        close = 5;
      }
    }
    shape = shape && punct(close, ")");
    const size_t rest = close + 1;
    const bool named = shape && is(rest, TokenKind::kIdentifier) && t[rest].text == "as" &&
                       is(rest + 1, TokenKind::kIdentifier) && is(rest + 2, TokenKind::kEnd);
    if (!shape || (!named && !is(rest, TokenKind::kEnd))) {
      return InvalidArgument(ItemError(
          i, "expected 'FUNCTION(FIELD)' or 'FUNCTION(FIELD) as NAME' (quantile: "
             "'quantile(FIELD, Q)') with FUNCTION one of " + std::string(kFunctionList) +
             "; found '" + items[i] + "'"));
    }
    const std::string& name = t[0].text;
    const FunctionInfo* info = FindFunction(name);
    if (!info) {
      return InvalidArgument(ItemError(i, "unknown aggregate function '" + name +
                                              "' (expected " + kFunctionList + ")"));
    }
    AggregateFn fn;
    fn.kind = info->kind;
    fn.q = info->q;
    const bool takes_q = name == "quantile";
    std::string default_name = name;
    if (fn.kind == AggregateKind::kCount && !has_field) {
      // count() and count(*): rows
    } else {
      if (!has_field || (takes_q && !has_arg)) {
        return InvalidArgument(ItemError(
            i, takes_q ? "quantile() needs a field and a quantile, e.g. quantile(temp, 0.95)"
                       : name + "() needs a field, e.g. " + name + "(temp)"));
      }
      if (has_arg && !takes_q) {
        if (fn.kind == AggregateKind::kCount) {
          return InvalidArgument(ItemError(i, "count() takes at most one field"));
        }
        return InvalidArgument(ItemError(
            i, name + "() takes one field; only quantile() takes a second argument"));
      }
      const std::string& field_name = t[2].text;
      fn.field = input.IndexOf(field_name);
      if (fn.field == schema::Schema::kNotFound) {
        return InvalidArgument(ItemError(i, "unknown field '" + field_name +
                                                "' (fields: " + input.FieldNames() + ")"));
      }
      const schema::Field& field = input.field(static_cast<uint32_t>(fn.field));
      fn.input_type = field.type;
      const Inputs inputs = InputsOf(fn.kind);
      const bool number = field.type == FieldType::kI64 || field.type == FieldType::kF64;
      if ((inputs == Inputs::kNumber && !number) ||
          (inputs == Inputs::kOrdered && !schema::IsNumeric(field.type))) {
        return InvalidArgument(ItemError(
            i, name + " over " + std::string(schema::FieldTypeName(field.type)) + " field '" +
                   field.name + "' (expected " +
                   (inputs == Inputs::kNumber ? "an i64 or f64 field)"
                                              : "an i64, f64 or ts field)")));
      }
      if (takes_q) {
        const std::string& text = t[4].text;
        char* end = nullptr;
        const double q = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size() || !(q > 0.0 && q < 1.0)) {
          return InvalidArgument(ItemError(
              i, "quantile(" + field_name + ", " + text +
                     "): the quantile must be a number between 0 and 1, exclusive "
                     "(min() and max() give the extremes)"));
        }
        fn.q = q;
        const std::string percentile = PercentileName(text);
        if (!percentile.empty()) default_name = percentile;
      }
      fn.output.unit = field.unit;
      default_name += "_" + field_name;
    }
    fn.output.name = named ? t[rest + 1].text : default_name;
    fn.output.type = ResultType(fn.kind, fn.input_type);
    for (const AggregateFn& other : acc.fns_) {
      if (other.output.name == fn.output.name) {
        return InvalidArgument(ItemError(i, "field '" + fn.output.name + "' appears twice"));
      }
    }
    // State: shared with an earlier function of the same class and field,
    // else its own slots after the others'.
    const StateClass cls = ClassOf(fn.kind);
    if (Counted(fn)) {
      fn.counts = true;
      for (const AggregateFn& other : acc.fns_) {
        if (other.counts && other.field == fn.field) {
          fn.count_offset = other.count_offset;
          fn.counts = false;
          break;
        }
      }
      if (fn.counts) fn.count_offset = acc.state_slots_++;
    }
    fn.slots = OwnSlots(fn.kind, acc.event_time_field_ >= 0);
    fn.offset = fn.slots != 0 ? acc.state_slots_ : Counted(fn) ? fn.count_offset : 0;
    if (cls == StateClass::kWelford || cls == StateClass::kDistinct ||
        cls == StateClass::kSketch || IsFloatSum(fn)) {
      for (const AggregateFn& other : acc.fns_) {
        if (other.slots != 0 && other.field == fn.field &&
            (IsFloatSum(fn) ? IsFloatSum(other) : ClassOf(other.kind) == cls)) {
          fn.offset = other.offset;
          fn.slots = 0;
          break;
        }
      }
    }
    acc.state_slots_ += fn.slots;
    acc.fns_.push_back(fn);
  }
  acc.PlanUpdates();
  return acc;
}

void Accumulators::PlanUpdates() {
  const bool by_time = event_time_field_ >= 0;
  for (const AggregateFn& fn : fns_) {
    if (fn.field < 0) continue;  // count(): slot 0, counted by Update itself
    bool seen = false;
    for (const FieldPass& pass : passes_) seen = seen || pass.field == fn.field;
    if (seen) continue;
    FieldPass pass{fn.field, fn.input_type, false, 0, static_cast<uint32_t>(steps_.size()), 0};
    for (const AggregateFn& f : fns_) {
      if (f.field != fn.field) continue;
      if (f.counts) {
        pass.counted = true;
        pass.count_offset = f.count_offset;
      }
      if (f.slots == 0) continue;  // count(f), or a state another function keeps
      const bool f64 = f.input_type == FieldType::kF64;
      UpdateOp op = UpdateOp::kSumI64;
      switch (f.kind) {
        case AggregateKind::kCount: continue;
        case AggregateKind::kSum: op = f64 ? UpdateOp::kSumF64 : UpdateOp::kSumI64; break;
        case AggregateKind::kAvg: op = f64 ? UpdateOp::kAvgF64 : UpdateOp::kAvgI64; break;
        case AggregateKind::kMin: op = f64 ? UpdateOp::kMinF64 : UpdateOp::kMinInt; break;
        case AggregateKind::kMax: op = f64 ? UpdateOp::kMaxF64 : UpdateOp::kMaxInt; break;
        case AggregateKind::kFirst: op = by_time ? UpdateOp::kFirstByTime : UpdateOp::kFirst; break;
        case AggregateKind::kLast: op = by_time ? UpdateOp::kLastByTime : UpdateOp::kLast; break;
        case AggregateKind::kVarPop:
        case AggregateKind::kVarSamp:
        case AggregateKind::kStddevPop:
        case AggregateKind::kStddevSamp:
          op = f64 ? UpdateOp::kWelfordF64 : UpdateOp::kWelfordI64;
          break;
        case AggregateKind::kCountDistinct: op = UpdateOp::kDistinct; break;
        case AggregateKind::kQuantile: op = f64 ? UpdateOp::kSketchF64 : UpdateOp::kSketchI64; break;
      }
      steps_.push_back({op, f.offset});
    }
    pass.end_step = static_cast<uint32_t>(steps_.size());
    passes_.push_back(pass);
  }
}

std::vector<schema::Field> Accumulators::OutputFields() const {
  std::vector<schema::Field> fields;
  for (const AggregateFn& fn : fns_) fields.push_back(fn.output);
  return fields;
}

void Accumulators::Update(Slot* state, const Slot* row) const {
  ++state[0].i64;
  for (const FieldPass& pass : passes_) {
    const Slot value = row[pass.field];
    if (schema::IsNull(value, pass.type)) continue;
    // The field's values so far, this one included.
    const int64_t n = pass.counted ? ++state[pass.count_offset].i64 : 0;
    const bool first_value = n == 1;
    for (uint32_t i = pass.first_step; i < pass.end_step; ++i) {
      Slot* v = state + steps_[i].offset;
      switch (steps_[i].op) {
        case UpdateOp::kSumI64:
          v->i64 = static_cast<int64_t>(static_cast<uint64_t>(v->i64) +
                                        static_cast<uint64_t>(value.i64));
          break;
        case UpdateOp::kSumF64:
        case UpdateOp::kAvgF64:
          v->f64 += value.f64;
          break;
        case UpdateOp::kAvgI64:
          v->f64 += static_cast<double>(value.i64);
          break;
        case UpdateOp::kMinInt:
          if (first_value || value.i64 < v->i64) *v = value;
          break;
        case UpdateOp::kMinF64:
          if (first_value || value.f64 < v->f64) *v = value;
          break;
        case UpdateOp::kMaxInt:
          if (first_value || v->i64 < value.i64) *v = value;
          break;
        case UpdateOp::kMaxF64:
          if (first_value || v->f64 < value.f64) *v = value;
          break;
        case UpdateOp::kFirst:
          if (first_value) *v = value;
          break;
        case UpdateOp::kFirstByTime:
          if (first_value || row[event_time_field_].i64 < v[1].i64) {
            v[0] = value;
            v[1] = row[event_time_field_];
          }
          break;
        case UpdateOp::kLast:
          *v = value;
          break;
        case UpdateOp::kLastByTime:
          if (first_value || row[event_time_field_].i64 >= v[1].i64) {
            v[0] = value;
            v[1] = row[event_time_field_];
          }
          break;
        case UpdateOp::kWelfordI64:
          WelfordAdd(v, static_cast<double>(value.i64), n);
          break;
        case UpdateOp::kWelfordF64:
          WelfordAdd(v, value.f64, n);
          break;
        case UpdateOp::kDistinct:
          DistinctAdd(v, value, pass.type);
          break;
        case UpdateOp::kSketchI64:
          Sketch(v).Add(static_cast<double>(value.i64));
          break;
        case UpdateOp::kSketchF64:
          Sketch(v).Add(value.f64);
          break;
      }
    }
  }
}

void Accumulators::Emit(const Slot* state, Slot* out) const {
  for (size_t i = 0; i < fns_.size(); ++i) {
    const AggregateFn& fn = fns_[i];
    const Slot* acc = state + fn.offset;
    switch (fn.kind) {
      case AggregateKind::kCount:  // count(): slot 0, the rows; count(f): its values
        out[i].i64 = acc[0].i64;
        continue;
      case AggregateKind::kCountDistinct:
        out[i].i64 = DistinctEstimate(acc);
        continue;
      case AggregateKind::kQuantile:  // NaN (null) when it counted nothing
        out[i].f64 = SketchReader(acc).Quantile(fn.q);
        continue;
      default:
        break;
    }
    const int64_t n = state[fn.count_offset].i64;
    if (n == 0) {  // only nulls, or no rows at all
      out[i] = schema::NullSlot(fn.output.type);
      continue;
    }
    const Slot* v = acc;
    switch (fn.kind) {
      case AggregateKind::kAvg:
        out[i].f64 = v->f64 / static_cast<double>(n);
        break;
      case AggregateKind::kVarPop:
      case AggregateKind::kVarSamp:
      case AggregateKind::kStddevPop:
      case AggregateKind::kStddevSamp:
        out[i].f64 = WelfordResult(v, n, fn.kind);
        break;
      default:  // sum, min, max, first, last: the value slot
        out[i] = *v;
        break;
    }
  }
}

void Accumulators::Merge(Slot* into, const Slot* from) const {
  const int64_t rows_b = from[0].i64;
  if (rows_b == 0) return;
  const int64_t rows_a = into[0].i64;
  if (rows_a == 0) {
    std::memcpy(into, from, sizeof(Slot) * state_slots_);
    return;
  }
  into[0].i64 = rows_a + rows_b;
  for (const AggregateFn& fn : fns_) {
    if (fn.slots == 0) continue;
    Slot* a = into + fn.offset;
    const Slot* b = from + fn.offset;
    if (fn.kind == AggregateKind::kCountDistinct) {
      DistinctMerge(a, b);
      continue;
    }
    if (fn.kind == AggregateKind::kQuantile) {
      Sketch(a).Merge(SketchReader(b));
      continue;
    }
    // Counted state: the field's counts (added up below, after every
    // function has read them), then the values' state.
    const int64_t na = into[fn.count_offset].i64;
    const int64_t nb = from[fn.count_offset].i64;
    if (nb == 0) continue;
    if (na == 0) {
      std::memcpy(a, b, sizeof(Slot) * fn.slots);
      continue;
    }
    Slot* x = a;
    const Slot* y = b;
    const bool is_float = fn.input_type == FieldType::kF64;
    switch (fn.kind) {
      case AggregateKind::kCount:
        break;
      case AggregateKind::kSum:
        if (is_float) {
          x->f64 += y->f64;
        } else {
          x->i64 = static_cast<int64_t>(static_cast<uint64_t>(x->i64) +
                                        static_cast<uint64_t>(y->i64));
        }
        break;
      case AggregateKind::kAvg:
        x->f64 += y->f64;
        break;
      case AggregateKind::kMin:
        if (Less(*y, *x, is_float)) *x = *y;
        break;
      case AggregateKind::kMax:
        if (Less(*x, *y, is_float)) *x = *y;
        break;
      case AggregateKind::kFirst:
        if (event_time_field_ >= 0 && y[1].i64 < x[1].i64) {
          x[0] = y[0];
          x[1] = y[1];
        }
        break;
      case AggregateKind::kLast:
        if (event_time_field_ < 0) {
          x[0] = y[0];
        } else if (y[1].i64 >= x[1].i64) {
          x[0] = y[0];
          x[1] = y[1];
        }
        break;
      case AggregateKind::kVarPop:
      case AggregateKind::kVarSamp:
      case AggregateKind::kStddevPop:
      case AggregateKind::kStddevSamp:
        WelfordMerge(x, y, na, nb);
        break;
      case AggregateKind::kCountDistinct:
      case AggregateKind::kQuantile:
        break;  // handled above
    }
  }
  for (const AggregateFn& fn : fns_) {
    if (fn.counts) into[fn.count_offset].i64 += from[fn.count_offset].i64;
  }
}

}  // namespace runnel::ops
