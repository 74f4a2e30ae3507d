// LevelDB's default Env allocates its work queue and starts its compaction
// thread on first use, and keeps both for the life of the process. A test
// file that uses LevelDB includes this header: it does that before
// CppUTest counts each test's allocations as leaks.
#pragma once

#include <leveldb/env.h>

namespace runnel::testing {

[[maybe_unused]] inline const bool kLevelDbEnvStarted = [] {
  leveldb::Env::Default()->Schedule([](void*) {}, nullptr);
  return true;
}();

}  // namespace runnel::testing
