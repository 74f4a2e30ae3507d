// Every transport Runnel ships, as planner Connectors: a graph's source or
// sink is built by the transport whose member (`csv`, `generator`, ...) it
// sets. Used by the runnel binary and by programs embedding Runnel.
#pragma once

#include "core/common/clock.h"
#include "core/graph/planner.h"
#include "transports/file/csv_connectors.h"

namespace runnel::transports {

// `csv_overrides.strict` (`runnel run --strict`) applies to jsonl sources too;
// `csv_overrides.checkpoints` makes CSV file sinks transactional.
// `clock` must outlive the connectors and what they build.
graph::Connectors MakeConnectors(const file::CsvOverrides& csv_overrides = {},
                                 const Clock* clock = SystemClock::Get());

}  // namespace runnel::transports
