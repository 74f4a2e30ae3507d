// ZmqSource: receives wire-format batches (docs/WIRE.md) on a ZeroMQ PULL
// or SUB socket and hands their rows to the task. Its format also lets plain
// sensors push without batches: `reading` takes Reading messages (one row
// each, ReadingDecoder), `csv` and `jsonl` take text frames, one row per
// line (CsvRow, JsonlDecoder); envelopes (batches, heartbeats) are taken in
// every format. A bad reading or line is dropped like a bad frame.
//
// Every message goes through FrameDecoder; a bad one is dropped, counted
// (rejected()), logged once per log_every and, with a dead-letter path,
// appended to that file (DeadLetterFile), and the messages around it are
// processed. Batch sequences are tracked per (producer, channel, epoch):
// gaps and duplicates are logged and counted. With event time, each Read
// ends at a batch boundary and carries the receiver's watermark (the
// minimum over live producers of their last one), so rows get the same
// watermarks however the batches arrive.
//
// With exactly_once (docs/WIRE.md, "Exactly-once links"; in a job with
// checkpoints) it takes only batches that carry row positions (ZmqSink with
// exactly_once), delivers each row once by its position, saves the
// positions in checkpoints (a replayable source), and on a PUB back channel
// asks producers to send again what a gap or a restart lost
// (ReplayRequest) and tells them when a checkpoint holds their rows (Ack).
// A producer counts as closed for end_after_producers only once every row
// before its close is in; the source then ends once a checkpoint holding
// the closes is stored (its Acks sent) and two heartbeat periods have
// passed, answering each closing heartbeat meanwhile with that Ack again —
// so a producer waiting for it hears it even if the first one was lost.
//
// Allocation: the socket, decoder, tracker and scratch are set up by the
// constructor and Open; Read allocates only what libzmq allocates per
// message, and a scratch copy for a misaligned message larger than any
// before. Used by one thread; the counters may be read from any.
#pragma once

#include <zmq.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/byte_count.h"
#include "core/common/clock.h"
#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/file/csv_fields.h"
#include "transports/file/csv_row.h"
#include "transports/jsonl/jsonl_decoder.h"
#include "transports/wire/back_channel.h"
#include "transports/wire/frame_decoder.h"
#include "transports/wire/reading_decoder.h"
#include "transports/zmq/dead_letter.h"
#include "transports/zmq/sequence_tracker.h"
#include "transports/zmq/zmq_socket.h"

namespace runnel::zmq {

enum class ZmqFormat { kBatch, kReading, kCsv, kJsonl };

struct ZmqSourceOptions {
  std::string name;  // for logs
  bool subscribe = false;  // SUB, else PULL
  std::vector<std::string> bind;
  std::vector<std::string> connect;
  std::vector<std::string> channels;  // accepted prefixes; empty: all
  int high_water_mark = 1000;
  size_t max_message_bytes = 16u << 20;
  int64_t heartbeat_ms = 1000;
  uint32_t end_after_producers = 0;
  uint32_t log_every = 1000;
  uint32_t max_producers = 64;
  // The schema's event-time field, or -1 (no event time): a text line or
  // reading that leaves it empty is dropped.
  int event_time_field = -1;
  CurveOptions curve;  // none by default (curve.h)
  std::string dead_letter;  // empty: dropped messages are not kept
  uint64_t dead_letter_max_bytes = 64u << 20;
  ZmqFormat format = ZmqFormat::kBatch;
  bool csv_header = false;  // csv: each frame's first line names the columns
  size_t max_line_bytes = 65536;  // csv, jsonl: longer lines are dropped
  bool exactly_once = false;
  // The back channel's PUB socket (exactly_once): endpoints to bind and to
  // connect to.
  std::vector<std::string> back_bind;
  std::vector<std::string> back_connect;
};

class ZmqSource : public runtime::Source {
 public:
  // `symbols` and `clock` must outlive the source.
  ZmqSource(ZmqSourceOptions options, const schema::Schema& schema,
            schema::SymbolTable* symbols, const Clock* clock);
  ~ZmqSource() override;

  Status Open() override;
  Status Read(schema::RowBatch* out, bool* done) override;
  bool Stop() override;
  uint64_t rejected() const override { return rejected_.load(std::memory_order_relaxed); }
  uint64_t footprint_bytes() const override {
    return SaturatingAdd(decoder_.footprint_bytes(),
                         FormatBytes(options_.format, options_.max_line_bytes));
  }
  // Bytes the line decoders of a text format preallocate (0 for the others;
  // 64 bits on every target, core/common/byte_count.h).
  static uint64_t FormatBytes(ZmqFormat format, uint64_t max_line_bytes);

  bool replayable() const override { return options_.exactly_once; }
  bool SavePosition(runtime::StateBuffer* out) override;
  void CheckpointCompleted(uint64_t id) override;
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  size_t checkpoint_bytes() const override;

