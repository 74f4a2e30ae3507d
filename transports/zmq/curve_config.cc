#include "transports/zmq/curve_config.h"

namespace runnel::zmq {
namespace {

// CheckZ85Key for a key written in a graph string, where `$$` stands for one
// `$` (environment substitution): a short key may have lost one that way.
Status CheckGraphKey(const std::string& key) {
  Status z85 = CheckZ85Key(key);
  if (z85.ok() || key.size() >= 40) return z85;
  return InvalidArgument(z85.message() + " (each `$` of a key is written `$$` in a graph file)");
}

// Reports `field` (set) as belonging to the other role.
bool WrongSide(const void* field, const std::string& path, const char* name, bool server,
               graph::Diagnostics* diagnostics) {
  if (field == nullptr) return true;
  diagnostics->Add(path + "." + name,
                   server ? "is for a connecting (client) socket; this one binds (server)"
                          : "is for a binding (server) socket; this one connects (client)");
  return false;
}

bool Required(const void* field, const std::string& path, const char* name, bool server,
              graph::Diagnostics* diagnostics) {
  if (field != nullptr) return true;
  diagnostics->Add(path + "." + name, std::string("is required for a ") +
                                          (server ? "binding (server)" : "connecting (client)") +
                                          " socket with curve");
  return false;
}

bool ReadPair(const graph::GraphFile& file, const flatbuffers::String* name,
              const std::string& field, KeyPair* pair, graph::Diagnostics* diagnostics) {
  Result<KeyPair> read = ReadKeyPairFile(file.ResolvePath(name->str()));
  if (!read.ok()) {
    diagnostics->Add(field, read.status().message());
    return false;
  }
  *pair = read.value();
  return true;
}

}  // namespace

bool CurveFromGraph(const graph::GraphFile& file, const graph::fb::ZmqCurve* def,
                    const std::vector<std::string>& bind,
                    const std::vector<std::string>& connect, const std::string& zmq_path,
                    CurveOptions* out, graph::Diagnostics* diagnostics) {
  if (def == nullptr) return true;
  std::string path = zmq_path + ".curve";
  if (!bind.empty() && !connect.empty()) {
    diagnostics->Add(path, "a CURVE socket either binds (server) or connects (client), not both");
    return false;
  }
  if (bind.empty() && connect.empty()) return false;  // reported with the endpoints
  bool server = !bind.empty();
  bool ok = true;
  KeyPair pair;
  if (server) {
    ok = WrongSide(def->server_public_key(), path, "server_public_key", true, diagnostics) && ok;
    ok = WrongSide(def->key_file(), path, "key_file", true, diagnostics) && ok;
    if (Required(def->secret_key_file(), path, "secret_key_file", true, diagnostics)) {
      ok = ReadPair(file, def->secret_key_file(), path + ".secret_key_file", &pair,
                    diagnostics) && ok;
    } else {
      ok = false;
    }
    if (def->allowed_clients()) {
      for (flatbuffers::uoffset_t i = 0; i < def->allowed_clients()->size(); ++i) {
        std::string key = def->allowed_clients()->Get(i)->str();
        Status z85 = CheckGraphKey(key);
        if (!z85.ok()) {
          diagnostics->Add(path + ".allowed_clients[" + std::to_string(i) + "]", z85.message());
          ok = false;
        }
        out->allowed_clients.push_back(key);
      }
    }
    if (def->allowed_clients_file()) {
      Result<std::vector<std::string>> keys =
          ReadAllowedClientsFile(file.ResolvePath(def->allowed_clients_file()->str()));
      if (keys.ok()) {
        out->allowed_clients.insert(out->allowed_clients.end(), keys.value().begin(),
                                    keys.value().end());
      } else {
        diagnostics->Add(path + ".allowed_clients_file", keys.status().message());
        ok = false;
      }
    }
    if (ok && out->allowed_clients.empty()) {
      diagnostics->Add(path, "a binding (server) socket with curve needs allowed_clients or "
                             "allowed_clients_file: the client public keys it accepts");
      ok = false;
    }
    out->name.clear();
    for (const std::string& e : bind) out->name += (out->name.empty() ? "" : ", ") + e;
  } else {
    ok = WrongSide(def->secret_key_file(), path, "secret_key_file", false, diagnostics) && ok;
    ok = WrongSide(def->allowed_clients(), path, "allowed_clients", false, diagnostics) && ok;
    ok = WrongSide(def->allowed_clients_file(), path, "allowed_clients_file", false,
                   diagnostics) && ok;
    if (Required(def->server_public_key(), path, "server_public_key", false, diagnostics)) {
      out->server_public_key = def->server_public_key()->str();
      Status z85 = CheckGraphKey(out->server_public_key);
      if (!z85.ok()) {
        diagnostics->Add(path + ".server_public_key", z85.message());
        ok = false;
      }
    } else {
      ok = false;
    }
    if (Required(def->key_file(), path, "key_file", false, diagnostics)) {
      ok = ReadPair(file, def->key_file(), path + ".key_file", &pair, diagnostics) && ok;
    } else {
      ok = false;
    }
  }
  out->server = server;
  out->client = !server;
  out->public_key = pair.public_key;
  out->secret_key = pair.secret_key;
  return ok;
}

}  // namespace runnel::zmq
