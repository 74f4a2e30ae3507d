// ZmqSink: sends rows as wire-format batches (docs/WIRE.md) on a ZeroMQ
// PUSH or PUB socket.
//
// Write copies rows into a ring of preallocated batches and returns; a
// sender thread of the sink's own (ZeroMQ sockets belong to one thread)
// gathers them into batches of batch_rows, sent when full or when their
// first row has waited max_latency_ms (0: as soon as the sender has caught
// up with Write, so rows wait only while it is busy sending), and sends a
// heartbeat and Hello when idle for heartbeat_ms. An idle sender sleeps on a
// Wakeup that Write notifies: a row written to an idle sink is sent at once. A PUSH whose peers are all full or gone waits
// (logging after peer_timeout_ms), the ring fills and Write waits:
// backpressure reaches the graph's sources. PUB drops instead. The wait
// ends when the job is cancelled, or linger_ms after it is asked to stop:
// the sender then drops what it cannot send, so Write never hangs a job.
//
// Close sends what is left and a closing heartbeat, waiting at most
// linger_ms for a peer, then reports rows it had to drop. Write and Close
// are called by one thread (the task's); the sender thread is private.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "core/common/clock.h"
#include "core/runtime/batch_ring.h"
#include "core/runtime/operator.h"
#include "core/runtime/wakeup.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/wire/batch_encoder.h"
#include "transports/zmq/zmq_socket.h"

namespace runnel::zmq {

struct ZmqSinkOptions {
  std::string name;  // for logs
  bool publish = false;  // PUB, else PUSH
  std::vector<std::string> bind;
  std::vector<std::string> connect;
  std::string channel;
  uint32_t batch_rows = 512;
  int64_t max_latency_ms = 0;
  int high_water_mark = 1000;
  int64_t heartbeat_ms = 1000;
  int64_t peer_timeout_ms = 5000;
  int64_t linger_ms = 10000;
  std::string producer_name;
  CurveOptions curve;  // none by default (curve.h)
  uint32_t ring_slots = 8;
};

class ZmqSink : public runtime::Sink {
 public:
  // `symbols` and `clock` must outlive the sink.
  ZmqSink(ZmqSinkOptions options, const schema::Schema& schema,
          const schema::SymbolTable* symbols, const Clock* clock);
  ~ZmqSink() override;

  void WatchSignals(const runtime::JobSignals* signals) override { signals_ = signals; }
  Status Open() override;
  Status Write(const schema::RowBatch& batch) override;
  Status Close() override;
  uint64_t footprint_bytes() const override;

  uint64_t producer() const { return producer_; }
  uint64_t batches_sent() const { return sequence_.load(std::memory_order_relaxed); }
  uint64_t rows_dropped() const { return rows_dropped_.load(std::memory_order_relaxed); }

 private:
  void Run();
  // Encodes staging_ as the next batch and sends it.
  void Flush(int64_t watermark);
  void SendHeartbeat(bool closing);
  // Sleeps until Write or Close notifies, or `timeout_us`; returns at once
  // if the ring has rows or is closed.
  void WaitForRows(int64_t timeout_us);
  // Sends the encoder's message, waiting while a PUSH cannot. False when
  // it gave up (closing and past the linger deadline).
  bool Send();
  // Whether Send must give up waiting for a peer at `now`: linger_ms after
  // Close or after the job was asked to stop, or once it is cancelled.
  bool GiveUp(int64_t now);

  ZmqSinkOptions options_;
  uint32_t width_;
  const Clock* clock_;
  ZmqSocket socket_;
  runtime::BatchRing ring_;
  runtime::Wakeup wakeup_;  // the sender sleeps on it when idle
  schema::RowBatch staging_;
  wire::BatchEncoder encoder_;
  uint64_t producer_;
  uint64_t epoch_ = 1;
  std::atomic<uint64_t> sequence_{0};
  int64_t watermark_ = schema::RowBatch::kNoWatermark;  // after the rows sent
  int64_t last_send_ms_ = 0;
  std::atomic<bool> closing_{false};
  int64_t close_deadline_ms_ = INT64_MAX;
  const runtime::JobSignals* signals_ = nullptr;
  int64_t stop_deadline_ms_ = INT64_MAX;  // sender thread only
  std::atomic<bool> cancel_{false};  // never set: Write waits for the ring
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> rows_dropped_{0};
  bool open_ = false;
  std::thread thread_;
};

}  // namespace runnel::zmq
