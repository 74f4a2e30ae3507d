// LineReader: reads a file or standard input line by line through one fixed
// buffer, so reading never allocates after Open.
//
// Lines end with \n (a trailing \r is dropped); a last line without \n is
// still returned. A line longer than the buffer is reported as too long and
// skipped, not split. Lines are views into the buffer, valid until the next
// call. A pipe or terminal with nothing to read returns kIdle after a short
// wait instead of blocking, so the caller can notice a stop request.
// A regular file can be resumed at a saved offset() and line number (Seek),
// which is how file sources replay from a checkpoint. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace runnel::file {

class LineReader {
 public:
  static constexpr size_t kDefaultBufferBytes = 1 << 16;
  static constexpr int kIdleMillis = 100;

  // `path` "-" reads standard input.
  explicit LineReader(std::string path, size_t buffer_bytes = kDefaultBufferBytes);
  ~LineReader();

  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;

  Status Open();

  // Continues at byte `offset` (a value offset() returned) as if
  // `line_number` lines had been read. Fails on standard input, a pipe, or
  // a file shorter than `offset`. REQUIRES: Open succeeded.
  Status Seek(uint64_t offset, uint64_t line_number);

  enum class Outcome { kLine, kTooLong, kEnd, kIdle };
  // Reads the next line into *line. kTooLong: that line (its number is
  // line_number()) was skipped. kEnd: no more input. kIdle: no complete
  // line arrived within kIdleMillis (pipes and terminals only); call again.
  Result<Outcome> Next(std::string_view* line);

  // Reads nothing more: Next returns the complete lines already buffered,
  // then kEnd (a partial last line is dropped, as it never arrived whole).
  void StopReading() { stopped_ = true; }

  // 1-based number of the line last returned.
  uint64_t line_number() const { return line_number_; }
  // Byte offset in the input of the first byte not yet returned (the start
  // of the next line between calls to Next).
  uint64_t offset() const { return read_bytes_ - (end_ - begin_); }
  const std::string& path() const { return path_; }

 private:
  // Reads more input after the unread bytes. kIdle: nothing arrived in
  // time (pipes and terminals only).
  enum class FillOutcome { kData, kEnd, kIdle };
  Result<FillOutcome> Fill();

  std::string path_;
  int fd_ = -1;
  bool owns_fd_ = false;
  bool may_block_ = false;  // a pipe, socket or terminal
  std::unique_ptr<char[]> buffer_;
  size_t capacity_;
  size_t begin_ = 0;  // first unread byte
  size_t end_ = 0;    // one past the last byte read
  bool eof_ = false;
  bool skipping_ = false;  // inside a line too long for the buffer
  bool stopped_ = false;
  uint64_t line_number_ = 0;
  uint64_t read_bytes_ = 0;  // offset in the input of buffer_[end_]
};

}  // namespace runnel::file
