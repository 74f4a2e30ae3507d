// DeadLetterFile: appends the messages a zmq source drops to a file, each
// with why it was dropped, so an operator can see what a peer sent. The
// record format is docs/WIRE.md's "Dead-letter file": length-prefixed
// binary records, each starting with the magic "RNLD".
//
// The file never grows past max_bytes (an existing file's size counts):
// a record that does not fit is not written, only counted, so a hostile
// peer cannot fill the disk. A failed write is logged and counted and the
// partial record cut off again; it never stops the source. Write allocates
// nothing: one writev(2) of a stack header and the caller's bytes. Only
// dropped messages reach it, so valid traffic never pays for it.
// Not thread-safe; the counters may be read from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/common/status.h"

namespace runnel::zmq {

class DeadLetterFile {
 public:
  static constexpr uint32_t kMaxChannelBytes = 255;
  static constexpr uint32_t kMaxReasonBytes = 1024;
  static constexpr size_t kHeaderBytes = 28;

  // `owner` names the source in logs.
  DeadLetterFile(std::string path, uint64_t max_bytes, std::string owner);
  ~DeadLetterFile();

  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;

  // Opens (creating, mode 0640) for appending. On failure later Writes are
  // counted as not written; the caller logs the status and carries on.
  Status Open();

  // Appends one record: `frame` is the part of the message kept (its first
  // bytes), `frame_size` the size it arrived with. Channel and reason are
  // cut to kMaxChannelBytes and kMaxReasonBytes.
  void Write(std::string_view channel, std::string_view reason, std::string_view frame,
             uint64_t frame_size);

  uint64_t written() const { return written_.load(std::memory_order_relaxed); }
  // Records not written: past the size cap, or a failed (or unopened) file.
  uint64_t not_written() const { return not_written_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return bytes_; }
  const std::string& path() const { return path_; }

 private:
  void Skip();
  void Fail(int error);

  std::string path_;
  uint64_t max_bytes_;
  std::string owner_;
  int fd_ = -1;
  uint64_t bytes_ = 0;  // the file's size: whole records only
  bool cap_logged_ = false;
  uint64_t failures_ = 0;
  std::atomic<uint64_t> written_{0};
  std::atomic<uint64_t> not_written_{0};
};

}  // namespace runnel::zmq
