#include "transports/zmq/zmq_source.h"

#include <cstdio>
#include <cstring>
#include <string_view>

#include "core/common/log.h"

namespace runnel::zmq {
namespace {

constexpr size_t kMaxChannelBytes = 255;
// Without input, Read returns an empty batch after this long so the task
// can fire timers (as RingSource does).
constexpr int kIdleMs = 10;
// See Read: how often to look for queued messages after one found none.
constexpr uint32_t kProbeEvery = 16;

std::string_view Bytes(zmq_msg_t* message) {
  return std::string_view(static_cast<const char*>(zmq_msg_data(message)),
                          zmq_msg_size(message));
}

// Exactly-once: a producer is asked again for missing rows at most this
// often (its resend is on the way meanwhile).
constexpr int64_t kReplayAskMs = 100;
// The last Acks (a finished job's, with the close) still reach the
// producers waiting for them.
constexpr int kBackLingerMs = 2000;

// Checkpoint record of one producer's position (docs/STATE.md): key
// producer and channel hash (big-endian), value the last row and closed.
constexpr size_t kPositionKeyBytes = 16;
constexpr size_t kPositionValueBytes = 9;

void PutBigEndian(uint64_t value, char* out) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>(value >> (56 - 8 * i));
}
uint64_t GetBigEndian(const char* in) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

}  // namespace

ZmqSource::ZmqSource(ZmqSourceOptions options, const schema::Schema& schema,
                     schema::SymbolTable* symbols, const Clock* clock)
    : options_(std::move(options)),
      symbols_(symbols),
      clock_(clock),
      decoder_(schema, symbols, options_.max_message_bytes),
      tracker_(options_.max_producers) {
  switch (options_.format) {
    case ZmqFormat::kBatch:
      break;
    case ZmqFormat::kReading:
      reading_ = std::make_unique<wire::ReadingDecoder>(schema, symbols);
      break;
    case ZmqFormat::kCsv:
      csv_fields_ = std::make_unique<file::CsvFields>(',', options_.max_line_bytes);
      csv_row_ = std::make_unique<file::CsvRow>(schema, symbols, options_.event_time_field);
      break;
    case ZmqFormat::kJsonl:
      jsonl_ = std::make_unique<jsonl::JsonlDecoder>(schema, symbols, options_.max_line_bytes,
                                                     options_.event_time_field);
      break;
  }
  if (!options_.dead_letter.empty()) {
    dead_letter_ = std::make_unique<DeadLetterFile>(options_.dead_letter,
                                                    options_.dead_letter_max_bytes, options_.name);
  }
  zmq_msg_init(&channel_);
  zmq_msg_init(&message_);
  if (options_.log_every == 0) options_.log_every = 1;
  if (options_.exactly_once) {
    saved_.resize(tracker_.capacity());
    acked_.resize(tracker_.capacity());
  }
}

ZmqSource::~ZmqSource() {
  back_.Close(kBackLingerMs);
  zmq_msg_close(&channel_);
  zmq_msg_close(&message_);
  if (rejected() + gaps() + duplicates() > 0) {
    RUNNEL_LOG_INFO("source %s: %llu messages dropped, %llu gaps (%llu batches lost), "
                    "%llu duplicates",
                    options_.name.c_str(), static_cast<unsigned long long>(rejected()),
                    static_cast<unsigned long long>(gaps()),
                    static_cast<unsigned long long>(lost_batches()),
                    static_cast<unsigned long long>(duplicates()));
  }
}

