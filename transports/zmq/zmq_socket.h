// ZmqSocket: one ZeroMQ socket through libzmq's C API, so no C++ exception
// can escape into Runnel (cppzmq throws; we do not use it). Errors come back
// as Status with zmq_strerror's text.
//
// Every socket of the process shares one context (inproc endpoints only
// connect within a context); the context is created with the first socket
// and terminated when the last one closes, which waits for the sockets'
// linger to deliver what is queued. A socket is used by one thread at a time.
// CURVE servers register their allow-list with the context's ZapHandler,
// started with the first of them.
#pragma once

#include <string>
#include <vector>

#include "core/common/status.h"
#include "transports/zmq/curve.h"

namespace runnel::zmq {

class ZmqSocket {
 public:
  ZmqSocket() = default;
  ~ZmqSocket() { Close(0); }
  ZmqSocket(const ZmqSocket&) = delete;
  ZmqSocket& operator=(const ZmqSocket&) = delete;

  // `type`: ZMQ_PULL, ZMQ_SUB, ZMQ_PUSH, ZMQ_PUB. Sets the high-water mark
  // (send or receive, by type) and `curve`'s role (curve.h), then binds and
  // connects every endpoint.
  Status Open(int type, int high_water_mark, const std::vector<std::string>& bind,
              const std::vector<std::string>& connect, const CurveOptions& curve = {});
  // SUB: receive messages whose first frame starts with `prefix`.
  Status Subscribe(const std::string& prefix);
  // Closes the socket; queued messages may wait `linger_ms` to be
  // delivered (when the context ends). Safe to call twice.
  void Close(int linger_ms);

  void* get() const { return socket_; }
  bool is_open() const { return socket_ != nullptr; }

 private:
  void* socket_ = nullptr;
  std::string zap_domain_;  // registered with the ZapHandler; "" if none
};

// "what: zmq_strerror(errno)".
Status ZmqError(const std::string& what);

}  // namespace runnel::zmq
