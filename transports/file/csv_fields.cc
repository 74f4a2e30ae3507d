#include "transports/file/csv_fields.h"

namespace runnel::file {

CsvFields::CsvFields(char delimiter, size_t max_line_bytes)
    : delimiter_(delimiter),
      scratch_(new char[max_line_bytes + 1]),
      fields_(new std::string_view[kMaxFields]) {}

bool CsvFields::Split(std::string_view line) {
  count_ = 0;
  char* scratch = scratch_.get();
  size_t i = 0;
  while (true) {
    if (count_ == kMaxFields) {
      error_ = "more than 256 fields";
      return false;
    }
    if (i < line.size() && line[i] == '"') {
      // Quoted: copy into scratch, turning "" into ".
      char* start = scratch;
      for (++i;; ++i) {
        if (i >= line.size()) {
          error_ = "unclosed quote";
          return false;
        }
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            *scratch++ = '"';
            ++i;
          } else {
            ++i;
            break;
          }
        } else {
          *scratch++ = line[i];
        }
      }
      fields_[count_++] = std::string_view(start, static_cast<size_t>(scratch - start));
      if (i < line.size() && line[i] != delimiter_) {
        error_ = "text after a closing quote";
        return false;
      }
    } else {
      size_t end = line.find(delimiter_, i);
      if (end == std::string_view::npos) end = line.size();
      fields_[count_++] = line.substr(i, end - i);
      i = end;
    }
    if (i >= line.size()) return true;
    ++i;  // past the delimiter
  }
}

}  // namespace runnel::file
