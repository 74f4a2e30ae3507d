#include "transports/zmq/control_socket.h"

#include <zmq.h>

#include <algorithm>
#include <vector>

#include "core/common/path.h"

namespace runnel::zmq {
namespace {

constexpr int kPollMs = 100;           // how often the server looks at `stopping`
constexpr int kConnectTimeoutMs = 1000;  // a client's wait for a listener
constexpr size_t kMaxRequestBytes = 4096;

}  // namespace

std::string ControlEndpoint(const std::string& state_dir) {
  Result<std::string> absolute = AbsolutePath(state_dir);
  std::string dir = absolute.ok() ? absolute.value() : LexicallyNormal(state_dir);
  if (!dir.empty() && dir.back() != '/') dir += '/';
  return "ipc://" + dir + "control";
}

Result<std::unique_ptr<ControlServer>> ControlServer::Start(const std::string& endpoint,
                                                            Handler handler) {
  std::unique_ptr<ControlServer> server(new ControlServer(std::move(handler)));
  Status opened = server->socket_.Open(ZMQ_REP, 16, {endpoint}, {});
  if (!opened.ok()) return Status(opened.code(), "control socket: " + opened.message());
  ControlServer* s = server.get();
  server->thread_ = std::thread([s] { s->Serve(); });
  return server;
}

ControlServer::~ControlServer() {
  stopping_.store(true);
  if (thread_.joinable()) thread_.join();
}

void ControlServer::Serve() {
  std::vector<char> request(kMaxRequestBytes);
  while (!stopping_.load()) {
    zmq_pollitem_t item = {socket_.get(), 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, kPollMs) <= 0 || (item.revents & ZMQ_POLLIN) == 0) continue;
    const int size = zmq_recv(socket_.get(), request.data(), request.size(), ZMQ_DONTWAIT);
    if (size < 0) continue;
    // A REP socket must answer before it can receive again, so a request
    // that is too long is answered too.
    const std::string reply =
        static_cast<size_t>(size) > request.size()
            ? "error: request longer than " + std::to_string(kMaxRequestBytes) + " bytes"
            : handler_(std::string(request.data(), static_cast<size_t>(size)), stopping_);
    zmq_send(socket_.get(), reply.data(), reply.size(), 0);
  }
}

Result<std::string> ControlRequest(const std::string& endpoint, const std::string& request,
                                   int timeout_ms) {
  ZmqSocket socket;
  RUNNEL_RETURN_IF_ERROR(socket.Open(ZMQ_REQ, 1, {}, {}));
  // Sends only to a connected peer, so a missing listener is an error
  // rather than a message queued for ever.
  const int immediate = 1;
  zmq_setsockopt(socket.get(), ZMQ_IMMEDIATE, &immediate, sizeof(immediate));
  zmq_setsockopt(socket.get(), ZMQ_SNDTIMEO, &kConnectTimeoutMs, sizeof(kConnectTimeoutMs));
  zmq_setsockopt(socket.get(), ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
  if (zmq_connect(socket.get(), endpoint.c_str()) != 0) {
    return ZmqError("cannot connect to " + endpoint);
  }
  if (zmq_send(socket.get(), request.data(), request.size(), 0) < 0) {
    return IoError("nothing listens on " + endpoint + " (is the job running, with checkpoints?)");
  }
  std::vector<char> reply(kMaxRequestBytes);
  const int size = zmq_recv(socket.get(), reply.data(), reply.size(), 0);
  if (size < 0) {
    return IoError("no reply from " + endpoint + " within " + std::to_string(timeout_ms) + " ms");
  }
  return std::string(reply.data(), std::min(static_cast<size_t>(size), reply.size()));
}

}  // namespace runnel::zmq
