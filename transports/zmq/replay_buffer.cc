#include "transports/zmq/replay_buffer.h"

namespace runnel::zmq {
namespace {

uint64_t Load64(const char* at) {
  uint64_t v;
  std::memcpy(&v, at, 8);
  return v;
}
uint32_t Load32(const char* at) {
  uint32_t v;
  std::memcpy(&v, at, 4);
  return v;
}

}  // namespace

ReplayBuffer::ReplayBuffer(size_t capacity_bytes)
    : data_(capacity_bytes & ~size_t{7}), capacity_(capacity_bytes & ~size_t{7}) {}

size_t ReplayBuffer::Wrap(size_t at) const {
  if (capacity_ - at < 24 || Load32(data_.get() + at + 20) == kWrapMark) return 0;
  return at;
}

ReplayBuffer::Entry ReplayBuffer::Read(size_t at) const {
  const char* p = data_.get() + at;
  Entry e;
  e.number = Load64(p);
  e.first_row = Load64(p + 8);
  e.rows = Load32(p + 16);
  const uint32_t size = Load32(p + 20);
  e.message = std::string_view(p + 24, size);
  e.record = std::string_view(p + 8, kRecordHeaderBytes + size);
  return e;
}

size_t ReplayBuffer::Place(size_t bytes) {
  if (count_ == 0) head_ = tail_ = used_ = 0;
  if (count_ == 0 || tail_ > head_) {  // free: the end, then the start
    if (capacity_ - tail_ >= bytes) return tail_;
    if (head_ < bytes) return SIZE_MAX;
    // The rest of the ring is skipped: marked when an entry header fits.
    if (capacity_ - tail_ >= 24) {
      const uint32_t mark = kWrapMark;
      std::memcpy(data_.get() + tail_ + 20, &mark, 4);
    }
    used_ += capacity_ - tail_;
    return 0;
  }
  return head_ - tail_ >= bytes ? tail_ : SIZE_MAX;  // wrapped: between them
}

bool ReplayBuffer::Append(uint64_t first_row, uint32_t rows, std::string_view message) {
  const size_t bytes = EntryBytes(message.size());
  if (bytes > capacity_) return false;
  const size_t at = Place(bytes);
  if (at == SIZE_MAX) return false;
  char* p = data_.get() + at;
  const uint64_t number = next_number_++;
  const uint32_t size = static_cast<uint32_t>(message.size());
  std::memcpy(p, &number, 8);
  std::memcpy(p + 8, &first_row, 8);
  std::memcpy(p + 16, &rows, 4);
  std::memcpy(p + 20, &size, 4);
  std::memcpy(p + 24, message.data(), message.size());
  tail_ = at + bytes;
  used_ += bytes;
  ++count_;
  return true;
}

bool ReplayBuffer::DecodeRecord(std::string_view record, Entry* out) {
  if (record.size() < kRecordHeaderBytes) return false;
  out->first_row = Load64(record.data());
  out->rows = Load32(record.data() + 8);
  const uint32_t size = Load32(record.data() + 12);
  if (size != record.size() - kRecordHeaderBytes || out->rows == 0 || out->first_row == 0) {
    return false;
  }
  out->message = record.substr(kRecordHeaderBytes);
  out->record = record;
  return true;
}

bool ReplayBuffer::Restore(uint64_t number, std::string_view record) {
  Entry entry;
  if (number < next_number_ || !DecodeRecord(record, &entry)) return false;
  const uint64_t next = next_number_;
  next_number_ = number;
  if (!Append(entry.first_row, entry.rows, entry.message)) {
    next_number_ = next;
    return false;
  }
  return true;
}

bool ReplayBuffer::ResumeNumbering(uint64_t number) {
  if (count_ != 0 || number < next_number_) return false;
  next_number_ = number;
  return true;
}

void ReplayBuffer::Release(uint64_t row) {
  while (count_ > 0) {
    const size_t at = Wrap(head_);
    if (at != head_) used_ -= capacity_ - head_;  // the skipped end
    head_ = at;
    const Entry oldest = Read(head_);
    if (oldest.last_row() > row) return;
    const size_t bytes = EntryBytes(oldest.message.size());
    head_ += bytes;
    used_ -= bytes;
    --count_;
  }
}

}  // namespace runnel::zmq
