// Turns a zmq source's or sink's `curve` table (core/graph/graph.fbs,
// ZmqCurve) into CurveOptions: decides the role from the endpoints (bind:
// server, connect: client), checks that only that role's fields are set,
// checks Z85 keys, and reads the key files (paths relative to the graph
// file). Called at setup (check, plan, run); reports every problem.
#pragma once

#include <string>
#include <vector>

#include "core/graph/diagnostics.h"
#include "core/graph/graph_file.h"
#include "transports/zmq/curve.h"

namespace runnel::zmq {

// `def` may be null (no CURVE: `out` is left plain). `path` is the zmq
// table's field path ("sources[0].zmq"). False after adding diagnostics.
bool CurveFromGraph(const graph::GraphFile& file, const graph::fb::ZmqCurve* def,
                    const std::vector<std::string>& bind,
                    const std::vector<std::string>& connect, const std::string& path,
                    CurveOptions* out, graph::Diagnostics* diagnostics);

}  // namespace runnel::zmq
