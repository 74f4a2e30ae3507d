#include "transports/file/line_reader.h"

#include <fcntl.h>
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
    return Status::Ok();
  }
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    return IoError("cannot open " + path_ + ": " + std::strerror(errno));
  }
  owns_fd_ = true;
  return Status::Ok();
}

Result<bool> LineReader::Fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  while (!eof_ && end_ < capacity_) {
    ssize_t n = ::read(fd_, buffer_.get() + end_, capacity_ - end_);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status(IoError("cannot read " + path_ + ": " + std::strerror(errno)));
    }
    if (n == 0) {
      eof_ = true;
      break;
    }
    end_ += static_cast<size_t>(n);
    return true;
  }
  return end_ > begin_ || !eof_;
}

Result<LineReader::Outcome> LineReader::Next(std::string_view* line) {
  bool skipping = false;  // inside a line too long for the buffer
  while (true) {
    char* start = buffer_.get() + begin_;
    char* newline = static_cast<char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline != nullptr) {
      begin_ = static_cast<size_t>(newline - buffer_.get()) + 1;
      ++line_number_;
      if (skipping) return Outcome::kTooLong;
      size_t length = static_cast<size_t>(newline - start);
      if (length > 0 && start[length - 1] == '\r') --length;
      *line = std::string_view(start, length);
      return Outcome::kLine;
    }
    if (eof_) {
      if (begin_ == end_) {
        if (!skipping) return Outcome::kEnd;
        ++line_number_;
        return Outcome::kTooLong;
      }
      // The last line has no newline.
      ++line_number_;
      size_t length = end_ - begin_;
      begin_ = end_;
      if (skipping) return Outcome::kTooLong;
      if (length > 0 && start[length - 1] == '\r') --length;
      *line = std::string_view(start, length);
      return Outcome::kLine;
    }
    if (begin_ == 0 && end_ == capacity_) {
      // No newline in a full buffer: drop what we have and skip to the next.
      skipping = true;
      begin_ = end_ = 0;
    }
    Result<bool> filled = Fill();
    if (!filled.ok()) return filled.status();
  }
}

}  // namespace runnel::file
