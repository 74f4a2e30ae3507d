#include "tests/testing/emulator.h"

#include <cstdlib>
#include <sstream>

namespace runnel::testing {

std::vector<std::string> WithEmulator(const std::vector<std::string>& argv) {
  const char* emulator = std::getenv("RUNNEL_TEST_EMULATOR");
  if (emulator == nullptr || *emulator == '\0') return argv;
  std::vector<std::string> command;
  std::istringstream words(emulator);
  for (std::string word; words >> word;) command.push_back(word);
  command.insert(command.end(), argv.begin(), argv.end());
  return command;
}

}  // namespace runnel::testing
