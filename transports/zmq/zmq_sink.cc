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
      ring_(options_.ring_slots, schema.size(), options_.batch_rows),
      staging_(schema.size(), options_.batch_rows),
      encoder_(schema, symbols, options_.batch_rows),
      producer_(RandomProducerId()) {}

ZmqSink::~ZmqSink() {
  if (thread_.joinable()) {
    ring_.Close();
    wakeup_.Notify();
    thread_.join();
  }
}

uint64_t ZmqSink::footprint_bytes() const {
  return SaturatingAdd(
      SaturatingAdd(ring_.footprint_bytes(),
                    schema::RowBatch::SlotBytes(staging_.width(), staging_.capacity())),
      encoder_.footprint_bytes());
}

Status ZmqSink::Open() {
  Status status = socket_.Open(options_.publish ? ZMQ_PUB : ZMQ_PUSH, options_.high_water_mark,
                               options_.bind, options_.connect, options_.curve);
  if (!status.ok()) return IoError("sink " + options_.name + ": " + status.message());
  open_ = true;
  last_send_ms_ = clock_->NowMillis();
  encoder_.EncodeHello(producer_, options_.producer_name, epoch_, 1);
  // The first Hello must not wait for a peer: a PUSH without one blocks.
  if (zmq_send(socket_.get(), options_.channel.data(), options_.channel.size(),
               ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
    zmq_send(socket_.get(), encoder_.data(), encoder_.size(), 0);
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status ZmqSink::Write(const schema::RowBatch& batch) {
  if (failed_.load(std::memory_order_relaxed)) {
    return IoError("sink " + options_.name + ": the sender failed (see the log)");
  }
  uint32_t row = 0;
  while (row < batch.size()) {
    schema::RowBatch* chunk = ring_.BeginWrite(cancel_);
    while (row < batch.size() && !chunk->full()) {
      schema::CopySlots(chunk->Append(), batch.row(row++), width_);
    }
    // The batch's watermark holds after its last row only.
    if (row == batch.size()) chunk->set_watermark(batch.watermark());
    ring_.EndWrite();
    wakeup_.Notify();
  }
  return Status::Ok();
}

Status ZmqSink::Close() {
  if (!open_) return Status::Ok();
  open_ = false;
  close_deadline_ms_ = clock_->NowMillis() + options_.linger_ms;
  closing_.store(true, std::memory_order_release);
  ring_.Close();
  wakeup_.Notify();
  if (thread_.joinable()) thread_.join();
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
      last_send_ms_ = clock_->NowMillis();
      return true;
    }
    if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) {
      RUNNEL_LOG_ERROR("sink %s: send failed: %s", options_.name.c_str(),
                       zmq_strerror(zmq_errno()));
      failed_.store(true, std::memory_order_relaxed);
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
  if (closing_.load(std::memory_order_acquire) && now >= close_deadline_ms_) return true;
  if (signals_ == nullptr) return false;
  if (signals_->cancel.load(std::memory_order_relaxed)) return true;
  if (!signals_->stop.load(std::memory_order_relaxed)) return false;
  if (stop_deadline_ms_ == INT64_MAX) stop_deadline_ms_ = now + options_.linger_ms;
  return now >= stop_deadline_ms_;
}

void ZmqSink::Flush(int64_t watermark) {
  if (staging_.empty()) return;
  if (failed_.load(std::memory_order_relaxed)) {  // keep draining the ring
    rows_dropped_.fetch_add(staging_.size(), std::memory_order_relaxed);
    staging_.Clear();
    return;
  }
  wire::BatchHeader header;
  header.producer = producer_;
  header.producer_name = options_.producer_name;
  header.epoch = epoch_;
  header.sequence = sequence_.load(std::memory_order_relaxed) + 1;
  header.watermark = watermark;
  encoder_.EncodeBatch(header, staging_);
  if (Send()) {
    sequence_.store(header.sequence, std::memory_order_relaxed);
    watermark_ = watermark;
  } else {
    rows_dropped_.fetch_add(staging_.size(), std::memory_order_relaxed);
  }
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

void ZmqSink::WaitForRows(int64_t timeout_us) {
  uint32_t ticket = wakeup_.Prepare();
  bool closed = false;
  if (ring_.TryBeginRead(&closed) != nullptr || closed) {
    wakeup_.Cancel();
    return;
  }
  wakeup_.Wait(ticket, timeout_us);
}

void ZmqSink::Run() {
  int64_t first_row_ms = 0;
  int64_t watermark = schema::RowBatch::kNoWatermark;  // after the rows staged
  uint32_t idle = 0;
  while (true) {
    bool closed = false;
    const schema::RowBatch* chunk = ring_.TryBeginRead(&closed);
    if (chunk != nullptr) {
      idle = 0;
      for (uint32_t r = 0; r < chunk->size(); ++r) {
        if (staging_.empty()) first_row_ms = clock_->NowMillis();
        schema::CopySlots(staging_.Append(), chunk->row(r), width_);
        if (staging_.full()) Flush(watermark);
      }
      if (chunk->watermark() != schema::RowBatch::kNoWatermark) watermark = chunk->watermark();
      ring_.EndRead();
      continue;
    }
    if (closed) break;
    int64_t now = clock_->NowMillis();
    if (!staging_.empty() && now - first_row_ms >= options_.max_latency_ms) {
      Flush(watermark);
    } else if (now - last_send_ms_ >= options_.heartbeat_ms &&
               !failed_.load(std::memory_order_relaxed)) {
      SendHeartbeat(false);
    }
    // Spin briefly for the next rows, then sleep until Write brings some
    // or the next flush or heartbeat is due.
    if (++idle > 64) {
      int64_t due = staging_.empty() ? last_send_ms_ + options_.heartbeat_ms
                                     : first_row_ms + options_.max_latency_ms;
      WaitForRows(std::max<int64_t>(1, due - clock_->NowMillis()) * 1000);
    }
  }
  Flush(watermark);
  if (!failed_.load(std::memory_order_relaxed)) SendHeartbeat(true);
}

}  // namespace runnel::zmq
