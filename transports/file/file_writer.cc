#include "transports/file/file_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace runnel::file {

FileWriter::FileWriter(std::string path, size_t buffer_bytes)
    : path_(std::move(path)),
      buffer_(new char[buffer_bytes]),
      capacity_(buffer_bytes) {}

FileWriter::~FileWriter() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
}

Status FileWriter::Open() {
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
    return Status::Ok();
  }
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    return IoError("cannot create " + path_ + ": " + std::strerror(errno));
  }
  owns_fd_ = true;
  return Status::Ok();
}

char* FileWriter::Reserve(size_t bytes) {
  if (capacity_ - used_ < bytes && !Flush().ok()) return nullptr;
  return buffer_.get() + used_;
}

Status FileWriter::Flush() {
  if (!status_.ok()) return status_;
  size_t done = 0;
  while (done < used_) {
    ssize_t n = ::write(fd_, buffer_.get() + done, used_ - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      status_ = IoError("cannot write " + (path_ == "-" ? std::string("standard output") : path_) +
                        ": " + std::strerror(errno));
      return status_;
    }
    done += static_cast<size_t>(n);
  }
  used_ = 0;
  return Status::Ok();
}

Status FileWriter::Close() {
  Status flushed = Flush();
  if (owns_fd_ && fd_ >= 0) {
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0 && flushed.ok()) {
      return IoError("cannot close " + path_ + ": " + std::strerror(errno));
    }
  }
  return flushed;
}

}  // namespace runnel::file
