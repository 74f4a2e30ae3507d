#include "tests/transports/zmq/dead_letters.h"

#include "tests/testing/temp_dir.h"

namespace runnel::testing {
namespace {

uint64_t Le(const std::string& bytes, size_t at, int size) {
  uint64_t value = 0;
  for (int i = 0; i < size; ++i) {
    value |= uint64_t{static_cast<uint8_t>(bytes[at + i])} << (8 * i);
  }
  return value;
}

}  // namespace

std::vector<DeadLetter> ReadDeadLetters(const std::string& path, bool* whole) {
  const std::string bytes = ReadFile(path);
  std::vector<DeadLetter> records;
  size_t at = 0;
  *whole = true;
  while (at < bytes.size()) {
    if (bytes.size() - at < 28 || bytes.compare(at, 4, "RNLD") != 0) break;
    const uint64_t length = Le(bytes, at + 4, 4);
    const uint64_t channel = Le(bytes, at + 24, 2);
    const uint64_t reason = Le(bytes, at + 26, 2);
    if (length < 20 + channel + reason || bytes.size() - at - 8 < length) break;
    DeadLetter record;
    record.received_at_ns = static_cast<int64_t>(Le(bytes, at + 8, 8));
    record.frame_size = Le(bytes, at + 16, 8);
    record.channel = bytes.substr(at + 28, channel);
    record.reason = bytes.substr(at + 28 + channel, reason);
    record.frame = bytes.substr(at + 28 + channel + reason, length - 20 - channel - reason);
    records.push_back(std::move(record));
    at += 8 + length;
  }
  *whole = at == bytes.size();
  return records;
}

}  // namespace runnel::testing
