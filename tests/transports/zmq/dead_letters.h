// Reads a dead-letter file (docs/WIRE.md, Dead-letter file) back into
// records, for tests that check what a zmq source kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace runnel::testing {

struct DeadLetter {
  int64_t received_at_ns = 0;
  uint64_t frame_size = 0;  // as received
  std::string channel;
  std::string reason;
  std::string frame;  // the bytes kept
};

// The records of the file at `path`, in order. *whole is false when the
// file does not parse into whole records.
std::vector<DeadLetter> ReadDeadLetters(const std::string& path, bool* whole);

}  // namespace runnel::testing
