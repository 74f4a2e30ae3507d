// ZmqSink: sends rows as wire-format batches (docs/WIRE.md) on a ZeroMQ
// PUSH or PUB socket, from the task's own thread: a send only queues the
// message for libzmq's I/O thread, so no thread of the sink's own (and no
// hand-over) is needed.
//
// Write sends the rows it is given in batches of batch_rows, encoded
// straight from the caller's rows. Rows left over at the end of a Write are
// sent at once with max_latency_ms 0 (the default: at low rates each row
// leaves at once, at high rates the task's larger batches fill whole wire
// batches), else kept until more rows fill their batch or their first row
// has waited max_latency_ms (checked by the next Write and by
// OnProcessingTime). When a heartbeat period (heartbeat_ms) passes without
// a batch, OnProcessingTime sends a Hello and a heartbeat.
//
// A PUSH whose peers are all full or gone makes Write wait (logging after
// peer_timeout_ms): backpressure reaches the graph's sources. PUB drops
// instead. The wait ends when the job is cancelled, or linger_ms after it
// is asked to stop: the sink then drops what it cannot send, so Write never
// hangs a job, and Close reports the rows dropped.
//
// Exactly-once (docs/WIRE.md, "Exactly-once links"): every batch is kept
// in the replay buffer until the receiver acknowledges it, so a send never
// waits for a peer: batches the socket cannot take now stay unsent and go
// out in order (Pump) when it can again, or when the receiver asks for
// them. A full buffer moves its oldest batches to the replay spill on disk
// (replay_spill_dir, within replay_spill_bytes); only when that is full too
// does Write wait (backpressure).
//
// Close sends what is left and a closing heartbeat, waiting at most
// linger_ms for a peer. Every method but the counters is called by one
// thread (the task's); the counters may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/clock.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/wire/batch_encoder.h"
#include "transports/zmq/replay_buffer.h"
#include "transports/zmq/replay_spill.h"
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
  bool exactly_once = false;
  // The back channel's SUB socket (exactly_once): endpoints of the
  // receiver's PUB.
  std::vector<std::string> back_bind;
  std::vector<std::string> back_connect;
  uint64_t replay_buffer_bytes = 16u << 20;
  // Where a full replay buffer moves its oldest batches (none: Write waits
  // instead), and the most bytes of batches kept there.
  std::string spill_dir;
  uint64_t spill_bytes = uint64_t{1} << 30;
};

class ZmqSink : public runtime::Sink {
 public:
  // `symbols` and `clock` must outlive the sink.
  ZmqSink(ZmqSinkOptions options, const schema::Schema& schema,
          const schema::SymbolTable* symbols, const Clock* clock);

  void WatchSignals(const runtime::JobSignals* signals) override { signals_ = signals; }
  Status Open() override;
  Status Write(const schema::RowBatch& batch) override;
  Status Close() override;
  int64_t next_processing_time_ms() const override;
  Status OnProcessingTime(int64_t now_ms) override;
  uint64_t footprint_bytes() const override;

  bool transactional() const override { return options_.exactly_once; }
  Status Finish() override;
  Status PrepareCommit(uint64_t id, bool full, runtime::StateBuffer* out) override;
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  size_t checkpoint_bytes() const override;

  uint64_t producer() const { return producer_; }
  uint64_t batches_sent() const { return sequence_.load(std::memory_order_relaxed); }
  uint64_t rows_dropped() const { return rows_dropped_.load(std::memory_order_relaxed); }
  // Exactly-once: rows written that the receiver has not acknowledged
  // (task thread).
  uint64_t unacknowledged_rows() const { return next_row_ - 1 - acked_rows_; }
  // Exactly-once: rows kept but not yet handed to the socket, and the
  // replay spill (nullptr without one). Task thread.
  uint64_t unsent_rows() const { return next_row_ - unsent_row_; }
  const ReplaySpill* spill() const { return spill_.get(); }

