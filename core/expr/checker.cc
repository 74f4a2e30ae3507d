#include "core/expr/checker.h"

#include <charconv>
#include <cmath>
#include <string>

#include "core/schema/null.h"
#include "core/expr/parser.h"

namespace runnel::expr {
namespace {

using schema::FieldType;
using schema::FieldTypeName;
using schema::kNullInt;

bool IsNumber(FieldType t) { return t == FieldType::kI64 || t == FieldType::kF64; }

bool IsOrdered(Op op) {
  return op == Op::kLt || op == Op::kLe || op == Op::kGt || op == Op::kGe;
}

std::string Column(size_t offset) { return " at column " + std::to_string(offset + 1); }

std::string TypeName(FieldType t) { return std::string(FieldTypeName(t)); }

// Parses a number literal: an integer that fits i64 (INT64_MIN is null's),
// else a finite double.
bool ParseNumber(const std::string& text, Node* n) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  int64_t integer = 0;
  auto [int_end, int_ec] = std::from_chars(begin, end, integer);
  if (int_ec == std::errc() && int_end == end && integer != kNullInt) {
    n->type = FieldType::kI64;
    n->value.i64 = integer;
    return true;
  }
  double real = 0;
  auto [real_end, real_ec] = std::from_chars(begin, end, real);
  if (real_ec == std::errc() && real_end == end && std::isfinite(real)) {
    n->type = FieldType::kF64;
    n->value.f64 = real;
    return true;
  }
  return false;
}

class Checker {
 public:
  Checker(Expression e, const schema::Schema& input) : e_(std::move(e)), input_(input) {}

  Result<Expression> Run() {
    RUNNEL_RETURN_IF_ERROR(Visit(e_.root));
    return std::move(e_);
  }

 private:
  Node& N(int i) { return e_.node(i); }

  // "f64 field 'temp'", "the number 3", "the string 'a'", "an i64 expression".
  std::string Describe(int i) {
    const Node& n = N(i);
    switch (n.kind) {
      case NodeKind::kField: return TypeName(n.type) + " field '" + n.text + "'";
      case NodeKind::kNumber: return "the number " + n.text;
      case NodeKind::kString: return "the string '" + n.text + "'";
      case NodeKind::kBool: return n.value.i64 ? "true" : "false";
      default:
        return std::string(n.type == FieldType::kI64 ? "an " : "a ") + TypeName(n.type) +
               " expression";
    }
  }

  Status Fail(const std::string& what, size_t offset, const std::string& hint = "") {
    return InvalidArgument(what + Column(offset) + (hint.empty() ? "" : " (" + hint + ")"));
  }

  Status Visit(int i) {
    for (int a : N(i).args) {
      // An `in` list's constants are typed against the value, below.
      if (N(i).kind == NodeKind::kIn && a != N(i).args[0]) continue;
      RUNNEL_RETURN_IF_ERROR(Visit(a));
    }
    Node& n = N(i);
    n.checked = true;
    switch (n.kind) {
      case NodeKind::kNumber:
        if (!ParseNumber(n.text, &n)) {
          return Fail("'" + n.text + "' is not a number (i64 values run from "
                      "-9223372036854775807 to 9223372036854775807)", n.offset);
        }
        return Status::Ok();
      case NodeKind::kString:
        n.type = FieldType::kSym;
        return Status::Ok();
      case NodeKind::kBool:
        n.type = FieldType::kBool;
        return Status::Ok();
      case NodeKind::kField: {
        int index = input_.IndexOf(n.text);
        if (index == schema::Schema::kNotFound) {
          return Fail("unknown field '" + n.text + "'", n.offset,
                      "fields: " + input_.FieldNames());
        }
        const schema::Field& f = input_.field(static_cast<uint32_t>(index));
        n.field = index;
        n.type = f.type;
        n.unit = f.unit;
        return Status::Ok();
      }
      case NodeKind::kUnary: return CheckUnary(i);
      case NodeKind::kBinary: return CheckBinary(i);
      case NodeKind::kCall: return CheckCall(i);
      case NodeKind::kIn: return CheckIn(i);
      case NodeKind::kIsNull:
        n.type = FieldType::kBool;
        return Status::Ok();
    }
    return Status::Ok();
  }

  Status CheckUnary(int i) {
    Node& n = N(i);
    const Node& operand = N(n.args[0]);
    if (n.op == Op::kNot) {
      if (operand.type != FieldType::kBool) {
        return Fail("'not' needs a bool, found " + Describe(n.args[0]), n.offset);
      }
      n.type = FieldType::kBool;
      return Status::Ok();
    }
    if (!IsNumber(operand.type)) {
      return Fail("'-' needs a number, found " + Describe(n.args[0]), n.offset);
    }
    n.type = operand.type;
    return Status::Ok();
  }

  static std::string TsHint(FieldType a, FieldType b) {
    if (a == FieldType::kTs || b == FieldType::kTs) {
      return "a ts supports comparisons, time functions such as hour(ts), and i64(ts) for "
             "its value in its unit";
    }
    return "";
  }

