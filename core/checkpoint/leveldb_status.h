// FromLevelDb: a LevelDB status as a Runnel Status, for the code that keeps
// data in LevelDB (the checkpoint store, the replay spill).
#pragma once

#include <string>
#include <utility>

#include <leveldb/status.h>

#include "core/common/status.h"

namespace runnel::checkpoint {

// OK stays OK. Corruption is a data error (the caller may fall back to
// older data); anything else is the file system's. `context` says what was
// being done where ("cannot open checkpoint store DIR").
inline Status FromLevelDb(const std::string& context, const leveldb::Status& s) {
  if (s.ok()) return Status::Ok();
  std::string message = context + ": " + s.ToString();
  return s.IsCorruption() ? DataError(std::move(message)) : IoError(std::move(message));
}

}  // namespace runnel::checkpoint
