// The transports the runnel binary knows, as planner Connectors: a graph's
// source or sink is built by the transport whose member (`csv`, ...) it sets.
#pragma once

#include "core/graph/planner.h"
#include "transports/file/csv_connectors.h"

namespace runnel::cli {

graph::Connectors MakeConnectors(const file::CsvOverrides& csv_overrides);

}  // namespace runnel::cli
