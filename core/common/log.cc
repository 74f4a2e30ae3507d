#include "core/common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace runnel::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
  }
  return "?";
}

}  // namespace

void SetLevel(Level level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

Level GetLevel() {
  return static_cast<Level>(g_level.load(std::memory_order_relaxed));
}

bool ParseLevel(const char* text, Level* level) {
  static constexpr Level kLevels[] = {Level::kDebug, Level::kInfo,
                                      Level::kWarn, Level::kError};
  for (Level candidate : kLevels) {
    if (strcasecmp(text, LevelName(candidate)) == 0) {
      *level = candidate;
      return true;
    }
  }
  return false;
}

void Write(Level level, const char* format, ...) {
  if (static_cast<int>(level) < g_level.load(std::memory_order_relaxed)) return;
  char line[1024];
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc;
  gmtime_r(&now.tv_sec, &utc);
  size_t n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &utc);
  n += snprintf(line + n, sizeof(line) - n, ".%03ldZ %s ",
                now.tv_nsec / 1000000, LevelName(level));
  va_list args;
  va_start(args, format);
  int body = vsnprintf(line + n, sizeof(line) - n, format, args);
  va_end(args);
  n = (body < 0) ? n : n + static_cast<size_t>(body);
  if (n > sizeof(line) - 2) n = sizeof(line) - 2;  // truncated: keep the newline
  line[n++] = '\n';
  // One write keeps concurrent lines whole; a failed log write has nowhere
  // to be reported.
  ssize_t ignored = ::write(STDERR_FILENO, line, n);
  (void)ignored;
}

}  // namespace runnel::log
