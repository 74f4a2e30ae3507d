#include "tools/cli/keygen.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "tools/cli/cli.h"
#include "transports/zmq/curve.h"

namespace runnel::cli {
namespace {

// Creates `path` (it must not exist) with mode 0600 and writes `text`.
bool WriteSecretFile(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    fprintf(stderr, "runnel: cannot write %s: %s%s\n", path.c_str(), strerror(errno),
            errno == EEXIST ? " (use --force to replace it)" : "");
    return false;
  }
  // The umask may only remove bits; make sure nobody else can read it.
  bool ok = fchmod(fd, 0600) == 0;
  size_t done = 0;
  while (ok && done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && fsync(fd) == 0;
  if (!ok) fprintf(stderr, "runnel: cannot write %s: %s\n", path.c_str(), strerror(errno));
  ok = close(fd) == 0 && ok;
  if (!ok) unlink(path.c_str());
  return ok;
}

}  // namespace

int Keygen(const std::string& output_path, bool force) {
  Result<zmq::KeyPair> pair = zmq::GenerateKeyPair();
  if (!pair.ok()) {
    fprintf(stderr, "runnel: %s\n", pair.status().message().c_str());
    return kExitFailure;
  }
  if (force && unlink(output_path.c_str()) != 0 && errno != ENOENT) {
    fprintf(stderr, "runnel: cannot replace %s: %s\n", output_path.c_str(), strerror(errno));
    return kExitFailure;
  }
  if (!WriteSecretFile(output_path, zmq::FormatKeyPair(pair.value()))) return kExitFailure;
  const std::string& key = pair.value().public_key;
  printf("%s: public key %s\n", output_path.c_str(), key.c_str());
  if (key.find('$') != std::string::npos) {
    std::string escaped;
    for (char c : key) escaped += c == '$' ? "$$" : std::string(1, c);
    printf("in a graph file's strings, where `$$` is one `$`, write it as %s\n", escaped.c_str());
  }
  return kExitOk;
}

}  // namespace runnel::cli
