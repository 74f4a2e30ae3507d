// Loading a graph file for a CLI verb: parse (JSON or compiled), substitute
// environment variables, check, plan. Problems are printed to stderr as
// FILE:LINE: FIELD: MESSAGE lines.
#pragma once

#include <string>

#include "core/graph/planner.h"
#include "transports/file/csv_connectors.h"

namespace runnel::cli {

// The plan of the graph at `path`; its job is null if the graph is invalid
// (the problems have been printed).
graph::PhysicalPlan LoadAndPlan(const std::string& path,
                                const file::CsvOverrides& csv_overrides);

}  // namespace runnel::cli