 private:
  // Encodes rows first .. first + count - 1 of `rows` as the next batch,
  // with `watermark` (the watermark that holds after them), and sends it;
  // counts them as dropped if it cannot.
  void SendRows(const schema::RowBatch& rows, uint32_t first, uint32_t count,
                int64_t watermark);
  // Sends the rows kept from earlier Writes, if any.
  void Flush();
  void SendHeartbeat(bool closing);
  // Sends the encoder's message: waiting while a PUSH cannot, except on an
  // exactly-once link. False when it did not send (see SendMessage).
  bool Send();
  // Whether Send must give up waiting for a peer at `now`: linger_ms after
  // Close or after the job was asked to stop, or once it is cancelled.
  bool GiveUp(int64_t now);
  // Sends `message` (an encoded envelope); with `wait`, waits while the
  // socket cannot take it until GiveUp. False when it did not send.
  bool SendMessage(const uint8_t* data, size_t size, bool wait);
  // Exactly-once: handles the Acks and ReplayRequests that have arrived.
  void PollBackChannel();
  // Exactly-once: sends again every kept batch with rows from `from_row` on.
  void Resend(uint64_t from_row);
  // Exactly-once: sends the kept batches from unsent_row_ on, in order, as
  // long as the socket takes them without waiting.
  void Pump();
  // Exactly-once: keeps the encoder's batch in the replay buffer, moving
  // older batches to the spill or waiting for Acks while it is full. False
  // when it gave up (see GiveUp) or the spill failed.
  bool Keep(uint64_t first_row, uint32_t rows);
  // Exactly-once: opens the replay spill (Open) and reconciles it with the
  // restored checkpoint.
  Status OpenSpill();
  // Exactly-once: the first row kept (next_row_ when none is).
  uint64_t first_kept_row() const;
  // Exactly-once: everything sent is acknowledged, with the close.
  bool AllAcknowledged() const {
    return acked_rows_ + 1 == next_row_ && acked_closed_;
  }

  ZmqSinkOptions options_;
  uint32_t width_;
  const Clock* clock_;
  ZmqSocket socket_;
  schema::RowBatch staging_;
  wire::BatchEncoder encoder_;
  uint64_t producer_;
  uint64_t epoch_ = 1;
  std::atomic<uint64_t> sequence_{0};
  int64_t watermark_ = schema::RowBatch::kNoWatermark;  // after the rows sent
  int64_t written_watermark_ = schema::RowBatch::kNoWatermark;  // after the rows written
  int64_t first_row_ms_ = 0;  // when the oldest staged row was written
  int64_t heartbeat_due_ms_ = 0;  // the end of the current heartbeat period
  bool sent_in_period_ = false;  // a batch went out in this period
  bool closing_ = false;
  int64_t close_deadline_ms_ = INT64_MAX;
  const runtime::JobSignals* signals_ = nullptr;
  int64_t stop_deadline_ms_ = INT64_MAX;
  bool failed_ = false;
  std::atomic<uint64_t> rows_dropped_{0};
  bool open_ = false;

  // Exactly-once links.
  ZmqSocket back_;  // SUB
  std::unique_ptr<ReplayBuffer> replay_;
  uint64_t channel_hash_ = 0;
  uint64_t next_row_ = 1;  // the position the next row written gets
  uint64_t acked_rows_ = 0;
  bool acked_closed_ = false;
  bool finished_ = false;  // Finish saw every row and the close acknowledged
  int64_t back_poll_due_ms_ = 0;
  uint64_t unsent_row_ = 1;  // the first row kept but not handed to the socket
  std::unique_ptr<ReplaySpill> spill_;
  bool spilling_ = false;  // logged that batches go to the spill
  // The position a checkpoint restored (RestoreEntry): whether there was
  // one, the buffer's next entry number, and the newest spilled batch's
  // number and last row (0: none).
  bool restored_ = false;
  uint64_t restored_next_number_ = 1;
  uint64_t restored_spill_number_ = 0;
  uint64_t restored_spill_row_ = 0;
  // Entry numbers this sink's checkpoint records hold: saved_low_ up to
  // saved_high_ (none when saved_low_ > saved_high_).
  uint64_t saved_low_ = 1;
  uint64_t saved_high_ = 0;
};

}  // namespace runnel::zmq
