#include "transports/generator/generator_connector.h"

#include "transports/generator/generator_source.h"

namespace runnel::generator {

std::unique_ptr<runtime::Source> MakeGeneratorSource(const graph::LogicalSource& source,
                                                     const schema::Schema& schema,
                                                     schema::SymbolTable* symbols,
                                                     const Clock* clock,
                                                     graph::Diagnostics* diagnostics) {
  const graph::fb::GeneratorSource& def = *source.def->generator();
  GeneratorOptions options;
  options.rows = def.rows();
  options.keys = def.keys();
  options.seed = def.seed();
  options.start_ms = def.start_ms();
  options.interval_ms = def.interval_ms();
  options.rate = def.rate();
  if (options.keys == 0) {
    diagnostics->Add(source.field_path + ".generator.keys", "must be at least 1");
    return nullptr;
  }
  return std::make_unique<GeneratorSource>(options, schema, symbols, clock);
}

}  // namespace runnel::generator
