#include "transports/zmq/zmq_sink.h"

#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include "core/common/byte_count.h"
#include "core/common/log.h"

namespace runnel::zmq {
namespace {

uint64_t RandomProducerId() {
  std::random_device random;
  return (uint64_t{random()} << 32) ^ random();
}

// How long a blocked send waits for room before it checks again whether
// to give up.
constexpr int kSendPollMs = 20;

}  // namespace

ZmqSink::ZmqSink(ZmqSinkOptions options, const schema::Schema& schema,
                 const schema::SymbolTable* symbols, const Clock* clock)
    : options_(std::move(options)),
      width_(schema.size()),
      clock_(clock),
      staging_(schema.size(), options_.batch_rows),
      encoder_(schema, symbols, options_.batch_rows),
      producer_(RandomProducerId()) {}

uint64_t ZmqSink::footprint_bytes() const {
  return SaturatingAdd(schema::RowBatch::SlotBytes(staging_.width(), staging_.capacity()),
                       encoder_.footprint_bytes());
}

Status ZmqSink::Open() {
  Status status = socket_.Open(options_.publish ? ZMQ_PUB : ZMQ_PUSH, options_.high_water_mark,
                               options_.bind, options_.connect, options_.curve);
  if (!status.ok()) return IoError("sink " + options_.name + ": " + status.message());
  open_ = true;
  heartbeat_due_ms_ = clock_->NowMillis() + options_.heartbeat_ms;
  encoder_.EncodeHello(producer_, options_.producer_name, epoch_, 1);
  // The first Hello must not wait for a peer: a PUSH without one blocks.
  if (zmq_send(socket_.get(), options_.channel.data(), options_.channel.size(),
               ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
    zmq_send(socket_.get(), encoder_.data(), encoder_.size(), 0);
  }
  return Status::Ok();
}

Status ZmqSink::Write(const schema::RowBatch& batch) {
  const uint32_t rows = batch.size();
  const uint32_t batch_rows = options_.batch_rows;
  // The batch's watermark holds after its last row; rows before it carry
  // the one before.
  const int64_t after = batch.watermark() != schema::RowBatch::kNoWatermark
                            ? batch.watermark()
                            : written_watermark_;
  uint32_t row = 0;
  if (!staging_.empty()) {  // fill up what earlier Writes kept first
    while (row < rows && !staging_.full()) {
      schema::CopySlots(staging_.Append(), batch.row(row++), width_);
    }
    if (staging_.full()) {
      if (row == rows) written_watermark_ = after;
      Flush();
    }
  }
  for (; rows - row >= batch_rows; row += batch_rows) {
    SendRows(batch, row, batch_rows, row + batch_rows == rows ? after : written_watermark_);
  }
  written_watermark_ = after;
  if (row < rows) {
    if (options_.max_latency_ms == 0) {
      SendRows(batch, row, rows - row, after);
    } else {
      if (staging_.empty()) first_row_ms_ = clock_->NowMillis();
      for (; row < rows; ++row) schema::CopySlots(staging_.Append(), batch.row(row), width_);
    }
  }
  if (!staging_.empty() && clock_->NowMillis() - first_row_ms_ >= options_.max_latency_ms) {
    Flush();
  }
  if (failed_) return IoError("sink " + options_.name + ": sending failed (see the log)");
  return Status::Ok();
}

int64_t ZmqSink::next_processing_time_ms() const {
  if (!open_ || failed_) return INT64_MAX;
  if (!staging_.empty()) {
    return std::min(heartbeat_due_ms_, first_row_ms_ + options_.max_latency_ms);
  }
  return heartbeat_due_ms_;
}

Status ZmqSink::OnProcessingTime(int64_t now_ms) {
  if (!staging_.empty() && now_ms - first_row_ms_ >= options_.max_latency_ms) Flush();
  if (now_ms >= heartbeat_due_ms_) {
    if (!sent_in_period_) SendHeartbeat(false);
    sent_in_period_ = false;
    heartbeat_due_ms_ = now_ms + options_.heartbeat_ms;
  }
  if (failed_) return IoError("sink " + options_.name + ": sending failed (see the log)");
  return Status::Ok();
}

Status ZmqSink::Close() {
  if (!open_) return Status::Ok();
  open_ = false;
  closing_ = true;
  close_deadline_ms_ = clock_->NowMillis() + options_.linger_ms;
  Flush();
  if (!failed_) SendHeartbeat(true);
  socket_.Close(static_cast<int>(options_.linger_ms));
  if (rows_dropped() > 0) {
    return IoError("sink " + options_.name + ": " + std::to_string(rows_dropped()) +
                   " rows not delivered: no peer took them within linger_ms (" +
                   std::to_string(options_.linger_ms) + " ms)");
  }
  return Status::Ok();
}

bool ZmqSink::Send() {
  int64_t waiting_since = -1;
  int64_t warned_at = 0;
  while (true) {
    if (zmq_send(socket_.get(), options_.channel.data(), options_.channel.size(),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
      // Once the first frame is queued, the rest of the message is too.
      zmq_send(socket_.get(), encoder_.data(), encoder_.size(), 0);
      if (waiting_since >= 0 && warned_at > 0) {
        RUNNEL_LOG_INFO("sink %s: a peer takes batches again", options_.name.c_str());
      }
      sent_in_period_ = true;
      return true;
    }
    if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) {
      RUNNEL_LOG_ERROR("sink %s: send failed: %s", options_.name.c_str(),
                       zmq_strerror(zmq_errno()));
      failed_ = true;
      return false;
    }
    int64_t now = clock_->NowMillis();
    if (waiting_since < 0) waiting_since = now;
    if (GiveUp(now)) return false;
    if (now - waiting_since >= options_.peer_timeout_ms &&
        now - warned_at >= options_.peer_timeout_ms) {
      warned_at = now;
      RUNNEL_LOG_WARN("sink %s: no peer has taken a batch for %lld ms (peers gone or full; "
                      "waiting, rows back up to the sources)",
                      options_.name.c_str(), static_cast<long long>(now - waiting_since));
    }
    // Wait until the socket can send again (a peer took messages or
    // connected), checking the deadlines and the job's flags meanwhile.
    zmq_pollitem_t item = {socket_.get(), 0, ZMQ_POLLOUT, 0};
    zmq_poll(&item, 1, kSendPollMs);
  }
}

bool ZmqSink::GiveUp(int64_t now) {
  if (closing_ && now >= close_deadline_ms_) return true;
  if (signals_ == nullptr) return false;
  if (signals_->cancel.load(std::memory_order_relaxed)) return true;
  if (!signals_->stop.load(std::memory_order_relaxed)) return false;
  if (stop_deadline_ms_ == INT64_MAX) stop_deadline_ms_ = now + options_.linger_ms;
  return now >= stop_deadline_ms_;
}

void ZmqSink::SendRows(const schema::RowBatch& rows, uint32_t first, uint32_t count,
                       int64_t watermark) {
  if (failed_) {
    rows_dropped_.fetch_add(count, std::memory_order_relaxed);
    return;
  }
  wire::BatchHeader header;
  header.producer = producer_;
  header.producer_name = options_.producer_name;
  header.epoch = epoch_;
  header.sequence = sequence_.load(std::memory_order_relaxed) + 1;
  header.watermark = watermark;
  encoder_.EncodeBatch(header, rows, first, count);
  if (Send()) {
    sequence_.store(header.sequence, std::memory_order_relaxed);
    watermark_ = watermark;
  } else {
    rows_dropped_.fetch_add(count, std::memory_order_relaxed);
  }
}

void ZmqSink::Flush() {
  if (staging_.empty()) return;
  SendRows(staging_, 0, staging_.size(), written_watermark_);
  staging_.Clear();
}

void ZmqSink::SendHeartbeat(bool closing) {
  encoder_.EncodeHello(producer_, options_.producer_name, epoch_,
                       sequence_.load(std::memory_order_relaxed) + 1);
  if (!Send()) return;
  wire::HeartbeatInfo h;
  h.producer = producer_;
  h.epoch = epoch_;
  h.last_sequence = sequence_.load(std::memory_order_relaxed);
  h.watermark = watermark_;
  h.sent_at_ns = clock_->NowMillis() * 1000000;
  h.closing = closing;
  encoder_.EncodeHeartbeat(h);
  Send();
}

}  // namespace runnel::zmq
