#include "core/ops/accumulators.h"

#include "core/expr/lexer.h"

namespace runnel::ops {
namespace {

using expr::TokenKind;
using schema::FieldType;

std::string ItemError(size_t index, const std::string& message) {
  return "[" + std::to_string(index) + "]: " + message;
}

bool KindFromName(const std::string& name, AggregateKind* kind) {
  static const struct { const char* name; AggregateKind kind; } kKinds[] = {
      {"count", AggregateKind::kCount}, {"sum", AggregateKind::kSum},
      {"min", AggregateKind::kMin},     {"max", AggregateKind::kMax},
      {"avg", AggregateKind::kAvg}};
  for (const auto& k : kKinds) {
    if (name == k.name) {
      *kind = k.kind;
      return true;
    }
  }
  return false;
}

FieldType ResultType(AggregateKind kind, FieldType input) {
  switch (kind) {
    case AggregateKind::kCount: return FieldType::kI64;
    case AggregateKind::kAvg: return FieldType::kF64;
    case AggregateKind::kSum: return input == FieldType::kF64 ? FieldType::kF64 : FieldType::kI64;
    case AggregateKind::kMin:
    case AggregateKind::kMax: return input;
  }
  return input;
}

inline bool Less(schema::Slot a, schema::Slot b, bool is_float) {
  return is_float ? a.f64 < b.f64 : a.i64 < b.i64;
}

}  // namespace

Result<Accumulators> Accumulators::Parse(const std::vector<std::string>& items,
                                         const schema::Schema& input) {
  if (items.empty()) return InvalidArgument("lists no aggregates");
  Accumulators acc;
  for (size_t i = 0; i < items.size(); ++i) {
    auto tokens = expr::Tokenize(items[i]);
    if (!tokens.ok()) return InvalidArgument(ItemError(i, tokens.status().message()));
    const auto& t = tokens.value();
    // fn ( [field] ) [as name]
    auto is = [&](size_t k, TokenKind kind) { return k < t.size() && t[k].kind == kind; };
    bool shape = is(0, TokenKind::kIdentifier) && is(1, TokenKind::kPunct) && t[1].text == "(";
    size_t close = 2;
    if (shape && is(2, TokenKind::kIdentifier)) close = 3;
    shape = shape && is(close, TokenKind::kPunct) && t[close].text == ")";
    size_t rest = close + 1;
    bool named = shape && is(rest, TokenKind::kIdentifier) && t[rest].text == "as" &&
                 is(rest + 1, TokenKind::kIdentifier) && is(rest + 2, TokenKind::kEnd);
    if (!shape || (!named && !is(rest, TokenKind::kEnd))) {
      return InvalidArgument(ItemError(
          i, "expected 'FUNCTION(FIELD)' or 'FUNCTION(FIELD) as NAME' with FUNCTION "
             "one of count, sum, min, max, avg; found '" + items[i] + "'"));
    }
    AggregateFn fn;
    if (!KindFromName(t[0].text, &fn.kind)) {
      return InvalidArgument(ItemError(i, "unknown aggregate function '" + t[0].text +
                                              "' (expected count, sum, min, max or avg)"));
    }
    std::string default_name = t[0].text;
    if (fn.kind == AggregateKind::kCount) {
      if (close != 2) return InvalidArgument(ItemError(i, "count() takes no field"));
    } else {
      if (close != 3) {
        return InvalidArgument(ItemError(i, t[0].text + "() needs a field, e.g. " +
                                                t[0].text + "(temp)"));
      }
      fn.field = input.IndexOf(t[2].text);
      if (fn.field == schema::Schema::kNotFound) {
        return InvalidArgument(ItemError(i, "unknown field '" + t[2].text +
                                                "' (fields: " + input.FieldNames() + ")"));
      }
      const schema::Field& field = input.field(static_cast<uint32_t>(fn.field));
      fn.input_type = field.type;
      bool numeric_only = fn.kind == AggregateKind::kSum || fn.kind == AggregateKind::kAvg;
      bool ordered = schema::IsNumeric(field.type);
      if ((numeric_only && !(field.type == FieldType::kI64 || field.type == FieldType::kF64)) ||
          !ordered) {
        return InvalidArgument(ItemError(
            i, t[0].text + " over " + std::string(schema::FieldTypeName(field.type)) +
                   " field '" + field.name + "' (expected " +
                   (numeric_only ? "an i64 or f64 field)" : "an i64, f64 or ts field)")));
      }
      fn.output.unit = field.unit;
      default_name += "_" + t[2].text;
    }
    fn.output.name = named ? t[rest + 1].text : default_name;
    fn.output.type = ResultType(fn.kind, fn.input_type);
    for (const AggregateFn& other : acc.fns_) {
      if (other.output.name == fn.output.name) {
        return InvalidArgument(ItemError(i, "field '" + fn.output.name + "' appears twice"));
      }
    }
    acc.fns_.push_back(fn);
  }
  return acc;
}

std::vector<schema::Field> Accumulators::OutputFields() const {
  std::vector<schema::Field> fields;
  for (const AggregateFn& fn : fns_) fields.push_back(fn.output);
  return fields;
}

void Accumulators::Update(schema::Slot* state, const schema::Slot* row) const {
  const bool first = state[0].i64 == 0;
  ++state[0].i64;
  for (size_t i = 0; i < fns_.size(); ++i) {
    const AggregateFn& fn = fns_[i];
    schema::Slot& acc = state[1 + i];
    switch (fn.kind) {
      case AggregateKind::kCount:
        break;
      case AggregateKind::kSum:
        if (fn.input_type == FieldType::kF64) {
          acc.f64 += row[fn.field].f64;
        } else {
          acc.i64 = static_cast<int64_t>(static_cast<uint64_t>(acc.i64) +
                                         static_cast<uint64_t>(row[fn.field].i64));
        }
        break;
      case AggregateKind::kAvg:
        acc.f64 += fn.input_type == FieldType::kF64 ? row[fn.field].f64
                                                    : static_cast<double>(row[fn.field].i64);
        break;
      case AggregateKind::kMin:
        if (first || Less(row[fn.field], acc, fn.input_type == FieldType::kF64)) acc = row[fn.field];
        break;
      case AggregateKind::kMax:
        if (first || Less(acc, row[fn.field], fn.input_type == FieldType::kF64)) acc = row[fn.field];
        break;
    }
  }
}

void Accumulators::Emit(const schema::Slot* state, schema::Slot* out) const {
  for (size_t i = 0; i < fns_.size(); ++i) {
    const AggregateFn& fn = fns_[i];
    switch (fn.kind) {
      case AggregateKind::kCount:
        out[i].i64 = state[0].i64;
        break;
      case AggregateKind::kAvg:
        out[i].f64 = state[0].i64 == 0 ? 0.0 : state[1 + i].f64 / static_cast<double>(state[0].i64);
        break;
      default:
        out[i] = state[1 + i];
        break;
    }
  }
}

}  // namespace runnel::ops
