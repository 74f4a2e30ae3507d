// Rescaling keyed state (docs/STATE.md, Changing parallelism): moving the
// entries of one restored instance's table into the tables of the new
// instances, each key to the instance the partitioner routes it to.
// Restore time only; not for the hot path.
#pragma once

#include <cstdint>
#include <string>

#include "core/common/status.h"
#include "core/schema/row_hash.h"
#include "core/state/keyed_table.h"

namespace runnel::state {

// Copies every live entry of `from` (value and stamp) into
// to[schema::InstanceOf(hash, count)], where `hash` is that of the key's
// first `route_slots` slots (the stream's key, which the partitioner
// hashes), oldest first, and calls moved(uint32_t from_cursor, uint32_t
// target, uint32_t to_cursor) for each. A full target follows its overflow
// policy (KeyedTable::Import): an entry it drops is not moved, and one
// that fails is an error naming `capacity` (the graph field to raise).
template <typename Moved>
Status MoveEntries(const KeyedTable& from, KeyedTable* const* to, uint32_t count,
                   uint32_t route_slots, const std::string& capacity, Moved&& moved) {
  Status status = Status::Ok();
  const uint32_t key_slots = from.key_slots();
  from.ForEachCursor([&](uint32_t cursor) {
    if (!status.ok()) return;
    const schema::Slot* key = from.KeyAt(cursor);
    const uint32_t target = schema::InstanceOf(schema::HashSlots(key, route_slots), count);
    uint32_t placed = 0;
    switch (to[target]->Import(key, schema::HashSlots(key, key_slots), from.StampAt(cursor),
                               from.ValueAt(cursor), &placed)) {
      case KeyedTable::Outcome::kInserted:
        moved(cursor, target, placed);
        return;
      case KeyedTable::Outcome::kDropped:
        return;
      case KeyedTable::Outcome::kFull:
        status = ResourceExhausted("instance " + std::to_string(target) + " has no room for the " +
                                   std::to_string(from.size()) + " entries of a saved instance (" +
                                   std::to_string(to[target]->capacity()) +
                                   " at most); raise " + capacity);
        return;
      case KeyedTable::Outcome::kFound:
        status = DataError("a key is held by two saved instances");
        return;
    }
  });
  return status;
}

// The same for tables whose entries refer to nothing else.
inline Status MoveEntries(const KeyedTable& from, KeyedTable* const* to, uint32_t count,
                          uint32_t route_slots, const std::string& capacity) {
  return MoveEntries(from, to, count, route_slots, capacity, [](uint32_t, uint32_t, uint32_t) {});
}

}  // namespace runnel::state
