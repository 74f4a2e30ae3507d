// CURVE keys and options for Runnel's ZeroMQ sockets (docs/WIRE.md,
// Security): Z85 key checks, the key pair file `runnel keygen` writes, the
// allowed-clients file, and applying a socket's CURVE role to it.
//
// A key pair file is text, one `name: value` per line, `#` comments:
//   public: <40 Z85 characters>
//   secret: <40 Z85 characters>
// An allowed-clients file lists one public key per line (a bare Z85 key or
// `public: KEY`); a `secret:` line in it is an error. All functions here
// are called at setup only and are thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "core/common/status.h"

namespace runnel::zmq {

constexpr size_t kZ85KeyChars = 40;

// A socket's CURVE role. Neither server nor client: plain (no CURVE).
struct CurveOptions {
  bool server = false;  // the binding side: needs secret_key, allowed
  bool client = false;  // the connecting side: needs all three keys below
  std::string public_key;         // Z85; this side's own
  std::string secret_key;         // Z85; this side's own
  std::string server_public_key;  // Z85; client only
  std::vector<std::string> allowed_clients;  // Z85 public keys; server only
  std::string name;  // for refusal logs: the socket's bind endpoints
};

struct KeyPair {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85
};

// Ok if `key` is 40 characters of the Z85 alphabet; else says what is wrong.
Status CheckZ85Key(const std::string& key);

// Parses a key pair file's text; errors say "line N: ...".
Result<KeyPair> ParseKeyPair(const std::string& text);
// Reads and parses `path`; errors start with the path.
Result<KeyPair> ReadKeyPairFile(const std::string& path);
// Reads an allowed-clients file: the public keys it lists.
Result<std::vector<std::string>> ReadAllowedClientsFile(const std::string& path);

// A fresh key pair from libzmq (zmq_curve_keypair).
Result<KeyPair> GenerateKeyPair();
// The text of a key pair file.
std::string FormatKeyPair(const KeyPair& pair);

// Sets the CURVE socket options for `curve`'s role on `socket` (a libzmq
// socket, before bind/connect). A server also gets a ZAP domain of its own,
// registered with the context's ZAP handler (see zap_handler.h) by the
// caller. REQUIRES: not both server and client.
Status ApplyCurve(void* socket, const CurveOptions& curve, const std::string& zap_domain);

}  // namespace runnel::zmq
