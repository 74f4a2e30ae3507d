#include "transports/zmq/zmq_connectors.h"

#include <string>
#include <vector>

#include "core/common/byte_count.h"
#include "transports/zmq/curve_config.h"
#include "transports/zmq/zmq_sink.h"
#include "transports/zmq/zmq_source.h"

namespace runnel::zmq {
namespace {

static_assert(static_cast<int>(graph::fb::ZmqFormat::batch) ==
                      static_cast<int>(ZmqFormat::kBatch) &&
                  static_cast<int>(graph::fb::ZmqFormat::reading) ==
                      static_cast<int>(ZmqFormat::kReading) &&
                  static_cast<int>(graph::fb::ZmqFormat::csv) == static_cast<int>(ZmqFormat::kCsv) &&
                  static_cast<int>(graph::fb::ZmqFormat::jsonl) ==
                      static_cast<int>(ZmqFormat::kJsonl),
              "graph.fbs ZmqFormat and ZmqFormat list the formats in the same order");

std::vector<std::string> Strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v != nullptr) {
    for (const flatbuffers::String* s : *v) out.push_back(s->str());
  }
  return out;
}

// Whether `endpoint` is transport://address with a transport Runnel uses:
// the shipped binary's libzmq has no other (third_party/libzmq_left_out).
bool CheckEndpoint(const std::string& endpoint, const std::string& path,
                   graph::Diagnostics* diagnostics) {
  const size_t separator = endpoint.find("://");
  if (separator == std::string::npos) {
    diagnostics->Add(path, "\"" + endpoint + "\" is not an endpoint (transport://address)");
    return false;
  }
  const std::string transport = endpoint.substr(0, separator);
  if (transport == "tcp" || transport == "ipc" || transport == "inproc") return true;
  diagnostics->Add(path, "\"" + endpoint + "\": transport '" + transport +
                             "' is not supported (tcp://, ipc:// or inproc://)");
  return false;
}

// At least one endpoint, each one Runnel supports.
bool CheckEndpoints(const std::vector<std::string>& bind, const std::vector<std::string>& connect,
                    const std::string& path, graph::Diagnostics* diagnostics) {
  bool ok = true;
  if (bind.empty() && connect.empty()) {
    diagnostics->Add(path, "needs at least one endpoint in bind or connect "
                           "(\"tcp://*:5555\", \"ipc:///run/x\", \"inproc://x\")");
    ok = false;
  }
  for (const std::string& e : bind) ok = CheckEndpoint(e, path + ".bind", diagnostics) && ok;
  for (const std::string& e : connect) {
    ok = CheckEndpoint(e, path + ".connect", diagnostics) && ok;
  }
  return ok;
}

bool Positive(uint64_t value, const std::string& path, graph::Diagnostics* diagnostics) {
  if (value > 0) return true;
  diagnostics->Add(path, "must be at least 1");
  return false;
}

// The back channel of an exactly-once link (docs/WIRE.md): endpoints only
// with exactly_once, then at least one; the graph must checkpoint.
template <typename Def>
bool CheckExactlyOnce(const graph::GraphFile& file, const Def& def, const std::string& path,
                      std::vector<std::string>* bind, std::vector<std::string>* connect,
                      graph::Diagnostics* diagnostics) {
  *bind = Strings(def.back_channel_bind());
  *connect = Strings(def.back_channel_connect());
  if (!def.exactly_once()) {
    if (bind->empty() && connect->empty()) return true;
    diagnostics->Add(path + ".back_channel_bind",
                     "a back channel is used with exactly_once only");
    return false;
  }
  bool ok = true;
  if (file.graph().checkpoint() == nullptr) {
    diagnostics->Add(path + ".exactly_once",
                     "needs the graph's checkpoint section (positions and kept batches are "
                     "part of checkpoints)");
    ok = false;
  }
  if (bind->empty() && connect->empty()) {
    diagnostics->Add(path + ".exactly_once",
                     "needs a back channel: back_channel_bind or back_channel_connect");
    return false;
  }
  if (def.curve() != nullptr && bind->empty() != Strings(def.bind()).empty()) {
    diagnostics->Add(path + ".back_channel_bind",
                     "with curve the back channel binds where the data socket binds (its "
                     "keys serve both: one side is the server of both)");
    ok = false;
  }
  return CheckEndpoints(*bind, *connect, path + ".back_channel", diagnostics) && ok;
}

}  // namespace

