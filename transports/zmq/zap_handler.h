// ZapHandler: ZeroMQ's authentication hook (ZAP, RFC 27) for Runnel's CURVE
// servers. It binds inproc://zeromq.zap.01 in the process's ZeroMQ context
// and answers every CURVE handshake there from a thread of its own: a
// client is accepted only if its public key is on the allow-list of the
// server socket's ZAP domain (each server socket registers one). A refused
// key is logged once per (socket, key) as
//   runnel: zmq: refused client <Z85 key> on <bind endpoints>
// and every refusal is counted (RefusedClients()). A client that fails the
// handshake before showing a key (no CURVE, or expecting another server
// key) never reaches ZAP; the handler also watches each server socket's
// monitor for those failures, logging them once per (socket, reason) and
// counting each.
//
// Owned by the context wrapper (zmq_socket.cc): Start after the context is
// created, Join after zmq_ctx_term has begun (the thread sees ETERM, closes
// its socket and ends). Allow and Forget may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/common/status.h"

namespace runnel::zmq {

class ZapHandler {
 public:
  explicit ZapHandler(void* context) : context_(context) {}
  ~ZapHandler() { Join(); }
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Binds the ZAP endpoint and starts the thread.
  Status Start();
  // REQUIRES: zmq_ctx_term of the context has been called (or is running).
  void Join();

  // Accepts the Z85 public keys `allowed` for sockets of ZAP domain
  // `domain`; `name` (their endpoints) is for logs. `monitor` is the
  // zmq_socket_monitor endpoint of the socket (handshake failures).
  void Allow(const std::string& domain, const std::vector<std::string>& allowed,
             const std::string& name, const std::string& monitor);
  void Forget(const std::string& domain);

 private:
  struct Domain {
    std::set<std::string> allowed;
    std::string name;
    std::string monitor;
    std::set<std::string> logged;  // refused keys (and failures) already logged
  };
  void Run();
  // Thread only: connects monitors of new domains, closes those of gone ones.
  void SyncMonitors();
  void HandshakeFailed(const std::string& domain, void* monitor);
  // True if `domain` allows the CURVE key `credential` (32 bytes); else
  // logs (once per key) and counts the refusal.
  bool Decide(const std::string& domain, const std::string& mechanism,
              const std::string& credential);

  void* context_;
  void* socket_ = nullptr;
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, Domain> domains_;
  std::map<std::string, void*> monitors_;  // domain -> PAIR socket; thread only
};

// CURVE clients refused by any ZapHandler of this process so far.
uint64_t RefusedClients();

}  // namespace runnel::zmq
