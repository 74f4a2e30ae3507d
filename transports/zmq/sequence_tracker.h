// SequenceTracker: what a receiver knows about each producer it hears from
// (docs/WIRE.md, "Ordering and guarantees"): per (producer, channel, epoch)
// the last sequence number, the last watermark, when it was last heard, and
// whether it has closed or is dead. It classifies each batch (in order, gap,
// duplicate) and gives the receiver's watermark: the minimum over live
// producers, never moving backwards.
//
// Exactly-once links (docs/WIRE.md) track row positions instead: per
// (producer, channel), whatever the epoch, the position of the last row
// delivered. A batch may then overlap what was delivered (a producer
// resending after a restart): OnRows says how many of its rows to skip. A
// gap is not jumped over: the rows after it wait for the producer to send
// the missing ones (AskReplay paces the requests). Positions() and
// RestorePosition() carry the positions through checkpoints.
//
// Fixed capacity (max_producers entries, allocated by the constructor); a
// new sequence beyond it replaces the least recently heard. Not thread-safe:
// one source thread owns it.
#pragma once

#include <climits>
#include <cstdint>
#include <vector>

namespace runnel::zmq {

class SequenceTracker {
 public:
  struct Verdict {
    enum Kind { kInOrder, kGap, kDuplicate } kind = kInOrder;
    uint64_t lost = 0;  // kGap: batches missing before this one
    uint32_t track = 0;  // the entry, for SetWatermark
    uint32_t skip = 0;   // OnRows, kInOrder: leading rows delivered before
  };

  // A producer's position on an exactly-once link.
  struct Position {
    uint64_t producer = 0;
    uint64_t channel = 0;
    uint64_t rows = 0;    // the last row delivered
    bool closed = false;  // its closing heartbeat came after that row
  };

  explicit SequenceTracker(uint32_t max_producers);

  // A batch arrived at `now_ms`. kDuplicate: its sequence is not past the
  // last one seen (drop it). A first batch with sequence > 1 is a gap.
  Verdict OnBatch(uint64_t producer, uint64_t channel, uint64_t epoch, uint64_t sequence,
                  int64_t now_ms);
  // Exactly-once links: a batch of `count` rows whose first is at position
  // `first_row`. kDuplicate: every row was delivered; kGap: rows before it
  // are missing; kInOrder: deliver all but `skip` rows, telling Delivered
  // as they go (the position moves only then: a checkpoint between two
  // parts of a batch holds the rows handed on, not the batch).
  Verdict OnRows(uint64_t producer, uint64_t channel, uint64_t first_row, uint32_t count,
                 int64_t now_ms);
  void Delivered(uint32_t track, uint64_t last_row) {
    if (last_row > tracks_[track].last_sequence) tracks_[track].last_sequence = last_row;
  }
  // Exactly-once links: a heartbeat whose last row is at `last_row`. A
  // row missing here is a kGap (its watermark and closing wait for them).
  Verdict OnRowsHeartbeat(uint64_t producer, uint64_t channel, uint64_t last_row,
                          int64_t watermark, bool closing, int64_t now_ms);
  // Whether to send `track`'s producer a replay request at `now_ms`: not if
  // one went out within the last `interval_ms` (then records this one).
  bool AskReplay(uint32_t track, int64_t now_ms, int64_t interval_ms);
  // The row after the last one delivered of `track`.
  uint64_t next_row(uint32_t track) const { return tracks_[track].last_sequence + 1; }
  // Exactly-once links: writes the position of every producer tracked into
  // `out` (room for max_producers) and returns how many.
  uint32_t Positions(Position* out) const;
  // Before any message: a position from a checkpoint, heard at `now_ms`.
  void RestorePosition(const Position& position, int64_t now_ms);
  uint32_t capacity() const { return static_cast<uint32_t>(tracks_.size()); }

  // The rows of the batch OnBatch accepted into `track` are delivered: its
  // watermark now holds.
  void SetWatermark(uint32_t track, int64_t watermark);
  // A heartbeat: a last_sequence past the last batch seen is a gap (kGap,
  // counted once). `closing`: the producer will send nothing more.
  Verdict OnHeartbeat(uint64_t producer, uint64_t channel, uint64_t epoch,
                      uint64_t last_sequence, int64_t watermark, bool closing, int64_t now_ms);
  // Marks live producers not heard from since now_ms - timeout_ms as dead;
  // returns how many it marked (the caller logs). A dead producer that is
  // heard again is live again.
  uint32_t ExpireSilent(int64_t now_ms, int64_t timeout_ms);

  // Min over live, open producers of their watermark; kNoWatermark
  // (INT64_MIN) while one has none; never less than a value returned before.
  int64_t Watermark();

  uint32_t closed() const { return closed_; }
  uint32_t live() const;

 private:
  struct Track {
    bool used = false;
    bool dead = false;
    bool closed = false;
    uint64_t producer = 0;
    uint64_t channel = 0;
    uint64_t epoch = 0;
    uint64_t last_sequence = 0;
    int64_t watermark = INT64_MIN;
    int64_t heard_ms = 0;
    int64_t replay_asked_ms = INT64_MIN;
  };

  uint32_t Find(uint64_t producer, uint64_t channel, uint64_t epoch, int64_t now_ms);

  std::vector<Track> tracks_;
  uint32_t closed_ = 0;
  int64_t emitted_ = INT64_MIN;
};

}  // namespace runnel::zmq
