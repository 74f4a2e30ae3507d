// RunProcess: runs a real program with arguments (and optional stdin text),
// and returns its exit code, stdout and stderr. For tests of the runnel
// binary itself.
#pragma once

#include <string>
#include <vector>

namespace runnel::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 if it did not exit normally
  std::string out;
  std::string err;
};

// `environment` ("NAME=VALUE" items) replaces the test's own environment
// when given.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::string& stdin_text = "",
                         const std::vector<std::string>* environment = nullptr);

}  // namespace runnel::testing
