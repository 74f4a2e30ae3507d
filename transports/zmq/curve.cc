#include "transports/zmq/curve.h"

#include <zmq.h>

#include <cstring>
#include <string_view>
#include <utility>

#include "core/common/file_text.h"

namespace runnel::zmq {
namespace {

constexpr const char kZ85Alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

std::string_view Trim(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

// Splits `text` into lines at '\n', as std::getline does: a last line
// without its '\n' counts, an empty text has none.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}

  // The next line (without its '\n'), or false at the end.
  bool Next(std::string_view* line) {
    if (pos_ >= text_.size()) return false;
    size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) end = text_.size();
    *line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return true;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

Result<std::string> ReadText(const std::string& path) {
  FileTextError error;
  Result<std::string> text = ReadFileText(path, &error);
  if (!text.ok()) return IoError(path + ": cannot read: " + strerror(error.error_number));
  return text;
}

Status SetKey(void* socket, int option, const std::string& z85, const char* what) {
  if (zmq_setsockopt(socket, option, z85.c_str(), kZ85KeyChars + 1) != 0) {
    return IoError(std::string("cannot set the CURVE ") + what + ": " +
                   zmq_strerror(zmq_errno()));
  }
  return Status::Ok();
}

}  // namespace

Status CheckZ85Key(const std::string& key) {
  if (key.size() != kZ85KeyChars) {
    return InvalidArgument("a CURVE key is 40 Z85 characters, found " +
                           std::to_string(key.size()));
  }
  for (char c : key) {
    if (c == '\0' || strchr(kZ85Alphabet, c) == nullptr) {
      return InvalidArgument(std::string("'") + c + "' is not a Z85 character");
    }
  }
  return Status::Ok();
}

Result<KeyPair> ParseKeyPair(const std::string& text) {
  KeyPair pair;
  Lines lines(text);
  std::string_view line;
  for (int number = 1; lines.Next(&line); ++number) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    size_t colon = line.find(':');
    std::string name(colon == std::string_view::npos ? "" : Trim(line.substr(0, colon)));
    std::string value(colon == std::string_view::npos ? "" : Trim(line.substr(colon + 1)));
    std::string* slot = name == "public" ? &pair.public_key
                        : name == "secret" ? &pair.secret_key
                                           : nullptr;
    std::string where = "line " + std::to_string(number) + ": ";
    if (slot == nullptr) {
      return InvalidArgument(where + "expected `public: KEY` or `secret: KEY`");
    }
    if (!slot->empty()) return InvalidArgument(where + name + " key given twice");
    Status z85 = CheckZ85Key(value);
    if (!z85.ok()) return InvalidArgument(where + name + " key: " + z85.message());
    *slot = value;
  }
  if (pair.public_key.empty()) return InvalidArgument("no `public:` line");
  if (pair.secret_key.empty()) return InvalidArgument("no `secret:` line");
  // The public key must belong to the secret one, or peers could never agree.
  char derived[kZ85KeyChars + 1];
  if (zmq_curve_public(derived, pair.secret_key.c_str()) != 0 ||
      pair.public_key != derived) {
    return InvalidArgument("the public key does not match the secret key");
  }
  return pair;
}

Result<KeyPair> ReadKeyPairFile(const std::string& path) {
  Result<std::string> text = ReadText(path);
  if (!text.ok()) return text.status();
  Result<KeyPair> pair = ParseKeyPair(text.value());
  if (!pair.ok()) return InvalidArgument(path + ": " + pair.status().message());
  return pair;
}

Result<std::vector<std::string>> ReadAllowedClientsFile(const std::string& path) {
  Result<std::string> text = ReadText(path);
  if (!text.ok()) return text.status();
  std::vector<std::string> keys;
  Lines lines(text.value());
  std::string_view line;
  for (int number = 1; lines.Next(&line); ++number) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    std::string where = path + ": line " + std::to_string(number) + ": ";
    if (line.substr(0, 7) == "secret:") {
      return InvalidArgument(where + "a secret key; list only public keys");
    }
    if (line.substr(0, 7) == "public:") line = Trim(line.substr(7));
    std::string key(line);
    Status z85 = CheckZ85Key(key);
    if (!z85.ok()) return InvalidArgument(where + z85.message());
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<KeyPair> GenerateKeyPair() {
  char public_key[kZ85KeyChars + 1];
  char secret_key[kZ85KeyChars + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return IoError(std::string("cannot generate a CURVE key pair: ") +
                   zmq_strerror(zmq_errno()));
  }
  return KeyPair{public_key, secret_key};
}

std::string FormatKeyPair(const KeyPair& pair) {
  return "# Runnel CURVE key pair (runnel keygen). Keep the secret key secret;\n"
         "# give the public key to peers.\n"
         "public: " + pair.public_key + "\n" + "secret: " + pair.secret_key + "\n";
}

Status ApplyCurve(void* socket, const CurveOptions& curve, const std::string& zap_domain) {
  if (curve.server) {
    int on = 1;
    if (zmq_setsockopt(socket, ZMQ_CURVE_SERVER, &on, sizeof(on)) != 0) {
      return IoError(std::string("cannot make a CURVE server: ") + zmq_strerror(zmq_errno()));
    }
    RUNNEL_RETURN_IF_ERROR(SetKey(socket, ZMQ_CURVE_SECRETKEY, curve.secret_key, "secret key"));
    if (zmq_setsockopt(socket, ZMQ_ZAP_DOMAIN, zap_domain.data(), zap_domain.size()) != 0) {
      return IoError(std::string("cannot set the ZAP domain: ") + zmq_strerror(zmq_errno()));
    }
  } else if (curve.client) {
    RUNNEL_RETURN_IF_ERROR(
        SetKey(socket, ZMQ_CURVE_SERVERKEY, curve.server_public_key, "server key"));
    RUNNEL_RETURN_IF_ERROR(SetKey(socket, ZMQ_CURVE_PUBLICKEY, curve.public_key, "public key"));
    RUNNEL_RETURN_IF_ERROR(SetKey(socket, ZMQ_CURVE_SECRETKEY, curve.secret_key, "secret key"));
  }
  return Status::Ok();
}

}  // namespace runnel::zmq