Status ZmqSource::Open() {
  Status status = socket_.Open(options_.subscribe ? ZMQ_SUB : ZMQ_PULL,
                               options_.high_water_mark, options_.bind, options_.connect,
                               options_.curve);
  if (!status.ok()) return status;
  zmq_setsockopt(socket_.get(), ZMQ_RCVTIMEO, &kIdleMs, sizeof(kIdleMs));
  if (options_.subscribe) {
    if (options_.channels.empty()) return socket_.Subscribe("");
    for (const std::string& prefix : options_.channels) {
      RUNNEL_RETURN_IF_ERROR(socket_.Subscribe(prefix));
    }
  }
  if (dead_letter_) {
    // The source is useful without its dead letters: say so and go on.
    Status opened = dead_letter_->Open();
    if (!opened.ok()) {
      RUNNEL_LOG_WARN("source %s: %s; dropped messages will only be counted",
                      options_.name.c_str(), opened.message().c_str());
    }
  }
  if (options_.exactly_once) {
    status = back_.Open(ZMQ_PUB, options_.high_water_mark, options_.back_bind,
                        options_.back_connect, options_.curve);
    if (!status.ok()) {
      return Status(status.code(), "source " + options_.name + ": back channel: " +
                                       status.message());
    }
  }
  last_expiry_ms_ = clock_->NowMillis();
  return Status::Ok();
}

bool ZmqSource::SavePosition(runtime::StateBuffer* out) {
  if (!options_.exactly_once) return true;
  saved_count_ = tracker_.Positions(saved_.data());
  char key[kPositionKeyBytes];
  char value[kPositionValueBytes];
  for (uint32_t i = 0; i < saved_count_; ++i) {
    const SequenceTracker::Position& p = saved_[i];
    PutBigEndian(p.producer, key);
    PutBigEndian(p.channel, key + 8);
    runtime::PutU64(p.rows, value);
    value[8] = p.closed ? 1 : 0;
    if (!out->Put(std::string_view(key, sizeof(key)), std::string_view(value, sizeof(value)))) {
      return false;
    }
  }
  return true;
}

void ZmqSource::CheckpointCompleted(uint64_t id) {
  (void)id;
  uint32_t closed = 0;
  for (uint32_t i = 0; i < saved_count_; ++i) {
    const SequenceTracker::Position& p = saved_[i];
    back_encoder_.EncodeAck(p.producer, p.channel, p.rows, p.closed);
    SendBack(p.producer);
    acked_[i] = p;
    closed += p.closed ? 1 : 0;
  }
  acked_count_ = saved_count_;
  if (options_.end_after_producers > 0 && closed >= options_.end_after_producers &&
      closes_acked_ms_ == 0) {
    closes_acked_ms_ = clock_->NowMillis();
  }
}

void ZmqSource::AckCloseAgain(uint64_t producer, uint64_t channel) {
  for (uint32_t i = 0; i < acked_count_; ++i) {
    const SequenceTracker::Position& p = acked_[i];
    if (p.producer != producer || p.channel != channel || !p.closed) continue;
    back_encoder_.EncodeAck(p.producer, p.channel, p.rows, p.closed);
    SendBack(p.producer);
  }
}

