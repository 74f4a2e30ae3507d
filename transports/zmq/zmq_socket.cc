#include "transports/zmq/zmq_socket.h"

#include <zmq.h>

#include <cerrno>
#include <memory>
#include <mutex>

#include "transports/zmq/zap_handler.h"

#if defined(__SANITIZE_THREAD__)
// ThreadSanitizer builds (--config=tsan): libzmq is not instrumented. Its
// I/O thread fills a received message (libsodium decrypts it in place on
// CURVE links) and hands it over through its own lock-free queue, which
// TSan cannot see, so every read of a received message looks like a race.
// Reports with a libzmq or libsodium frame are dropped; Runnel's own
// threads are still checked. (Linked into every binary that uses ZeroMQ:
// this file is the only one that opens sockets.)
extern "C" const char* __tsan_default_suppressions() {
  return "race:libzmq.so\nrace:libsodium.so\n";
}
#endif

namespace runnel::zmq {
namespace {

std::mutex context_mutex;
void* context = nullptr;
int context_users = 0;
std::unique_ptr<ZapHandler> zap_handler;  // with the first CURVE server
uint64_t zap_domains = 0;

// Registers a CURVE server's allow-list under a fresh ZAP domain, starting
// the context's handler if needed. REQUIRES: the caller holds a context use.
Result<std::string> RegisterServer(const CurveOptions& curve) {
  std::lock_guard<std::mutex> lock(context_mutex);
  if (zap_handler == nullptr) {
    auto handler = std::make_unique<ZapHandler>(context);
    RUNNEL_RETURN_IF_ERROR(handler->Start());
    zap_handler = std::move(handler);
  }
  std::string domain = "runnel-" + std::to_string(++zap_domains);
  zap_handler->Allow(domain, curve.allowed_clients, curve.name,
                     "inproc://runnel-monitor-" + domain);
  return domain;
}

void UnregisterServer(const std::string& domain) {
  std::lock_guard<std::mutex> lock(context_mutex);
  if (zap_handler != nullptr) zap_handler->Forget(domain);
}

void* AcquireContext() {
  std::lock_guard<std::mutex> lock(context_mutex);
  if (context == nullptr) context = zmq_ctx_new();
  if (context != nullptr) ++context_users;
  return context;
}

void ReleaseContext() {
  void* ending = nullptr;
  std::unique_ptr<ZapHandler> ending_zap;
  {
    std::lock_guard<std::mutex> lock(context_mutex);
    if (--context_users == 0) {
      ending = context;
      context = nullptr;
      ending_zap = std::move(zap_handler);
    }
  }
  // Waits for the sockets' linger: queued messages are delivered first. The
  // ZAP thread sees ETERM and closes its socket, which lets the term end.
  if (ending != nullptr) {
    while (zmq_ctx_term(ending) != 0 && errno == EINTR) {
    }
  }
  if (ending_zap != nullptr) ending_zap->Join();
}

}  // namespace

Status ZmqError(const std::string& what) {
  return IoError(what + ": " + zmq_strerror(zmq_errno()));
}

Status ZmqSocket::Open(int type, int high_water_mark, const std::vector<std::string>& bind,
                       const std::vector<std::string>& connect, const CurveOptions& curve) {
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
  if (curve.server) {
    Result<std::string> domain = RegisterServer(curve);
    if (!domain.ok()) return domain.status();
    zap_domain_ = domain.value();
    // Handshakes that fail before ZAP sees a key, for the handler's logs.
    std::string monitor = "inproc://runnel-monitor-" + zap_domain_;
    if (zmq_socket_monitor(socket_, monitor.c_str(),
                           ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0) {
      return ZmqError("cannot monitor the socket");
    }
  }
  RUNNEL_RETURN_IF_ERROR(ApplyCurve(socket_, curve, zap_domain_));
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
  if (!zap_domain_.empty()) UnregisterServer(zap_domain_);
  zap_domain_.clear();
  ReleaseContext();
}

}  // namespace runnel::zmq
