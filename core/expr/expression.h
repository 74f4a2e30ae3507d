// Expression: the syntax tree of one expression ("temp * 1.8 + 32",
// "device in ('a', 'b') and not ok"), as the parser builds it and the type
// checker completes it.
//
// A plain value (a flat array of nodes with child indices), so it copies
// cheaply into logical operators; plan-time only. After Check() every node
// has its type, fields are resolved to input indices and constants hold
// their slot value (a ts constant already in ns); Compile() (compiler.h)
// turns a checked Expression into a Program that evaluates batches of rows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/schema/field_type.h"
#include "core/schema/row.h"

namespace runnel::expr {

enum class NodeKind : uint8_t {
  kNumber,  // text: the literal as written
  kString,  // text: the contents (a sym constant, interned at compile time)
  kBool,    // true / false
  kField,   // text: the field name
  kUnary,   // op: kNeg or kNot; args: the operand
  kBinary,  // op; args: left, right
  kCall,    // text: the function name; args: its arguments
  kIn,      // args: the value, then the list's constants; negated: not in
  kIsNull,  // args: the value; negated: is not null
};

enum class Op : uint8_t {
  kNeg, kNot,
  kAdd, kSub, kMul, kDiv, kMod,
  kEq, kNe, kLt, kLe, kGt, kGe,
  kAnd, kOr,
};

// How an operator is written, for messages: "+", "<=", "and".
const char* OpText(Op op);

struct Node {
  NodeKind kind = NodeKind::kNumber;
  Op op = Op::kAdd;
  bool negated = false;
  size_t offset = 0;  // where it starts (an operator: where it is) in the text
  std::string text;
  std::vector<int> args;  // indices into Expression::nodes
  // Set by the type checker.
  bool checked = false;
  schema::FieldType type = schema::FieldType::kI64;
  schema::TimeUnit unit = schema::TimeUnit::kMs;  // of a ts value
  int field = -1;              // kField: the input field's index
  schema::Slot value = {0};    // kNumber, kBool: the constant
};

struct Expression {
  std::string text;  // as written
  std::vector<Node> nodes;
  int root = -1;

  bool empty() const { return root < 0; }
  const Node& node(int index) const { return nodes[static_cast<size_t>(index)]; }
  Node& node(int index) { return nodes[static_cast<size_t>(index)]; }
  // REQUIRES: checked. The type of the result.
  schema::FieldType type() const { return node(root).type; }
  schema::TimeUnit unit() const { return node(root).unit; }
};

}  // namespace runnel::expr
