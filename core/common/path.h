// Paths and directories without the C++ filesystem library (0.1 MB that
// the statically linked binary cannot afford): the lexically normal form
// of a path, its absolute form, and `mkdir -p`. POSIX paths only. For
// setup, not the hot path: they allocate. Thread-compatible, but
// AbsolutePath reads the process's working directory, which another
// thread may change.
#pragma once

#include <string>
#include <string_view>

#include "core/common/status.h"

namespace runnel {

// `path` as the standard filesystem::path::lexically_normal() gives it on
// POSIX: runs of '/' become one, "." names go, a name followed by ".."
// goes with it, ".." right after the root goes, a trailing '/' stays (but
// not after a final ".."), and what ends up empty becomes ".". "" stays
// "". (One difference: libstdc++ 12 leaves a path of only slashes, "//",
// as it is.)
// Examples: "/a//b/./c/../" -> "/a/b/", "a/.." -> ".", "/../x" -> "/x".
std::string LexicallyNormal(std::string_view path);

// The lexically normal form of `path` made absolute against the working
// directory, like filesystem::absolute(path).lexically_normal(). The file
// need not exist; symbolic links are not resolved. Fails for an empty
// path and when the working directory cannot be found.
Result<std::string> AbsolutePath(const std::string& path);

// Creates `path` and any missing parents, with mode 0777 less the umask,
// like filesystem::create_directories: Ok if it already is a directory.
// On failure an IoError "DIR: cannot create directory: REASON", DIR being
// the part of `path` that could not be made, and *error_number, if given,
// is the errno (ENOTDIR when something that is not a directory is in the
// way, EINVAL for an empty path).
Status CreateDirectories(const std::string& path, int* error_number = nullptr);

}  // namespace runnel
