#include "tools/cli/systemd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace runnel::cli {

SystemdNotifier::SystemdNotifier() {
  const char* socket = getenv("NOTIFY_SOCKET");
  if (socket != nullptr) socket_ = socket;
  const char* watchdog = getenv("WATCHDOG_USEC");
  if (watchdog != nullptr) watchdog_us_ = strtoll(watchdog, nullptr, 10);
}

void SystemdNotifier::Alive(int64_t now_us) {
  if (watchdog_us_ <= 0) return;
  if (last_ping_us_ >= 0 && now_us - last_ping_us_ < watchdog_us_ / 2) return;
  last_ping_us_ = now_us;
  Send("WATCHDOG=1");
}

void SystemdNotifier::Send(const char* message) {
  // A path, or '@' for a name in Linux's abstract socket namespace.
  if (socket_.empty() || socket_.size() >= sizeof(sockaddr_un::sun_path)) return;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, socket_.data(), socket_.size());
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  // Best effort, like sd_notify: a lost message is systemd's to notice.
  sendto(fd, message, strlen(message), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&address),
         static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_.size()));
  close(fd);
}

}  // namespace runnel::cli
