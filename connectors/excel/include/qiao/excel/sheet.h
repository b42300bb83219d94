// Reading spreadsheets as a stream of rows: .xlsx (zip + streaming XML), .xls (BIFF8 via
// FreeXL) and .csv (UTF-8, UTF-8 with BOM, GBK/GB18030). Memory stays constant in the number
// of rows for .xlsx and .csv; .xls is loaded whole by FreeXL (old files are small).
//
//   auto table = qiao::excel::openTable("in/orders.xlsx", {.sheet = "订单"});
//   if (!table.ok()) return table.takeError();         // "orders.xlsx: no sheet named 订单 ..."
//   const auto& header = (*table)->header();            // texts of the header row
//   qiao::excel::Row row;
//   while (true) {
//     auto more = (*table)->next(row);                  // data rows after the header
//     if (!more.ok()) return more.takeError();          // "orders.xlsx: 订单!row 7: ..."
//     if (!*more) break;
//     ... row.cells[i], row.number, cellRef(row.sheet, row.number, i) ...
//   }
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/datetime.h"
#include "qiao/core/result.h"

namespace qiao::excel {

enum class CellType : uint8_t { kEmpty, kString, kNumber, kBool, kError, kDateTime };
std::string_view toString(CellType t);

// One cell. `text` always holds the value as text:
//   kString   the string (rich-text runs joined)
//   kNumber   the number exactly as stored ("1234.5", "1E-3"); .xlsx doubles with more than
//             15 significant digits are rounded to 15, as Excel shows them (0.1+0.2 -> "0.3")
//   kBool     "TRUE" / "FALSE"
//   kError    "#N/A", "#DIV/0!", ...
//   kDateTime "2026-11-26" when the time is midnight, else "2026-11-26T08:30:00";
//             `datetime` holds the same wall clock
//   kEmpty    ""
struct Cell {
  CellType type = CellType::kEmpty;
  std::string text;
  LocalDateTime datetime;

  static Cell string(std::string s) { return Cell{CellType::kString, std::move(s), {}}; }
  static Cell number(std::string s) { return Cell{CellType::kNumber, std::move(s), {}}; }
  static Cell boolean(bool b) { return Cell{CellType::kBool, b ? "TRUE" : "FALSE", {}}; }
  static Cell error(std::string s) { return Cell{CellType::kError, std::move(s), {}}; }
  static Cell dateTime(const LocalDateTime& t);
  bool empty() const { return type == CellType::kEmpty; }
};

// One row of one sheet; cells[i] is column i (A = 0). Trailing empty cells may be absent.
struct Row {
  std::string sheet;    // sheet name ("Sheet1"; the file name's stem for .csv)
  int64_t number = 0;   // 1-based row number as the spreadsheet shows it (CSV: record number)
  std::vector<Cell> cells;
  bool blank() const;   // no cell has a value
};

// "A", "Z", "AA", ... for 0, 25, 26, ...
std::string columnLetter(size_t column);
// "Sheet1!B7"; the sheet name is quoted when it needs it ('My Sheet'!B7).
std::string cellRef(std::string_view sheet, int64_t row, size_t column);

enum class Format : uint8_t { kAuto, kXlsx, kXls, kCsv };
enum class Encoding : uint8_t { kAuto, kUtf8, kGb18030 };

struct Limits {
  uint64_t max_entry_bytes = 1ull << 30;    // uncompressed size of one zip entry (.xlsx)
  uint64_t max_total_bytes = 2ull << 30;    // uncompressed bytes read from one .xlsx
  uint32_t max_ratio = 200;                 // uncompressed / compressed, checked past 1 MiB
  uint64_t max_shared_strings_bytes = 256ull << 20;
  uint32_t max_columns = 16384;             // Excel's own limit (XFD)
  uint32_t max_csv_record_bytes = 1u << 20; // one CSV record (all its lines)
  uint64_t max_xls_bytes = 64ull << 20;     // FreeXL reads the whole .xls into memory
};

struct ReadOptions {
  Format format = Format::kAuto;  // kAuto: by extension, checked against the file's magic bytes
  std::string sheet;              // sheet name; "" = use sheet_index
  int sheet_index = 0;            // 0-based, in workbook order
  int header_row = 0;             // 1-based row of the header; 0 = first non-blank row
  Encoding encoding = Encoding::kAuto;  // CSV only
  char delimiter = 0;             // CSV only; 0 = detect from the header line (, ; or tab)
  bool allow_short_rows = true;   // CSV: a record with fewer fields than the header is padded
  Limits limits;
};

// A sheet read row by row. Rows that are absent from the file are not reported (sparse).
class SheetReader {
 public:
  virtual ~SheetReader() = default;
  // Fills `row` with the next row; false at the end. Errors name file, sheet and row.
  virtual Result<bool> next(Row& row) = 0;
  virtual const std::string& sheetName() const = 0;
  // The workbook's date system (for numbers a caller reads as Excel serial dates).
  virtual ExcelDateSystem dateSystem() const { return ExcelDateSystem::k1900; }
  // The last row number the file declares (.xlsx <dimension>, .xls), for progress reports;
  // -1 when unknown (CSV, or a workbook without a dimension). A hint, not a promise.
  virtual int64_t declaredLastRow() const { return -1; }
};

// The sheets of a workbook, in order (a .csv has one, named after the file's stem).
Result<std::vector<std::string>> listSheets(const std::string& path, const ReadOptions& options = {});
// Opens one sheet (options.sheet / sheet_index) as a row stream.
Result<std::unique_ptr<SheetReader>> openSheet(const std::string& path, const ReadOptions& options = {});

// A sheet with a header row: header() after open, then next() yields the data rows below it,
// skipping blank rows. A data row with a value right of the last header column is an error
// naming the cell (ragged row), as is a CSV record with more fields than the header (or fewer,
// unless allow_short_rows).
class TableReader {
 public:
  static Result<std::unique_ptr<TableReader>> open(const std::string& path, const ReadOptions& options = {});
  const std::vector<std::string>& header() const { return header_; }
  int64_t headerRowNumber() const { return header_row_; }
  const std::string& sheetName() const { return sheet_->sheetName(); }
  const std::string& fileName() const { return file_name_; }
  ExcelDateSystem dateSystem() const { return sheet_->dateSystem(); }
  // Data rows the file declares below the header (-1 unknown): "rows done / total" progress.
  int64_t declaredDataRows() const {
    int64_t last = sheet_->declaredLastRow();
    return last < header_row_ ? -1 : last - header_row_;
  }
  Result<bool> next(Row& row);

 private:
  TableReader() = default;
  std::unique_ptr<SheetReader> sheet_;
  std::vector<std::string> header_;
  int64_t header_row_ = 0;
  std::string file_name_;
  bool csv_ = false;
  bool allow_short_rows_ = true;
};

inline Result<std::unique_ptr<TableReader>> openTable(const std::string& path, const ReadOptions& options = {}) {
  return TableReader::open(path, options);
}

}  // namespace qiao::excel
