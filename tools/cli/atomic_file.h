// Writing a whole file so that readers see either the old contents or the
// new ones, never a half-written file: the contents go to a temporary file
// in the same directory, which is flushed to disk and renamed over `path`.
// Used by `runnel compile` and `runnel fmt -w`.
#pragma once

#include <string>
#include <string_view>

#include "core/common/status.h"

namespace runnel::cli {

// Replaces (or creates) the regular file `path` with `contents`. A file that
// is replaced keeps its permission bits; a new one gets 0666 minus the umask.
// Refuses to replace anything but a regular file (say /dev/full). On failure
// the temporary file is removed, `path` is untouched, and the IoError reads
// "cannot write PATH: REASON".
Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace runnel::cli
