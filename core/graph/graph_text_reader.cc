// ParseGraphJson (graph_text.h): walks the JSON tree (json_tree.h) along the
// graph schema's reflection data and builds the FlatBuffer.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "core/graph/graph_generated.h"
#include "core/graph/graph_reflection.h"
#include "core/graph/graph_text.h"
#include "core/graph/json_lexer.h"
#include "core/graph/json_locator.h"
#include "core/graph/json_syntax.h"
#include "core/graph/json_tree.h"

namespace runnel::graph {
namespace {

// Errors reported for one text, at most.
constexpr size_t kMaxErrors = 20;

using Kind = JsonValue::Kind;

// `s` escaped as in JSON, for a message.
std::string Escaped(std::string_view s) {
  std::string out;
  AppendEscaped(s, &out);
  return out;
}

std::string Describe(const JsonValue& v) {
  switch (v.kind) {
    case Kind::kObject: return "an object";
    case Kind::kArray: return "a list";
    case Kind::kString: return "\"" + Abbreviated(Escaped(v.text)) + "\"";
    case Kind::kWord: break;
  }
  return v.text;
}

// `null` leaves a field out.
bool IsNull(const JsonValue& v) { return v.kind == Kind::kWord && v.text == "null"; }

const char* TypeName(reflection::BaseType type) {
  switch (type) {
    case reflection::Bool: return "bool";
    case reflection::Byte: return "byte";
    case reflection::UByte: return "ubyte";
    case reflection::Short: return "short";
    case reflection::UShort: return "ushort";
    case reflection::Int: return "int";
    case reflection::UInt: return "uint";
    case reflection::Long: return "long";
    case reflection::ULong: return "ulong";
    default: return "scalar";
  }
}

bool IsSigned(reflection::BaseType type) {
  return type == reflection::Byte || type == reflection::Short || type == reflection::Int ||
         type == reflection::Long;
}

enum class Integer { kOk, kNone, kTooLarge };

// Parses an integer literal: optional sign, then decimal digits or 0x and
// hex digits.
Integer ParseInteger(std::string_view text, bool* negative, uint64_t* magnitude) {
  *negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    *negative = text[0] == '-';
    text.remove_prefix(1);
  }
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return Integer::kNone;
  uint64_t value = 0;
  bool too_large = false;
  for (char c : text) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (base == 16 && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (base == 16 && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return Integer::kNone;
    too_large = too_large || __builtin_mul_overflow(value, static_cast<uint64_t>(base), &value) ||
                __builtin_add_overflow(value, static_cast<uint64_t>(digit), &value);
  }
  *magnitude = value;
  return too_large ? Integer::kTooLarge : Integer::kOk;
}

// One field of the table being built, before the table starts.
struct FieldValue {
  const reflection::Field* field;
  uint64_t bits;                  // scalars: the value, two's complement
  flatbuffers::uoffset_t offset;  // strings, vectors, tables; 0 for scalars
};

class GraphReader {
 public:
  GraphReader(const JsonParseOptions& options, Diagnostics* errors) : errors_(errors) {
    builder_.ForceDefaults(options.keep_written_defaults);
  }

  // Builds the root table; false if any error was found.
  bool Run(const JsonValue& root) {
    const reflection::Schema& schema = GraphSchema();
    if (root.kind != Kind::kObject) {
      Fail("", root, "expected an object, found " + Describe(root));
      return false;
    }
    const flatbuffers::uoffset_t table = Table(root, *schema.root_table(), "");
    if (!errors_->empty()) return false;
    builder_.Finish(flatbuffers::Offset<fb::Graph>(table), fb::GraphIdentifier());
    return true;
  }

  std::vector<uint8_t> Release() {
    return std::vector<uint8_t>(builder_.GetBufferPointer(),
                                builder_.GetBufferPointer() + builder_.GetSize());
  }

 private:
  flatbuffers::uoffset_t Table(const JsonValue& object, const reflection::Object& type,
                               const std::string& path) {
    // The members' fields, checked in text order, then built in declaration
    // order: the same graph gives the same bytes whatever its key order.
    std::vector<std::pair<const reflection::Field*, const JsonMember*>> members;
    for (const JsonMember& member : object.members) {
      const reflection::Field* field = type.fields()->LookupByKey(member.key.c_str());
      if (field == nullptr) {
        FailAt(Join(path, Escaped(member.key)), member.line, member.column,
               "unknown field: " + Escaped(member.key));
        continue;
      }
      if (std::any_of(members.begin(), members.end(),
                      [&](const auto& m) { return m.first == field; })) {
        FailAt(Join(path, member.key), member.line, member.column,
               "field set more than once: " + member.key);
        continue;
      }
      members.emplace_back(field, &member);
    }
    std::sort(members.begin(), members.end(),
              [](const auto& a, const auto& b) { return a.first->id() < b.first->id(); });
    std::vector<FieldValue> values;
    for (const auto& [field, member] : members) {
      if (IsNull(member->value)) continue;
      FieldValue value{field, 0, 0};
      if (Value(member->value, *field, Join(path, member->key), &value)) values.push_back(value);
    }
    for (const reflection::Field* field : *type.fields()) {
      if (!field->required()) continue;
      if (std::none_of(values.begin(), values.end(),
                       [&](const FieldValue& v) { return v.field == field; }) &&
          !Names(object, field->name()->str())) {
        Fail(path, object, "missing required field \"" + field->name()->str() + "\"");
      }
    }
    // Widest first, as FlatBuffers' own parser lays tables out: least padding.
    std::stable_sort(values.begin(), values.end(), [](const FieldValue& a, const FieldValue& b) {
      return Width(a) > Width(b);
    });
    const flatbuffers::uoffset_t start = builder_.StartTable();
    for (const FieldValue& v : values) Add(v);
    return builder_.EndTable(start);
  }

  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : path + "." + key;
  }