void ZmqSource::SendBack(uint64_t producer) {
  char topic[wire::kProducerTopicBytes];
  wire::ProducerTopic(producer, topic);
  // A PUB drops rather than waits: Acks repeat with every checkpoint, and
  // a lost ReplayRequest is asked again.
  if (zmq_send(back_.get(), topic, sizeof(topic), ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
    zmq_send(back_.get(), back_encoder_.data(), back_encoder_.size(), ZMQ_DONTWAIT);
  }
}

Status ZmqSource::RestoreEntry(std::string_view key, std::string_view value) {
  if (!options_.exactly_once) {
    return DataError("source " + options_.name +
                     ": positions of an exactly-once link, but exactly_once is off");
  }
  if (key.size() != kPositionKeyBytes || value.size() != kPositionValueBytes) {
    return DataError("source " + options_.name + ": a position record of another layout");
  }
  SequenceTracker::Position p;
  p.producer = GetBigEndian(key.data());
  p.channel = GetBigEndian(key.data() + 8);
  p.rows = runtime::GetU64(value.data());
  p.closed = value[8] != 0;
  tracker_.RestorePosition(p, clock_->NowMillis());
  return Status::Ok();
}

size_t ZmqSource::checkpoint_bytes() const {
  if (!options_.exactly_once) return 0;
  return tracker_.capacity() *
         runtime::StateBuffer::RecordBytes(kPositionKeyBytes, kPositionValueBytes);
}

bool ZmqSource::AcceptRows(const wire::DecodedMessage& m, uint64_t channel_hash, int64_t now,
                           SequenceTracker::Verdict* verdict) {
  const bool batch = m.kind == wire::MessageKind::kBatch;
  if (batch && m.row == 0) {
    DropMessage("a batch without row positions: an exactly_once source takes batches of "
                "exactly_once sinks only");
    return false;
  }
  *verdict = batch ? tracker_.OnRows(m.producer, channel_hash, m.row, m.row_count, now)
                   : tracker_.OnRowsHeartbeat(m.producer, channel_hash, m.row, m.watermark,
                                              m.closing, now);
  if (verdict->kind == SequenceTracker::Verdict::kDuplicate) {
    duplicates_.fetch_add(1, std::memory_order_relaxed);
    if (batch && m.row == 1) {
      RUNNEL_LOG_WARN("source %s: producer %016llx starts again from row 1, but rows up to "
                      "%llu were delivered: they are dropped as duplicates. A sender that "
                      "lost its state directory needs a new producer_name",
                      options_.name.c_str(), static_cast<unsigned long long>(m.producer),
                      static_cast<unsigned long long>(tracker_.next_row(verdict->track) - 1));
    }
    return false;
  }
  if (verdict->kind == SequenceTracker::Verdict::kGap) {
    const uint64_t from = tracker_.next_row(verdict->track);
    if (tracker_.AskReplay(verdict->track, now, kReplayAskMs)) {
      gaps_.fetch_add(1, std::memory_order_relaxed);
      RUNNEL_LOG_INFO("source %s: rows %llu on of producer %016llx are missing here; asking "
                      "it to send them again",
                      options_.name.c_str(), static_cast<unsigned long long>(from),
                      static_cast<unsigned long long>(m.producer));
      back_encoder_.EncodeReplayRequest(m.producer, channel_hash, from);
      SendBack(m.producer);
    }
    return false;
  }
  if (!batch && m.closing) AckCloseAgain(m.producer, channel_hash);
  if (verdict->skip > 0) {
    taken_in_part_.fetch_add(1, std::memory_order_relaxed);
    RUNNEL_LOG_INFO("source %s: rows %llu to %llu of producer %016llx were delivered before: "
                    "dropped, the rest of the batch taken",
                    options_.name.c_str(), static_cast<unsigned long long>(m.row),
                    static_cast<unsigned long long>(m.row + verdict->skip - 1),
                    static_cast<unsigned long long>(m.producer));
  }
  return batch;
}

uint64_t ZmqSource::FormatBytes(ZmqFormat format, uint64_t max_line_bytes) {
  switch (format) {
    case ZmqFormat::kCsv:
      return SaturatingMul(2, max_line_bytes);  // CsvFields' scratch and views, about
    case ZmqFormat::kJsonl:
      return jsonl::JsonlDecoder::FootprintBytes(max_line_bytes);
    default:
      return 0;
  }
}

bool ZmqSource::Stop() {
  stopping_ = true;
  return true;
}

ZmqSource::Received ZmqSource::Receive(bool wait, Status* error) {
  // Waiting, libzmq blocks in one poll for at most kIdleMs (the socket's
  // receive timeout): as few system calls per message as a plain receive.
  if (zmq_msg_recv(&channel_, socket_.get(), wait ? 0 : ZMQ_DONTWAIT) < 0) {
    if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) {
      *error = ZmqError("source " + options_.name + ": receive");
    }
    return Received::kNone;
  }
  // Whole messages arrive at once: the other frames are already here.
  if (!zmq_msg_more(&channel_)) {
    Drop("a single-frame message (frame 1 must be the channel, frame 2 the envelope)", {},
         Bytes(&channel_));
    return Received::kDropped;
  }
  if (zmq_msg_recv(&message_, socket_.get(), ZMQ_DONTWAIT) < 0) return Received::kNone;
  if (zmq_msg_more(&message_)) {
    zmq_msg_t extra;
    zmq_msg_init(&extra);
    while (zmq_msg_more(&message_) || zmq_msg_more(&extra)) {
      if (zmq_msg_recv(&extra, socket_.get(), ZMQ_DONTWAIT) < 0) break;
      if (!zmq_msg_more(&extra)) break;
    }
    zmq_msg_close(&extra);
    DropMessage("more than two frames in a message (the first two are kept)");
    return Received::kDropped;
  }
  return Received::kMessage;
}

