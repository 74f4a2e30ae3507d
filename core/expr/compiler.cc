#include "core/expr/compiler.h"

#include <string>
#include <vector>

#include "core/schema/null.h"

namespace runnel::expr {
namespace {

using schema::FieldType;
using schema::Slot;

class Compiler {
 public:
  Compiler(const Expression& e, schema::SymbolTable* symbols) : e_(e), symbols_(symbols) {}

  Result<Program> Run() {
    RUNNEL_RETURN_IF_ERROR(Emit(e_.root));
    const Node& root = e_.node(e_.root);
    return Program(std::move(code_), std::move(constants_), static_cast<uint32_t>(max_depth_),
                   root.type, root.unit);
  }

 private:
  const Node& N(int i) const { return e_.node(i); }

  // Pushes `op`, tracking the stack depth: `pops` columns in, one out
  // (`pushes` 0 for an in-place change).
  void Push(Opcode op, int pops, int pushes, uint32_t a = 0, uint32_t n = 0, Slot imm = {0}) {
    code_.push_back({op, a, n, imm});
    depth_ = depth_ - pops + pushes;
    if (depth_ > max_depth_) max_depth_ = depth_;
  }
  void Unary(Opcode op) { Push(op, 0, 0); }
  void Binary(Opcode op) { Push(op, 1, 0); }

  Status Intern(const std::string& text, Slot* slot) {
    uint32_t id;
    if (!symbols_->Intern(text, &id)) {
      return ResourceExhausted("symbol table is full (" + std::to_string(symbols_->max_symbols()) +
                               " symbols)");
    }
    slot->i64 = id;
    return Status::Ok();
  }

  // Emits node i converted to f64 when `as_float` (i64 and bool operands).
  Status EmitAs(int i, bool as_float) {
    RUNNEL_RETURN_IF_ERROR(Emit(i));
    if (as_float && N(i).type != FieldType::kF64) Unary(Opcode::kI2F);
    return Status::Ok();
  }

  Status Emit(int i) {
    const Node& n = N(i);
    switch (n.kind) {
      case NodeKind::kNumber:
      case NodeKind::kBool:
        Push(Opcode::kConst, 0, 1, 0, 0, n.value);
        return Status::Ok();
      case NodeKind::kString: {
        Slot id;
        RUNNEL_RETURN_IF_ERROR(Intern(n.text, &id));
        Push(Opcode::kConst, 0, 1, 0, 0, id);
        return Status::Ok();
      }
      case NodeKind::kField:
        Push(Opcode::kField, 0, 1, static_cast<uint32_t>(n.field));
        return Status::Ok();
      case NodeKind::kUnary:
        RUNNEL_RETURN_IF_ERROR(Emit(n.args[0]));
        Unary(n.op == Op::kNot ? Opcode::kNot
              : n.type == FieldType::kF64 ? Opcode::kNegF : Opcode::kNegI);
        return Status::Ok();
      case NodeKind::kBinary: return EmitBinary(n);
      case NodeKind::kIsNull: {
        FieldType t = N(n.args[0]).type;
        if (!schema::IsNullable(t)) {  // bool: never null
          Push(Opcode::kConst, 0, 1, 0, 0, Slot{n.negated ? 1 : 0});
          return Status::Ok();
        }
        RUNNEL_RETURN_IF_ERROR(Emit(n.args[0]));
        Unary(t == FieldType::kF64 ? Opcode::kIsNullF : Opcode::kIsNullI);
        if (n.negated) Unary(Opcode::kNot);
        return Status::Ok();
      }
      case NodeKind::kIn: return EmitIn(n);
      case NodeKind::kCall: return EmitCall(n);
    }
    return Status(StatusCode::kInternal, "unknown expression node");
  }

  Status EmitBinary(const Node& n) {
    const Node& l = N(n.args[0]);
    const Node& r = N(n.args[1]);
    if (n.op == Op::kAnd || n.op == Op::kOr) {
      RUNNEL_RETURN_IF_ERROR(Emit(n.args[0]));
      RUNNEL_RETURN_IF_ERROR(Emit(n.args[1]));
      Binary(n.op == Op::kAnd ? Opcode::kAnd : Opcode::kOr);
      return Status::Ok();
    }
    // Arithmetic has the node's type; a comparison computes in f64 when
    // either side is f64.
    bool is_compare = n.type == FieldType::kBool;
    bool as_float = is_compare ? (l.type == FieldType::kF64 || r.type == FieldType::kF64)
                               : n.type == FieldType::kF64;
    RUNNEL_RETURN_IF_ERROR(EmitAs(n.args[0], as_float));
    RUNNEL_RETURN_IF_ERROR(EmitAs(n.args[1], as_float));
    static const struct { Op op; Opcode i, f; } kOps[] = {
        {Op::kAdd, Opcode::kAddI, Opcode::kAddF}, {Op::kSub, Opcode::kSubI, Opcode::kSubF},
        {Op::kMul, Opcode::kMulI, Opcode::kMulF}, {Op::kDiv, Opcode::kDivI, Opcode::kDivF},
        {Op::kMod, Opcode::kModI, Opcode::kModF}, {Op::kEq, Opcode::kEqI, Opcode::kEqF},
        {Op::kNe, Opcode::kNeI, Opcode::kNeF},    {Op::kLt, Opcode::kLtI, Opcode::kLtF},
        {Op::kLe, Opcode::kLeI, Opcode::kLeF},    {Op::kGt, Opcode::kGtI, Opcode::kGtF},
        {Op::kGe, Opcode::kGeI, Opcode::kGeF}};
    for (const auto& k : kOps) {
      if (k.op == n.op) {
        Binary(as_float ? k.f : k.i);
        return Status::Ok();
      }
    }
    return Status(StatusCode::kInternal, "unknown binary operator");
  }

