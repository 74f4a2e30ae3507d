// SystemdNotifier speaks sd_notify's datagram protocol: READY=1, WATCHDOG=1
// at half the watchdog interval, STOPPING=1; and the runnel binary sends
// them when systemd's NOTIFY_SOCKET is set (a Type=notify unit).
#include "tools/cli/systemd_notify.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "tests/testing/process.h"
#include "tests/testing/temp_dir.h"

#include <CppUTest/TestHarness.h>

using runnel::cli::SystemdNotifier;
using runnel::testing::Process;
using runnel::testing::TempDir;

namespace {

// The end systemd listens on: a datagram socket with a name in the abstract
// namespace (a path under Bazel's TEST_TMPDIR can be longer than a socket
// address allows). NOTIFY_SOCKET names it as systemd would: "@name".
class FakeSystemd {
 public:
  FakeSystemd() : name_("runnel-notify-test-" + std::to_string(getpid())) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    memcpy(address.sun_path + 1, name_.data(), name_.size());
    socklen_t size = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name_.size());
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&address), size) == 0;
  }
  ~FakeSystemd() { close(fd_); }

  bool bound() const { return bound_; }
  std::string notify_socket() const { return "@" + name_; }
  // The next message, waiting at most `timeout_ms`; "" if none came.
  std::string Next(int timeout_ms) {
    timeval wait{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof(wait));
    char buffer[256];
    ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : "";
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
};

}  // namespace

TEST_GROUP(SystemdNotify) {
  TempDir dir;
  void teardown() override {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
  }
};

TEST(SystemdNotify, ReadyAndStopping) {
  FakeSystemd systemd;
  CHECK(systemd.bound());
  setenv("NOTIFY_SOCKET", systemd.notify_socket().c_str(), 1);
  SystemdNotifier notifier;
  notifier.Ready();
  STRCMP_EQUAL("READY=1", systemd.Next(1000).c_str());
  notifier.Alive(0);  // no WATCHDOG_USEC: no watchdog
  notifier.Stopping();
  STRCMP_EQUAL("STOPPING=1", systemd.Next(1000).c_str());
}

TEST(SystemdNotify, FeedsTheWatchdogEveryHalfInterval) {
  FakeSystemd systemd;
  setenv("NOTIFY_SOCKET", systemd.notify_socket().c_str(), 1);
  setenv("WATCHDOG_USEC", "1000000", 1);
  SystemdNotifier notifier;
  notifier.Alive(5000000);
  STRCMP_EQUAL("WATCHDOG=1", systemd.Next(1000).c_str());
  notifier.Alive(5400000);  // 0.4 s later: not yet
  notifier.Alive(5500000);
  STRCMP_EQUAL("WATCHDOG=1", systemd.Next(1000).c_str());
  STRCMP_EQUAL("", systemd.Next(50).c_str());
}

TEST(SystemdNotify, NothingWithoutNotifySocket) {
  SystemdNotifier notifier;  // nowhere to send: must simply not fail
  notifier.Ready();
  notifier.Alive(0);
  notifier.Stopping();
}

TEST(SystemdNotify, TheRunnelBinaryReportsReadyWatchdogAndStopping) {
  FakeSystemd systemd;
  std::string graph = dir.Write(
      "g.json",
      R"({"name": "g", "schemas": [{"name": "s", "fields": [{"name": "x", "type": "i64"}]}],
          "sources": [{"name": "in", "schema": "s", "csv": {"path": "-"}}],
          "sinks": [{"name": "out", "input": "in", "csv": {"path": "-"}}]})");
  // The child inherits the environment.
  setenv("NOTIFY_SOCKET", systemd.notify_socket().c_str(), 1);
  setenv("WATCHDOG_USEC", "200000", 1);
  Process process({"tools/runnel", "run", graph});
  CHECK(process.started());
  STRCMP_EQUAL("READY=1", systemd.Next(30000).c_str());
  STRCMP_EQUAL("WATCHDOG=1", systemd.Next(30000).c_str());
  STRCMP_EQUAL("WATCHDOG=1", systemd.Next(30000).c_str());
  CHECK(process.Signal(SIGTERM));
  // Watchdog pings may still be in flight before it.
  std::string message;
  do {
    message = systemd.Next(30000);
  } while (message == "WATCHDOG=1");
  STRCMP_EQUAL("STOPPING=1", message.c_str());
  CHECK(process.Wait(30000));
  LONGS_EQUAL_TEXT(0, process.exit_code(), process.Err().c_str());
}