void ZmqSource::Drop(std::string_view reason, std::string_view channel,
                     std::string_view frame) {
  uint64_t n = rejected_.fetch_add(1, std::memory_order_relaxed) + 1;
  if ((n - 1) % options_.log_every == 0) {
    RUNNEL_LOG_WARN("source %s: message dropped (%llu so far; logged every %u): %.*s",
                    options_.name.c_str(), static_cast<unsigned long long>(n),
                    options_.log_every, static_cast<int>(reason.size()), reason.data());
  }
  if (dead_letter_) {
    // An oversized message is kept only up to the size limit.
    size_t kept = frame.size() < options_.max_message_bytes ? frame.size()
                                                             : options_.max_message_bytes;
    dead_letter_->Write(channel, reason, frame.substr(0, kept), frame.size());
  }
}

void ZmqSource::DropMessage(std::string_view reason) {
  Drop(reason, Bytes(&channel_), Bytes(&message_));
}

bool ZmqSource::Accept() {
  const size_t channel_size = zmq_msg_size(&channel_);
  const char* channel = static_cast<const char*>(zmq_msg_data(&channel_));
  if (channel_size == 0 || channel_size > kMaxChannelBytes) {
    snprintf(reason_, sizeof(reason_), "channel frame of %zu bytes (1-255 allowed)",
             channel_size);
    DropMessage(reason_);
    return false;
  }
  if (!options_.channels.empty()) {
    bool accepted = false;
    for (const std::string& prefix : options_.channels) {
      accepted = accepted || std::string_view(channel, channel_size).substr(0, prefix.size()) ==
                                 prefix;
    }
    if (!accepted) {
      snprintf(reason_, sizeof(reason_), "channel \"%.*s\" is not accepted here",
               static_cast<int>(channel_size), channel);
      DropMessage(reason_);
      return false;
    }
  }
  const uint8_t* data = static_cast<const uint8_t*>(zmq_msg_data(&message_));
  const size_t size = zmq_msg_size(&message_);
  if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) != 0 &&
      size <= decoder_.max_message_bytes()) {
    if (aligned_.size() * 8 < size) aligned_.resize((size + 7) / 8);
    std::memcpy(aligned_.data(), data, size);
    data = reinterpret_cast<const uint8_t*>(aligned_.data());
  }
  const bool text_format =
      options_.format == ZmqFormat::kCsv || options_.format == ZmqFormat::kJsonl;
  if (text_format && (size < 8 || std::memcmp(data + 4, "RNLW", 4) != 0)) {
    AcceptText();
    return true;
  }
  wire::DecodedMessage m;
  Status status = decoder_.Decode(data, size, &m);
  if (!status.ok()) {
    snprintf(reason_, sizeof(reason_), "channel \"%.*s\": %s", static_cast<int>(channel_size),
             channel, status.message().c_str());
    DropMessage(reason_);
    return false;
  }
  const uint64_t channel_hash = wire::NameHash(std::string_view(channel, channel_size));
  const int64_t now = clock_->NowMillis();
  SequenceTracker::Verdict verdict;
  if (options_.exactly_once &&
      (m.kind == wire::MessageKind::kBatch || m.kind == wire::MessageKind::kHeartbeat)) {
    if (!AcceptRows(m, channel_hash, now, &verdict)) return false;
    batch_ = m;
    track_ = verdict.track;
    next_row_ = verdict.skip;
    held_ = Held::kBatch;
    return true;
  }
  switch (m.kind) {
    case wire::MessageKind::kBatch:
      verdict = tracker_.OnBatch(m.producer, channel_hash, m.epoch, m.sequence, now);
      break;
    case wire::MessageKind::kHeartbeat:
      verdict = tracker_.OnHeartbeat(m.producer, channel_hash, m.epoch, m.sequence, m.watermark,
                                     m.closing, now);
      break;
    case wire::MessageKind::kHello:
      if (m.fingerprint != decoder_.fingerprint()) {
        snprintf(reason_, sizeof(reason_),
                 "channel \"%.*s\": a producer announces another schema (Hello fingerprint "
                 "differs)",
                 static_cast<int>(channel_size), channel);
        DropMessage(reason_);
      }
      return false;
    case wire::MessageKind::kReading:
      if (!reading_) {
        snprintf(reason_, sizeof(reason_),
                 "channel \"%.*s\": a Reading, but this source's format is not reading",
                 static_cast<int>(channel_size), channel);
        DropMessage(reason_);
        return false;
      }
      batch_ = m;
      held_ = Held::kReading;
      return true;
    default:
      return false;  // acks, replay requests: not handled yet
  }
  if (verdict.kind == SequenceTracker::Verdict::kDuplicate) {
    duplicates_.fetch_add(1, std::memory_order_relaxed);
    RUNNEL_LOG_WARN("source %s: channel \"%.*s\": duplicate batch %llu of producer %016llx "
                    "dropped",
                    options_.name.c_str(), static_cast<int>(channel_size), channel,
                    static_cast<unsigned long long>(m.sequence),
                    static_cast<unsigned long long>(m.producer));
    return false;
  }
  if (verdict.kind == SequenceTracker::Verdict::kGap) {
    gaps_.fetch_add(1, std::memory_order_relaxed);
    lost_.fetch_add(verdict.lost, std::memory_order_relaxed);
    RUNNEL_LOG_WARN("source %s: channel \"%.*s\": gap: %llu batches of producer %016llx "
                    "epoch %llu lost before sequence %llu",
                    options_.name.c_str(), static_cast<int>(channel_size), channel,
                    static_cast<unsigned long long>(verdict.lost),
                    static_cast<unsigned long long>(m.producer),
                    static_cast<unsigned long long>(m.epoch),
                    static_cast<unsigned long long>(
                        m.kind == wire::MessageKind::kBatch ? m.sequence : m.sequence + 1));
  }
  if (m.kind != wire::MessageKind::kBatch) return false;
  batch_ = m;
  track_ = verdict.track;
  next_row_ = 0;
  held_ = Held::kBatch;
  return true;
}

