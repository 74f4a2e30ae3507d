#include "transports/file/part_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/common/log.h"

namespace runnel::file {
namespace {

constexpr char kPart[] = ".part-";
constexpr char kInProgress[] = ".inprogress";
// ".part-" + 20 digits + ".inprogress" + NUL.
constexpr size_t kSuffixBytes = sizeof(kPart) - 1 + 20 + sizeof(kInProgress);

// Parses "NNNNNN" or "NNNNNN.inprogress" (what follows "BASE.part-").
bool ParsePart(const char* text, uint64_t* part, bool* in_progress) {
  uint64_t n = 0;
  const char* p = text;
  for (; *p >= '0' && *p <= '9'; ++p) {
    if (p - text == 19) return false;  // too long for a part number
    n = n * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (p == text) return false;
  *in_progress = std::strcmp(p, kInProgress) == 0;
  if (!*in_progress && *p != '\0') return false;
  *part = n;
  return true;
}

Status Rename(const char* from, const char* to) {
  if (::rename(from, to) != 0) {
    return IoError(std::string("cannot rename ") + from + " to " + to + ": " +
                   std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

PartName::PartName(const std::string& path)
    : path_(path), capacity_(path.size() + kSuffixBytes), buffer_(new char[capacity_]) {}

const char* PartName::InProgress(uint64_t part) {
  std::snprintf(buffer_.get(), capacity_, "%s%s%06" PRIu64 "%s", path_.c_str(), kPart, part,
                kInProgress);
  return buffer_.get();
}

const char* PartName::Committed(uint64_t part) {
  std::snprintf(buffer_.get(), capacity_, "%s%s%06" PRIu64, path_.c_str(), kPart, part);
  return buffer_.get();
}

Status SyncFile(const char* name) {
  const int fd = ::open(name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(std::string("cannot open ") + name + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return IoError(std::string("cannot sync ") + name + ": " + std::strerror(error));
  return Status::Ok();
}

Status SyncDirectory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return IoError("cannot open directory " + directory + ": " + std::strerror(errno));
  }
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return IoError("cannot sync directory " + directory + ": " + std::strerror(error));
  return Status::Ok();
}

std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

Status RecoverParts(const std::string& path, uint64_t next_part) {
  const std::string directory = DirectoryOf(path);
  const size_t slash = path.rfind('/');
  const std::string prefix =
      (slash == std::string::npos ? path : path.substr(slash + 1)) + kPart;

  struct Found {
    uint64_t part;
    bool in_progress;
  };
  std::vector<Found> found;
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) {
    return IoError("cannot read directory " + directory + ": " + std::strerror(errno));
  }
  while (const dirent* entry = ::readdir(dir)) {
    if (std::strncmp(entry->d_name, prefix.c_str(), prefix.size()) != 0) continue;
    Found part;
    if (ParsePart(entry->d_name + prefix.size(), &part.part, &part.in_progress)) {
      found.push_back(part);
    }
  }
  ::closedir(dir);

  PartName name(path);
  PartName committed(path);
  for (const Found& part : found) {
    if (part.in_progress && part.part < next_part) {
      // Synced before the checkpoint was stored; syncing again is cheap.
      RUNNEL_RETURN_IF_ERROR(SyncFile(name.InProgress(part.part)));
      RUNNEL_RETURN_IF_ERROR(Rename(name.InProgress(part.part), committed.Committed(part.part)));
      continue;
    }
    if (part.part < next_part) continue;  // committed by the checkpoint
    const char* file = part.in_progress ? name.InProgress(part.part) : name.Committed(part.part);
    if (!part.in_progress) {
      RUNNEL_LOG_WARN("removing %s: not committed by the checkpoint the job starts from "
                      "(its rows are written again)", file);
    }
    if (::unlink(file) != 0 && errno != ENOENT) {
      return IoError(std::string("cannot remove ") + file + ": " + std::strerror(errno));
    }
  }
  if (found.empty()) return Status::Ok();
  return SyncDirectory(directory);
}

}  // namespace runnel::file
