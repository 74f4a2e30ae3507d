// Builds ZmqSource and ZmqSink from their graph-file definitions (the `zmq`
// member of a source or sink), reporting bad options as Diagnostics.
#pragma once

#include <memory>

#include "core/common/clock.h"
#include "core/graph/diagnostics.h"
#include "core/graph/graph_file.h"
#include "core/graph/logical_graph.h"
#include "core/runtime/operator.h"
#include "core/schema/symbol_table.h"

namespace runnel::zmq {

// REQUIRES: source.def->zmq() is set. `symbols` and `clock` must outlive
// the source.
std::unique_ptr<runtime::Source> MakeZmqSource(const graph::GraphFile& file,
                                               const graph::LogicalSource& source,
                                               const schema::Schema& schema,
                                               schema::SymbolTable* symbols, const Clock* clock,
                                               graph::Diagnostics* diagnostics);

// REQUIRES: sink.def->zmq() is set.
std::unique_ptr<runtime::Sink> MakeZmqSink(const graph::GraphFile& file,
                                           const graph::LogicalSink& sink,
                                           const schema::Schema& schema,
                                           const schema::SymbolTable* symbols, const Clock* clock,
                                           graph::Diagnostics* diagnostics);

// Bytes a zmq source preallocates beyond libzmq's buffers (its batch
// decoder's symbol map, a text format's line decoders), for plan budgets.
uint64_t ZmqSourceBytes(const graph::LogicalSource& source);

// Bytes a zmq sink preallocates (ring, staging batch, encoder), for plan
// budgets.
uint64_t ZmqSinkBytes(const graph::LogicalSink& sink, uint32_t width);

}  // namespace runnel::zmq
