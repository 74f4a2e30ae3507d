#include "core/state/state_image.h"

#include <cstring>

namespace runnel::state {
namespace {

constexpr char kLayoutKey = 'a';  // sorts first: checked before any block
constexpr char kHeaderKey = 'h';
constexpr char kBlockKey = 'b';
constexpr size_t kBlockKeyBytes = 6;  // 'b', region, block (big-endian u32)

void BlockKey(uint32_t region, uint32_t block, char* key) {
  key[0] = kBlockKey;
  key[1] = static_cast<char>(region);
  for (int i = 0; i < 4; ++i) key[2 + i] = static_cast<char>(block >> (24 - 8 * i));
}

}  // namespace

void StateImage::Add(KeyedTable* table) {
  const uint32_t first = region_count_;
  tables_[table_count_++] = table;
  table->AppendRegions(regions_, &region_count_);
  RecordLayout(first);
}

void StateImage::Add(TimerHeap* heap) {
  const uint32_t first = region_count_;
  heaps_[heap_count_++] = heap;
  heap->AppendRegions(regions_, &region_count_);
  RecordLayout(first);
}

void StateImage::RecordLayout(uint32_t first) {
  for (uint32_t r = first; r < region_count_; ++r) layout_[r] = regions_[r]->bytes();
}

void StateImage::EnableTracking() {
  for (uint32_t r = 0; r < region_count_; ++r) regions_[r]->EnableTracking();
}

size_t StateImage::ScalarBytes() const {
  return table_count_ * sizeof(KeyedTable::Scalars) + heap_count_ * sizeof(TimerHeap::Scalars);
}

bool StateImage::Snapshot(bool full, std::string_view own, runtime::StateBuffer* out) {
  const size_t scalars = ScalarBytes();
  if (scalars + own.size() > kMaxHeaderBytes) return false;
  char* at = header_;
  for (uint32_t t = 0; t < table_count_; ++t) {
    const KeyedTable::Scalars s = tables_[t]->SaveScalars();
    std::memcpy(at, &s, sizeof(s));
    at += sizeof(s);
  }
  for (uint32_t h = 0; h < heap_count_; ++h) {
    const TimerHeap::Scalars s = heaps_[h]->SaveScalars();
    std::memcpy(at, &s, sizeof(s));
    at += sizeof(s);
  }
  if (!own.empty()) std::memcpy(at, own.data(), own.size());
  // The layout: every region's size, so a restore into another layout is
  // refused before any block is written back.
  const char layout_key = kLayoutKey;
  if (!out->Put(std::string_view(&layout_key, 1),
                std::string_view(reinterpret_cast<const char*>(layout_), LayoutBytes()))) {
    return false;
  }
  const char header_key = kHeaderKey;
  if (!out->Put(std::string_view(&header_key, 1),
                std::string_view(header_, scalars + own.size()))) {
    return false;
  }
  char key[kBlockKeyBytes];
  for (uint32_t r = 0; r < region_count_; ++r) {
    const bool fits = regions_[r]->TakeDirty(full, [&](uint32_t block, std::string_view bytes) {
      BlockKey(r, block, key);
      return out->Put(std::string_view(key, kBlockKeyBytes), bytes);
    });
    if (!fits) return false;
  }
  return true;
}

Status StateImage::RestoreEntry(std::string_view key, std::string_view value, std::string* own) {
  if (key.size() == 1 && key[0] == kLayoutKey) {
    if (value != std::string_view(reinterpret_cast<const char*>(layout_), LayoutBytes())) {
      return DataError("state layout differs (" + std::to_string(value.size() / 8) +
                       " regions saved, " + std::to_string(region_count_) +
                       " here, or regions of other sizes): another capacity or operator");
    }
    return Status::Ok();
  }
  if (key.size() == 1 && key[0] == kHeaderKey) {
    const size_t scalars = ScalarBytes();
    if (value.size() < scalars) {
      return DataError("state header of " + std::to_string(value.size()) +
                       " bytes, this operator's scalars take " + std::to_string(scalars));
    }
    const char* at = value.data();
    for (uint32_t t = 0; t < table_count_; ++t) {
      KeyedTable::Scalars s;
      std::memcpy(&s, at, sizeof(s));
      tables_[t]->RestoreScalars(s);
      at += sizeof(s);
    }
    for (uint32_t h = 0; h < heap_count_; ++h) {
      TimerHeap::Scalars s;
      std::memcpy(&s, at, sizeof(s));
      heaps_[h]->RestoreScalars(s);
      at += sizeof(s);
    }
    own->assign(at, value.size() - scalars);
    return Status::Ok();
  }
  if (key.size() == kBlockKeyBytes && key[0] == kBlockKey) {
    const uint32_t region = static_cast<uint8_t>(key[1]);
    uint32_t block = 0;
    for (int i = 0; i < 4; ++i) block = (block << 8) | static_cast<uint8_t>(key[2 + i]);
    if (region >= region_count_ || !regions_[region]->RestoreBlock(block, value)) {
      return DataError("state block " + std::to_string(block) + " of region " +
                       std::to_string(region) + " does not fit this operator's state (" +
                       std::to_string(region_count_) + " regions)");
    }
    return Status::Ok();
  }
  return DataError("unknown state record key of " + std::to_string(key.size()) + " bytes");
}

size_t StateImage::MaxSnapshotBytes(size_t own_bytes) const {
  size_t bytes = runtime::StateBuffer::RecordBytes(1, ScalarBytes() + own_bytes) +
                 runtime::StateBuffer::RecordBytes(1, LayoutBytes());
  for (uint32_t r = 0; r < region_count_; ++r) {
    bytes += size_t{regions_[r]->blocks()} * runtime::StateBuffer::RecordBytes(kBlockKeyBytes, 0) +
             regions_[r]->bytes();
  }
  return bytes;
}

}  // namespace runnel::state
