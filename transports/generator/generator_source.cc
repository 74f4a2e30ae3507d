#include "transports/generator/generator_source.h"

#include <time.h>

#include <string>
#include <string_view>

namespace runnel::generator {
namespace {

constexpr std::string_view kPositionKey = "position";
constexpr size_t kPositionBytes = 16;

using runtime::GetU64;
using runtime::PutU64;

// xorshift must not start from 0 (it would stay there): spread the seed
// with SplitMix64, and step off zero.
uint64_t StateFromSeed(uint64_t seed) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return z != 0 ? z : 0x9E3779B97F4A7C15ull;
}

}  // namespace

using schema::FieldType;

GeneratorSource::GeneratorSource(const GeneratorOptions& options, schema::Schema schema,
                                 schema::SymbolTable* symbols, const Clock* clock)
    : options_(options),
      schema_(std::move(schema)),
      symbols_(symbols),
      clock_(clock),
      key_symbols_(new int64_t[options.keys > 0 ? options.keys : 1]()),
      state_(StateFromSeed(options.seed)) {}

Status GeneratorSource::Open() {
  bool has_sym = false;
  for (const schema::Field& f : schema_.fields()) has_sym |= f.type == FieldType::kSym;
  if (options_.keys == 0) return InvalidArgument("generator needs at least one key");
  if (has_sym) {
    for (uint32_t k = 0; k < options_.keys; ++k) {
      uint32_t id;
      if (!symbols_->Intern("key-" + std::to_string(k), &id)) {
        return ResourceExhausted("symbol table is full after " + std::to_string(k) +
                                 " generator keys; raise the graph's symbols/symbol_bytes");
      }
      key_symbols_[k] = id;
    }
  }
  started_ms_ = clock_->NowMillis();
  emitted_at_open_ = emitted_;
  return Status::Ok();
}

bool GeneratorSource::SavePosition(runtime::StateBuffer* out) {
  char value[kPositionBytes];
  PutU64(emitted_, value);
  PutU64(state_, value + 8);
  return out->Put(kPositionKey, std::string_view(value, kPositionBytes));
}

Status GeneratorSource::RestoreEntry(std::string_view key, std::string_view value) {
  if (key != kPositionKey || value.size() != kPositionBytes) {
    return DataError("generator: the checkpoint holds no generator position (key '" +
                     std::string(key) + "', " + std::to_string(value.size()) + " bytes)");
  }
  emitted_ = GetU64(value.data());
  state_ = GetU64(value.data() + 8);
  return Status::Ok();
}

size_t GeneratorSource::checkpoint_bytes() const {
  return runtime::StateBuffer::RecordBytes(kPositionKey.size(), kPositionBytes);
}

uint64_t GeneratorSource::NextRandom() {
  // xorshift64*: fast, and good enough for load.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return state_ * 0x2545F4914F6CDD1Dull;
}

Status GeneratorSource::Read(schema::RowBatch* out, bool* done) {
  uint64_t limit = options_.rows;
  if (options_.rate > 0) {
    // Emit only what the rate allows by now; wait a little if that is none.
    int64_t elapsed = clock_->NowMillis() - started_ms_;
    uint64_t allowed =
        emitted_at_open_ + static_cast<uint64_t>(elapsed) * options_.rate / 1000 + 1;
    if (allowed < limit) limit = allowed;
    if (emitted_ >= limit) {
      timespec pause{0, 1000000};
      nanosleep(&pause, nullptr);
      *done = emitted_ >= options_.rows;
      return Status::Ok();
    }
  }
  const uint32_t width = schema_.size();
  while (!out->full() && emitted_ < limit) {
    uint64_t k = NextRandom() % options_.keys;
    schema::Slot* row = out->Append();
    for (uint32_t f = 0; f < width; ++f) {
      switch (schema_.field(f).type) {
        case FieldType::kSym: row[f].i64 = key_symbols_[k]; break;
        case FieldType::kI64: row[f].i64 = static_cast<int64_t>(k); break;
        case FieldType::kF64:
          row[f].f64 = static_cast<double>(NextRandom() >> 11) * (100.0 / 9007199254740992.0);
          break;
        case FieldType::kBool: row[f].i64 = static_cast<int64_t>(NextRandom() >> 63); break;
        case FieldType::kTs:
          row[f].i64 = (options_.start_ms + static_cast<int64_t>(emitted_) * options_.interval_ms) *
                       1000000;
          break;
      }
    }
    ++emitted_;
  }
  *done = emitted_ >= options_.rows;
  return Status::Ok();
}

}  // namespace runnel::generator
