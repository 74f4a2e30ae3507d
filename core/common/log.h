// Log: one line per event on stderr, with a UTC timestamp and a level:
//   2026-11-24T02:19:26.123Z WARN readings.csv:17: expected f64 ...
//
// Formats into a stack buffer and writes with one write(2) call, so logging a
// bad record never allocates and lines from different threads do not
// interleave. The level threshold is process-wide.
#pragma once

namespace runnel::log {

enum class Level { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLevel(Level level);
Level GetLevel();

// Parses "debug", "info", "warn" or "error". Returns false otherwise.
bool ParseLevel(const char* text, Level* level);

void Write(Level level, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

}  // namespace runnel::log

#define RUNNEL_LOG_DEBUG(...) ::runnel::log::Write(::runnel::log::Level::kDebug, __VA_ARGS__)
#define RUNNEL_LOG_INFO(...) ::runnel::log::Write(::runnel::log::Level::kInfo, __VA_ARGS__)
#define RUNNEL_LOG_WARN(...) ::runnel::log::Write(::runnel::log::Level::kWarn, __VA_ARGS__)
#define RUNNEL_LOG_ERROR(...) ::runnel::log::Write(::runnel::log::Level::kError, __VA_ARGS__)
