#include "core/runtime/pipeline.h"

namespace runnel::runtime {
namespace {

Status Named(const char* kind, const std::string& name, const Status& status) {
  return Status(status.code(),
                std::string(kind) + " '" + name + "': " + status.message());
}

}  // namespace

Pipeline::Pipeline(uint32_t batch_rows,
                   std::unique_ptr<schema::SymbolTable> symbols)
    : batch_rows_(batch_rows), symbols_(std::move(symbols)) {}

uint32_t Pipeline::AddStream(uint32_t width) {
  batches_.push_back(std::make_unique<schema::RowBatch>(width, batch_rows_));
  return static_cast<uint32_t>(batches_.size() - 1);
}

void Pipeline::AddSource(std::string name, std::unique_ptr<Source> source,
                         uint32_t output_stream) {
  sources_.push_back({std::move(name), std::move(source), output_stream});
}

void Pipeline::AddOperator(std::string name, std::unique_ptr<Operator> op,
                           uint32_t input_stream, uint32_t output_stream) {
  operators_.push_back(
      {std::move(name), std::move(op), input_stream, output_stream});
}

void Pipeline::AddSink(std::string name, std::unique_ptr<Sink> sink,
                       uint32_t input_stream) {
  sinks_.push_back({std::move(name), std::move(sink), input_stream});
}

Status Pipeline::Open() {
  for (SinkStage& s : sinks_) {
    Status status = s.sink->Open();
    if (!status.ok()) return Named("sink", s.name, status);
  }
  for (SourceStage& s : sources_) {
    Status status = s.source->Open();
    if (!status.ok()) return Named("source", s.name, status);
  }
  return Status::Ok();
}

Status Pipeline::Propagate() {
  for (OperatorStage& o : operators_) {
    const schema::RowBatch& in = *batches_[o.input];
    if (in.empty()) continue;
    schema::RowBatch* out = batches_[o.output].get();
    out->Clear();
    Status status = o.op->Process(in, out);
    if (!status.ok()) return Named("operator", o.name, status);
    o.rows_in += in.size();
    o.rows_out += out->size();
  }
  for (SinkStage& s : sinks_) {
    const schema::RowBatch& in = *batches_[s.input];
    if (in.empty()) continue;
    Status status = s.sink->Write(in);
    if (!status.ok()) return Named("sink", s.name, status);
    s.rows_in += in.size();
  }
  for (auto& batch : batches_) batch->Clear();
  return Status::Ok();
}

Status Pipeline::CloseSinks() {
  Status first;
  for (SinkStage& s : sinks_) {
    Status status = s.sink->Close();
    if (!status.ok() && first.ok()) first = Named("sink", s.name, status);
  }
  return first;
}

Status Pipeline::Run() {
  Status status = Open();
  size_t remaining = sources_.size();
  while (status.ok() && remaining > 0) {
    // Round-robin, one batch per source, so no input starves the others.
    for (SourceStage& s : sources_) {
      if (s.done) continue;
      schema::RowBatch* out = batches_[s.output].get();
      Status read = s.source->Read(out, &s.done);
      // Rows read before a failure are valid: they go through first.
      s.rows_out += out->size();
      if (s.done) --remaining;
      status = Propagate();
      if (!read.ok()) status = Named("source", s.name, read);
      if (!status.ok()) break;
    }
  }
  // Rows already processed are flushed even when a stage failed.
  Status closed = CloseSinks();
  return status.ok() ? closed : status;
}

std::vector<StageStats> Pipeline::Stats() const {
  std::vector<StageStats> stats;
  for (const SourceStage& s : sources_) {
    stats.push_back({"source", s.name, 0, s.rows_out, s.source->rejected()});
  }
  for (const OperatorStage& o : operators_) {
    stats.push_back({"operator", o.name, o.rows_in, o.rows_out, 0});
  }
  for (const SinkStage& s : sinks_) {
    stats.push_back({"sink", s.name, s.rows_in, 0, 0});
  }
  return stats;
}

}  // namespace runnel::runtime
