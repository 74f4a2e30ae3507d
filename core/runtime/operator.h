// The three kinds of stage a pipeline runs: sources make batches, operators
// turn one batch into another, sinks write them out.
//
// Every call takes a whole batch, so the virtual call is paid per batch, not
// per record. After Open, Read/Process/Write must not allocate or lock: all
// memory they need is allocated when the stage is constructed (plan time).
// A stage is used by one thread at a time.
#pragma once

#include "core/common/status.h"
#include "core/schema/row.h"

namespace runnel::runtime {

class Source {
 public:
  virtual ~Source() = default;
  // Opens the input (files, sockets). May allocate; runs before the hot path.
  virtual Status Open() = 0;
  // Appends up to out->capacity() rows to the empty batch `out`. Sets *done
  // once the input is exhausted (the batch may still hold final rows). Rows
  // appended before a failure are still processed.
  virtual Status Read(schema::RowBatch* out, bool* done) = 0;
  // Bad records reported and skipped so far.
  virtual uint64_t rejected() const { return 0; }
};

class Operator {
 public:
  virtual ~Operator() = default;
  // Appends the rows produced from `in` to the empty batch `out`, whose
  // capacity is at least in.size() (planned so).
  virtual Status Process(const schema::RowBatch& in, schema::RowBatch* out) = 0;
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual Status Open() = 0;
  virtual Status Write(const schema::RowBatch& batch) = 0;
  // Flushes everything written and releases the output. Called once.
  virtual Status Close() = 0;
};

}  // namespace runnel::runtime