std::unique_ptr<runtime::Source> MakeZmqSource(const graph::GraphFile& file,
                                               const graph::LogicalSource& source,
                                               const schema::Schema& schema,
                                               schema::SymbolTable* symbols, const Clock* clock,
                                               graph::Diagnostics* diagnostics) {
  const graph::fb::ZmqSource& def = *source.def->zmq();
  std::string path = source.field_path + ".zmq";
  ZmqSourceOptions options;
  options.name = source.name;
  options.subscribe = def.socket() == graph::fb::ZmqReceive::sub;
  options.bind = Strings(def.bind());
  options.connect = Strings(def.connect());
  options.channels = Strings(def.channels());
  options.high_water_mark = static_cast<int>(def.high_water_mark() > INT32_MAX ? INT32_MAX
                                                                               : def.high_water_mark());
  options.max_message_bytes = def.max_message_bytes();
  options.heartbeat_ms = def.heartbeat_ms();
  options.end_after_producers = def.end_after_producers();
  options.log_every = def.log_every();
  options.max_producers = def.max_producers();
  options.event_time_field = source.event_time_field;
  options.dead_letter_max_bytes = def.dead_letter_max_bytes();
  options.format = static_cast<ZmqFormat>(def.format());
  options.csv_header = def.csv_header();
  options.max_line_bytes = def.max_line_bytes();
  options.exactly_once = def.exactly_once();
  bool ok = CheckEndpoints(options.bind, options.connect, path, diagnostics);
  ok = CheckExactlyOnce(file, def, path, &options.back_bind, &options.back_connect,
                        diagnostics) && ok;
  if (options.exactly_once && options.subscribe) {
    diagnostics->Add(path + ".exactly_once", "needs socket pull (its producers push)");
    ok = false;
  }
  if (options.exactly_once && options.format != ZmqFormat::kBatch) {
    diagnostics->Add(path + ".exactly_once", "takes format batch only (sensors' readings and "
                                             "text frames carry no row positions)");
    ok = false;
  }
  if (options.csv_header && options.format != ZmqFormat::kCsv) {
    diagnostics->Add(path + ".csv_header", "applies to format csv only");
    ok = false;
  }
  if (def.max_line_bytes() < 64) {
    diagnostics->Add(path + ".max_line_bytes", "must be at least 64");
    ok = false;
  }
  if (def.dead_letter()) {
    if (def.dead_letter()->size() == 0) {
      diagnostics->Add(path + ".dead_letter", "expected a file path");
      ok = false;
    } else {
      options.dead_letter = file.ResolvePath(def.dead_letter()->str());
    }
  }
  ok = Positive(def.heartbeat_ms(), path + ".heartbeat_ms", diagnostics) && ok;
  ok = Positive(def.max_producers(), path + ".max_producers", diagnostics) && ok;
  ok = Positive(def.log_every(), path + ".log_every", diagnostics) && ok;
  ok = Positive(def.max_message_bytes(), path + ".max_message_bytes", diagnostics) && ok;
  ok = CurveFromGraph(file, def.curve(), options.bind, options.connect, path, &options.curve,
                      diagnostics) && ok;
  if (!ok) return nullptr;
  return std::make_unique<ZmqSource>(std::move(options), schema, symbols, clock);
}

