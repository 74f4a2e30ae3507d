#include "transports/file/line_reader.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace runnel::file {

LineReader::LineReader(std::string path, size_t buffer_bytes)
    : path_(std::move(path)),
      buffer_(new char[buffer_bytes]),
      capacity_(buffer_bytes) {}

LineReader::~LineReader() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Status LineReader::Open() {
  if (path_ == "-") {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      return IoError("cannot open " + path_ + ": " + std::strerror(errno));
    }
    owns_fd_ = true;
  }
  struct stat info;
  may_block_ = fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode);
  return Status::Ok();
}

Status LineReader::Seek(uint64_t offset, uint64_t line_number) {
  struct stat info;
  if (may_block_ || fstat(fd_, &info) != 0) {
    return InvalidArgument(path_ + ": cannot resume reading at an offset: not a regular file");
  }
  if (static_cast<uint64_t>(info.st_size) < offset) {
    return DataError(path_ + ": the file has " + std::to_string(info.st_size) +
                     " bytes, fewer than the position to resume at (" + std::to_string(offset) +
                     "); was it replaced?");
  }
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
    return IoError("cannot seek in " + path_ + ": " + std::strerror(errno));
  }
  begin_ = end_ = 0;
  eof_ = false;
  skipping_ = false;
  read_bytes_ = offset;
  line_number_ = line_number;
  return Status::Ok();
}

Result<LineReader::FillOutcome> LineReader::Fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (eof_) return FillOutcome::kEnd;
  if (end_ == capacity_) return FillOutcome::kData;  // full: the caller skips
  if (may_block_) {
    pollfd wait{fd_, POLLIN, 0};
    int ready = ::poll(&wait, 1, kIdleMillis);
    if (ready == 0 || (ready < 0 && errno == EINTR)) return FillOutcome::kIdle;
  }
  while (true) {
    ssize_t n = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return Status(IoError("cannot read " + path_ + ": " + std::strerror(errno)));
    }
    if (n == 0) {
      eof_ = true;
      return FillOutcome::kEnd;
    }
    end_ += static_cast<size_t>(n);
    read_bytes_ += static_cast<uint64_t>(n);
    return FillOutcome::kData;
  }
}

Result<LineReader::Outcome> LineReader::Next(std::string_view* line) {
  while (true) {
    char* start = buffer_.get() + begin_;
    char* newline = static_cast<char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline != nullptr) {
      begin_ = static_cast<size_t>(newline - buffer_.get()) + 1;
      ++line_number_;
      if (skipping_) {
        skipping_ = false;
        return Outcome::kTooLong;
      }
      size_t length = static_cast<size_t>(newline - start);
      if (length > 0 && start[length - 1] == '\r') --length;
      *line = std::string_view(start, length);
      return Outcome::kLine;
    }
    if (eof_) {
      if (begin_ == end_) {
        if (!skipping_) return Outcome::kEnd;
        skipping_ = false;
        ++line_number_;
        return Outcome::kTooLong;
      }
      // The last line has no newline.
      ++line_number_;
      size_t length = end_ - begin_;
      begin_ = end_;
      if (skipping_) {
        skipping_ = false;
        return Outcome::kTooLong;
      }
      if (length > 0 && start[length - 1] == '\r') --length;
      *line = std::string_view(start, length);
      return Outcome::kLine;
    }
    if (stopped_) return Outcome::kEnd;
    if (begin_ == 0 && end_ == capacity_) {
      // No newline in a full buffer: drop what we have and skip to the next.
      skipping_ = true;
      begin_ = end_ = 0;
    }
    Result<FillOutcome> filled = Fill();
    if (!filled.ok()) return filled.status();
    if (filled.value() == FillOutcome::kIdle) {
      return Outcome::kIdle;
    }
  }
}

}  // namespace runnel::file