void ZmqSource::AcceptText() {
  text_ = Bytes(&message_);
  text_line_ = 0;
  header_pending_ = options_.csv_header;
  held_ = Held::kText;
}

bool ZmqSource::CopyPending(schema::RowBatch* out) {
  switch (held_) {
    case Held::kBatch:
      return CopyBatch(out);
    case Held::kReading:
      CopyReading(out);
      return true;
    case Held::kText:
      return CopyText(out);
    case Held::kNone:
      break;
  }
  return true;
}

void ZmqSource::CopyReading(schema::RowBatch* out) {
  held_ = Held::kNone;
  if (reading_->Decode(batch_, out->Append()) == wire::ReadingDecoder::Outcome::kOk) return;
  out->DropLast();
  const std::string_view channel = Bytes(&channel_);
  snprintf(reason_, sizeof(reason_), "channel \"%.*s\": Reading: %s",
           static_cast<int>(channel.size()), channel.data(), reading_->error());
  DropMessage(reason_);
}

bool ZmqSource::DecodeLine(std::string_view line, schema::Slot* row) {
  if (line.size() > options_.max_line_bytes) {
    snprintf(reason_, sizeof(reason_), "line %u: longer than %zu bytes", text_line_,
             options_.max_line_bytes);
    return false;
  }
  if (jsonl_) {
    if (jsonl_->Decode(line, row) == jsonl::JsonlDecoder::Outcome::kOk) return true;
    snprintf(reason_, sizeof(reason_), "line %u: %s", text_line_, jsonl_->error());
    return false;
  }
  if (!csv_fields_->Split(line)) {
    snprintf(reason_, sizeof(reason_), "line %u: %s", text_line_, csv_fields_->error());
    return false;
  }
  if (header_pending_) {
    header_pending_ = false;
    if (csv_row_->MapHeader(*csv_fields_)) return false;  // no row, nothing wrong
    snprintf(reason_, sizeof(reason_), "line %u: %.400s (the frame is dropped)", text_line_,
             csv_row_->error());
    return false;
  }
  if (csv_row_->Decode(*csv_fields_, row) == file::CsvRow::Outcome::kOk) return true;
  snprintf(reason_, sizeof(reason_), "line %u: %.480s", text_line_, csv_row_->error());
  return false;
}

