// Writing .xlsx (libxlsxwriter, constant-memory mode) and .csv (UTF-8 with BOM), atomically:
// rows go to a temporary file beside the target, commit() flushes it to disk (fsync) and
// renames it over the target; a writer destroyed without commit() removes its temporary file,
// so readers of the folder never see a partial file.
//
//   std::vector<qiao::excel::ColumnSpec> cols = {{"订单编号"}, {"金额", ColumnKind::kAmount},
//                                                {"订单日期", ColumnKind::kDate}};
//   auto w = qiao::excel::SheetWriter::create("out/orders-20261126.xlsx", cols);
//   (*w)->addRow({Cell::string("SO-1"), Cell::number("1234.50"), Cell::dateTime(d)});
//   (*w)->commit();
//
// Formula injection: a text cell that begins with = + - @, tab or carriage return is written
// with a leading single quote ('=SUM(A1)), in .xlsx and .csv alike (see escapeFormula).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/excel/sheet.h"

namespace qiao::excel {

enum class ColumnKind : uint8_t {
  kAuto,      // by the cell's type; long digit strings stay text (see looksLikeIdentifier)
  kText,      // always text
  kNumber,    // number, general format
  kInteger,   // number, format "0"
  kAmount,    // number, format "#,##0.00"
  kDate,      // date, format "yyyy-mm-dd"
  kDateTime,  // date and time, format "yyyy-mm-dd hh:mm:ss"
  kPercent,   // number, format "0.00%" (0.8125 shows as 81.25%)
};

struct ColumnSpec {
  std::string name;                    // header text
  ColumnKind kind = ColumnKind::kAuto;
  double width = 0;                    // characters; 0 = from the header's length (8..50)
};

struct WriteOptions {
  Format format = Format::kAuto;  // kAuto: by extension (.xlsx / .csv)
  std::string sheet_name = "Sheet1";
  bool freeze_header = true;      // xlsx
  bool auto_filter = true;        // xlsx
  bool escape_formulas = true;
  char csv_delimiter = ',';
};

// "=1+1" -> "'=1+1"; other text unchanged.
bool needsFormulaEscape(std::string_view text);
std::string escapeFormula(std::string_view text);
// Digit strings that must stay text: 12 or more digits, or a leading zero ("0755...", IDs,
// phone numbers, bank accounts) — as numbers Excel would round or strip them.
bool looksLikeIdentifier(std::string_view text);

class SheetWriter {
 public:
  virtual ~SheetWriter() = default;
  static Result<std::unique_ptr<SheetWriter>> create(const std::string& path,
                                                     std::vector<ColumnSpec> columns,
                                                     const WriteOptions& options = {});
  // One data row; cells beyond the columns are an error. A cell that does not fit its column's
  // kind (text in an amount column) is written as text rather than dropped.
  virtual Status addRow(const std::vector<Cell>& cells) = 0;
  // Writes everything, fsyncs and renames over the target. Once only.
  virtual Status commit() = 0;
  virtual int64_t rowsWritten() const = 0;
};

// Several sheets in one .xlsx, written one after another (libxlsxwriter's constant-memory
// mode streams each sheet's rows to a temp file, so only the current sheet takes rows), with
// the same atomic commit as SheetWriter:
//
//   auto wb = qiao::excel::WorkbookWriter::create("out/report-2026-11.xlsx");
//   (*wb)->addSheet("汇总 Summary", summary_cols);
//   (*wb)->addRow({...});
//   (*wb)->addSheet("已核销 Matched", matched_cols);   // the summary sheet is finished now
//   (*wb)->addRow({...});
//   (*wb)->commit();
struct WorkbookOptions {
  bool freeze_header = true;
  bool auto_filter = true;
  bool escape_formulas = true;
};

class WorkbookWriter {
 public:
  virtual ~WorkbookWriter() = default;
  // .xlsx only (any other extension is kInvalidArgument).
  static Result<std::unique_ptr<WorkbookWriter>> create(const std::string& path,
                                                        const WorkbookOptions& options = {});
  // Finishes the current sheet and starts the next one with its header row. Names follow
  // Excel's rules (1..31 characters, none of []:*?/\, unique ignoring case): else
  // kInvalidArgument naming the sheet.
  virtual Status addSheet(const std::string& name, std::vector<ColumnSpec> columns) = 0;
  // One data row of the current sheet (kInvalidArgument before the first addSheet).
  virtual Status addRow(const std::vector<Cell>& cells) = 0;
  // Writes everything, fsyncs and renames over the target. Once only; at least one sheet.
  virtual Status commit() = 0;
  virtual int64_t rowsWritten() const = 0;  // data rows of the current sheet
  virtual int sheetCount() const = 0;
};

// Writes `path` atomically with the given bytes (temp file in the same folder, fsync, rename,
// fsync of the folder).
Status writeFileAtomically(const std::string& path, std::string_view bytes);

// The temporary name a writer uses for `path` (same folder, hidden, unique per process).
std::string temporaryPathFor(const std::string& path);
// fsyncs `tmp`, renames it to `path` and fsyncs the folder.
Status publishFile(const std::string& tmp, const std::string& path);

}  // namespace qiao::excel
