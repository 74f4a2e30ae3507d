#include "tests/transports/zmq/link_fixture.h"

#include <zmq.h>

#include "core/common/clock.h"

// Last: CppUTest's leak detector redefines `new`.
#include <CppUTest/TestHarness.h>

namespace runnel::testing {

using schema::FieldType;
using schema::RowBatch;
using schema::Slot;
using schema::TimeUnit;

schema::Schema Readings() {
  return schema::Schema({{"device", FieldType::kSym, TimeUnit::kMs},
                         {"ts", FieldType::kTs, TimeUnit::kMs},
                         {"temp", FieldType::kF64, TimeUnit::kMs}});
}

Row MakeRow(int64_t i) { return {"dev-" + std::to_string(i % 7), i * 10 - 500, i * 0.25}; }

std::string Endpoint(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

std::vector<Row> ReadAll(zmq::ZmqSource* source, const schema::SymbolTable& symbols,
                         int timeout_ms, int64_t* watermark) {
  std::vector<Row> rows;
  RowBatch batch(3, 256);
  int64_t deadline = SystemClock::Get()->NowMillis() + timeout_ms;
  bool done = false;
  while (!done && SystemClock::Get()->NowMillis() < deadline) {
    batch.Clear();
    Status status = source->Read(&batch, &done);
    CHECK_TRUE_TEXT(status.ok(), status.message().c_str());
    for (uint32_t r = 0; r < batch.size(); ++r) {
      const Slot* s = batch.row(r);
      rows.push_back({std::string(symbols.Lookup(static_cast<uint32_t>(s[0].i64))), s[1].i64,
                      s[2].f64});
    }
    if (watermark && batch.watermark() != RowBatch::kNoWatermark) {
      CHECK(batch.watermark() >= *watermark);  // never backwards
      *watermark = batch.watermark();
    }
  }
  CHECK_TEXT(done, "the source did not end in time");
  return rows;
}

RawSender::RawSender(int type, const std::string& endpoint, bool bind) {
  context_ = zmq_ctx_new();
  socket_ = zmq_socket(context_, type);
  int hwm = 100000;
  zmq_setsockopt(socket_, ZMQ_SNDHWM, &hwm, sizeof(hwm));
  if (bind) {
    zmq_bind(socket_, endpoint.c_str());
  } else {
    zmq_connect(socket_, endpoint.c_str());
  }
}

RawSender::~RawSender() {
  int linger = 5000;
  zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof(linger));
  zmq_close(socket_);
  zmq_ctx_term(context_);
}

void RawSender::Send(const std::vector<std::string>& frames) {
  for (size_t i = 0; i < frames.size(); ++i) {
    zmq_send(socket_, frames[i].data(), frames[i].size(), i + 1 < frames.size() ? ZMQ_SNDMORE : 0);
  }
}

std::string Encoder::Batch(uint64_t sequence, int64_t first_row, uint32_t count,
                           int64_t watermark) {
  rows.Clear();
  for (uint32_t i = 0; i < count; ++i) {
    Row r = MakeRow(first_row + i);
    Slot* s = rows.Append();
    uint32_t id;
    symbols.Intern(r.device, &id);
    s[0].i64 = id;
    s[1].i64 = r.ts;
    s[2].f64 = r.temp;
  }
  wire::BatchHeader h;
  h.producer = 42;
  h.epoch = 1;
  h.sequence = sequence;
  h.watermark = watermark;
  encoder.EncodeBatch(h, rows);
  return std::string(reinterpret_cast<const char*>(encoder.data()), encoder.size());
}

std::string Encoder::Closing(uint64_t last_sequence) {
  wire::HeartbeatInfo h;
  h.producer = 42;
  h.epoch = 1;
  h.last_sequence = last_sequence;
  h.closing = true;
  encoder.EncodeHeartbeat(h);
  return std::string(reinterpret_cast<const char*>(encoder.data()), encoder.size());
}

}  // namespace runnel::testing
