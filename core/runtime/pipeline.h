// Pipeline: runs a planned graph of sources, operators and sinks in one
// thread, batch by batch, until every source is exhausted.
//
// Built once by the planner (which allocates every batch and stage); Run()
// then moves rows without allocating. Each stream has one preallocated batch:
// a source fills its stream's batch, each operator (in dependency order)
// reads its input stream's batch and fills its own, and sinks write the
// batches of the streams they consume. A stage that fails stops the pipeline
// with a message naming it; sinks are still closed so that rows already
// processed are flushed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/common/status.h"
#include "core/runtime/operator.h"
#include "core/schema/row.h"
#include "core/schema/symbol_table.h"

namespace runnel::runtime {

// Rows counted per stage while the pipeline runs.
struct StageStats {
  std::string kind;  // "source", "operator", "sink"
  std::string name;
  uint64_t rows_in = 0;
  uint64_t rows_out = 0;
  uint64_t rejected = 0;  // sources: bad records skipped
};

class Pipeline {
 public:
  Pipeline(uint32_t batch_rows, std::unique_ptr<schema::SymbolTable> symbols);

  // Building (plan time). Streams are numbered in the order they are added.
  uint32_t AddStream(uint32_t width);
  void AddSource(std::string name, std::unique_ptr<Source> source,
                 uint32_t output_stream);
  // REQUIRES: operators are added after the stage producing their input.
  void AddOperator(std::string name, std::unique_ptr<Operator> op,
                   uint32_t input_stream, uint32_t output_stream);
  void AddSink(std::string name, std::unique_ptr<Sink> sink,
               uint32_t input_stream);

  schema::SymbolTable* symbols() { return symbols_.get(); }

  // Opens every stage and runs until all sources are done.
  Status Run();

  // One entry per stage, sources first, then operators, then sinks.
  std::vector<StageStats> Stats() const;

 private:
  struct SourceStage {
    std::string name;
    std::unique_ptr<Source> source;
    uint32_t output;
    uint64_t rows_out = 0;
    bool done = false;
  };
  struct OperatorStage {
    std::string name;
    std::unique_ptr<Operator> op;
    uint32_t input;
    uint32_t output;
    uint64_t rows_in = 0;
    uint64_t rows_out = 0;
  };
  struct SinkStage {
    std::string name;
    std::unique_ptr<Sink> sink;
    uint32_t input;
    uint64_t rows_in = 0;
  };

  Status Open();
  // Pushes the rows now in the stream batches through operators and sinks.
  Status Propagate();
  // Closes every sink; returns the first failure.
  Status CloseSinks();

  uint32_t batch_rows_;
  std::unique_ptr<schema::SymbolTable> symbols_;
  std::vector<std::unique_ptr<schema::RowBatch>> batches_;  // one per stream
  std::vector<SourceStage> sources_;
  std::vector<OperatorStage> operators_;
  std::vector<SinkStage> sinks_;
};

}  // namespace runnel::runtime
