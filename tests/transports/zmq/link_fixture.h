// Shared parts of the real-socket zmq source tests: the readings schema and
// its rows, a raw ZeroMQ sender for frames a sink never sends, an encoder of
// wire messages, and a reader that drains a ZmqSource until it ends.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/schema/row.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/wire/batch_encoder.h"
#include "transports/zmq/zmq_source.h"

namespace runnel::testing {

// device sym, ts ts (ms), temp f64.
schema::Schema Readings();

struct Row {
  std::string device;
  int64_t ts;  // ns, as in a row's slot
  double temp;
  bool operator==(const Row& o) const {
    return device == o.device && ts == o.ts && temp == o.temp;
  }
};

// Row i of the test streams.
Row MakeRow(int64_t i);

std::string Endpoint(int port);

// Reads `source` until it reports done (or `timeout_ms`, a test failure),
// collecting rows and the largest batch watermark seen (which must never
// go back).
std::vector<Row> ReadAll(zmq::ZmqSource* source, const schema::SymbolTable& symbols,
                         int timeout_ms, int64_t* watermark = nullptr);

// A raw ZeroMQ PUSH or PUB socket, for sending frames a sink never would.
class RawSender {
 public:
  RawSender(int type, const std::string& endpoint, bool bind = false);
  ~RawSender();  // waits up to 5 s for queued messages to leave
  RawSender(const RawSender&) = delete;
  RawSender& operator=(const RawSender&) = delete;

  // One message of these frames.
  void Send(const std::vector<std::string>& frames);

 private:
  void* context_;
  void* socket_;
};

// Encodes wire messages of the Readings schema (producer 42, epoch 1) with
// its own symbols.
struct Encoder {
  schema::SymbolTable symbols{1024, 1 << 16};
  wire::BatchEncoder encoder{Readings(), &symbols, 1024};
  schema::RowBatch rows{3, 1024};

  // Rows first_row .. first_row + count - 1 as batch `sequence`.
  std::string Batch(uint64_t sequence, int64_t first_row, uint32_t count,
                    int64_t watermark = schema::RowBatch::kNoWatermark);
  // The closing heartbeat after batch `last_sequence`.
  std::string Closing(uint64_t last_sequence);
};

}  // namespace runnel::testing
