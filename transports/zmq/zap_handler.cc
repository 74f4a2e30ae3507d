#include "transports/zmq/zap_handler.h"

#include <zmq.h>

#include <cerrno>
#include <cstring>

#include "core/common/log.h"

namespace runnel::zmq {
namespace {

std::atomic<uint64_t> refused_clients{0};

// Receives all frames of one message; false on ETERM (or another error).
bool ReceiveAll(void* socket, std::vector<std::string>* frames) {
  frames->clear();
  int more = 1;
  while (more) {
    zmq_msg_t part;
    zmq_msg_init(&part);
    if (zmq_msg_recv(&part, socket, 0) < 0) {
      zmq_msg_close(&part);
      if (zmq_errno() == EINTR) continue;
      return false;
    }
    frames->emplace_back(static_cast<const char*>(zmq_msg_data(&part)), zmq_msg_size(&part));
    more = zmq_msg_more(&part);
    zmq_msg_close(&part);
  }
  return true;
}

void Reply(void* socket, const std::string& request_id, bool ok) {
  const std::string frames[] = {"1.0", request_id, ok ? "200" : "400",
                                ok ? "OK" : "client key not allowed", "", ""};
  for (size_t i = 0; i < 6; ++i) {
    zmq_send(socket, frames[i].data(), frames[i].size(), i + 1 < 6 ? ZMQ_SNDMORE : 0);
  }
}

}  // namespace

uint64_t RefusedClients() { return refused_clients.load(std::memory_order_relaxed); }

Status ZapHandler::Start() {
  socket_ = zmq_socket(context_, ZMQ_REP);
  if (socket_ == nullptr) {
    return IoError(std::string("cannot create the ZAP socket: ") + zmq_strerror(zmq_errno()));
  }
  int linger = 0;
  zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof(linger));
  if (zmq_bind(socket_, "inproc://zeromq.zap.01") != 0) {
    Status status =
        IoError(std::string("cannot bind the ZAP handler: ") + zmq_strerror(zmq_errno()));
    zmq_close(socket_);
    socket_ = nullptr;
    return status;
  }
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void ZapHandler::Join() {
  if (thread_.joinable()) thread_.join();
}

void ZapHandler::Allow(const std::string& domain, const std::vector<std::string>& allowed,
                       const std::string& name, const std::string& monitor) {
  std::lock_guard<std::mutex> lock(mutex_);
  Domain& entry = domains_[domain];
  entry.allowed = std::set<std::string>(allowed.begin(), allowed.end());
  entry.name = name;
  entry.monitor = monitor;
}

void ZapHandler::Forget(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mutex_);
  domains_.erase(domain);
}

void ZapHandler::SyncMonitors() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto it = monitors_.begin(); it != monitors_.end();) {
    if (domains_.count(it->first) > 0) {
      ++it;
      continue;
    }
    zmq_close(it->second);
    it = monitors_.erase(it);
  }
  for (const auto& [domain, entry] : domains_) {
    if (entry.monitor.empty() || monitors_.count(domain) > 0) continue;
    void* pair = zmq_socket(context_, ZMQ_PAIR);
    if (pair == nullptr) continue;
    int linger = 0;
    zmq_setsockopt(pair, ZMQ_LINGER, &linger, sizeof(linger));
    zmq_connect(pair, entry.monitor.c_str());
    monitors_[domain] = pair;
  }
}

void ZapHandler::Run() {
  std::vector<std::string> frames;
  std::vector<zmq_pollitem_t> items;
  std::vector<std::string> item_domains;
  while (true) {
    SyncMonitors();
    items.assign(1, zmq_pollitem_t{socket_, 0, ZMQ_POLLIN, 0});
    item_domains.assign(1, "");
    for (const auto& [domain, pair] : monitors_) {
      items.push_back(zmq_pollitem_t{pair, 0, ZMQ_POLLIN, 0});
      item_domains.push_back(domain);
    }
    // A short timeout: new server sockets' monitors are picked up in time.
    if (zmq_poll(items.data(), static_cast<int>(items.size()), 50) < 0) {
      if (zmq_errno() == EINTR) continue;
      break;  // ETERM: the context is ending
    }
    for (size_t i = 1; i < items.size(); ++i) {
      if (items[i].revents & ZMQ_POLLIN) HandshakeFailed(item_domains[i], items[i].socket);
    }
    if (!(items[0].revents & ZMQ_POLLIN)) continue;
    if (!ReceiveAll(socket_, &frames)) break;
    // version, request id, domain, address, routing id, mechanism, credentials...
    if (frames.size() < 6) {
      Reply(socket_, frames.size() > 1 ? frames[1] : "", false);
      continue;
    }
    std::string credential = frames.size() > 6 ? frames[6] : "";
    Reply(socket_, frames[1], Decide(frames[2], frames[5], credential));
  }
  for (const auto& [domain, pair] : monitors_) zmq_close(pair);
  monitors_.clear();
  zmq_close(socket_);
}

void ZapHandler::HandshakeFailed(const std::string& domain, void* monitor) {
  std::vector<std::string> frames;
  if (!ReceiveAll(monitor, &frames) || frames.empty() || frames[0].size() < 6) return;
  uint16_t event;
  uint32_t value;
  memcpy(&event, frames[0].data(), sizeof(event));
  memcpy(&value, frames[0].data() + 2, sizeof(value));
  if (event != ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
      event != ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
    return;
  }
  refused_clients.fetch_add(1, std::memory_order_relaxed);
  const char* reason = value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
                           ? "without CURVE (mechanism mismatch)"
                           : "that failed the CURVE handshake (wrong server key?)";
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = domains_.find(domain);
  if (it == domains_.end()) return;
  if (it->second.logged.insert(reason).second) {
    RUNNEL_LOG_WARN("runnel: zmq: refused client %s on %s", reason, it->second.name.c_str());
  }
}

bool ZapHandler::Decide(const std::string& domain, const std::string& mechanism,
                        const std::string& credential) {
  char z85[41] = "(none)";
  if (mechanism == "CURVE" && credential.size() == 32) {
    zmq_z85_encode(z85, reinterpret_cast<const uint8_t*>(credential.data()), 32);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = domains_.find(domain);
  if (it != domains_.end() && mechanism == "CURVE" && it->second.allowed.count(z85) > 0) {
    return true;
  }
  refused_clients.fetch_add(1, std::memory_order_relaxed);
  std::string name = it != domains_.end() ? it->second.name : domain;
  if (it == domains_.end() || it->second.logged.insert(z85).second) {
    RUNNEL_LOG_WARN("runnel: zmq: refused client %s on %s", z85, name.c_str());
  }
  return false;
}

}  // namespace runnel::zmq
