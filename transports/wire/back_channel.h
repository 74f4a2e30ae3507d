// The receiver -> producer messages of an exactly-once link (docs/WIRE.md,
// "Exactly-once links"): Ack and ReplayRequest, each a finished Envelope,
// and the channel hash and producer topic both sides compute the same way.
//
// BackChannelEncoder preallocates its builder: encoding never allocates.
// One thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace flatbuffers {
class FlatBufferBuilder;
}

namespace runnel::wire {

// FNV-1a 64 of a name: how Acks and ReplayRequests name a channel, and an
// exactly-once producer's id (of its producer_name, stable across restarts).
uint64_t NameHash(std::string_view name);

// Frame 1 of a back-channel message: the producer id as 16 lowercase hex
// digits (a producer subscribes to its own). `out` holds kProducerTopicBytes.
constexpr size_t kProducerTopicBytes = 16;
void ProducerTopic(uint64_t producer, char* out);

// A decoded back-channel message.
struct BackChannelMessage {
  enum Kind { kAck, kReplayRequest } kind = kAck;
  uint64_t producer = 0;
  uint64_t channel = 0;
  uint64_t row = 0;     // Ack: rows; ReplayRequest: from_row
  bool closed = false;  // Ack
};

// Checks (FlatBuffers verification) and reads an Ack or ReplayRequest
// envelope; false for anything else.
bool DecodeBackChannel(const uint8_t* data, size_t size, BackChannelMessage* out);

class BackChannelEncoder {
 public:
  BackChannelEncoder();
  ~BackChannelEncoder();
  BackChannelEncoder(const BackChannelEncoder&) = delete;
  BackChannelEncoder& operator=(const BackChannelEncoder&) = delete;

  void EncodeAck(uint64_t producer, uint64_t channel, uint64_t rows, bool closed);
  void EncodeReplayRequest(uint64_t producer, uint64_t channel, uint64_t from_row);

  // The last message encoded.
  const uint8_t* data() const;
  size_t size() const;

 private:
  std::unique_ptr<flatbuffers::FlatBufferBuilder> builder_;
};

}  // namespace runnel::wire
