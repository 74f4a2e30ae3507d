// ReadFileText: the whole contents of a small file (a graph file, a key
// file, an allowed-clients list) read with open/read/close.
//
// It exists so that the shipped binary needs no C++ streams: a file
// stream and a string stream pull libstdc++'s locale machinery (about
// 0.5 MB) into a static link. For setup only: it allocates the whole file
// at once. It reads files of unknown size too (pipes, /dev/stdin, /proc);
// a path of "-" is just a file named "-": callers that mean standard
// input say so.
// Thread-compatible: it keeps no state.
#pragma once

#include <string>

#include "core/common/status.h"

namespace runnel {

// Which call ReadFileText failed in and why, for callers that word their
// own errors.
struct FileTextError {
  enum class Step { kOpen, kRead };
  Step step = Step::kOpen;
  int error_number = 0;  // errno of the failed open(2) or read(2)
};

// The most ReadFileText reads: these are configuration files.
inline constexpr size_t kMaxFileTextBytes = 64 << 20;

// The whole contents of the file at `path`. On failure an IoError
// "PATH: cannot open: REASON" or "PATH: cannot read: REASON" (REASON is
// strerror(errno); a directory opens but cannot be read; a file, pipe or
// device of more than kMaxFileTextBytes is EFBIG, "File too large"), and
// *error, if given, is filled in.
Result<std::string> ReadFileText(const std::string& path, FileTextError* error = nullptr);

}  // namespace runnel
