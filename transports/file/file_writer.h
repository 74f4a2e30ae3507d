// FileWriter: buffered writes to a file or standard output through one fixed
// buffer, so writing never allocates after Open. Every failure (a full disk,
// a closed pipe) comes back as a Status naming the path and the OS error.
// Not thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace runnel::file {

class FileWriter {
 public:
  static constexpr size_t kDefaultBufferBytes = 1 << 16;

  // `path` "-" writes standard output.
  explicit FileWriter(std::string path, size_t buffer_bytes = kDefaultBufferBytes);
  ~FileWriter();

  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Creates or truncates the file.
  Status Open();
  // For a writer that moves from file to file (part files), between Close
  // and Open: the path the next Open creates. Allocates only when `path` is
  // longer than every path before it, the constructor's included.
  void set_path(const char* path) { path_.assign(path); }

  // Room for at least `bytes` more at the end of the buffer, flushing first
  // if needed. Returns where to write, or nullptr after a failed flush (see
  // status()). REQUIRES: bytes <= buffer size.
  char* Reserve(size_t bytes);
  // Marks `bytes` written at the pointer Reserve returned.
  void Commit(size_t bytes) { used_ += bytes; }

  Status Flush();
  // Flushes and closes (standard output is flushed, not closed).
  Status Close();

  size_t buffer_bytes() const { return capacity_; }
  const Status& status() const { return status_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t used_ = 0;
  Status status_;  // first failure, sticky
};

}  // namespace runnel::file