  // Whether `object` sets `key` to something other than null (a value that
  // did not convert has had its own error; "missing" would be a second).
  static bool Names(const JsonValue& object, const std::string& key) {
    return std::any_of(object.members.begin(), object.members.end(), [&](const JsonMember& m) {
      return m.key == key && !IsNull(m.value);
    });
  }

  static size_t Width(const FieldValue& v) {
    const reflection::BaseType type = v.field->type()->base_type();
    return type == reflection::String || type == reflection::Vector || type == reflection::Obj
               ? sizeof(flatbuffers::uoffset_t)
               : ScalarSize(type);
  }

  void Add(const FieldValue& v) {
    const reflection::Field& field = *v.field;
    const auto slot = static_cast<flatbuffers::voffset_t>(field.offset());
    const reflection::BaseType type = field.type()->base_type();
    if (type == reflection::String || type == reflection::Vector || type == reflection::Obj) {
      builder_.AddOffset(slot, flatbuffers::Offset<void>(v.offset));
      return;
    }
    const auto fallback = static_cast<uint64_t>(field.default_integer());
    switch (ScalarSize(type)) {
      case 1:
        builder_.AddElement<uint8_t>(slot, static_cast<uint8_t>(v.bits),
                                     static_cast<uint8_t>(fallback));
        break;
      case 2:
        builder_.AddElement<uint16_t>(slot, static_cast<uint16_t>(v.bits),
                                      static_cast<uint16_t>(fallback));
        break;
      case 4:
        builder_.AddElement<uint32_t>(slot, static_cast<uint32_t>(v.bits),
                                      static_cast<uint32_t>(fallback));
        break;
      default:
        builder_.AddElement<uint64_t>(slot, v.bits, fallback);
        break;
    }
  }

  // Converts `value` for `field` into `out` (building strings, vectors and
  // tables now); false after reporting why it does not fit.
  bool Value(const JsonValue& value, const reflection::Field& field, const std::string& path,
             FieldValue* out) {
    const reflection::Type& type = *field.type();
    switch (type.base_type()) {
      case reflection::String:
        return String(value, path, &out->offset);
      case reflection::Obj:
        if (value.kind != Kind::kObject) {
          return Fail(path, value, "expected an object, found " + Describe(value));
        }
        out->offset = Table(value, TableOf(type), path);
        return true;
      case reflection::Vector:
        return Vector(value, type, path, &out->offset);
      default:
        return Scalar(value, type, path, &out->bits);
    }
  }

  bool String(const JsonValue& value, const std::string& path, flatbuffers::uoffset_t* out) {
    if (value.kind != Kind::kString) {
      return Fail(path, value, "expected a string, found " + Describe(value));
    }
    *out = builder_.CreateString(value.text).o;
    return true;
  }

  bool Vector(const JsonValue& value, const reflection::Type& type, const std::string& path,
              flatbuffers::uoffset_t* out) {
    if (value.kind != Kind::kArray) {
      return Fail(path, value, "expected a list, found " + Describe(value));
    }
    std::vector<flatbuffers::Offset<void>> elements;
    bool ok = true;
    for (size_t i = 0; i < value.elements.size(); ++i) {
      const JsonValue& element = value.elements[i];
      const std::string element_path = path + "[" + std::to_string(i) + "]";
      flatbuffers::uoffset_t offset = 0;
      if (type.element() == reflection::String) {
        ok = String(element, element_path, &offset) && ok;
      } else if (element.kind != Kind::kObject) {
        ok = Fail(element_path, element, "expected an object, found " + Describe(element));
      } else {
        offset = Table(element, TableOf(type), element_path);
      }
      elements.emplace_back(offset);
    }
    if (!ok) return false;
    *out = builder_.CreateVector(elements).o;
    return true;
  }

