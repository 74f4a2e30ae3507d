// Evaluation: every operator and function, the null, overflow and division
// rules, and whole batches across chunk boundaries.
#include "core/expr/program.h"

#include <CppUTest/TestHarness.h>

#include <climits>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/expr/checker.h"
#include "core/expr/compiler.h"
#include "core/schema/null.h"
#include "core/schema/symbol_table.h"

using runnel::expr::Compile;
using runnel::schema::kNullInt;
using runnel::expr::ParseExpression;
using runnel::expr::Program;
using runnel::schema::FieldType;
using runnel::schema::RowBatch;
using runnel::schema::Schema;
using runnel::schema::Slot;
using runnel::schema::SymbolTable;
using runnel::schema::TimeUnit;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kMax = INT64_MAX;

// i (i64), f (f64), t (ts, ms), s (sym), b (bool), j (i64), g (f64)
Schema Fields() {
  return Schema({{"i", FieldType::kI64, TimeUnit::kMs},
                 {"f", FieldType::kF64, TimeUnit::kMs},
                 {"t", FieldType::kTs, TimeUnit::kMs},
                 {"s", FieldType::kSym, TimeUnit::kMs},
                 {"b", FieldType::kBool, TimeUnit::kMs},
                 {"j", FieldType::kI64, TimeUnit::kMs},
                 {"g", FieldType::kF64, TimeUnit::kMs}});
}

struct Values {
  int64_t i = 7;
  double f = 2.5;
  int64_t t_ns = 0;
  const char* s = "dev-1";  // nullptr: a null sym
  bool b = true;
  int64_t j = 3;
  double g = -1.5;
};

TEST_GROUP(Program) {
  SymbolTable symbols{64, 4096};

  Program Make(const char* text) {
    auto e = ParseExpression(text, Fields());
    CHECK_TEXT(e.ok(), (std::string(text) + ": " + e.status().message()).c_str());
    auto p = Compile(e.value(), &symbols);
    CHECK_TEXT(p.ok(), p.status().message().c_str());
    return std::move(p.value());
  }

  void Fill(Slot* row, const Values& v) {
    uint32_t id = 0;
    if (v.s != nullptr) CHECK(symbols.Intern(v.s, &id));
    row[0].i64 = v.i;
    row[1].f64 = v.f;
    row[2].i64 = v.t_ns;
    row[3].i64 = v.s != nullptr ? int64_t{id} : kNullInt;
    row[4].i64 = v.b;
    row[5].i64 = v.j;
    row[6].f64 = v.g;
  }

  // `text` evaluated over one row of `v`.
  Slot Eval(const char* text, const Values& v = Values()) {
    Program p = Make(text);
    RowBatch in(7, 1);
    Fill(in.Append(), v);
    return p.EvaluateChunk(in, 0, 1)[0];
  }
  int64_t I(const char* text, const Values& v = Values()) { return Eval(text, v).i64; }
  double F(const char* text, const Values& v = Values()) { return Eval(text, v).f64; }
  bool B(const char* text, const Values& v = Values()) {
    int64_t r = Eval(text, v).i64;
    CHECK_TEXT(r == 0 || r == 1, text);
    return r == 1;
  }
};

}  // namespace

TEST(Program, Arithmetic) {
  LONGS_EQUAL(10, I("i + j"));
  LONGS_EQUAL(4, I("i - j"));
  LONGS_EQUAL(21, I("i * j"));
  LONGS_EQUAL(2, I("i / j"));
  LONGS_EQUAL(1, I("i % j"));
  LONGS_EQUAL(-7, I("-i"));
  LONGS_EQUAL(17, I("i + j * 4 - 2"));
  DOUBLES_EQUAL(9.5, F("i + f"), 0);
  DOUBLES_EQUAL(2.8, F("i / f"), 1e-12);
  DOUBLES_EQUAL(2.0, F("i % f"), 0);
  DOUBLES_EQUAL(-2.5, F("-f"), 0);
  DOUBLES_EQUAL(3.75, F("f * -g"), 0);
}

