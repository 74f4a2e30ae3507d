#include "transports/wire/back_channel.h"

#include "transports/wire/wire_generated.h"

namespace runnel::wire {

uint64_t NameHash(std::string_view name) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (char c : name) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 0x100000001b3ull;
  }
  return hash;
}

void ProducerTopic(uint64_t producer, char* out) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < kProducerTopicBytes; ++i) {
    out[i] = kDigits[(producer >> (60 - 4 * i)) & 0xf];
  }
}

bool DecodeBackChannel(const uint8_t* data, size_t size, BackChannelMessage* out) {
  flatbuffers::Verifier verifier(data, size);
  if (!fb::VerifyEnvelopeBuffer(verifier)) return false;
  const fb::Envelope* envelope = fb::GetEnvelope(data);
  if (envelope->version() != 1) return false;
  if (const fb::Ack* ack = envelope->message_as_Ack()) {
    *out = BackChannelMessage{BackChannelMessage::kAck, ack->producer(), ack->channel(),
                              ack->rows(), ack->closed()};
    return true;
  }
  if (const fb::ReplayRequest* request = envelope->message_as_ReplayRequest()) {
    *out = BackChannelMessage{BackChannelMessage::kReplayRequest, request->producer(),
                              request->channel(), request->from_row(), false};
    return true;
  }
  return false;
}

// Both messages are a few dozen bytes: the builder never grows past this.
BackChannelEncoder::BackChannelEncoder()
    : builder_(std::make_unique<flatbuffers::FlatBufferBuilder>(256)) {
  EncodeAck(0, 0, 0, false);  // the builder reserves its buffer on first use
}

BackChannelEncoder::~BackChannelEncoder() = default;

const uint8_t* BackChannelEncoder::data() const { return builder_->GetBufferPointer(); }
size_t BackChannelEncoder::size() const { return builder_->GetSize(); }

void BackChannelEncoder::EncodeAck(uint64_t producer, uint64_t channel, uint64_t rows,
                                   bool closed) {
  flatbuffers::FlatBufferBuilder& b = *builder_;
  b.Clear();
  auto message = fb::CreateAck(b, producer, channel, rows, closed);
  fb::FinishEnvelopeBuffer(b, fb::CreateEnvelope(b, 1, fb::Message::Ack, message.Union()));
}

void BackChannelEncoder::EncodeReplayRequest(uint64_t producer, uint64_t channel,
                                             uint64_t from_row) {
  flatbuffers::FlatBufferBuilder& b = *builder_;
  b.Clear();
  auto message = fb::CreateReplayRequest(b, producer, channel, from_row);
  fb::FinishEnvelopeBuffer(
      b, fb::CreateEnvelope(b, 1, fb::Message::ReplayRequest, message.Union()));
}

}  // namespace runnel::wire
