// The part files of a transactional file sink (docs/GRAPH.md, CsvSink):
// rows go to PATH.part-NNNNNN.inprogress (NNNNNN: the part's number, from
// 000000, zero-padded to six digits), which a checkpoint's commit renames to
// PATH.part-NNNNNN. Concatenating the committed parts in order gives the
// output.
//
// PartName formats those names into a buffer of its own, allocated at
// construction, so naming a part never allocates; each thread uses its own
// PartName. The functions below make a part durable or visible, and
// RecoverParts brings the directory back to what a checkpoint committed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/common/status.h"

namespace runnel::file {

class PartName {
 public:
  explicit PartName(const std::string& path);

  // Valid until the next call on this object.
  const char* InProgress(uint64_t part);
  const char* Committed(uint64_t part);
  // The longest name this object formats (to size other buffers).
  size_t max_bytes() const { return capacity_ - 1; }

 private:
  std::string path_;
  size_t capacity_;
  std::unique_ptr<char[]> buffer_;
};

// fsync of the file `name`.
Status SyncFile(const char* name);
// fsync of `directory`, so the names created, renamed or removed in it last.
Status SyncDirectory(const std::string& directory);
// The directory holding `path` ("." for a bare name).
std::string DirectoryOf(const std::string& path);

// Before a transactional sink of `path` starts, with the parts below
// `next_part` staged by the checkpoint being restored (0 on a fresh start):
// renames those still in progress (their commit was cut short), and removes
// every other part file of `path`, in progress or committed (output written
// after the checkpoint, which the job writes again). Allocates.
Status RecoverParts(const std::string& path, uint64_t next_part);

}  // namespace runnel::file