TEST(Program, IntegerDivisionTruncatesAndModuloTakesTheDividendsSign) {
  Values v;
  v.i = -7;
  v.j = 2;
  LONGS_EQUAL(-3, I("i / j", v));
  LONGS_EQUAL(-1, I("i % j", v));
  v.i = 7;
  v.j = -2;
  LONGS_EQUAL(-3, I("i / j", v));
  LONGS_EQUAL(1, I("i % j", v));
}

TEST(Program, DivisionByZero) {
  Values v;
  v.j = 0;
  LONGS_EQUAL(kNullInt, I("i / j", v));
  LONGS_EQUAL(kNullInt, I("i % j", v));
  CHECK(B("i / j is null", v));
  CHECK(B("(i % j) is null", v));
  v.g = 0;
  DOUBLES_EQUAL(kInf, F("f / g", v), 0);
  DOUBLES_EQUAL(-kInf, F("-f / g", v), 0);
  CHECK(std::isnan(F("g / g", v)));
  CHECK(std::isnan(F("f % g", v)));
  CHECK(B("g / g is null", v));
  CHECK_FALSE(B("f / g is null", v));  // infinity is a value
}

TEST(Program, IntegerOverflowSaturatesNeverWraps) {
  Values v;
  v.i = kMax;
  v.j = 1;
  LONGS_EQUAL(kMax, I("i + j", v));
  LONGS_EQUAL(kMax, I("i * 2", v));
  LONGS_EQUAL(-kMax, I("-i - j", v));  // not INT64_MIN: that is null
  LONGS_EQUAL(-kMax, I("-i - 5", v));
  LONGS_EQUAL(-kMax, I("i * -3", v));
  LONGS_EQUAL(kMax, I("-i * -3", v));
  LONGS_EQUAL(-kMax, I("-i", v));
  LONGS_EQUAL(kMax, I("abs(-i)", v));
  v.j = -1;
  LONGS_EQUAL(-kMax, I("i / j", v));
  LONGS_EQUAL(0, I("i % j", v));
  LONGS_EQUAL(kMax, I("(-i) / j", v));
  LONGS_EQUAL(kMax, I("i - j", v));
}

TEST(Program, NullPropagatesAndComparesFalse) {
  Values v;
  v.j = 0;  // i / j is null
  LONGS_EQUAL(kNullInt, I("i / j + 1", v));
  LONGS_EQUAL(kNullInt, I("-(i / j)", v));
  LONGS_EQUAL(kNullInt, I("(i / j) * 0", v));
  LONGS_EQUAL(kNullInt, I("abs(i / j)", v));
  LONGS_EQUAL(kNullInt, I("min(i / j, 3)", v));
  LONGS_EQUAL(kNullInt, I("max(3, i / j)", v));
  CHECK(std::isnan(F("f64(i / j)", v)));
  CHECK(std::isnan(F("(i / j) + f", v)));
  CHECK_FALSE(B("i / j == i / j", v));
  CHECK(B("i / j != i / j", v));
  CHECK_FALSE(B("i / j < 1", v));
  CHECK_FALSE(B("i / j >= 1", v));
  CHECK_FALSE(B("i / j in (0, 1)", v));
  CHECK(B("i / j not in (0, 1)", v));
  CHECK(B("i / j is null and not (i / j is not null)", v));
  CHECK_FALSE(B("i is null", v));
  CHECK(B("i is not null", v));
  CHECK_FALSE(B("s is null or b is null", v));  // bool is never null
  CHECK(B("s is not null", v));
}

TEST(Program, NullSymIsNullAndComparesFalse) {
  Values v;
  v.s = nullptr;
  CHECK(B("s is null", v));
  CHECK_FALSE(B("s is not null", v));
  CHECK_FALSE(B("s == 'dev-1'", v));
  CHECK(B("s != 'dev-1'", v));
  CHECK_FALSE(B("s in ('dev-1', 'dev-2')", v));
  CHECK(B("if(s is null, true, false)", v));
}

