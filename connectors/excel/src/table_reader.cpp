// Format dispatch and the header-row layer over a sheet.
#include "internal.h"

namespace qiao::excel {

using detail::baseName;
using detail::readError;

Result<std::vector<std::string>> listSheets(const std::string& path, const ReadOptions& options) {
  QIAO_ASSIGN_OR_RETURN(Format f, detail::detectFormat(path, options.format));
  switch (f) {
    case Format::kXlsx: return detail::listXlsxSheets(path, options);
    case Format::kXls: return detail::listXlsSheets(path, options);
    default: return std::vector<std::string>{detail::stemOf(path)};
  }
}

Result<std::unique_ptr<SheetReader>> openSheet(const std::string& path, const ReadOptions& options) {
  QIAO_ASSIGN_OR_RETURN(Format f, detail::detectFormat(path, options.format));
  switch (f) {
    case Format::kXlsx: return detail::openXlsxSheet(path, options);
    case Format::kXls: return detail::openXlsSheet(path, options);
    default: return detail::openCsvSheet(path, options);
  }
}

namespace {
std::string trimmed(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return s.substr(b, e - b);
}
}  // namespace

Result<std::unique_ptr<TableReader>> TableReader::open(const std::string& path, const ReadOptions& options) {
  QIAO_ASSIGN_OR_RETURN(Format f, detail::detectFormat(path, options.format));
  std::unique_ptr<TableReader> t(new TableReader());
  t->file_name_ = baseName(path);
  t->csv_ = f == Format::kCsv;
  t->allow_short_rows_ = options.allow_short_rows;
  ReadOptions o = options;
  o.format = f;
  QIAO_ASSIGN_OR_RETURN(t->sheet_, openSheet(path, o));
  Row row;
  for (;;) {
    auto more = t->sheet_->next(row);
    if (!more.ok()) return more.takeError();
    if (!*more || (options.header_row > 0 && row.number > options.header_row)) {
      if (options.header_row > 0) {
        return readError(t->file_name_ + ": sheet '" + t->sheet_->sheetName() + "': header row " +
                         std::to_string(options.header_row) + " is empty");
      }
      return readError(t->file_name_ + ": sheet '" + t->sheet_->sheetName() + "' is empty (no header row)");
    }
    if (options.header_row > 0 ? row.number == options.header_row : !row.blank()) break;
  }
  if (row.blank()) {
    return readError(t->file_name_ + ": sheet '" + t->sheet_->sheetName() + "': header row " +
                     std::to_string(row.number) + " is empty");
  }
  t->header_row_ = row.number;
  for (const auto& c : row.cells) t->header_.push_back(trimmed(c.text));
  while (!t->header_.empty() && t->header_.back().empty()) t->header_.pop_back();
  return t;
}

Result<bool> TableReader::next(Row& row) {
  for (;;) {
    auto more = sheet_->next(row);
    if (!more.ok() || !*more) return more;
    if (row.blank()) continue;
    const size_t width = header_.size();
    for (size_t i = width; i < row.cells.size(); ++i) {
      if (!row.cells[i].empty() && !(row.cells[i].type == CellType::kString && row.cells[i].text.empty())) {
        return readError(file_name_ + ": " + cellRef(row.sheet, row.number, i) + ": value '" +
                         row.cells[i].text.substr(0, 40) + "' right of the last header column (" +
                         columnLetter(width - 1) + "); the row has more fields than the header");
      }
    }
    if (csv_ && !allow_short_rows_ && row.cells.size() < width) {
      return readError(file_name_ + ": row " + std::to_string(row.number) + ": " +
                       std::to_string(row.cells.size()) + " fields, the header has " + std::to_string(width));
    }
    if (row.cells.size() > width) row.cells.resize(width);
    return true;
  }
}

}  // namespace qiao::excel
