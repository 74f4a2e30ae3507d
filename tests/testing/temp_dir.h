// TempDir: a fresh directory per test under Bazel's TEST_TMPDIR (or /tmp),
// with helpers to write and read the real files tests use.
#pragma once

#include <string>

namespace runnel::testing {

class TempDir {
 public:
  // Under TEST_TMPDIR, or under /tmp when `short_path`: for files whose
  // path must fit a Unix socket address (108 bytes; Bazel's TEST_TMPDIR is
  // about as long), such as a job's control socket.
  explicit TempDir(bool short_path = false);
  ~TempDir();

  const std::string& path() const { return path_; }
  // Absolute path of `name` inside the directory.
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes `contents` to `name` and returns its absolute path.
  std::string Write(const std::string& name, const std::string& contents) const;

 private:
  std::string path_;
};

// The whole contents of the file at `path` ("" if it cannot be read).
std::string ReadFile(const std::string& path);

}  // namespace runnel::testing
