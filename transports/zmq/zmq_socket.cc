#include "transports/zmq/zmq_socket.h"

#include <zmq.h>

#include <cerrno>
#include <mutex>

namespace runnel::zmq {
namespace {

std::mutex context_mutex;
void* context = nullptr;
int context_users = 0;

void* AcquireContext() {
  std::lock_guard<std::mutex> lock(context_mutex);
  if (context == nullptr) context = zmq_ctx_new();
  if (context != nullptr) ++context_users;
  return context;
}

void ReleaseContext() {
  void* ending = nullptr;
  {
    std::lock_guard<std::mutex> lock(context_mutex);
    if (--context_users == 0) {
      ending = context;
      context = nullptr;
    }
  }
  // Waits for the sockets' linger: queued messages are delivered first.
  if (ending != nullptr) {
    while (zmq_ctx_term(ending) != 0 && errno == EINTR) {
    }
  }
}

}  // namespace

Status ZmqError(const std::string& what) {
  return IoError(what + ": " + zmq_strerror(zmq_errno()));
}

Status ZmqSocket::Open(int type, int high_water_mark, const std::vector<std::string>& bind,
                       const std::vector<std::string>& connect) {
  void* ctx = AcquireContext();
  if (ctx == nullptr) return ZmqError("cannot create a ZeroMQ context");
  socket_ = zmq_socket(ctx, type);
  if (socket_ == nullptr) {
    ReleaseContext();
    return ZmqError("cannot create a ZeroMQ socket");
  }
  int option = (type == ZMQ_PULL || type == ZMQ_SUB) ? ZMQ_RCVHWM : ZMQ_SNDHWM;
  if (zmq_setsockopt(socket_, option, &high_water_mark, sizeof(high_water_mark)) != 0) {
    return ZmqError("cannot set the high-water mark");
  }
  int linger = 0;
  zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof(linger));
  for (const std::string& endpoint : bind) {
    if (zmq_bind(socket_, endpoint.c_str()) != 0) return ZmqError("cannot bind " + endpoint);
  }
  for (const std::string& endpoint : connect) {
    if (zmq_connect(socket_, endpoint.c_str()) != 0) {
      return ZmqError("cannot connect to " + endpoint);
    }
  }
  return Status::Ok();
}

Status ZmqSocket::Subscribe(const std::string& prefix) {
  if (zmq_setsockopt(socket_, ZMQ_SUBSCRIBE, prefix.data(), prefix.size()) != 0) {
    return ZmqError("cannot subscribe to \"" + prefix + "\"");
  }
  return Status::Ok();
}

void ZmqSocket::Close(int linger_ms) {
  if (socket_ == nullptr) return;
  zmq_setsockopt(socket_, ZMQ_LINGER, &linger_ms, sizeof(linger_ms));
  zmq_close(socket_);
  socket_ = nullptr;
  ReleaseContext();
}

}  // namespace runnel::zmq