TEST(Program, NanComparesFalseExceptNotEqual) {
  Values v;
  v.f = kNaN;
  CHECK_FALSE(B("f == f", v));
  CHECK(B("f != f", v));
  CHECK_FALSE(B("f < 1", v));
  CHECK_FALSE(B("f >= 1", v));
  CHECK_FALSE(B("f > i", v));
  CHECK_FALSE(B("f in (1, 2)", v));
  CHECK(B("f is null", v));
  CHECK(std::isnan(F("min(f, 1)", v)));
  CHECK(std::isnan(F("max(1, f)", v)));
  LONGS_EQUAL(kNullInt, I("i64(f)", v));
}

TEST(Program, ComparisonsAndLogic) {
  CHECK(B("i > j"));
  CHECK(B("i >= 7"));
  CHECK(B("i <= 7.0"));
  CHECK_FALSE(B("i < 7"));
  CHECK(B("i == 7"));
  CHECK(B("i != 8"));
  CHECK(B("f < i"));       // i64 promoted to f64
  CHECK(B("i > 6.5"));
  CHECK_FALSE(B("i > 7.5"));
  CHECK(B("b == true"));
  CHECK(B("b != false"));
  CHECK(B("b and i > 1"));
  CHECK_FALSE(B("not b"));
  CHECK(B("not b or f > 2"));
  CHECK_FALSE(B("b and not b"));
  CHECK(B("b"));
  CHECK(B("true and (false or b)"));
}

TEST(Program, Symbols) {
  CHECK(B("s == 'dev-1'"));
  CHECK(B("'dev-1' == s"));
  CHECK_FALSE(B("s != 'dev-1'"));
  CHECK_FALSE(B("s == 'dev-2'"));
  CHECK(B("s in ('dev-0', 'dev-1')"));
  CHECK_FALSE(B("s in ('x', 'y')"));
  CHECK(B("s not in ('x', 'y')"));
  CHECK(B("s == s"));
  uint32_t none = 0;
  CHECK(symbols.Find("none", &none) == false);
  Slot picked = Eval("if(b, 'none', s)");
  CHECK(symbols.Find("none", &none));  // interned when compiled
  LONGS_EQUAL(none, picked.i64);
}

TEST(Program, InLists) {
  CHECK(B("i in (1, 7, 9)"));
  CHECK_FALSE(B("i in (1, 9)"));
  CHECK(B("i in (6.5, 7.0)"));   // compared as f64
  CHECK(B("f in (1, 2.5)"));
  CHECK(B("b in (true)"));
  CHECK(B("i not in (1, 2)"));
  Values v;
  v.t_ns = 2000 * 1000000LL;
  CHECK(B("t in (1000, 2000)", v));  // ms, the field's unit
}

TEST(Program, If) {
  LONGS_EQUAL(7, I("if(b, i, j)"));
  LONGS_EQUAL(3, I("if(not b, i, j)"));
  DOUBLES_EQUAL(7.0, F("if(b, i, f)"), 0);
  DOUBLES_EQUAL(2.5, F("if(i < 0, i, f)"), 0);
  LONGS_EQUAL(kNullInt, I("if(b, i / 0, 1)"));
  LONGS_EQUAL(1, I("if(not b, i / 0, 1)"));  // the other branch's null is harmless
  Values v;
  v.t_ns = 5;
  LONGS_EQUAL(5, I("if(b, t, t)", v));
}

