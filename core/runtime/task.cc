#include "core/runtime/task.h"

#include "core/common/byte_count.h"

namespace runnel::runtime {
namespace {

Status Named(const char* kind, const std::string& name, const Status& status) {
  if (status.code() == StatusCode::kCancelled) return status;
  return Status(status.code(),
                std::string(kind) + " '" + name + "': " + status.message());
}

}  // namespace

Task::Task(std::string name, uint32_t batch_rows, const JobSignals* signals)
    : name_(std::move(name)), batch_rows_(batch_rows), signals_(signals) {}

uint32_t Task::AddStream(uint32_t width) {
  batches_.push_back(std::make_unique<schema::RowBatch>(width, batch_rows_));
  return static_cast<uint32_t>(batches_.size() - 1);
}

void Task::AddSource(std::string name, std::unique_ptr<Source> source,
                     uint32_t output_stream, bool external) {
  sources_.push_back({std::move(name), std::move(source), output_stream, external});
}

void Task::AddOperator(std::string name, std::unique_ptr<Operator> op,
                       uint32_t input_stream, uint32_t output_stream) {
  operators_.push_back({std::move(name), std::move(op), input_stream, output_stream});
}

void Task::AddSink(std::string name, std::unique_ptr<Sink> sink,
                   uint32_t input_stream, bool internal) {
  sink->WatchSignals(signals_);
  sinks_.push_back({std::move(name), std::move(sink), input_stream, internal});
}

uint64_t Task::batch_bytes() const {
  uint64_t bytes = 0;
  for (const auto& b : batches_) {
    bytes = SaturatingAdd(bytes, schema::RowBatch::SlotBytes(b->width(), b->capacity()));
  }
  return bytes;
}

Status Task::Open() {
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

Status Task::Propagate(size_t first_operator) {
  for (size_t i = first_operator; i < operators_.size(); ++i) {
    OperatorStage& o = operators_[i];
    const schema::RowBatch& in = *batches_[o.input];
    if (in.empty() && in.watermark() == schema::RowBatch::kNoWatermark) continue;
    schema::RowBatch* out = batches_[o.output].get();
    out->Clear();
    Status status = o.op->Process(in, out);
    // Event time flows on with the rows; an operator may hold it back.
    if (out->watermark() == schema::RowBatch::kNoWatermark) out->set_watermark(in.watermark());
    o.rows_in->Add(in.size());
    o.rows_out->Add(out->size());
    if (!status.ok()) return Named("operator", o.name, status);
    const int64_t watermark = out->watermark();
    while (o.op->has_pending_output()) {
      // Pass what is ready downstream (this runs and clears every batch, so
      // each is still processed once), then take more from the operator.
      RUNNEL_RETURN_IF_ERROR(Propagate(i + 1));
      out->Clear();
      out->set_watermark(watermark);
      status = o.op->Flush(out);
      o.rows_out->Add(out->size());
      if (!status.ok()) return Named("operator", o.name, status);
    }
  }
  for (SinkStage& s : sinks_) {
    const schema::RowBatch& in = *batches_[s.input];
    // Ring writers pass watermark-only batches on; file sinks ignore them.
    if (in.empty() && (in.watermark() == schema::RowBatch::kNoWatermark || !s.internal)) continue;
    Status status = s.sink->Write(in);
    if (!status.ok()) return Named("sink", s.name, status);
    s.rows_in->Add(in.size());
  }
  for (auto& batch : batches_) batch->Clear();
  return Status::Ok();
}

Status Task::DrainOperators() {
  for (size_t i = 0; i < operators_.size(); ++i) {
    OperatorStage& o = operators_[i];
    for (bool done = false; !done;) {
      if (signals_->cancel.load(std::memory_order_relaxed)) return Cancelled();
      schema::RowBatch* out = batches_[o.output].get();
      out->Clear();
      Status status = o.op->Drain(out, &done);
      o.rows_out->Add(out->size());
      if (!status.ok()) return Named("operator", o.name, status);
      RUNNEL_RETURN_IF_ERROR(Propagate(i + 1));
    }
  }
  return Status::Ok();
}

Status Task::FireProcessingTime() {
  int64_t now = INT64_MIN;
  for (size_t i = 0; i < operators_.size(); ++i) {
    OperatorStage& o = operators_[i];
    int64_t due = o.op->next_processing_time_ms();
    if (due == INT64_MAX) continue;
    if (now == INT64_MIN) now = clock_->NowMillis();
    if (due > now) continue;
    schema::RowBatch* out = batches_[o.output].get();
    out->Clear();
    Status status = o.op->OnProcessingTime(now, out);
    o.rows_out->Add(out->size());
    if (!status.ok()) return Named("operator", o.name, status);
    RUNNEL_RETURN_IF_ERROR(Propagate(i + 1));
  }
  for (SinkStage& s : sinks_) {
    int64_t due = s.sink->next_processing_time_ms();
    if (due == INT64_MAX) continue;
    if (now == INT64_MIN) now = clock_->NowMillis();
    if (due > now) continue;
    Status status = s.sink->OnProcessingTime(now);
    if (!status.ok()) return Named("sink", s.name, status);
  }
  return Status::Ok();
}

Status Task::FinishSinks() {
  for (SinkStage& s : sinks_) {
    Status status = s.sink->Finish();
    if (!status.ok()) return Named("sink", s.name, status);
  }
  return Status::Ok();
}

Status Task::EmitBarrier(uint64_t id) {
  for (SinkStage& s : sinks_) {
    Status status = s.sink->Barrier(id);
    if (!status.ok()) return Named("sink", s.name, status);
  }
  return Status::Ok();
}

Status Task::CloseSinks(bool internal) {
  Status first;
  for (SinkStage& s : sinks_) {
    if (s.internal != internal) continue;
    Status status = s.sink->Close();
    if (!status.ok() && first.ok()) first = Named("sink", s.name, status);
  }
  return first;
}

Status Task::Run() {
  Status status = Open();
  size_t remaining = sources_.size();
  while (status.ok() && remaining > 0) {
    if (signals_->cancel.load(std::memory_order_relaxed)) {
      status = Cancelled();
      break;
    }
    bool stopping = signals_->stop.load(std::memory_order_relaxed);
    // Round-robin, one batch per input, so no input starves the others.
    for (SourceStage& s : sources_) {
      if (s.done) continue;
      if (stopping && s.external && !s.stopped) {
        s.stopped = true;
        if (!s.source->Stop()) {  // nothing buffered to hand over
          s.done = true;
          --remaining;
          continue;
        }
      }
      schema::RowBatch* out = batches_[s.output].get();
      Status read = s.source->Read(out, &s.done);
      const uint64_t barrier = out->barrier();  // after every row before it
      // Rows read before a failure are valid: they go through first.
      s.rows_out->Add(out->size());
      if (s.done) --remaining;
      status = Propagate(0);
      if (!read.ok()) status = Named("source", s.name, read);
      if (status.ok()) status = FireProcessingTime();
      if (status.ok() && barrier != 0 && trigger_ != nullptr) status = trigger_->OnBarrier(barrier);
      if (status.ok() && trigger_ != nullptr) status = trigger_->MaybeCheckpoint();
      if (!status.ok()) break;
    }
  }
  // With checkpoints, a stop keeps the operators' state for a resumed job
  // instead of draining it; inputs that ended by themselves are drained.
  const bool drain = trigger_ == nullptr || !signals_->stop.load(std::memory_order_relaxed);
  if (status.ok() && drain) status = DrainOperators();
  if (status.ok() && drain) status = FinishSinks();
  // Ring writers close first: the tasks they feed can then end, and the
  // job's final checkpoint waits for every task.
  Status closed = CloseSinks(/*internal=*/true);
  if (trigger_ != nullptr) {
    if (status.ok()) {
      status = trigger_->FinalCheckpoint(drain);
    } else {
      trigger_->Failed();
    }
  }
  // Rows already processed are flushed even when a stage failed.
  Status closed_external = CloseSinks(/*internal=*/false);
  if (closed.ok()) closed = closed_external;
  return status.ok() ? closed : status;
}

std::vector<StageStats> Task::Stats() const {
  std::vector<StageStats> stats;
  for (const SourceStage& s : sources_) {
    if (!s.external) continue;
    stats.push_back({"source", s.name, 0, s.rows_out->Get(), s.source->rejected(),
                     s.source->lost_batches(), {}});
  }
  for (const OperatorStage& o : operators_) {
    stats.push_back({"operator", o.name, o.rows_in->Get(), o.rows_out->Get(), 0, 0,
                     o.op->metrics()});
  }
  for (const SinkStage& s : sinks_) {
    if (s.internal) continue;
    stats.push_back({"sink", s.name, s.rows_in->Get(), 0, 0, 0, {}});
  }
  return stats;
}

Task::StageNames Task::Names() const {
  StageNames names;
  for (const SourceStage& s : sources_) names.sources.push_back(s.name);
  for (const OperatorStage& o : operators_) names.operators.push_back(o.name);
  for (const SinkStage& s : sinks_) names.sinks.push_back(s.name);
  return names;
}

}  // namespace runnel::runtime
