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

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::string& stdin_text = "");

}  // namespace runnel::testing