void ZmqSource::DropLine(std::string_view line) {
  const std::string_view channel = Bytes(&channel_);
  Drop(reason_, channel, line);
}

bool ZmqSource::CopyText(schema::RowBatch* out) {
  while (!text_.empty() && !out->full()) {
    size_t end = text_.find('\n');
    std::string_view line = text_.substr(0, end);
    text_.remove_prefix(end == std::string_view::npos ? text_.size() : end + 1);
    ++text_line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const bool header = header_pending_;
    reason_[0] = '\0';
    if (DecodeLine(line, out->Append())) continue;
    out->DropLast();
    if (reason_[0] == '\0') continue;  // a good header
    DropLine(line);
    if (header) text_ = {};  // without its header the frame cannot be read
  }
  if (!text_.empty()) return false;
  held_ = Held::kNone;
  return true;
}

bool ZmqSource::CopyBatch(schema::RowBatch* out) {
  uint32_t room = out->capacity() - out->size();
  uint32_t left = batch_.row_count - next_row_;
  uint32_t n = left < room ? left : room;
  decoder_.CopyRows(batch_, next_row_, n, out);
  next_row_ += n;
  if (options_.exactly_once) tracker_.Delivered(track_, batch_.row + next_row_ - 1);
  if (next_row_ < batch_.row_count) return false;
  tracker_.SetWatermark(track_, batch_.watermark);
  held_ = Held::kNone;
  return true;
}

void ZmqSource::CheckSilence() {
  int64_t now = clock_->NowMillis();
  if (now - last_expiry_ms_ < options_.heartbeat_ms) return;
  last_expiry_ms_ = now;
  uint32_t dead = tracker_.ExpireSilent(now, 3 * options_.heartbeat_ms);
  if (dead > 0) {
    RUNNEL_LOG_WARN("source %s: %u producer(s) silent for %lld ms marked dead "
                    "(%u live); they no longer hold back the watermark",
                    options_.name.c_str(), dead,
                    static_cast<long long>(3 * options_.heartbeat_ms), tracker_.live());
  }
}

bool ZmqSource::Finished() const {
  if (options_.exactly_once) {
    return closes_acked_ms_ != 0 &&
           clock_->NowMillis() - closes_acked_ms_ >= 2 * options_.heartbeat_ms;
  }
  return options_.end_after_producers > 0 && tracker_.closed() >= options_.end_after_producers;
}

Status ZmqSource::Read(schema::RowBatch* out, bool* done) {
  Status error;
  while (!out->full()) {
    if (held_ != Held::kNone) {
      const bool batch = held_ == Held::kBatch;
      if (!CopyPending(out)) break;  // out is full
      if (batch && options_.event_time_field >= 0) break;  // end at the batch's watermark
      continue;
    }
    if (Finished()) {
      *done = true;
      break;
    }
    // With rows in hand, look for more only while messages queue up (the
    // last look found one), or on every kProbeEvery-th Read: at low rates
    // rows are handed on without a system call that finds nothing, at high
    // rates batches still fill.
    const bool waiting = !stopping_ && out->empty();
    if (!waiting && !stopping_ && !queued_ && ++reads_since_probe_ < kProbeEvery) break;
    // Once stopping, or with rows in hand, take only what is already here.
    Received received = Receive(waiting, &error);
    if (!waiting) {
      queued_ = received != Received::kNone;
      reads_since_probe_ = 0;
    }
    if (received == Received::kNone) {
      if (stopping_ && error.ok()) *done = true;
      break;
    }
    if (received == Received::kMessage) Accept();
  }
  CheckSilence();
  if (Finished() && held_ == Held::kNone) *done = true;
  if (options_.event_time_field >= 0) out->set_watermark(tracker_.Watermark());
  return error;
}

}  // namespace runnel::zmq
