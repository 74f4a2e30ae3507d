#include "transports/zmq/dead_letter.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/common/log.h"

namespace runnel::zmq {
namespace {

constexpr char kMagic[4] = {'R', 'N', 'L', 'D'};
// Write failures after the first are logged once every this many.
constexpr uint64_t kLogFailuresEvery = 1000;

void PutLe(uint8_t* at, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) at[i] = static_cast<uint8_t>(value >> (8 * i));
}

int64_t WallClockNanos() {
  timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return int64_t{now.tv_sec} * 1000000000 + now.tv_nsec;
}

}  // namespace

DeadLetterFile::DeadLetterFile(std::string path, uint64_t max_bytes, std::string owner)
    : path_(std::move(path)), max_bytes_(max_bytes), owner_(std::move(owner)) {}

DeadLetterFile::~DeadLetterFile() {
  if (fd_ >= 0) close(fd_);
  if (not_written() > 0) {
    RUNNEL_LOG_WARN("source %s: %llu dropped messages not written to dead-letter file %s",
                    owner_.c_str(), static_cast<unsigned long long>(not_written()),
                    path_.c_str());
  }
}

Status DeadLetterFile::Open() {
  fd_ = open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    return IoError("dead-letter file " + path_ + ": " + std::strerror(errno));
  }
  struct stat info;
  if (fstat(fd_, &info) != 0) {
    Status status = IoError("dead-letter file " + path_ + ": " + std::strerror(errno));
    close(fd_);
    fd_ = -1;
    return status;
  }
  bytes_ = static_cast<uint64_t>(info.st_size);
  return Status::Ok();
}

void DeadLetterFile::Skip() {
  not_written_.fetch_add(1, std::memory_order_relaxed);
  if (fd_ >= 0 && !cap_logged_) {
    cap_logged_ = true;
    RUNNEL_LOG_WARN("source %s: dead-letter file %s is at its cap of %llu bytes; further "
                    "dropped messages are counted, not written",
                    owner_.c_str(), path_.c_str(), static_cast<unsigned long long>(max_bytes_));
  }
}

void DeadLetterFile::Fail(int error) {
  not_written_.fetch_add(1, std::memory_order_relaxed);
  if (failures_++ % kLogFailuresEvery == 0) {
    RUNNEL_LOG_WARN("source %s: dead-letter file %s: write failed (%llu so far): %s",
                    owner_.c_str(), path_.c_str(), static_cast<unsigned long long>(failures_),
                    std::strerror(error));
  }
  // Cut the partial record off, so the file holds whole records only.
  if (ftruncate(fd_, static_cast<off_t>(bytes_)) != 0) {
    RUNNEL_LOG_WARN("source %s: dead-letter file %s: cannot cut a partial record: %s",
                    owner_.c_str(), path_.c_str(), std::strerror(errno));
  }
}

void DeadLetterFile::Write(std::string_view channel, std::string_view reason,
                           std::string_view frame, uint64_t frame_size) {
  if (fd_ < 0) {
    Skip();
    return;
  }
  if (channel.size() > kMaxChannelBytes) channel = channel.substr(0, kMaxChannelBytes);
  if (reason.size() > kMaxReasonBytes) reason = reason.substr(0, kMaxReasonBytes);
  const uint64_t record = kHeaderBytes + channel.size() + reason.size() + frame.size();
  if (record > max_bytes_ || bytes_ > max_bytes_ - record || record - 8 > UINT32_MAX) {
    Skip();
    return;
  }
  uint8_t header[kHeaderBytes];
  std::memcpy(header, kMagic, 4);
  PutLe(header + 4, record - 8, 4);
  PutLe(header + 8, static_cast<uint64_t>(WallClockNanos()), 8);
  PutLe(header + 16, frame_size, 8);
  PutLe(header + 24, channel.size(), 2);
  PutLe(header + 26, reason.size(), 2);
  iovec parts[4] = {{header, kHeaderBytes},
                    {const_cast<char*>(channel.data()), channel.size()},
                    {const_cast<char*>(reason.data()), reason.size()},
                    {const_cast<char*>(frame.data()), frame.size()}};
  iovec* next = parts;
  int count = 4;
  uint64_t left = record;
  while (left > 0) {
    ssize_t n = writev(fd_, next, count);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Fail(n < 0 ? errno : ENOSPC);
      return;
    }
    left -= static_cast<uint64_t>(n);
    // Step past what was written (a short write, e.g. a nearly full disk).
    size_t done = static_cast<size_t>(n);
    while (count > 0 && done >= next->iov_len) {
      done -= next->iov_len;
      ++next;
      --count;
    }
    if (count > 0) {
      next->iov_base = static_cast<char*>(next->iov_base) + done;
      next->iov_len -= done;
    }
  }
  bytes_ += record;
  written_.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace runnel::zmq