TEST(Program, MathFunctions) {
  Values v;
  v.i = -7;
  v.f = -2.5;
  LONGS_EQUAL(7, I("abs(i)", v));
  DOUBLES_EQUAL(2.5, F("abs(f)", v), 0);
  LONGS_EQUAL(-7, I("min(i, j)", v));
  LONGS_EQUAL(3, I("max(i, j)", v));
  LONGS_EQUAL(-9, I("min(j, i, -9, 4)", v));
  DOUBLES_EQUAL(3.0, F("max(f, j)", v), 0);
  DOUBLES_EQUAL(-3.0, F("round(f)", v), 0);  // half away from zero
  DOUBLES_EQUAL(3.0, F("round(-f)", v), 0);
  DOUBLES_EQUAL(-3.0, F("floor(f)", v), 0);
  DOUBLES_EQUAL(-2.0, F("ceil(f)", v), 0);
  LONGS_EQUAL(-7, I("round(i)", v));  // an integer is its own round
  LONGS_EQUAL(-7, I("floor(i)", v));
  LONGS_EQUAL(-7, I("ceil(i)", v));
  DOUBLES_EQUAL(3.0, F("sqrt(9)"), 0);
  CHECK(std::isnan(F("sqrt(f)", v)));
  CHECK(B("sqrt(f) is null", v));
  DOUBLES_EQUAL(8.0, F("pow(2, j)"), 0);
  DOUBLES_EQUAL(0.5, F("pow(4, -0.5)"), 0);
  DOUBLES_EQUAL(1.0, F("log(exp(1))"), 1e-15);
  DOUBLES_EQUAL(-kInf, F("log(0)"), 0);
  CHECK(std::isnan(F("log(-1)")));
}

TEST(Program, Casts) {
  Values v;
  v.f = -2.75;
  LONGS_EQUAL(-2, I("i64(f)", v));  // toward zero
  LONGS_EQUAL(2, I("i64(-f)", v));
  DOUBLES_EQUAL(7.0, F("f64(i)"), 0);
  LONGS_EQUAL(1, I("i64(b)"));
  DOUBLES_EQUAL(1.0, F("f64(b)"), 0);
  LONGS_EQUAL(kMax, I("i64(1e300)"));
  LONGS_EQUAL(-kMax, I("i64(-1e300)"));
  LONGS_EQUAL(-kMax, I("i64(f / 0)", v));  // -infinity saturates
  v.t_ns = 1700000000123LL * 1000000 + 999999;  // ms field: 1700000000123 ms and a bit
  LONGS_EQUAL(1700000000123LL, I("i64(t)", v));
  DOUBLES_EQUAL(1700000000123.0, F("f64(t)", v), 0);
  v.t_ns = -1;  // just before the epoch: floor to -1 ms
  LONGS_EQUAL(-1, I("i64(t)", v));
  LONGS_EQUAL(123, I("i64(t) % 1000", Values{0, 0, 1700000000123LL * 1000000}));
}

TEST(Program, TimeFunctionsInUtc) {
  Values v;
  // 2024-02-29T13:45:30.250Z, a Thursday.
  v.t_ns = 1709214330250LL * 1000000;
  LONGS_EQUAL(2024, I("year(t)", v));
  LONGS_EQUAL(2, I("month(t)", v));
  LONGS_EQUAL(29, I("day(t)", v));
  LONGS_EQUAL(13, I("hour(t)", v));
  LONGS_EQUAL(45, I("minute(t)", v));
  LONGS_EQUAL(30, I("second(t)", v));
  LONGS_EQUAL(5, I("day_of_week(t)", v));  // 1 = Sunday ... 7 = Saturday
  v.t_ns = 0;                               // 1970-01-01T00:00:00Z, a Thursday
  LONGS_EQUAL(1970, I("year(t)", v));
  LONGS_EQUAL(1, I("month(t)", v));
  LONGS_EQUAL(1, I("day(t)", v));
  LONGS_EQUAL(5, I("day_of_week(t)", v));
  v.t_ns = -1;  // 1969-12-31T23:59:59.999999999Z, a Wednesday
  LONGS_EQUAL(1969, I("year(t)", v));
  LONGS_EQUAL(12, I("month(t)", v));
  LONGS_EQUAL(31, I("day(t)", v));
  LONGS_EQUAL(23, I("hour(t)", v));
  LONGS_EQUAL(59, I("minute(t)", v));
  LONGS_EQUAL(59, I("second(t)", v));
  LONGS_EQUAL(4, I("day_of_week(t)", v));
  v.t_ns = 951782400LL * 1000000000;  // 2000-02-29 (a leap century), a Tuesday
  LONGS_EQUAL(2000, I("year(t)", v));
  LONGS_EQUAL(2, I("month(t)", v));
  LONGS_EQUAL(29, I("day(t)", v));
  LONGS_EQUAL(3, I("day_of_week(t)", v));
  v.t_ns = kMax;  // 2262-04-11T23:47:16.854775807Z
  LONGS_EQUAL(2262, I("year(t)", v));
  LONGS_EQUAL(4, I("month(t)", v));
  LONGS_EQUAL(11, I("day(t)", v));
  v.t_ns = -kMax;  // 1677-09-21T00:12:43.145224193Z
  LONGS_EQUAL(1677, I("year(t)", v));
  LONGS_EQUAL(9, I("month(t)", v));
  LONGS_EQUAL(21, I("day(t)", v));
  LONGS_EQUAL(0, I("hour(t)", v));
  LONGS_EQUAL(12, I("minute(t)", v));
  v.t_ns = kNullInt;
  LONGS_EQUAL(kNullInt, I("hour(t)", v));
  LONGS_EQUAL(kNullInt, I("year(t)", v));
  LONGS_EQUAL(kNullInt, I("i64(t)", v));
  CHECK(B("t is null", v));
}

