// `runnel keygen OUT [--force]`: writes a fresh CURVE key pair (libzmq's
// zmq_curve_keypair) to OUT in the key pair file format of
// transports/zmq/curve.h, with mode 0600, and prints the public key. OUT is
// never overwritten unless `force`.
#pragma once

#include <string>

namespace runnel::cli {

// Returns the process exit code: 0 written, 1 OUT could not be written
// (or exists and not `force`).
int Keygen(const std::string& output_path, bool force);

}  // namespace runnel::cli
