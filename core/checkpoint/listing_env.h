// ListingEnv: a leveldb::Env that lists directories with Runnel's own
// readdir and passes every other call to the Env it wraps.
//
// Why: Debian's armhf libleveldb.a is built without large-file support, so
// its readdir fails with EOVERFLOW where a file system hands out 64-bit
// directory cookies (ext4 does to 32-bit programs under qemu-user), and
// LevelDB reads that failure as the end of the directory: on reopening it
// then skips its log files and loses the latest writes without an error.
// Runnel's code is built with 64-bit file offsets (targets/armv7), and a
// listing that fails here is an error, not a short list.
//
// Thread-safe like the Env it wraps; does not own it.
#pragma once

#include <string>
#include <vector>

#include <leveldb/env.h>

namespace runnel::checkpoint {

class ListingEnv : public leveldb::EnvWrapper {
 public:
  explicit ListingEnv(leveldb::Env* target) : EnvWrapper(target) {}

  leveldb::Status GetChildren(const std::string& dir,
                              std::vector<std::string>* result) override;
};

}  // namespace runnel::checkpoint
