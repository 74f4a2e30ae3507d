#include "core/expr/comparison.h"

#include <charconv>
#include <cmath>
#include <vector>

#include "core/expr/lexer.h"

namespace runnel::expr {
namespace {

using schema::FieldType;
using schema::FieldTypeName;
using schema::IsNumeric;

enum class OperandKind { kField, kNumber, kBool, kString };

struct Operand {
  OperandKind kind;
  int field = -1;
  std::string text;  // number or string literal text
  bool boolean = false;
};

bool ParseOp(const std::string& text, CompareOp* op) {
  static const struct { const char* text; CompareOp op; } kOps[] = {
      {"==", CompareOp::kEq}, {"!=", CompareOp::kNe}, {"<", CompareOp::kLt},
      {"<=", CompareOp::kLe}, {">", CompareOp::kGt},  {">=", CompareOp::kGe}};
  for (const auto& candidate : kOps) {
    if (text == candidate.text) {
      *op = candidate.op;
      return true;
    }
  }
  return false;
}

// The op with its sides swapped: 3 < x is x > 3.
CompareOp Mirror(CompareOp op) {
  switch (op) {
    case CompareOp::kLt: return CompareOp::kGt;
    case CompareOp::kLe: return CompareOp::kGe;
    case CompareOp::kGt: return CompareOp::kLt;
    case CompareOp::kGe: return CompareOp::kLe;
    default: return op;
  }
}

bool IsEquality(CompareOp op) {
  return op == CompareOp::kEq || op == CompareOp::kNe;
}

Result<Operand> ParseOperand(const Token& token, const schema::Schema& schema) {
  std::string where = " at column " + std::to_string(token.offset + 1);
  switch (token.kind) {
    case TokenKind::kIdentifier: {
      if (token.text == "true" || token.text == "false") {
        return Operand{OperandKind::kBool, -1, token.text, token.text == "true"};
      }
      int index = schema.IndexOf(token.text);
      if (index == schema::Schema::kNotFound) {
        return InvalidArgument("unknown field '" + token.text + "'" + where +
                               " (fields: " + schema.FieldNames() + ")");
      }
      return Operand{OperandKind::kField, index, token.text, false};
    }
    case TokenKind::kNumber:
      return Operand{OperandKind::kNumber, -1, token.text, false};
    case TokenKind::kString:
      return Operand{OperandKind::kString, -1, token.text, false};
    default:
      return InvalidArgument("expected a field name or a value" + where +
                             (token.kind == TokenKind::kEnd ? " (end of text)"
                                                            : ", found '" + token.text + "'"));
  }
}

std::string Describe(const Operand& operand, const schema::Schema& schema) {
  switch (operand.kind) {
    case OperandKind::kField: {
      const schema::Field& f = schema.field(static_cast<uint32_t>(operand.field));
      return std::string(FieldTypeName(f.type)) + " field '" + f.name + "'";
    }
    case OperandKind::kNumber: return "the number " + operand.text;
    case OperandKind::kBool: return operand.text;
    case OperandKind::kString: return "the string '" + operand.text + "'";
  }
  return "?";
}

// Fills the constant side of `out` from `value`, checked against `field`.
Status SetConstant(const schema::Field& field, const Operand& value,
                   CompareOp op, Comparison* out) {
  std::string mismatch = "cannot compare " + std::string(FieldTypeName(field.type)) +
                         " field '" + field.name + "' with ";
  if (IsNumeric(field.type)) {
    if (value.kind != OperandKind::kNumber) {
      return InvalidArgument(mismatch + (value.kind == OperandKind::kString
                                             ? "the string '" + value.text + "'"
                                             : value.text));
    }
    const char* begin = value.text.data();
    const char* end = begin + value.text.size();
    int64_t integer = 0;
    auto [int_end, int_ec] = std::from_chars(begin, end, integer);
    bool is_integer = int_ec == std::errc() && int_end == end;
    if (field.type == FieldType::kTs) {
      if (!is_integer ||
          __builtin_mul_overflow(integer, schema::NanosPerUnit(field.unit),
                                 &out->int_constant)) {
        return InvalidArgument("ts field '" + field.name +
                               "' compares with a whole number of " +
                               std::string(schema::TimeUnitName(field.unit)) +
                               ", found " + value.text);
      }
      out->constant_kind = Comparison::ConstantKind::kInt;
      return Status::Ok();
    }
    double real;
    auto [real_end, real_ec] = std::from_chars(begin, end, real);
    if (real_ec != std::errc() || real_end != end || !std::isfinite(real)) {
      return InvalidArgument("'" + value.text + "' is not a number");
    }
    if (field.type == FieldType::kI64 && is_integer) {
      out->constant_kind = Comparison::ConstantKind::kInt;
      out->int_constant = integer;
    } else {
      out->constant_kind = Comparison::ConstantKind::kFloat;
      out->float_constant = real;
    }
    return Status::Ok();
  }
  if (!IsEquality(op)) {
    return InvalidArgument(std::string(FieldTypeName(field.type)) + " field '" +
                           field.name + "' compares only with == and !=");
  }
  if (field.type == FieldType::kBool) {
    if (value.kind != OperandKind::kBool) {
      return InvalidArgument(mismatch + value.text + " (expected true or false)");
    }
    out->constant_kind = Comparison::ConstantKind::kInt;
    out->int_constant = value.boolean ? 1 : 0;
    return Status::Ok();
  }
  if (value.kind != OperandKind::kString) {
    return InvalidArgument(mismatch + value.text + " (expected a quoted string)");
  }
  out->constant_kind = Comparison::ConstantKind::kSymbol;
  out->symbol_constant = value.text;
  return Status::Ok();
}

Status CheckFieldPair(const schema::Field& a, const schema::Field& b,
                      CompareOp op) {
  // A ts holds ns; comparing it with a plain number field would mix units.
  bool one_ts = (a.type == FieldType::kTs) != (b.type == FieldType::kTs);
  bool numeric = IsNumeric(a.type) && IsNumeric(b.type) && !one_ts;
  if (!numeric && a.type != b.type) {
    return InvalidArgument("cannot compare " + std::string(FieldTypeName(a.type)) +
                           " field '" + a.name + "' with " +
                           std::string(FieldTypeName(b.type)) + " field '" +
                           b.name + "'");
  }
  if (!numeric && !IsEquality(op)) {
    return InvalidArgument(std::string(FieldTypeName(a.type)) +
                           " fields compare only with == and !=");
  }
  return Status::Ok();
}

}  // namespace

Result<Comparison> ParseComparison(std::string_view text,
                                   const schema::Schema& schema) {
  Result<std::vector<Token>> tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  const std::vector<Token>& t = tokens.value();
  if (t.size() != 4 || t[1].kind != TokenKind::kOperator ||
      t[3].kind != TokenKind::kEnd) {
    return InvalidArgument("expected a comparison 'FIELD OP VALUE' such as "
                           "'temp > 30' (OP is ==, !=, <, <=, > or >=), found '" +
                           std::string(text) + "'");
  }
  Result<Operand> lhs = ParseOperand(t[0], schema);
  if (!lhs.ok()) return lhs.status();
  Result<Operand> rhs = ParseOperand(t[2], schema);
  if (!rhs.ok()) return rhs.status();
  Comparison out;
  if (!ParseOp(t[1].text, &out.op)) {
    return Status(StatusCode::kInternal, "lexer let through operator " + t[1].text);
  }
  Operand left = lhs.value();
  Operand right = rhs.value();
  if (left.kind != OperandKind::kField) {
    if (right.kind != OperandKind::kField) {
      return InvalidArgument("compares " + Describe(left, schema) + " with " +
                             Describe(right, schema) + "; one side must be a field");
    }
    std::swap(left, right);
    out.op = Mirror(out.op);
  }
  out.lhs_field = left.field;
  const schema::Field& field = schema.field(static_cast<uint32_t>(left.field));
  if (right.kind == OperandKind::kField) {
    RUNNEL_RETURN_IF_ERROR(CheckFieldPair(
        field, schema.field(static_cast<uint32_t>(right.field)), out.op));
    out.rhs_field = right.field;
    return out;
  }
  RUNNEL_RETURN_IF_ERROR(SetConstant(field, right, out.op, &out));
  return out;
}

}  // namespace runnel::expr
