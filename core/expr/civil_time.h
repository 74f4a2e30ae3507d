// Civil (UTC, proleptic Gregorian) calendar fields of a ts, for the time
// functions of expressions: year(ts), hour(ts), day_of_week(ts), ...
// Pure integer arithmetic (Howard Hinnant's days_from_civil inverse): no
// time zone tables, no allocation, correct for every i64 ns value.
#pragma once

#include <cstdint>

namespace runnel::expr {

constexpr int64_t kNanosPerSecond = 1000000000;
constexpr int64_t kSecondsPerDay = 86400;

// Floor division and its remainder, for times before 1970.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
// (From the remainder, not a - FloorDiv(a, b) * b, which overflows for
// times near INT64_MIN.)
inline int64_t FloorMod(int64_t a, int64_t b) {
  const int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

struct CivilDate {
  int64_t year;
  int64_t month;  // 1..12
  int64_t day;    // 1..31
};

// The date `days` days after 1970-01-01.
inline CivilDate CivilFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                  // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                // [0, 11]
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// 1 = Sunday ... 7 = Saturday (Flink SQL's DAYOFWEEK); 1970-01-01 was a
// Thursday.
inline int64_t DayOfWeekFromDays(int64_t days) { return FloorMod(days + 4, 7) + 1; }

}  // namespace runnel::expr
