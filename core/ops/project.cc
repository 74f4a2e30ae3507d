#include "core/ops/project.h"

#include "core/expr/checker.h"
#include "core/expr/compiler.h"
#include "core/expr/parser.h"

namespace runnel::ops {
namespace {

std::string ItemError(size_t index, const std::string& message) {
  return "[" + std::to_string(index) + "]: " + message;
}

}  // namespace

Result<Projection> ParseProjection(const std::vector<std::string>& items,
                                   const schema::Schema& input) {
  if (items.empty()) return InvalidArgument("selects no fields");
  Projection projection;
  for (size_t i = 0; i < items.size(); ++i) {
    Result<expr::NamedExpression> parsed = expr::ParseNamed(items[i]);
    if (!parsed.ok()) return InvalidArgument(ItemError(i, parsed.status().message()));
    Result<expr::Expression> checked = expr::Check(std::move(parsed.value().expression), input);
    if (!checked.ok()) return InvalidArgument(ItemError(i, checked.status().message()));
    const expr::Expression& e = checked.value();
    const std::string& name = parsed.value().name;
    const expr::Node& root = e.node(e.root);
    schema::Field field;
    if (root.kind == expr::NodeKind::kField) {  // a copy, keeping its unit
      field = input.field(static_cast<uint32_t>(root.field));
      projection.source_fields.push_back(root.field);
      projection.expressions.emplace_back();
    } else {
      if (name.empty()) {
        return InvalidArgument(ItemError(
            i, "a computed field needs a name: '" + items[i] + " as NAME'"));
      }
      field = {name, e.type(), e.unit()};
      projection.source_fields.push_back(-1);
      projection.expressions.push_back(checked.value());
    }
    if (!name.empty()) field.name = name;
    if (projection.output.IndexOf(field.name) != schema::Schema::kNotFound) {
      return InvalidArgument(ItemError(i, "field '" + field.name + "' appears twice"));
    }
    projection.output.Add(std::move(field));
  }
  return projection;
}

Result<std::unique_ptr<ProjectOperator>> ProjectOperator::Make(const Projection& projection,
                                                               int hidden_slot,
                                                               schema::SymbolTable* symbols) {
  std::unique_ptr<ProjectOperator> op(new ProjectOperator());
  const uint32_t fields = static_cast<uint32_t>(projection.source_fields.size());
  for (uint32_t f = 0; f < fields; ++f) {
    int source = projection.source_fields[f];
    if (source >= 0) {
      op->copies_.emplace_back(f, static_cast<uint32_t>(source));
      continue;
    }
    Result<expr::Program> program = expr::Compile(projection.expressions[f], symbols);
    if (!program.ok()) return program.status();
    op->computed_.push_back({f, std::move(program.value())});
  }
  if (hidden_slot >= 0) op->copies_.emplace_back(fields, static_cast<uint32_t>(hidden_slot));
  return op;
}

Status ProjectOperator::Process(const schema::RowBatch& in, schema::RowBatch* out) {
  const uint32_t first = out->size();
  const size_t copies = copies_.size();
  const std::pair<uint32_t, uint32_t>* copy = copies_.data();
  for (uint32_t i = 0; i < in.size(); ++i) {
    const schema::Slot* source = in.row(i);
    schema::Slot* target = out->Append();
    for (size_t c = 0; c < copies; ++c) target[copy[c].first] = source[copy[c].second];
  }
  if (in.size() == 0) return Status::Ok();
  for (Computed& c : computed_) {
    c.program.Evaluate(in, out->row(first) + c.output_field, out->width());
  }
  return Status::Ok();
}

}  // namespace runnel::ops
