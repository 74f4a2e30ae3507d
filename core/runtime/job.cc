#include "core/runtime/job.h"

#include <thread>

#include "core/common/byte_count.h"

namespace runnel::runtime {

Job::Job(std::unique_ptr<schema::SymbolTable> symbols)
    : symbols_(std::move(symbols)) {}

Task* Job::AddTask(std::string name, uint32_t batch_rows) {
  tasks_.push_back(std::make_unique<Task>(std::move(name), batch_rows, &signals_));
  return tasks_.back().get();
}

BatchRing* Job::AddRing(std::string name, uint32_t slots, uint32_t width,
                        uint32_t batch_rows) {
  rings_.push_back(std::make_unique<BatchRing>(slots, width, batch_rows));
  ring_names_.push_back(std::move(name));
  return rings_.back().get();
}

Status Job::Run() {
  if (tasks_.size() == 1) return tasks_[0]->Run();
  std::vector<Status> results(tasks_.size());
  std::vector<std::thread> threads;
  threads.reserve(tasks_.size());
  for (size_t i = 0; i < tasks_.size(); ++i) {
    threads.emplace_back([this, i, &results] {
      results[i] = tasks_[i]->Run();
      if (!results[i].ok()) signals_.cancel.store(true, std::memory_order_relaxed);
    });
  }
  for (std::thread& t : threads) t.join();
  // The failure that caused the cancellation is the one to report.
  for (const Status& s : results) {
    if (!s.ok() && s.code() != StatusCode::kCancelled) return s;
  }
  for (const Status& s : results) {
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

std::vector<StageStats> Job::Stats() const {
  std::vector<StageStats> all;
  for (const auto& task : tasks_) {
    for (StageStats& s : task->Stats()) all.push_back(std::move(s));
  }
  return all;
}

std::vector<RingStats> Job::Rings() const {
  std::vector<RingStats> rings;
  for (size_t i = 0; i < rings_.size(); ++i) {
    rings.push_back({ring_names_[i], rings_[i]->fill(), rings_[i]->slots(),
                     rings_[i]->full_waits()});
  }
  return rings;
}

uint64_t Job::batch_bytes() const {
  uint64_t bytes = 0;
  for (const auto& t : tasks_) bytes = SaturatingAdd(bytes, t->batch_bytes());
  return bytes;
}

uint64_t Job::ring_bytes() const {
  uint64_t bytes = 0;
  for (const auto& r : rings_) bytes = SaturatingAdd(bytes, r->footprint_bytes());
  return bytes;
}

}  // namespace runnel::runtime
