// Builds a sensor's Reading message (an Envelope, docs/WIRE.md "Readings")
// the way a plain sensor would, for tests and fuzz seeds.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace runnel::testing {

struct ReadingSpec {
  int64_t ts_ms = 0;
  std::vector<std::pair<std::string, double>> numbers;
  std::vector<std::pair<std::string, std::string>> texts;
  uint16_t version = 1;
};

// The encoded Envelope's bytes.
std::string EncodeReading(const ReadingSpec& spec);

}  // namespace runnel::testing
