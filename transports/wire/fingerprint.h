// SchemaFingerprint: the 64-bit FNV-1a fingerprint of a schema that every
// wire Batch and Hello carries (docs/WIRE.md, "Schema fingerprint"), so a
// receiver rejects rows of a schema it does not expect. Pure function.
#pragma once

#include <cstdint>

#include "core/schema/schema.h"

namespace runnel::wire {

// FNV-1a over "name:type;" for each field in order.
uint64_t SchemaFingerprint(const schema::Schema& schema);

}  // namespace runnel::wire