  Status CheckBinary(int i) {
    Node& n = N(i);
    int l = n.args[0], r = n.args[1];
    FieldType lt = N(l).type, rt = N(r).type;
    switch (n.op) {
      case Op::kAnd:
      case Op::kOr:
        for (int side : {l, r}) {
          if (N(side).type != FieldType::kBool) {
            return Fail(std::string("'") + OpText(n.op) + "' needs bool operands, found " +
                            Describe(side), n.offset);
          }
        }
        n.type = FieldType::kBool;
        return Status::Ok();
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul:
      case Op::kDiv:
      case Op::kMod:
        if (!IsNumber(lt) || !IsNumber(rt)) {
          return Fail(std::string("cannot apply '") + OpText(n.op) + "' to " + Describe(l) +
                          " and " + Describe(r), n.offset, TsHint(lt, rt));
        }
        n.type = (lt == FieldType::kF64 || rt == FieldType::kF64) ? FieldType::kF64
                                                                  : FieldType::kI64;
        return Status::Ok();
      default:
        return CheckComparison(i);
    }
  }

  // Makes number literal `i` a ts constant in `unit`; fails unless it is a
  // whole number whose ns fit in an i64.
  Status ToTs(int i, schema::TimeUnit unit, const std::string& ts_description) {
    Node& n = N(i);
    int64_t ns = 0;
    if (n.type != FieldType::kI64 ||
        __builtin_mul_overflow(n.value.i64, schema::NanosPerUnit(unit), &ns) || ns == kNullInt) {
      return Fail(ts_description + " compares with a whole number of " +
                      std::string(schema::TimeUnitName(unit)) + ", found " + n.text,
                  n.offset);
    }
    n.type = FieldType::kTs;
    n.unit = unit;
    n.value.i64 = ns;
    return Status::Ok();
  }

  Status CheckComparison(int i) {
    Node& n = N(i);
    int l = n.args[0], r = n.args[1];
    // A number written next to a ts is in that ts's unit.
    if (N(l).type == FieldType::kTs && N(r).kind == NodeKind::kNumber) {
      RUNNEL_RETURN_IF_ERROR(ToTs(r, N(l).unit, Describe(l)));
    } else if (N(r).type == FieldType::kTs && N(l).kind == NodeKind::kNumber) {
      RUNNEL_RETURN_IF_ERROR(ToTs(l, N(r).unit, Describe(r)));
    }
    FieldType lt = N(l).type, rt = N(r).type;
    n.type = FieldType::kBool;
    if (IsNumber(lt) && IsNumber(rt)) return Status::Ok();
    if (lt != rt) {
      // The hint is about what the field side (else the left) accepts.
      const Node& anchor = N(N(l).kind == NodeKind::kField || N(r).kind != NodeKind::kField ? l : r);
      std::string hint;
      switch (anchor.type) {
        case FieldType::kSym: hint = "expected a quoted string"; break;
        case FieldType::kBool: hint = "expected true or false"; break;
        case FieldType::kTs:
          hint = "a ts compares with a ts, or with a whole number of " +
                 std::string(schema::TimeUnitName(anchor.unit)) + " written as a constant";
          break;
        default: hint = "expected a number"; break;
      }
      return Fail("cannot compare " + Describe(l) + " with " + Describe(r), n.offset, hint);
    }
    if (IsOrdered(n.op) && (lt == FieldType::kSym || lt == FieldType::kBool)) {
      int which = N(l).kind == NodeKind::kField || N(r).kind != NodeKind::kField ? l : r;
      return Fail(Describe(which) + " compares only with == and !=", n.offset);
    }
    return Status::Ok();
  }

  Status CheckIn(int i) {
    Node& n = N(i);
    const int value = n.args[0];
    const FieldType vt = N(value).type;
    n.type = FieldType::kBool;
    for (size_t k = 1; k < n.args.size(); ++k) {
      int c = n.args[k];
      RUNNEL_RETURN_IF_ERROR(Visit(c));
      FieldType ct = N(c).type;
      if (vt == FieldType::kTs && N(c).kind == NodeKind::kNumber) {
        RUNNEL_RETURN_IF_ERROR(ToTs(c, N(value).unit, Describe(value)));
      } else if (!(IsNumber(vt) && IsNumber(ct)) && vt != ct) {
        std::string hint = vt == FieldType::kSym    ? "expected quoted strings"
                           : vt == FieldType::kBool ? "expected true or false"
                                                    : "expected numbers";
        return Fail("the list of " + Describe(value) + " cannot hold " + Describe(c), N(c).offset,
                    hint);
      }
    }
    return Status::Ok();
  }

  Status ArgCount(const Node& n, size_t min, size_t max) {
    size_t got = n.args.size();
    if (got >= min && got <= max) return Status::Ok();
    std::string want = min == max ? std::to_string(min)
                       : max == SIZE_MAX ? "at least " + std::to_string(min)
                                         : std::to_string(min) + " to " + std::to_string(max);
    return Fail(n.text + "() takes " + want + " argument" + (min == 1 && max == 1 ? "" : "s") +
                    ", found " + std::to_string(got), n.offset);
  }

