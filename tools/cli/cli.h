// The runnel command line: parses arguments, runs a verb, returns the
// process exit code (0 ok, 1 runtime failure, 2 bad usage or invalid graph).
#pragma once

namespace runnel::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

inline constexpr const char* kVersion = "0.1.0";

int Main(int argc, char** argv);

}  // namespace runnel::cli