  // Batches seen missing in gaps, gap events, duplicates dropped.
  uint64_t lost_batches() const override { return lost_.load(std::memory_order_relaxed); }
  uint64_t gaps() const { return gaps_.load(std::memory_order_relaxed); }
  uint64_t duplicates() const { return duplicates_.load(std::memory_order_relaxed); }
  // Exactly-once: batches taken in part (their first rows were delivered).
  uint64_t batches_taken_in_part() const { return taken_in_part_.load(std::memory_order_relaxed); }
  // Dropped messages written to the dead-letter file, and not written
  // (its cap, a failed write); 0 without one.
  uint64_t dead_letters() const { return dead_letter_ ? dead_letter_->written() : 0; }
  uint64_t dead_letters_not_written() const {
    return dead_letter_ ? dead_letter_->not_written() : 0;
  }

 private:
  enum class Received { kNone, kDropped, kMessage };
  // What message_ holds while its rows are delivered.
  enum class Held { kNone, kBatch, kReading, kText };
  // Receives one whole message into channel_ and message_ (kMessage) if
  // one is queued or, with `wait`, arrives within kIdleMs; kDropped: one
  // came and was dropped.
  Received Receive(bool wait, Status* error);
  // Decodes message_; false if the message is dropped (counted, logged) or
  // carries no rows to deliver.
  bool Accept();
  // Takes message_ as text lines (csv, jsonl formats).
  void AcceptText();
  // Counts, logs and dead-letters a dropped message: `frame` is what it
  // carried (frame 2, or its only frame), `channel` its frame 1 if any.
  void Drop(std::string_view reason, std::string_view channel, std::string_view frame);
  // Drop() for the message in channel_ and message_.
  void DropMessage(std::string_view reason);
  // Copies pending rows of the held message into `out`; true when the
  // message is finished.
  bool CopyPending(schema::RowBatch* out);
  bool CopyBatch(schema::RowBatch* out);
  void CopyReading(schema::RowBatch* out);
  bool CopyText(schema::RowBatch* out);
  // Decodes one text line into `row`; false (reason_ set) if it is bad.
  bool DecodeLine(std::string_view line, schema::Slot* row);
  // Drops one line of the held text frame, with reason_.
  void DropLine(std::string_view line);
  void CheckSilence();
  // Exactly-once: classifies a batch or heartbeat by row positions; false
  // when it is dropped (a duplicate, or after a gap).
  bool AcceptRows(const wire::DecodedMessage& m, uint64_t channel_hash, int64_t now,
                  SequenceTracker::Verdict* verdict);
  // Exactly-once: sends a back-channel message (back_encoder_'s) to `producer`.
  void SendBack(uint64_t producer);
  // Exactly-once: sends the Ack of (producer, channel) in the latest stored
  // checkpoint again, if it holds the producer's close.
  void AckCloseAgain(uint64_t producer, uint64_t channel);
  bool Finished() const;

  ZmqSourceOptions options_;
  schema::SymbolTable* symbols_;
  const Clock* clock_;
  ZmqSocket socket_;
  wire::FrameDecoder decoder_;
  SequenceTracker tracker_;
  zmq_msg_t channel_;
  zmq_msg_t message_;
  Held held_ = Held::kNone;
  wire::DecodedMessage batch_;  // kBatch, kReading
  uint32_t track_ = 0;
  uint32_t next_row_ = 0;
  std::string_view text_;   // kText: the lines not yet read
  uint32_t text_line_ = 0;  // kText: lines read so far
  bool header_pending_ = false;  // kText, csv_header: the next line is the header
  std::unique_ptr<wire::ReadingDecoder> reading_;  // format reading
  std::unique_ptr<file::CsvFields> csv_fields_;    // format csv
  std::unique_ptr<file::CsvRow> csv_row_;          // format csv
  std::unique_ptr<jsonl::JsonlDecoder> jsonl_;     // format jsonl
  std::vector<uint64_t> aligned_;  // scratch for misaligned messages
  std::unique_ptr<DeadLetterFile> dead_letter_;
  char reason_[512] = "";  // a dropped message's reason, built without allocating
  bool stopping_ = false;
  bool queued_ = true;  // the last look for a queued message found one
  uint32_t reads_since_probe_ = 0;
  int64_t last_expiry_ms_ = 0;
  std::atomic<uint64_t> rejected_{0};
  std::atomic<uint64_t> lost_{0};
  std::atomic<uint64_t> gaps_{0};
  std::atomic<uint64_t> duplicates_{0};
  std::atomic<uint64_t> taken_in_part_{0};

  // Exactly-once links.
  ZmqSocket back_;  // PUB
  wire::BackChannelEncoder back_encoder_;
  // The positions the last SavePosition wrote: acknowledged once its
  // checkpoint is stored.
  std::vector<SequenceTracker::Position> saved_;
  uint32_t saved_count_ = 0;
  // The positions of the latest stored checkpoint (acknowledged), and when
  // it first held end_after_producers closes.
  std::vector<SequenceTracker::Position> acked_;
  uint32_t acked_count_ = 0;
  int64_t closes_acked_ms_ = 0;
};

}  // namespace runnel::zmq
