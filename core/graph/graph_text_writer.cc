// GraphToJson (graph_text.h): writes a graph buffer's canonical JSON text by
// walking its tables along the graph schema's reflection data.
#include <string>

#include "core/common/utf8.h"
#include "core/graph/graph_reflection.h"
#include "core/graph/graph_text.h"
#include "core/graph/json_lexer.h"

namespace runnel::graph {
namespace {

constexpr int kIndentStep = 2;

// The scalar of type T at `slot`, widened.
template <typename T>
int64_t Read(const flatbuffers::Table& table, flatbuffers::voffset_t slot, int64_t fallback) {
  return static_cast<int64_t>(table.GetField<T>(slot, static_cast<T>(fallback)));
}

class GraphWriter {
 public:
  explicit GraphWriter(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Writes `table` of `type`, its '{' already placed at `indent`. False
  // with error() set if the graph cannot be written.
  bool Table(const flatbuffers::Table& table, const reflection::Object& type, int indent) {
    bool first = true;
    for (const reflection::Field* field : FieldsInOrder(type)) {
      const auto slot = static_cast<flatbuffers::voffset_t>(field->offset());
      if (table.GetOptionalFieldOffset(slot) == 0) continue;
      if (!Room()) return false;
      out_ += first ? "{\n" : ",\n";
      first = false;
      Indent(indent + kIndentStep);
      Quoted(field->name()->str());
      out_ += ": ";
      if (!Value(table, *field, indent + kIndentStep)) return false;
    }
    if (first) {
      out_ += "{}";
      return true;
    }
    out_ += '\n';
    Indent(indent);
    out_ += '}';
    return true;
  }

  std::string& text() { return out_; }
  const std::string& error() const { return error_; }

 private:
  bool Value(const flatbuffers::Table& table, const reflection::Field& field, int indent) {
    const reflection::Type& type = *field.type();
    const auto slot = static_cast<flatbuffers::voffset_t>(field.offset());
    switch (type.base_type()) {
      case reflection::String:
        return String(*table.GetPointer<const flatbuffers::String*>(slot));
      case reflection::Obj:
        return Table(*table.GetPointer<const flatbuffers::Table*>(slot), TableOf(type), indent);
      case reflection::Vector:
        return Vector(table, field, indent);
      default:
        return Scalar(table, field);
    }
  }

  bool Vector(const flatbuffers::Table& table, const reflection::Field& field, int indent) {
    const auto slot = static_cast<flatbuffers::voffset_t>(field.offset());
    const reflection::Type& type = *field.type();
    const auto* elements =
        table.GetPointer<const flatbuffers::Vector<flatbuffers::Offset<void>>*>(slot);
    if (elements->size() == 0) {
      out_ += "[]";
      return true;
    }
    out_ += "[\n";
    for (flatbuffers::uoffset_t i = 0; i < elements->size(); ++i) {
      if (!Room()) return false;
      if (i > 0) out_ += ",\n";
      Indent(indent + kIndentStep);
      const bool ok =
          type.element() == reflection::String
              ? String(*elements->GetAs<flatbuffers::String>(i))
              : Table(*elements->GetAs<flatbuffers::Table>(i), TableOf(type), indent + kIndentStep);
      if (!ok) return false;
    }
    out_ += '\n';
    Indent(indent);
    out_ += ']';
    return true;
  }

  bool Scalar(const flatbuffers::Table& table, const reflection::Field& field) {
    const reflection::Type& type = *field.type();
    const auto slot = static_cast<flatbuffers::voffset_t>(field.offset());
    const int64_t fallback = field.default_integer();
    int64_t value = 0;
    switch (type.base_type()) {
      case reflection::Bool:
        out_ += Read<uint8_t>(table, slot, fallback) ? "true" : "false";
        return true;
      case reflection::ULong:
        out_ += std::to_string(table.GetField<uint64_t>(slot, static_cast<uint64_t>(fallback)));
        return true;
      case reflection::Byte: value = Read<int8_t>(table, slot, fallback); break;
      case reflection::UByte: value = Read<uint8_t>(table, slot, fallback); break;
      case reflection::Short: value = Read<int16_t>(table, slot, fallback); break;
      case reflection::UShort: value = Read<uint16_t>(table, slot, fallback); break;
      case reflection::Int: value = Read<int32_t>(table, slot, fallback); break;
      case reflection::UInt: value = Read<uint32_t>(table, slot, fallback); break;
      default: value = Read<int64_t>(table, slot, fallback); break;
    }
    const reflection::Enum* names = EnumOf(type);
    if (names == nullptr) {
      out_ += std::to_string(value);
      return true;
    }
    // A compiled graph from elsewhere may hold any number in an enum field.
    const reflection::EnumVal* name = names->values()->LookupByKey(value);
    if (name == nullptr) {
      error_ = "field '" + field.name()->str() + "' holds " + std::to_string(value) +
               ", which is no " + names->name()->str() + " value";
      return false;
    }
    Quoted(name->name()->str());
    return true;
  }

  bool String(const flatbuffers::String& s) {
    if (!IsValidUtf8(s.str())) {
      error_ = "a string is not valid UTF-8";
      return false;
    }
    Quoted(s.str());
    return true;
  }

  void Quoted(const std::string& s) {
    out_ += '"';
    AppendEscaped(s, &out_);
    out_ += '"';
  }

  // Whether the text is still within its bound (a verified buffer may point
  // many fields at one table or string, and so spell out far more text).
  bool Room() {
    if (out_.size() <= max_bytes_) return true;
    error_ = "its JSON text would exceed " + std::to_string(max_bytes_) +
             " bytes (are tables or strings shared by many fields?)";
    return false;
  }

  void Indent(int n) { out_.append(static_cast<size_t>(n), ' '); }

  size_t max_bytes_;
  std::string out_;
  std::string error_;
};

}  // namespace

Result<std::string> GraphToJson(const uint8_t* buffer, size_t size) {
  GraphWriter writer(kMaxJsonBytesPerBufferByte * size + kMaxJsonBytesBase);
  if (!writer.Table(*flatbuffers::GetRoot<flatbuffers::Table>(buffer),
                    *GraphSchema().root_table(), 0)) {
    return InvalidArgument("graph cannot be written as JSON: " + writer.error());
  }
  writer.text() += '\n';
  return std::move(writer.text());
}

}  // namespace runnel::graph