std::unique_ptr<runtime::Sink> MakeZmqSink(const graph::GraphFile& file,
                                           const graph::LogicalSink& sink,
                                           const schema::Schema& schema,
                                           const schema::SymbolTable* symbols, const Clock* clock,
                                           graph::Diagnostics* diagnostics) {
  const graph::fb::ZmqSink& def = *sink.def->zmq();
  std::string path = sink.field_path + ".zmq";
  ZmqSinkOptions options;
  options.name = sink.name;
  options.publish = def.socket() == graph::fb::ZmqSend::pub;
  options.bind = Strings(def.bind());
  options.connect = Strings(def.connect());
  options.channel = def.channel()->str();
  options.batch_rows = def.batch_rows();
  options.max_latency_ms = def.max_latency_ms();
  options.high_water_mark = static_cast<int>(def.high_water_mark() > INT32_MAX ? INT32_MAX
                                                                               : def.high_water_mark());
  options.heartbeat_ms = def.heartbeat_ms();
  options.peer_timeout_ms = def.peer_timeout_ms();
  options.linger_ms = def.linger_ms();
  if (def.producer_name()) {
    options.producer_name = def.producer_name()->str();
  } else if (file.graph().name()) {
    options.producer_name = file.graph().name()->str();
  }
  options.exactly_once = def.exactly_once();
  options.replay_buffer_bytes = def.replay_buffer_bytes();
  bool ok = CheckEndpoints(options.bind, options.connect, path, diagnostics);
  ok = CheckExactlyOnce(file, def, path, &options.back_bind, &options.back_connect,
                        diagnostics) && ok;
  if (options.exactly_once) {
    if (options.publish) {
      diagnostics->Add(path + ".exactly_once", "needs socket push (pub drops batches, and "
                                               "any one subscriber would release them)");
      ok = false;
    }
    if (def.producer_name() == nullptr || def.producer_name()->size() == 0) {
      diagnostics->Add(path + ".producer_name",
                       "exactly_once needs a producer_name unique among the receiver's "
                       "producers: it names this sender across restarts");
      ok = false;
    }
    if (options.replay_buffer_bytes < (1u << 16)) {
      diagnostics->Add(path + ".replay_buffer_bytes", "must be at least 65536");
      ok = false;
    }
    if (def.replay_spill_dir() != nullptr) {
      options.spill_dir = file.ResolvePath(def.replay_spill_dir()->str());
      options.spill_bytes = def.replay_spill_bytes();
      if (options.spill_bytes < options.replay_buffer_bytes) {
        diagnostics->Add(path + ".replay_spill_bytes",
                         "must be at least replay_buffer_bytes (" +
                             std::to_string(options.replay_buffer_bytes) + ")");
        ok = false;
      }
    }
  } else if (def.replay_spill_dir() != nullptr) {
    diagnostics->Add(path + ".replay_spill_dir", "a replay spill is used with exactly_once only");
    ok = false;
  }
  if (options.channel.empty() || options.channel.size() > 255) {
    diagnostics->Add(path + ".channel", "must be 1 to 255 bytes, found " +
                                            std::to_string(options.channel.size()));
    ok = false;
  }
  ok = Positive(def.batch_rows(), path + ".batch_rows", diagnostics) && ok;
  ok = Positive(def.heartbeat_ms(), path + ".heartbeat_ms", diagnostics) && ok;
  ok = CurveFromGraph(file, def.curve(), options.bind, options.connect, path, &options.curve,
                      diagnostics) && ok;
  if (!ok) return nullptr;
  return std::make_unique<ZmqSink>(std::move(options), schema, symbols, clock);
}

uint64_t ZmqSourceBytes(const graph::LogicalSource& source) {
  const graph::fb::ZmqSource& def = *source.def->zmq();
  return SaturatingAdd(
      wire::FrameDecoder::kDefaultMaxSymbols * sizeof(uint32_t),
      ZmqSource::FormatBytes(static_cast<ZmqFormat>(def.format()), def.max_line_bytes()));
}

uint64_t ZmqSinkBytes(const graph::LogicalSink& sink, uint32_t width) {
  const graph::fb::ZmqSink* def = sink.def->zmq();
  uint32_t rows = def ? def->batch_rows() : 0;
  // Ring of 8 batches, a staging batch, the encoder's builder (about one).
  const uint64_t batches = SaturatingMul(10, schema::RowBatch::SlotBytes(width, rows));
  // Exactly-once: the replay buffer (the checkpoint buffer its batches are
  // copied into is counted with the other checkpoint buffers).
  if (def == nullptr || !def->exactly_once()) return batches;
  return SaturatingAdd(batches, def->replay_buffer_bytes());
}

}  // namespace runnel::zmq
