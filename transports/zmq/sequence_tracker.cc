#include "transports/zmq/sequence_tracker.h"

#include <climits>

namespace runnel::zmq {

SequenceTracker::SequenceTracker(uint32_t max_producers)
    : tracks_(max_producers == 0 ? 1 : max_producers) {}

uint32_t SequenceTracker::Find(uint64_t producer, uint64_t channel, uint64_t epoch,
                               int64_t now_ms) {
  uint32_t free = UINT32_MAX;
  uint32_t oldest = 0;
  for (uint32_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    if (!t.used) {
      if (free == UINT32_MAX) free = i;
      continue;
    }
    if (t.producer == producer && t.channel == channel) {
      if (t.epoch == epoch) {
        t.heard_ms = now_ms;
        t.dead = false;
        return i;
      }
      // A restarted producer: its old epoch is over.
      if (free == UINT32_MAX) free = i;
      if (t.closed) --closed_;
      t.used = false;
      continue;
    }
    if (tracks_[oldest].used && t.heard_ms < tracks_[oldest].heard_ms) oldest = i;
  }
  uint32_t index = free != UINT32_MAX ? free : oldest;
  Track& t = tracks_[index];
  if (t.used && t.closed) --closed_;
  t = Track();
  t.used = true;
  t.producer = producer;
  t.channel = channel;
  t.epoch = epoch;
  t.heard_ms = now_ms;
  return index;
}

SequenceTracker::Verdict SequenceTracker::OnBatch(uint64_t producer, uint64_t channel,
                                                  uint64_t epoch, uint64_t sequence,
                                                  int64_t now_ms) {
  Verdict v;
  v.track = Find(producer, channel, epoch, now_ms);
  Track& t = tracks_[v.track];
  if (sequence <= t.last_sequence) {
    v.kind = Verdict::kDuplicate;
    return v;
  }
  if (sequence > t.last_sequence + 1) {
    v.kind = Verdict::kGap;
    v.lost = sequence - t.last_sequence - 1;
  }
  t.last_sequence = sequence;
  return v;
}

SequenceTracker::Verdict SequenceTracker::OnRows(uint64_t producer, uint64_t channel,
                                                 uint64_t first_row, uint32_t count,
                                                 int64_t now_ms) {
  Verdict v;
  v.track = Find(producer, channel, 0, now_ms);
  Track& t = tracks_[v.track];
  const uint64_t last_row = first_row + count - 1;
  if (count == 0 || last_row <= t.last_sequence) {
    v.kind = Verdict::kDuplicate;
    return v;
  }
  if (first_row > t.last_sequence + 1) {
    v.kind = Verdict::kGap;
    v.lost = first_row - t.last_sequence - 1;
    return v;
  }
  v.skip = static_cast<uint32_t>(t.last_sequence + 1 - first_row);
  return v;
}

SequenceTracker::Verdict SequenceTracker::OnRowsHeartbeat(uint64_t producer, uint64_t channel,
                                                          uint64_t last_row, int64_t watermark,
                                                          bool closing, int64_t now_ms) {
  Verdict v;
  v.track = Find(producer, channel, 0, now_ms);
  Track& t = tracks_[v.track];
  if (last_row > t.last_sequence) {
    v.kind = Verdict::kGap;
    v.lost = last_row - t.last_sequence;
    return v;
  }
  SetWatermark(v.track, watermark);
  if (closing && !t.closed) {
    t.closed = true;
    ++closed_;
  }
  return v;
}

bool SequenceTracker::AskReplay(uint32_t track, int64_t now_ms, int64_t interval_ms) {
  Track& t = tracks_[track];
  if (t.replay_asked_ms != INT64_MIN && now_ms - t.replay_asked_ms < interval_ms) return false;
  t.replay_asked_ms = now_ms;
  return true;
}

uint32_t SequenceTracker::Positions(Position* out) const {
  uint32_t n = 0;
  for (const Track& t : tracks_) {
    if (!t.used) continue;
    out[n++] = Position{t.producer, t.channel, t.last_sequence, t.closed};
  }
  return n;
}

void SequenceTracker::RestorePosition(const Position& position, int64_t now_ms) {
  Track& t = tracks_[Find(position.producer, position.channel, 0, now_ms)];
  t.last_sequence = position.rows;
  if (position.closed && !t.closed) {
    t.closed = true;
    ++closed_;
  }
}

void SequenceTracker::SetWatermark(uint32_t track, int64_t watermark) {
  Track& t = tracks_[track];
  if (watermark > t.watermark) t.watermark = watermark;
}

SequenceTracker::Verdict SequenceTracker::OnHeartbeat(uint64_t producer, uint64_t channel,
                                                      uint64_t epoch, uint64_t last_sequence,
                                                      int64_t watermark, bool closing,
                                                      int64_t now_ms) {
  Verdict v;
  v.track = Find(producer, channel, epoch, now_ms);
  Track& t = tracks_[v.track];
  if (last_sequence > t.last_sequence) {
    v.kind = Verdict::kGap;
    v.lost = last_sequence - t.last_sequence;
    t.last_sequence = last_sequence;
  }
  // Only when every batch is in is the heartbeat's watermark safe to use.
  if (v.kind == Verdict::kInOrder) SetWatermark(v.track, watermark);
  if (closing && !t.closed) {
    t.closed = true;
    ++closed_;
  }
  return v;
}

uint32_t SequenceTracker::ExpireSilent(int64_t now_ms, int64_t timeout_ms) {
  uint32_t marked = 0;
  for (Track& t : tracks_) {
    if (t.used && !t.dead && !t.closed && now_ms - t.heard_ms > timeout_ms) {
      t.dead = true;
      ++marked;
    }
  }
  return marked;
}

uint32_t SequenceTracker::live() const {
  uint32_t n = 0;
  for (const Track& t : tracks_) n += (t.used && !t.dead && !t.closed) ? 1 : 0;
  return n;
}

int64_t SequenceTracker::Watermark() {
  int64_t min = INT64_MAX;
  bool any = false;
  for (const Track& t : tracks_) {
    if (!t.used || t.dead || t.closed) continue;
    any = true;
    if (t.watermark < min) min = t.watermark;
  }
  if (any && min > emitted_) emitted_ = min;
  return emitted_;
}

}  // namespace runnel::zmq