  Status NeedNumber(const Node& call, int arg) {
    if (IsNumber(N(arg).type)) return Status::Ok();
    return Fail(call.text + "() needs a number, found " + Describe(arg), call.offset,
                TsHint(N(arg).type, N(arg).type));
  }

  Status CheckCall(int i) {
    Node& n = N(i);
    const std::string& f = n.text;
    const std::vector<int>& a = n.args;
    if (f == "abs" || f == "round" || f == "floor" || f == "ceil") {
      RUNNEL_RETURN_IF_ERROR(ArgCount(n, 1, 1));
      RUNNEL_RETURN_IF_ERROR(NeedNumber(n, a[0]));
      n.type = N(a[0]).type;
    } else if (f == "sqrt" || f == "log" || f == "exp") {
      RUNNEL_RETURN_IF_ERROR(ArgCount(n, 1, 1));
      RUNNEL_RETURN_IF_ERROR(NeedNumber(n, a[0]));
      n.type = FieldType::kF64;
    } else if (f == "pow") {
      RUNNEL_RETURN_IF_ERROR(ArgCount(n, 2, 2));
      RUNNEL_RETURN_IF_ERROR(NeedNumber(n, a[0]));
      RUNNEL_RETURN_IF_ERROR(NeedNumber(n, a[1]));
      n.type = FieldType::kF64;
    } else if (f == "min" || f == "max") {
      RUNNEL_RETURN_IF_ERROR(ArgCount(n, 2, SIZE_MAX));
      if (N(a[0]).type == FieldType::kTs) {
        for (int arg : a) {
          if (N(arg).type != FieldType::kTs) {
            return Fail(f + "() of a ts needs ts arguments, found " + Describe(arg), n.offset);
          }
        }
        n.type = FieldType::kTs;
        n.unit = N(a[0]).unit;
      } else {
        n.type = FieldType::kI64;
        for (int arg : a) {
          RUNNEL_RETURN_IF_ERROR(NeedNumber(n, arg));
          if (N(arg).type == FieldType::kF64) n.type = FieldType::kF64;
        }
      }
    } else if (f == "i64" || f == "f64") {
      RUNNEL_RETURN_IF_ERROR(ArgCount(n, 1, 1));
      if (N(a[0]).type == FieldType::kSym) {
        return Fail(f + "() cannot convert " + Describe(a[0]), n.offset);
      }
      n.type = f == "i64" ? FieldType::kI64 : FieldType::kF64;
    } else if (f == "if") {
      RUNNEL_RETURN_IF_ERROR(ArgCount(n, 3, 3));
      if (N(a[0]).type != FieldType::kBool) {
        return Fail("if() needs a condition (bool) first, found " + Describe(a[0]), n.offset);
      }
      FieldType t1 = N(a[1]).type, t2 = N(a[2]).type;
      if (IsNumber(t1) && IsNumber(t2)) {
        n.type = (t1 == FieldType::kF64 || t2 == FieldType::kF64) ? FieldType::kF64
                                                                  : FieldType::kI64;
      } else if (t1 == t2) {
        n.type = t1;
        n.unit = N(a[1]).unit;
      } else {
        return Fail("if() needs two results of one type, found " + Describe(a[1]) + " and " +
                        Describe(a[2]), n.offset);
      }
    } else if (f == "year" || f == "month" || f == "day" || f == "hour" || f == "minute" ||
               f == "second" || f == "day_of_week") {
      RUNNEL_RETURN_IF_ERROR(ArgCount(n, 1, 1));
      if (N(a[0]).type != FieldType::kTs) {
        return Fail(f + "() needs a ts, found " + Describe(a[0]), n.offset);
      }
      n.type = FieldType::kI64;
    } else {
      return Fail("unknown function '" + f + "'", n.offset,
                  std::string("functions: ") + FunctionNames());
    }
    return Status::Ok();
  }

  Expression e_;
  const schema::Schema& input_;
};

}  // namespace

const char* FunctionNames() {
  return "abs, ceil, day, day_of_week, exp, f64, floor, hour, i64, if, log, max, min, minute, "
         "month, pow, round, second, sqrt, year";
}

Result<Expression> Check(Expression expression, const schema::Schema& input) {
  if (expression.empty()) return InvalidArgument("expected an expression, found nothing");
  return Checker(std::move(expression), input).Run();
}

Result<Expression> ParseExpression(std::string_view text, const schema::Schema& input) {
  Result<Expression> parsed = Parse(text);
  if (!parsed.ok()) return parsed.status();
  return Check(std::move(parsed.value()), input);
}

Result<Expression> ParseCondition(std::string_view text, const schema::Schema& input) {
  Result<Expression> e = ParseExpression(text, input);
  if (e.ok() && e.value().type() != FieldType::kBool) {
    return InvalidArgument("expected a condition (a bool expression such as 'temp > 30'), found " +
                           std::string(e.value().type() == FieldType::kI64 ? "an " : "a ") +
                           TypeName(e.value().type()) + " expression");
  }
  return e;
}

}  // namespace runnel::expr
