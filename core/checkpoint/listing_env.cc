#include "core/checkpoint/listing_env.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

namespace runnel::checkpoint {

leveldb::Status ListingEnv::GetChildren(const std::string& dir,
                                        std::vector<std::string>* result) {
  result->clear();
  DIR* listing = opendir(dir.c_str());
  if (listing == nullptr) {
    const int error = errno;
    return error == ENOENT ? leveldb::Status::NotFound(dir, strerror(error))
                           : leveldb::Status::IOError(dir, strerror(error));
  }
  errno = 0;
  while (const dirent* entry = readdir(listing)) {
    result->emplace_back(entry->d_name);
    errno = 0;
  }
  const int error = errno;
  closedir(listing);
  if (error != 0) return leveldb::Status::IOError(dir, strerror(error));
  return leveldb::Status::OK();
}

}  // namespace runnel::checkpoint
