// CsvSink: writes rows as CSV to a file or standard output.
//
// Values are formatted by core/schema/value_text (ts in its field's unit,
// f64 in the shortest exact form); a null is an empty cell; a sym value
// holding the delimiter, a quote or a line break is quoted. Rows are buffered and written in large chunks;
// Write never allocates.
//
// Without checkpoints: rows are written once, in order, to PATH, complete
// when Close succeeds (at-least-once across a recovery).
//
// Transactional (CsvSinkOptions::transactional, set when the graph
// checkpoints; not for standard output): exactly-once through part files
// (part_files.h). Write fills PATH.part-NNNNNN.inprogress, opened at the
// first row after a checkpoint (the header goes in part 0 only);
// PrepareCommit closes it and records the checkpoint id and the count of
// parts staged; SyncPrepared fsyncs the staged parts and their directory;
// Commit renames them to PATH.part-NNNNNN. Close never commits. Open
// restores the directory to the restored checkpoint (RecoverParts; on a
// fresh start that removes every part file of PATH, as a file is truncated).
//
// Threads: Write, PrepareCommit, Close run on the task thread and alone
// touch the open part; SyncPrepared and Commit run on the checkpoint writer
// thread and touch only parts PrepareCommit closed. They share the path
// (immutable after construction) and a lock-free StagedParts ring; every
// other member belongs to one of the two threads (marked below).
#pragma once

#include <string>

#include "core/runtime/operator.h"
#include "core/schema/schema.h"
#include "core/schema/symbol_table.h"
#include "transports/file/file_writer.h"
#include "transports/file/part_files.h"
#include "transports/file/staged_parts.h"

namespace runnel::file {

struct CsvSinkOptions {
  std::string path;  // "-" for standard output
  bool header = true;
  char delimiter = ',';
  // Part files committed at checkpoints (exactly-once), for graphs that
  // checkpoint. Ignored for standard output.
  bool transactional = false;
};

class CsvSink : public runtime::Sink {
 public:
  // `symbols` must outlive the sink.
  CsvSink(CsvSinkOptions options, schema::Schema schema,
          const schema::SymbolTable* symbols);

  Status Open() override;
  Status Write(const schema::RowBatch& batch) override;
  Status Close() override;
  uint64_t footprint_bytes() const override { return writer_.buffer_bytes(); }
  // Bytes a sink preallocates (its output buffer).
  static uint64_t FootprintBytes() { return FileWriter::kDefaultBufferBytes; }

  bool transactional() const override { return transactional_; }
  Status PrepareCommit(uint64_t id, bool full, runtime::StateBuffer* out) override;
  Status SyncPrepared(uint64_t id) override;
  Status Commit(uint64_t id) override;
  // One record, key "parts", value 16 bytes: u64 checkpoint id, u64 count
  // of parts staged through it (little-endian).
  Status RestoreEntry(std::string_view key, std::string_view value) override;
  size_t checkpoint_bytes() const override;

 private:
  // Appends `text`, quoted if it needs to be. Returns false when it cannot
  // fit in one buffer or the flush failed.
  bool AppendText(std::string_view text);
  bool AppendChar(char c);
  bool AppendRow(const schema::Slot* row);
  bool AppendHeader();
  // Task thread: opens part next_part_ (with the header if it is part 0).
  Status OpenPart();
  // Writer thread: takes what checkpoints up to `id` staged and fsyncs it.
  Status SyncStaged(uint64_t id);

  CsvSinkOptions options_;
  // Per byte: whether text holding it is quoted (the delimiter, '"', CR, LF).
  bool needs_quotes_[256] = {};
  schema::Schema schema_;
  const schema::SymbolTable* symbols_;
  const bool transactional_;
  const std::string directory_;  // of the part files
  StagedParts staged_;

  // Task thread.
  FileWriter writer_;
  PartName task_name_;
  bool part_open_ = false;
  uint64_t next_part_ = 0;  // the part Write opens next; from RestoreEntry

  // Writer thread; parts below each count are staged, synced, committed.
  PartName writer_name_;
  PartName committed_name_;
  uint64_t staged_through_ = 0;
  uint64_t synced_through_ = 0;
  uint64_t committed_through_ = 0;
};

}  // namespace runnel::file