TEST(Program, TimestampComparisons) {
  Values v;
  v.t_ns = 2000 * 1000000LL;
  CHECK(B("t > 1999", v));
  CHECK(B("t == 2000", v));
  CHECK_FALSE(B("t > 2000", v));
  CHECK(B("t >= min(t, t)", v));
  CHECK(B("hour(t) == 0 and minute(t) < 1", v));
}

TEST(Program, BatchesAcrossChunks) {
  // More rows than one chunk, and a width that is not a power of two.
  const uint32_t kRows = 3 * Program::kChunkRows + 17;
  RowBatch in(8, kRows);  // one hidden slot beyond the 7 fields
  for (uint32_t r = 0; r < kRows; ++r) {
    Values v;
    v.i = r;
    v.j = static_cast<int64_t>(r % 5);
    v.f = r * 0.5;
    v.s = r % 3 == 0 ? "dev-1" : "dev-2";
    Slot* row = in.Append();
    Fill(row, v);
    row[7].i64 = -1;
  }
  Program p = Make("if(s == 'dev-1', i * 2, i / j) + round(f)");
  std::vector<Slot> out(kRows * 3);
  p.Evaluate(in, out.data() + 1, 3);
  for (uint32_t r = 0; r < kRows; ++r) {
    double expected;
    if (r % 3 == 0) {
      expected = 2.0 * r + std::round(r * 0.5);
    } else if (r % 5 == 0) {
      expected = kNaN;  // i / 0 is null, and null + anything is null
    } else {
      expected = static_cast<double>(r / (r % 5)) + std::round(r * 0.5);
    }
    double got = out[r * 3 + 1].f64;
    if (std::isnan(expected)) {
      CHECK_TEXT(std::isnan(got), std::to_string(r).c_str());
    } else {
      DOUBLES_EQUAL(expected, got, 0);
    }
  }
  // EvaluateChunk over the middle of the batch.
  Program q = Make("i + j");
  const Slot* chunk = q.EvaluateChunk(in, 300, 10);
  for (uint32_t k = 0; k < 10; ++k) LONGS_EQUAL(300 + k + (300 + k) % 5, chunk[k].i64);
  // An empty batch writes nothing.
  RowBatch empty(8, 4);
  q.Evaluate(empty, nullptr, 1);
}

TEST(Program, AFullSymbolTableIsReported) {
  SymbolTable tiny(1, 64);
  uint32_t id;
  CHECK(tiny.Intern("taken", &id));
  auto e = ParseExpression("s == 'new'", Fields());
  CHECK(e.ok());
  auto p = Compile(e.value(), &tiny);
  CHECK_FALSE(p.ok());
  CHECK(p.status().code() == runnel::StatusCode::kResourceExhausted);
}
