#include "core/common/file_text.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <utility>

namespace runnel {
namespace {

// The first buffer for a file whose size stat(2) does not give (pipes,
// character devices, /proc files, which report 0); doubled as it fills.
constexpr size_t kUnknownSizeBytes = 4096;

constexpr off_t kMaxBytes = off_t{kMaxFileTextBytes};

Status Failed(const std::string& path, FileTextError::Step step, int error_number,
              FileTextError* error) {
  if (error != nullptr) *error = FileTextError{step, error_number};
  const char* what = step == FileTextError::Step::kOpen ? ": cannot open: " : ": cannot read: ";
  return IoError(path + what + strerror(error_number));
}

}  // namespace

Result<std::string> ReadFileText(const std::string& path, FileTextError* error) {
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Failed(path, FileTextError::Step::kOpen, errno, error);

  // One byte more than a regular file's size, so that the read seeing its
  // end needs no second buffer; the file may still grow or shrink meanwhile.
  struct stat st;
  size_t capacity = kUnknownSizeBytes;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
    if (st.st_size > kMaxBytes) {
      close(fd);
      return Failed(path, FileTextError::Step::kRead, EFBIG, error);
    }
    capacity = static_cast<size_t>(st.st_size) + 1;
  }
  std::string text(capacity, '\0');
  size_t size = 0;
  for (;;) {
    if (size > kMaxFileTextBytes) {  // a device or pipe that does not end
      close(fd);
      return Failed(path, FileTextError::Step::kRead, EFBIG, error);
    }
    if (size == text.size()) text.resize(text.size() * 2);
    const ssize_t n = read(fd, &text[size], text.size() - size);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int read_errno = errno;
      close(fd);
      return Failed(path, FileTextError::Step::kRead, read_errno, error);
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  close(fd);  // read-only: nothing to lose if close reports an error
  text.resize(size);
  return Result<std::string>(std::move(text));
}

}  // namespace runnel