  bool Scalar(const JsonValue& value, const reflection::Type& type, const std::string& path,
              uint64_t* bits) {
    const reflection::BaseType base = type.base_type();
    if (const reflection::Enum* values = EnumOf(type)) {
      if (value.kind == Kind::kObject || value.kind == Kind::kArray) {
        return Fail(path, value, "expected a " + values->name()->str().substr(
                                     values->name()->str().rfind('.') + 1) +
                                     " name, found " + Describe(value));
      }
      return EnumValue(value, *values, path, bits);
    }
    // Numbers and booleans are bare words: "7" and "true" are strings.
    const bool word = value.kind == Kind::kWord;
    if (base == reflection::Bool) {
      if (word && (value.text == "true" || value.text == "1")) {
        *bits = 1;
      } else if (word && (value.text == "false" || value.text == "0")) {
        *bits = 0;
      } else {
        return Fail(path, value, "expected true or false, found " + Describe(value));
      }
      return true;
    }
    bool negative = false;
    uint64_t magnitude = 0;
    const Integer parsed = word ? ParseInteger(value.text, &negative, &magnitude) : Integer::kNone;
    if (parsed == Integer::kNone) {
      return Fail(path, value, "expected an integer, found " + Describe(value));
    }
    return InRange(value, base, negative, parsed == Integer::kTooLarge, magnitude, path, bits);
  }

  bool InRange(const JsonValue& value, reflection::BaseType base, bool negative, bool too_large,
               uint64_t magnitude, const std::string& path, uint64_t* bits) {
    const unsigned width = 8 * static_cast<unsigned>(ScalarSize(base));
    const bool is_signed = IsSigned(base);
    const uint64_t max_positive = (is_signed ? (uint64_t{1} << (width - 1)) - 1
                                  : width == 64 ? std::numeric_limits<uint64_t>::max()
                                                : (uint64_t{1} << width) - 1);
    const uint64_t max_negative = is_signed ? uint64_t{1} << (width - 1) : 0;
    if (too_large || (negative ? magnitude > max_negative : magnitude > max_positive)) {
      std::string range = is_signed ? "-" + std::to_string(max_negative) + " to " +
                                          std::to_string(max_positive)
                                    : "0 to " + std::to_string(max_positive);
      return Fail(path, value, value.text + " is out of range for " + TypeName(base) + " (" +
                                   range + ")");
    }
    *bits = negative ? ~magnitude + 1 : magnitude;
    return true;
  }

  bool EnumValue(const JsonValue& value, const reflection::Enum& type, const std::string& path,
                 uint64_t* bits) {
    bool negative = false;
    uint64_t magnitude = 0;
    const bool is_number = ParseInteger(value.text, &negative, &magnitude) == Integer::kOk;
    std::string names;
    for (const reflection::EnumVal* v : *type.values()) {
      if (is_number ? !negative && static_cast<uint64_t>(v->value()) == magnitude
                    : v->name()->str() == value.text) {
        *bits = static_cast<uint64_t>(v->value());
        return true;
      }
      names += (names.empty() ? "" : ", ") + v->name()->str();
    }
    return Fail(path, value, "unknown enum value: " + value.text + " (expected one of: " +
                                 names + ")");
  }

  bool Fail(const std::string& path, const JsonValue& at, std::string message) {
    return FailAt(path, at.line, at.column, std::move(message));
  }

  bool FailAt(const std::string& path, int line, int column, std::string message) {
    if (errors_->size() < kMaxErrors) errors_->Add({path, std::move(message), line, column});
    return false;
  }

  flatbuffers::FlatBufferBuilder builder_{1024};
  Diagnostics* errors_;
};

// One "LINE:COLUMN: PATH: MESSAGE" line per diagnostic.
std::string Lines(const std::vector<Diagnostic>& errors) {
  std::string text;
  for (const Diagnostic& d : errors) {
    if (!text.empty()) text += '\n';
    text += std::to_string(d.line) + ":" + std::to_string(d.column) + ": ";
    if (!d.field_path.empty()) text += d.field_path + ": ";
    text += d.message;
  }
  return text;
}

}  // namespace

Result<std::vector<uint8_t>> ParseGraphJson(std::string_view text,
                                            const JsonParseOptions& options,
                                            Diagnostics* errors) {
  Diagnostics found;
  std::vector<JsonSyntaxError> syntax = FindJsonSyntaxErrors(text, kMaxErrors);
  JsonValue root;
  JsonSyntaxError tree_error;
  if (syntax.empty() && !ParseJsonTree(text, &root, &tree_error)) {
    syntax.push_back(std::move(tree_error));  // an escape, UTF-8, or nesting
  }
  if (!syntax.empty()) {
    JsonLocator locator(text);
    for (JsonSyntaxError& e : syntax) {
      found.Add({locator.PathAt(e.line, e.column), std::move(e.message), e.line, e.column});
    }
  } else {
    GraphReader reader(options, &found);
    if (reader.Run(root)) return reader.Release();
  }
  std::vector<Diagnostic> sorted = found.items();
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  if (errors != nullptr) {
    for (const Diagnostic& d : sorted) errors->Add(d);
  }
  return InvalidArgument(Lines(sorted));
}

}  // namespace runnel::graph
