// GraphToJson (graph_text.h): writes a graph buffer's canonical JSON text by
// walking its tables along the graph schema's reflection data.
#include <cstdio>

#include "core/graph/graph_reflection.h"
#include "core/graph/graph_text.h"
#include "core/common/utf8.h"

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
  // Writes `table` of `type`, its '{' already placed at `indent`.
  bool Table(const flatbuffers::Table& table, const reflection::Object& type, int indent) {
    bool first = true;
    for (const reflection::Field* field : FieldsInOrder(type)) {
      const auto slot = static_cast<flatbuffers::voffset_t>(field->offset());
      if (table.GetOptionalFieldOffset(slot) == 0) continue;
      out_ += first ? "{\n" : ",\n";
      first = false;
      Indent(indent + kIndentStep);
      if (!Quoted(field->name()->str())) return false;
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

 private:
  bool Value(const flatbuffers::Table& table, const reflection::Field& field, int indent) {
    const reflection::Type& type = *field.type();
    const auto slot = static_cast<flatbuffers::voffset_t>(field.offset());
    switch (type.base_type()) {
      case reflection::String:
        return Quoted(table.GetPointer<const flatbuffers::String*>(slot)->str());
      case reflection::Obj:
        return Table(*table.GetPointer<const flatbuffers::Table*>(slot), TableOf(type), indent);
      case reflection::Vector:
        return Vector(table, field, indent);
      default:
        Scalar(table, field);
        return true;
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
      if (i > 0) out_ += ",\n";
      Indent(indent + kIndentStep);
      const bool ok =
          type.element() == reflection::String
              ? Quoted(elements->GetAs<flatbuffers::String>(i)->str())
              : Table(*elements->GetAs<flatbuffers::Table>(i), TableOf(type), indent + kIndentStep);
      if (!ok) return false;
    }
    out_ += '\n';
    Indent(indent);
    out_ += ']';
    return true;
  }

  void Scalar(const flatbuffers::Table& table, const reflection::Field& field) {
    const reflection::Type& type = *field.type();
    const auto slot = static_cast<flatbuffers::voffset_t>(field.offset());
    const int64_t fallback = field.default_integer();
    int64_t value = 0;
    switch (type.base_type()) {
      case reflection::Bool:
        out_ += Read<uint8_t>(table, slot, fallback) ? "true" : "false";
        return;
      case reflection::ULong:
        out_ += std::to_string(table.GetField<uint64_t>(slot, static_cast<uint64_t>(fallback)));
        return;
      case reflection::Byte: value = Read<int8_t>(table, slot, fallback); break;
      case reflection::UByte: value = Read<uint8_t>(table, slot, fallback); break;
      case reflection::Short: value = Read<int16_t>(table, slot, fallback); break;
      case reflection::UShort: value = Read<uint16_t>(table, slot, fallback); break;
      case reflection::Int: value = Read<int32_t>(table, slot, fallback); break;
      case reflection::UInt: value = Read<uint32_t>(table, slot, fallback); break;
      default: value = Read<int64_t>(table, slot, fallback); break;
    }
    const reflection::Enum* names = EnumOf(type);
    const reflection::EnumVal* name = names ? names->values()->LookupByKey(value) : nullptr;
    if (name != nullptr) {
      Quoted(name->name()->str());
    } else {
      out_ += std::to_string(value);
    }
  }

  // `s` as a JSON string: UTF-8 as is, quotes, backslashes and control
  // characters escaped. False if `s` is not UTF-8.
  bool Quoted(const std::string& s) {
    if (!IsValidUtf8(s)) return false;
    out_ += '"';
    for (char c : s) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\t': out_ += "\\t"; break;
        case '\r': out_ += "\\r"; break;
        case '\b': out_ += "\\b"; break;
        case '\f': out_ += "\\f"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            char escaped[8];
            snprintf(escaped, sizeof(escaped), "\\u%04x", static_cast<unsigned char>(c));
            out_ += escaped;
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
    return true;
  }

  void Indent(int n) { out_.append(static_cast<size_t>(n), ' '); }

  std::string out_;
};

}  // namespace

Result<std::string> GraphToJson(const uint8_t* buffer) {
  GraphWriter writer;
  if (!writer.Table(*flatbuffers::GetRoot<flatbuffers::Table>(buffer),
                    *GraphSchema().root_table(), 0)) {
    return InvalidArgument("graph cannot be written as JSON (a string is not valid UTF-8)");
  }
  writer.text() += '\n';
  return std::move(writer.text());
}

}  // namespace runnel::graph
