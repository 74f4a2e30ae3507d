// CsvFields: splits one CSV line into fields, RFC 4180 style: fields may be
// "quoted", with "" standing for one quote inside. Quoted fields are
// unescaped into a fixed scratch buffer; nothing allocates after
// construction. Fields are views valid until the next Split.
#pragma once

#include <memory>
#include <string_view>

namespace runnel::file {

class CsvFields {
 public:
  static constexpr size_t kMaxFields = 256;

  CsvFields(char delimiter, size_t max_line_bytes);

  // Splits `line`. Returns false, with error() saying why, for an unclosed
  // quote, text after a closing quote, or more than kMaxFields fields.
  bool Split(std::string_view line);

  size_t size() const { return count_; }
  std::string_view operator[](size_t index) const { return fields_[index]; }
  const char* error() const { return error_; }

 private:
  char delimiter_;
  std::unique_ptr<char[]> scratch_;  // unescaped quoted fields
  std::unique_ptr<std::string_view[]> fields_;
  size_t count_ = 0;
  const char* error_ = "";
};

}  // namespace runnel::file
