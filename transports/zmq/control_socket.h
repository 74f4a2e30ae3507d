// Control socket: a local request/reply channel into a running `runnel run`
// (docs/STATE.md, Savepoints). The job binds a ZeroMQ REP socket at
// ipc://STATE_DIR/control and answers each request (one text frame) on a
// thread of its own; `runnel savepoint` connects a REQ socket, sends one
// request and waits for the reply. Access is the state directory's: the
// socket file is created there.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "core/common/status.h"
#include "transports/zmq/zmq_socket.h"

namespace runnel::zmq {

// The control endpoint of a job whose state directory is `state_dir`
// (made absolute, so a client in another working directory finds it).
std::string ControlEndpoint(const std::string& state_dir);

class ControlServer {
 public:
  // Answers a request; `stopping` turns true when the server is closing, so
  // a handler that waits can give up.
  using Handler =
      std::function<std::string(const std::string& request, const std::atomic<bool>& stopping)>;

  // Binds `endpoint` (a stale socket file from a killed job is replaced)
  // and starts serving.
  static Result<std::unique_ptr<ControlServer>> Start(const std::string& endpoint,
                                                      Handler handler);
  // Stops serving (a handler running is told through `stopping` and waited
  // for) and removes the socket file.
  ~ControlServer();

 private:
  explicit ControlServer(Handler handler) : handler_(std::move(handler)) {}
  void Serve();

  Handler handler_;
  ZmqSocket socket_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Sends `request` to the server at `endpoint` and returns its reply. Fails
// naming the endpoint when nothing listens there (within a second) or no
// reply comes within `timeout_ms`.
Result<std::string> ControlRequest(const std::string& endpoint, const std::string& request,
                                   int timeout_ms);

}  // namespace runnel::zmq
