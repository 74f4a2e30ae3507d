// SystemdNotifier: tells systemd (Type=notify units) that runnel has started
// and is alive, with the sd_notify datagram protocol, without libsystemd.
// Outside systemd (no NOTIFY_SOCKET in the environment) it does nothing.
// Ready() once the job is planned; Alive() from the loop that supervises the
// job, as often as it likes: a WATCHDOG=1 goes out every half of systemd's
// WatchdogSec (WATCHDOG_USEC), so if that loop stops turning, systemd kills
// and restarts the service. Not thread-safe: one thread calls it.
#pragma once

#include <cstdint>
#include <string>

namespace runnel::cli {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET and WATCHDOG_USEC.
  SystemdNotifier();

  void Ready() { Send("READY=1"); }
  // `now_us`: a monotonic clock in microseconds.
  void Alive(int64_t now_us);
  void Stopping() { Send("STOPPING=1"); }

 private:
  void Send(const char* message);

  std::string socket_;         // empty: not under systemd
  int64_t watchdog_us_ = 0;    // 0: no watchdog
  int64_t last_ping_us_ = -1;  // when the last WATCHDOG=1 went out
};

}  // namespace runnel::cli
