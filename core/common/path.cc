#include "core/common/path.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace runnel {
namespace {

Status CannotCreate(const std::string& dir, int error, int* error_number) {
  if (error_number != nullptr) *error_number = error;
  return IoError(dir + ": cannot create directory: " + strerror(error));
}

}  // namespace

std::string LexicallyNormal(std::string_view path) {
  if (path.empty()) return "";
  const bool rooted = path[0] == '/';
  std::vector<std::string_view> names;
  // Whether the result ends in '/': decided by the last name read.
  bool trailing = false;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view name = path.substr(i, end - i);
    i = end;
    if (name == ".") {
      // Removed with the '/' after it; the one before it stays.
      trailing = true;
    } else if (name == "..") {
      if (!names.empty() && names.back() != "..") {
        // "a/.." and the '/' after it go; the '/' before "a" stays.
        names.pop_back();
        trailing = true;
      } else if (!(names.empty() && rooted)) {  // "/.." is "/"
        names.push_back(name);
        trailing = false;  // never a '/' after a final ".."
      }
    } else {
      names.push_back(name);
      trailing = end < path.size();
    }
  }
  if (!names.empty() && names.back() == "..") trailing = false;

  std::string normal = rooted ? "/" : "";
  for (size_t n = 0; n < names.size(); ++n) {
    if (n > 0) normal += '/';
    normal.append(names[n].data(), names[n].size());
  }
  if (trailing && !names.empty()) normal += '/';
  if (normal.empty()) normal = ".";
  return normal;
}

Result<std::string> AbsolutePath(const std::string& path) {
  if (path.empty()) return InvalidArgument("an empty path has no absolute form");
  if (path[0] == '/') return LexicallyNormal(path);
  char* cwd = getcwd(nullptr, 0);
  if (cwd == nullptr) {
    return IoError(std::string("cannot find the working directory: ") + strerror(errno));
  }
  std::string joined = cwd;
  free(cwd);
  if (joined.empty() || joined.back() != '/') joined += '/';
  joined += path;
  return LexicallyNormal(joined);
}

Status CreateDirectories(const std::string& path, int* error_number) {
  if (path.empty()) return CannotCreate(path, EINVAL, error_number);
  // Where each name in `path` ends: the directories to make are the
  // prefixes up to those ends.
  std::vector<size_t> ends;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '/' && (i + 1 == path.size() || path[i + 1] == '/')) ends.push_back(i + 1);
  }
  // Up from the whole path to the nearest directory that exists, so that
  // existing ancestors are never written to (one may be read-only).
  size_t missing = ends.size();
  while (missing > 0) {
    const std::string dir = path.substr(0, ends[missing - 1]);
    struct stat st;
    if (stat(dir.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) return CannotCreate(dir, ENOTDIR, error_number);
      break;
    }
    if (errno != ENOENT && errno != ENOTDIR) return CannotCreate(dir, errno, error_number);
    --missing;
  }
  for (; missing < ends.size(); ++missing) {
    const std::string dir = path.substr(0, ends[missing]);
    if (mkdir(dir.c_str(), 0777) == 0) continue;
    const int error = errno;
    struct stat st;
    // EEXIST: another process made it meanwhile, or a "." or ".." name.
    if (error == EEXIST && stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) continue;
    return CannotCreate(dir, error == EEXIST ? ENOTDIR : error, error_number);
  }
  return Status::Ok();
}

}  // namespace runnel