  Status EmitIn(const Node& n) {
    const Node& value = N(n.args[0]);
    bool as_float = value.type == FieldType::kF64;
    for (size_t k = 1; k < n.args.size(); ++k) as_float |= N(n.args[k]).type == FieldType::kF64;
    RUNNEL_RETURN_IF_ERROR(EmitAs(n.args[0], as_float));
    uint32_t begin = static_cast<uint32_t>(constants_.size());
    for (size_t k = 1; k < n.args.size(); ++k) {
      const Node& c = N(n.args[k]);
      Slot slot = c.value;
      if (c.kind == NodeKind::kString) {
        RUNNEL_RETURN_IF_ERROR(Intern(c.text, &slot));
      } else if (as_float && c.type != FieldType::kF64) {
        slot.f64 = static_cast<double>(c.value.i64);
      }
      constants_.push_back(slot);
    }
    Push(as_float ? Opcode::kInF : Opcode::kInI, 0, 0, begin,
         static_cast<uint32_t>(n.args.size() - 1));
    if (n.negated) Unary(Opcode::kNot);
    return Status::Ok();
  }

  Status EmitCall(const Node& n) {
    const std::string& f = n.text;
    const std::vector<int>& a = n.args;
    const bool is_float = n.type == FieldType::kF64;
    if (f == "if") {
      RUNNEL_RETURN_IF_ERROR(Emit(a[0]));
      RUNNEL_RETURN_IF_ERROR(EmitAs(a[1], is_float));
      RUNNEL_RETURN_IF_ERROR(EmitAs(a[2], is_float));
      Push(Opcode::kIf, 2, 0);
      return Status::Ok();
    }
    if (f == "min" || f == "max") {
      bool is_min = f == "min";
      RUNNEL_RETURN_IF_ERROR(EmitAs(a[0], is_float));
      for (size_t k = 1; k < a.size(); ++k) {
        RUNNEL_RETURN_IF_ERROR(EmitAs(a[k], is_float));
        Binary(is_float ? (is_min ? Opcode::kMinF : Opcode::kMaxF)
                        : (is_min ? Opcode::kMinI : Opcode::kMaxI));
      }
      return Status::Ok();
    }
    if (f == "pow") {
      RUNNEL_RETURN_IF_ERROR(EmitAs(a[0], true));
      RUNNEL_RETURN_IF_ERROR(EmitAs(a[1], true));
      Binary(Opcode::kPow);
      return Status::Ok();
    }
    if (f == "i64" || f == "f64") {
      const Node& arg = N(a[0]);
      RUNNEL_RETURN_IF_ERROR(Emit(a[0]));
      if (arg.type == FieldType::kTs) {
        Slot per;
        per.i64 = schema::NanosPerUnit(arg.unit);
        Push(Opcode::kTsToUnit, 0, 0, 0, 0, per);
      }
      bool arg_float = arg.type == FieldType::kF64;
      if (f == "i64" && arg_float) Unary(Opcode::kF2I);
      if (f == "f64" && !arg_float) Unary(Opcode::kI2F);
      return Status::Ok();
    }
    static const struct { const char* name; TimePart part; } kParts[] = {
        {"year", TimePart::kYear},     {"month", TimePart::kMonth},
        {"day", TimePart::kDay},       {"hour", TimePart::kHour},
        {"minute", TimePart::kMinute}, {"second", TimePart::kSecond},
        {"day_of_week", TimePart::kDayOfWeek}};
    for (const auto& p : kParts) {
      if (f == p.name) {
        RUNNEL_RETURN_IF_ERROR(Emit(a[0]));
        Push(Opcode::kTimePart, 0, 0, static_cast<uint32_t>(p.part));
        return Status::Ok();
      }
    }
    // One-argument numeric functions.
    const bool arg_float = N(a[0]).type == FieldType::kF64;
    if (f == "abs") {
      RUNNEL_RETURN_IF_ERROR(Emit(a[0]));
      Unary(arg_float ? Opcode::kAbsF : Opcode::kAbsI);
      return Status::Ok();
    }
    if (f == "round" || f == "floor" || f == "ceil") {
      RUNNEL_RETURN_IF_ERROR(Emit(a[0]));
      // An integer is its own round, floor and ceiling.
      if (arg_float) {
        Unary(f == "round" ? Opcode::kRound : f == "floor" ? Opcode::kFloor : Opcode::kCeil);
      }
      return Status::Ok();
    }
    static const struct { const char* name; Opcode op; } kMath[] = {
        {"sqrt", Opcode::kSqrt}, {"log", Opcode::kLog}, {"exp", Opcode::kExp}};
    for (const auto& m : kMath) {
      if (f == m.name) {
        RUNNEL_RETURN_IF_ERROR(EmitAs(a[0], true));
        Unary(m.op);
        return Status::Ok();
      }
    }
    return Status(StatusCode::kInternal, "no code for function " + f + "()");
  }

  const Expression& e_;
  schema::SymbolTable* symbols_;
  std::vector<Instruction> code_;
  std::vector<Slot> constants_;
  int depth_ = 0;
  int max_depth_ = 0;
};

}  // namespace

Result<Program> Compile(const Expression& expression, schema::SymbolTable* symbols) {
  if (expression.empty() || !expression.node(expression.root).checked) {
    return Status(StatusCode::kInternal, "compiling an expression that was not checked");
  }
  return Compiler(expression, symbols).Run();
}

}  // namespace runnel::expr
