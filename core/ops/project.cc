#include "core/ops/project.h"

#include "core/expr/lexer.h"

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
    Result<std::vector<expr::Token>> tokens = expr::Tokenize(items[i]);
    if (!tokens.ok()) return InvalidArgument(ItemError(i, tokens.status().message()));
    const std::vector<expr::Token>& t = tokens.value();
    bool plain = t.size() == 2 && t[0].kind == expr::TokenKind::kIdentifier;
    bool renamed = t.size() == 4 && t[0].kind == expr::TokenKind::kIdentifier &&
                   t[1].kind == expr::TokenKind::kIdentifier && t[1].text == "as" &&
                   t[2].kind == expr::TokenKind::kIdentifier;
    if (!plain && !renamed) {
      return InvalidArgument(ItemError(
          i, "expected 'FIELD' or 'FIELD as NAME', found '" + items[i] + "'"));
    }
    int index = input.IndexOf(t[0].text);
    if (index == schema::Schema::kNotFound) {
      return InvalidArgument(ItemError(i, "unknown field '" + t[0].text +
                                              "' (fields: " + input.FieldNames() + ")"));
    }
    schema::Field field = input.field(static_cast<uint32_t>(index));
    if (renamed) field.name = t[2].text;
    if (projection.output.IndexOf(field.name) != schema::Schema::kNotFound) {
      return InvalidArgument(ItemError(i, "field '" + field.name + "' appears twice"));
    }
    projection.source_fields.push_back(static_cast<uint32_t>(index));
    projection.output.Add(std::move(field));
  }
  return projection;
}

Status ProjectOperator::Process(const schema::RowBatch& in,
                                schema::RowBatch* out) {
  const uint32_t width = static_cast<uint32_t>(source_fields_.size());
  const uint32_t* fields = source_fields_.data();
  for (uint32_t i = 0; i < in.size(); ++i) {
    const schema::Slot* source = in.row(i);
    schema::Slot* target = out->Append();
    for (uint32_t f = 0; f < width; ++f) target[f] = source[fields[f]];
  }
  return Status::Ok();
}

}  // namespace runnel::ops
