#include "transports/zmq/zmq_sink.h"

#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include "core/common/byte_count.h"
#include "core/common/log.h"
#include "transports/wire/back_channel.h"

namespace runnel::zmq {
namespace {

uint64_t RandomProducerId() {
  std::random_device random;
  return (uint64_t{random()} << 32) ^ random();
}

// How long a blocked send waits for room before it checks again whether
// to give up.
constexpr int kSendPollMs = 20;
// Exactly-once: how often an idle sink looks for Acks and ReplayRequests.
constexpr int64_t kBackPollMs = 20;

// Checkpoint records of an exactly-once sink (docs/STATE.md): its position,
// and one record per batch in the replay buffer, keyed 'b' + the entry
// number (big-endian). Older kept batches are in the replay spill.
constexpr std::string_view kPositionKey = "position";
// Next row, epoch, the buffer's next entry number, the newest spilled
// batch's number and last row.
constexpr size_t kPositionBytes = 40;
constexpr size_t kPositionBytesWithoutSpill = 16;  // before spilling: next row, epoch
constexpr size_t kEntryKeyBytes = 9;

void EntryKey(uint64_t number, char* key) {
  key[0] = 'b';
  for (int i = 0; i < 8; ++i) key[1 + i] = static_cast<char>(number >> (56 - 8 * i));
}

}  // namespace

ZmqSink::ZmqSink(ZmqSinkOptions options, const schema::Schema& schema,
                 const schema::SymbolTable* symbols, const Clock* clock)
    : options_(std::move(options)),
      width_(schema.size()),
      clock_(clock),
      staging_(schema.size(), options_.batch_rows),
      encoder_(schema, symbols, options_.batch_rows),
      producer_(options_.exactly_once ? wire::NameHash(options_.producer_name)
                                      : RandomProducerId()) {
  if (options_.exactly_once) {
    replay_ = std::make_unique<ReplayBuffer>(options_.replay_buffer_bytes);
    channel_hash_ = wire::NameHash(options_.channel);
  }
}

uint64_t ZmqSink::footprint_bytes() const {
  return SaturatingAdd(SaturatingAdd(schema::RowBatch::SlotBytes(staging_.width(),
                                                                 staging_.capacity()),
                                     encoder_.footprint_bytes()),
                       replay_ ? replay_->capacity() : 0);
}

Status ZmqSink::Open() {
  Status status = socket_.Open(options_.publish ? ZMQ_PUB : ZMQ_PUSH, options_.high_water_mark,
                               options_.bind, options_.connect, options_.curve);
  if (!status.ok()) return IoError("sink " + options_.name + ": " + status.message());
  if (options_.exactly_once) {
    status = back_.Open(ZMQ_SUB, options_.high_water_mark, options_.back_bind,
                        options_.back_connect, options_.curve);
    char topic[wire::kProducerTopicBytes];
    wire::ProducerTopic(producer_, topic);
    if (status.ok()) status = back_.Subscribe(std::string(topic, sizeof(topic)));
    if (!status.ok()) {
      return IoError("sink " + options_.name + ": back channel: " + status.message());
    }
    RUNNEL_RETURN_IF_ERROR(OpenSpill());
    // Rows before the oldest batch kept were acknowledged before a restart;
    // the kept ones count as sent until the receiver asks for them.
    acked_rows_ = first_kept_row() - 1;
    unsent_row_ = next_row_;
  }
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
  if (replay_) PollBackChannel();
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
  int64_t due = heartbeat_due_ms_;
  if (!staging_.empty()) due = std::min(due, first_row_ms_ + options_.max_latency_ms);
  if (replay_) due = std::min(due, back_poll_due_ms_);
  return due;
}

Status ZmqSink::OnProcessingTime(int64_t now_ms) {
  if (replay_ && now_ms >= back_poll_due_ms_) {
    PollBackChannel();
    Pump();
    back_poll_due_ms_ = now_ms + kBackPollMs;
  }
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
  // Exactly-once: only a finished input closes the channel; a stopped job
  // resumes it.
  if (!failed_ && (!replay_ || finished_)) SendHeartbeat(true);
  socket_.Close(static_cast<int>(options_.linger_ms));
  if (replay_ && rows_dropped() > 0) {
    return IoError("sink " + options_.name + ": " + std::to_string(rows_dropped()) +
                   " rows were neither sent nor kept (see the log); the job's next run sends "
                   "them again from its last checkpoint");
  }
  if (rows_dropped() > 0) {
    return IoError("sink " + options_.name + ": " + std::to_string(rows_dropped()) +
                   " rows not delivered: no peer took them within linger_ms (" +
                   std::to_string(options_.linger_ms) + " ms)");
  }
  return Status::Ok();
}

bool ZmqSink::Send() { return SendMessage(encoder_.data(), encoder_.size(), !replay_); }

bool ZmqSink::SendMessage(const uint8_t* data, size_t size, bool wait) {
  int64_t waiting_since = -1;
  int64_t warned_at = 0;
  while (true) {
    if (zmq_send(socket_.get(), options_.channel.data(), options_.channel.size(),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
      // Once the first frame is queued, the rest of the message is too.
      zmq_send(socket_.get(), data, size, 0);
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
    if (!wait) return false;
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
  if (replay_) header.first_row = next_row_;
  encoder_.EncodeBatch(header, rows, first, count);
  if (replay_) {
    if (!Keep(header.first_row, count)) {
      failed_ = true;  // the rows are neither sent nor kept: the job must not go on
      rows_dropped_.fetch_add(count, std::memory_order_relaxed);
      return;
    }
    next_row_ += count;
    sequence_.store(header.sequence, std::memory_order_relaxed);
    watermark_ = watermark;
    // In order: it goes now only if every earlier row has gone; else Pump
    // sends it later.
    if (unsent_row_ == header.first_row && Send()) unsent_row_ = next_row_;
    return;
  }
  if (Send()) {
    sequence_.store(header.sequence, std::memory_order_relaxed);
    watermark_ = watermark;
  } else {
    rows_dropped_.fetch_add(count, std::memory_order_relaxed);
  }
}

bool ZmqSink::Keep(uint64_t first_row, uint32_t rows) {
  const std::string_view message(reinterpret_cast<const char*>(encoder_.data()),
                                 encoder_.size());
  if (!replay_->Fits(message.size())) {
    RUNNEL_LOG_ERROR("sink %s: a batch of %zu bytes is larger than replay_buffer_bytes (%zu)",
                     options_.name.c_str(), message.size(), replay_->capacity());
    return false;
  }
  int64_t waiting_since = -1;
  int64_t warned_at = 0;
  while (!replay_->Append(first_row, rows, message)) {
    if (failed_) return false;  // a spill or socket error (logged)
    if (spill_) {
      // A quarter of the buffer at a time: fewer, larger writes.
      const Status status = spill_->MoveOldest(
          replay_.get(),
          std::max(message.size() + ReplayBuffer::kRecordHeaderBytes, replay_->capacity() / 4));
      if (status.ok()) {
        if (!spilling_) {
          spilling_ = true;
          RUNNEL_LOG_WARN("sink %s: the replay buffer is full (rows %llu on unacknowledged): "
                          "moving its oldest batches to the replay spill %s",
                          options_.name.c_str(),
                          static_cast<unsigned long long>(acked_rows_ + 1),
                          spill_->dir().c_str());
        }
        continue;
      }
      if (status.code() != StatusCode::kResourceExhausted) {
        RUNNEL_LOG_ERROR("sink %s: %s", options_.name.c_str(), status.message().c_str());
        return false;
      }
    }
    const int64_t now = clock_->NowMillis();
    if (waiting_since < 0) waiting_since = now;
    if (GiveUp(now)) {
      RUNNEL_LOG_ERROR("sink %s: the replay buffer is full (%llu rows unacknowledged) and the "
                       "job is stopping: rows from %llu on are not kept",
                       options_.name.c_str(),
                       static_cast<unsigned long long>(next_row_ - 1 - acked_rows_),
                       static_cast<unsigned long long>(first_row));
      return false;
    }
    if (now - waiting_since >= options_.peer_timeout_ms &&
        now - warned_at >= options_.peer_timeout_ms) {
      warned_at = now;
      RUNNEL_LOG_WARN("sink %s: replay buffer %sfull for %lld ms: the receiver has not "
                      "acknowledged rows %llu on (waiting for its checkpoints; rows back up "
                      "to the sources)",
                      options_.name.c_str(), spill_ ? "and spill " : "",
                      static_cast<long long>(now - waiting_since),
                      static_cast<unsigned long long>(acked_rows_ + 1));
    }
    zmq_pollitem_t item = {back_.get(), 0, ZMQ_POLLIN, 0};
    zmq_poll(&item, 1, kSendPollMs);
    PollBackChannel();
    Pump();
  }
  if (spilling_ && (!spill_ || spill_->empty())) spilling_ = false;
  return true;
}

void ZmqSink::PollBackChannel() {
  alignas(8) uint8_t message[256];
  char topic[wire::kProducerTopicBytes];
  for (;;) {
    if (zmq_recv(back_.get(), topic, sizeof(topic), ZMQ_DONTWAIT) < 0) return;
    int more = 0;
    size_t more_size = sizeof(more);
    zmq_getsockopt(back_.get(), ZMQ_RCVMORE, &more, &more_size);
    if (!more) continue;
    const int size = zmq_recv(back_.get(), message, sizeof(message), ZMQ_DONTWAIT);
    if (size < 0 || static_cast<size_t>(size) > sizeof(message)) continue;  // truncated
    wire::BackChannelMessage m;
    if (!wire::DecodeBackChannel(message, static_cast<size_t>(size), &m) ||
        m.producer != producer_ || m.channel != channel_hash_) {
      continue;
    }
    if (m.kind == wire::BackChannelMessage::kAck) {
      if (m.row >= acked_rows_) {
        acked_rows_ = m.row < next_row_ ? m.row : next_row_ - 1;
        acked_closed_ = m.closed;
        replay_->Release(acked_rows_);
        if (unsent_row_ <= acked_rows_) unsent_row_ = acked_rows_ + 1;
        if (spill_) {
          const Status status = spill_->Release(acked_rows_);
          if (!status.ok()) {
            RUNNEL_LOG_ERROR("sink %s: %s", options_.name.c_str(), status.message().c_str());
            failed_ = true;
            return;
          }
        }
      }
    } else {
      Resend(m.row);
    }
  }
}

uint64_t ZmqSink::first_kept_row() const {
  if (spill_ && !spill_->empty()) return spill_->first_row();
  uint64_t first = next_row_;
  replay_->ForEach([&](const ReplayBuffer::Entry& e) {
    first = e.first_row;
    return false;
  });
  return first;
}

void ZmqSink::Resend(uint64_t from_row) {
  if (from_row >= unsent_row_) return;  // it has been sent everything (or will be)
  const uint64_t first_kept = first_kept_row();
  if (from_row < first_kept) {
    RUNNEL_LOG_ERROR("sink %s: the receiver asks for rows from %llu, but rows before %llu "
                     "were acknowledged and are not kept (did it restore an older checkpoint?)",
                     options_.name.c_str(), static_cast<unsigned long long>(from_row),
                     static_cast<unsigned long long>(first_kept));
    from_row = first_kept;
  }
  RUNNEL_LOG_INFO("sink %s: sending rows %llu to %llu again (the receiver asked)",
                  options_.name.c_str(), static_cast<unsigned long long>(from_row),
                  static_cast<unsigned long long>(unsent_row_ - 1));
  unsent_row_ = from_row;
  Pump();
}

void ZmqSink::Pump() {
  if (unsent_row_ >= next_row_ || failed_) return;
  bool blocked = false;
  const auto send = [&](const ReplayBuffer::Entry& e) {
    if (e.last_row() < unsent_row_) return true;
    if (!SendMessage(reinterpret_cast<const uint8_t*>(e.message.data()), e.message.size(),
                     /*wait=*/false)) {
      blocked = true;
      return false;
    }
    unsent_row_ = e.last_row() + 1;
    return true;
  };
  if (spill_ && unsent_row_ <= spill_->last_row()) {
    const Status status = spill_->ForEachFrom(unsent_row_, send);
    if (!status.ok()) {
      RUNNEL_LOG_ERROR("sink %s: %s", options_.name.c_str(), status.message().c_str());
      failed_ = true;
      return;
    }
    if (blocked) return;
  }
  replay_->ForEach(send);
}

Status ZmqSink::Finish() {
  if (!replay_ || !open_) return Status::Ok();
  Flush();
  int64_t next_heartbeat = 0;
  int64_t waiting_since = clock_->NowMillis();
  int64_t warned_at = waiting_since;
  while (!failed_) {
    PollBackChannel();
    Pump();
    if (AllAcknowledged()) {
      finished_ = true;
      return Status::Ok();
    }
    const int64_t now = clock_->NowMillis();
    if (GiveUp(now)) break;
    // The close follows the last row.
    if (now >= next_heartbeat && unsent_row_ == next_row_) {
      SendHeartbeat(/*closing=*/true);  // repeated until acknowledged
      next_heartbeat = now + options_.heartbeat_ms;
    }
    if (now - warned_at >= options_.peer_timeout_ms) {
      warned_at = now;
      RUNNEL_LOG_WARN("sink %s: the input has ended; waiting %lld ms so far for the receiver "
                      "to confirm rows %llu to %llu and the close",
                      options_.name.c_str(), static_cast<long long>(now - waiting_since),
                      static_cast<unsigned long long>(acked_rows_ + 1),
                      static_cast<unsigned long long>(next_row_ - 1));
    }
    zmq_pollitem_t item = {back_.get(), 0, ZMQ_POLLIN, 0};
    zmq_poll(&item, 1, kSendPollMs);
  }
  return IoError("sink " + options_.name + ": the receiver has not confirmed rows " +
                 std::to_string(acked_rows_ + 1) + " to " + std::to_string(next_row_ - 1) +
                 " and the close; the job is left unfinished (the next run sends them again)");
}

Status ZmqSink::PrepareCommit(uint64_t id, bool full, runtime::StateBuffer* out) {
  (void)id;
  if (!replay_) return Status::Ok();
  Flush();  // staged rows belong before the checkpoint
  if (failed_) {
    return IoError("sink " + options_.name +
                   ": rows written before the checkpoint were neither sent nor kept (see the "
                   "log); the checkpoint must not claim them");
  }
  const auto full_buffer = [&] {
    return ResourceExhausted("sink " + options_.name + ": the checkpoint buffer is full");
  };
  char position[kPositionBytes];
  runtime::PutU64(next_row_, position);
  runtime::PutU64(epoch_, position + 8);
  runtime::PutU64(replay_->next_number(), position + 16);
  runtime::PutU64(spill_ ? spill_->high_number() : 0, position + 24);
  runtime::PutU64(spill_ && !spill_->empty() ? spill_->last_row() : 0, position + 32);
  if (!out->Put(kPositionKey, std::string_view(position, sizeof(position)))) return full_buffer();
  char key[kEntryKeyBytes];
  // Records of batches acknowledged since the last checkpoint go.
  const uint64_t oldest = replay_->empty() ? replay_->next_number() : replay_->oldest_number();
  for (uint64_t n = saved_low_; n <= saved_high_ && n < oldest; ++n) {
    EntryKey(n, key);
    if (!out->Delete(std::string_view(key, sizeof(key)))) return full_buffer();
  }
  // Batches kept since then come (all of them in a full checkpoint).
  bool fits = true;
  replay_->ForEach([&](const ReplayBuffer::Entry& e) {
    if (!full && e.number <= saved_high_) return true;
    EntryKey(e.number, key);
    fits = out->Put(std::string_view(key, sizeof(key)), e.record);
    return fits;
  });
  if (!fits) return full_buffer();
  saved_low_ = oldest;
  saved_high_ = replay_->next_number() - 1;
  return Status::Ok();
}

Status ZmqSink::RestoreEntry(std::string_view key, std::string_view value) {
  const auto bad = [&](const std::string& what) {
    return DataError("sink " + options_.name + ": " + what);
  };
  if (!replay_) return bad("state of an exactly-once link, but exactly_once is off");
  if (key == kPositionKey) {
    if (value.size() != kPositionBytes && value.size() != kPositionBytesWithoutSpill) {
      return bad("a position record of another layout");
    }
    next_row_ = runtime::GetU64(value.data());
    epoch_ = runtime::GetU64(value.data() + 8) + 1;  // a restart from a checkpoint
    if (value.size() == kPositionBytes) {
      restored_next_number_ = runtime::GetU64(value.data() + 16);
      restored_spill_number_ = runtime::GetU64(value.data() + 24);
      restored_spill_row_ = runtime::GetU64(value.data() + 32);
    }
    restored_ = true;
    return Status::Ok();
  }
  if (key.size() != kEntryKeyBytes || key[0] != 'b') return bad("an unknown record");
  uint64_t number = 0;
  for (int i = 1; i < 9; ++i) number = (number << 8) | static_cast<unsigned char>(key[i]);
  if (!replay_->Restore(number, value)) {
    return bad("kept batch " + std::to_string(number) +
               " is malformed, out of order or larger than replay_buffer_bytes");
  }
  if (replay_->entries() == 1) saved_low_ = number;
  saved_high_ = number;
  return Status::Ok();
}

Status ZmqSink::OpenSpill() {
  // Numbers go on from the checkpoint's, above those of spilled batches.
  if (replay_->empty()) replay_->ResumeNumbering(restored_next_number_);
  if (options_.spill_dir.empty()) {
    if (restored_spill_number_ == 0) return Status::Ok();
    return DataError("sink " + options_.name + ": the checkpoint counts on batches in a " +
                     "replay spill (rows through " + std::to_string(restored_spill_row_) +
                     "), but replay_spill_dir is not set");
  }
  const auto failed = [&](const Status& status) {
    return Status(status.code(), "sink " + options_.name + ": " + status.message());
  };
  Result<std::unique_ptr<ReplaySpill>> spill =
      ReplaySpill::Open(options_.spill_dir, options_.spill_bytes);
  if (!spill.ok()) return failed(spill.status());
  spill_ = std::move(spill.value());
  if (!restored_) {
    if (!spill_->empty()) {
      RUNNEL_LOG_INFO("sink %s: discarding %llu batches in the replay spill %s: the run that "
                      "spilled them left no checkpoint",
                      options_.name.c_str(), static_cast<unsigned long long>(spill_->entries()),
                      spill_->dir().c_str());
    }
    const Status status = spill_->Clear();
    return status.ok() ? status : failed(status);
  }
  // Batches spilled after the checkpoint are in its records (they were in
  // the buffer then).
  const Status status = spill_->DiscardAfter(restored_spill_number_);
  if (!status.ok()) return failed(status);
  const bool whole = spill_->empty()
                         ? spill_->released_row() >= restored_spill_row_
                         : spill_->high_number() == restored_spill_number_ &&
                               spill_->last_row() == restored_spill_row_;
  if (!whole) {
    return DataError("sink " + options_.name + ": the replay spill " + spill_->dir() +
                     " lacks batches the checkpoint counts on (rows through " +
                     std::to_string(restored_spill_row_) +
                     "): was the directory removed, replaced or restored from elsewhere?");
  }
  return Status::Ok();
}

size_t ZmqSink::checkpoint_bytes() const {
  if (!replay_) return 0;
  // Every kept batch as a put (its record is at most 10 bytes longer than
  // its entry) and as a delete, and the position.
  return replay_->capacity() +
         replay_->max_entries() * (10 + runtime::StateBuffer::RecordBytes(kEntryKeyBytes, 0)) +
         runtime::StateBuffer::RecordBytes(kPositionKey.size(), kPositionBytes);
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
  // Rows kept but not sent yet count: the receiver holds its watermark
  // (this one) back until it has them.
  if (replay_) h.last_row = next_row_ - 1;
  encoder_.EncodeHeartbeat(h);
  Send();
}

}  // namespace runnel::zmq
