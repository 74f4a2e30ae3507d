// CheckpointRecords: what restoring the newest checkpoint hands a stage —
// the latest record per key over every snapshot taken so far, deletes
// applied — for tests of snapshot and restore without a store.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/runtime/state_buffer.h"

namespace runnel::testing {

using CheckpointRecords = std::map<std::string, std::string>;

// Folds one snapshot's records into `records`.
inline void KeepLatest(const runtime::StateBuffer& buffer, CheckpointRecords* records) {
  buffer.ForEach([&](bool is_delete, std::string_view key, std::string_view value) {
    if (is_delete) {
      records->erase(std::string(key));
    } else {
      (*records)[std::string(key)] = std::string(value);
    }
  });
}

}  // namespace runnel::testing
