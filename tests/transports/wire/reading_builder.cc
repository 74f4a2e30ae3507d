#include "tests/transports/wire/reading_builder.h"

#include "transports/wire/wire_generated.h"

namespace runnel::testing {

namespace fb = runnel::wire::fb;

std::string EncodeReading(const ReadingSpec& spec) {
  flatbuffers::FlatBufferBuilder builder;
  std::vector<flatbuffers::Offset<fb::NumberValue>> numbers;
  for (const auto& [name, value] : spec.numbers) {
    numbers.push_back(fb::CreateNumberValue(builder, builder.CreateString(name), value));
  }
  std::vector<flatbuffers::Offset<fb::TextValue>> texts;
  for (const auto& [name, value] : spec.texts) {
    texts.push_back(
        fb::CreateTextValue(builder, builder.CreateString(name), builder.CreateString(value)));
  }
  auto reading = fb::CreateReading(builder, spec.ts_ms, builder.CreateVector(numbers),
                                   builder.CreateVector(texts));
  builder.Finish(fb::CreateEnvelope(builder, spec.version, fb::Message::Reading, reading.Union()),
                 fb::EnvelopeIdentifier());
  return std::string(reinterpret_cast<const char*>(builder.GetBufferPointer()), builder.GetSize());
}

}  // namespace runnel::testing
