#include "transports/file/line_position.h"

#include <sys/stat.h>

namespace runnel::file {
namespace {

constexpr std::string_view kKey = "position";
constexpr size_t kValueBytes = 16;

using runtime::GetU64;
using runtime::PutU64;

}  // namespace

size_t LinePositionBytes() { return runtime::StateBuffer::RecordBytes(kKey.size(), kValueBytes); }

bool SaveLinePosition(const LineReader& reader, runtime::StateBuffer* out) {
  char value[kValueBytes];
  PutU64(reader.offset(), value);
  PutU64(reader.line_number(), value + 8);
  return out->Put(kKey, std::string_view(value, kValueBytes));
}

Status ParseLinePosition(const std::string& path, std::string_view key, std::string_view value,
                         LinePosition* position) {
  if (key != kKey || value.size() != kValueBytes) {
    return DataError(path + ": the checkpoint holds no read position of a file source (key '" +
                     std::string(key) + "', " + std::to_string(value.size()) + " bytes)");
  }
  position->offset = GetU64(value.data());
  position->line_number = GetU64(value.data() + 8);
  return Status::Ok();
}

bool CanReplay(const std::string& path) {
  if (path == "-") return false;
  struct stat info;
  return ::stat(path.c_str(), &info) != 0 || S_ISREG(info.st_mode);
}

}  // namespace runnel::file
