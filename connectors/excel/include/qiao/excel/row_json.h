// Rows to JSON records keyed by canonical column names, and the error workbook that gives
// people back the rows that could not be imported with the reason beside each.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/excel/header_match.h"
#include "qiao/excel/sheet.h"
#include "qiao/excel/writer.h"

namespace qiao::excel {

struct CellError {
  std::string cell;    // "订单!C7"
  std::string reason;  // "'12,3x' is not a number"
  std::string text() const { return cell + ": " + reason; }
};

struct RowRecord {
  std::string json;               // {"订单编号":"SO-1","金额":"1234.50","订单日期":"2026-11-26"}
  std::vector<CellError> errors;  // empty = the row is valid
  bool ok() const { return errors.empty(); }
};

// Turns data rows into JSON objects. Empty cells are left out of the object (a missing key),
// so the mapping engine's `required`/`default` rules apply to them.
class RowConverter {
 public:
  RowConverter(std::vector<ExpectedColumn> expected, HeaderMatch match,
               ExcelDateSystem date_system = ExcelDateSystem::k1900);
  // Without expected columns: every non-empty header becomes a key, kind auto.
  static RowConverter fromHeader(const std::vector<std::string>& header,
                                 ExcelDateSystem date_system = ExcelDateSystem::k1900);
  RowRecord convert(const Row& row) const;

 private:
  std::vector<ExpectedColumn> expected_;
  HeaderMatch match_;
  ExcelDateSystem date_system_;
};

// "he said \"hi\"" as a JSON string literal, quotes included.
std::string jsonQuote(std::string_view text);

// Writes rejected rows: the header as given plus a last column "错误 Error", then each row's
// cells as given plus "订单!C7: reason; 订单!E7: reason". Atomic like every writer.
class ErrorWorkbook {
 public:
  static Result<std::unique_ptr<ErrorWorkbook>> create(const std::string& path,
                                                       const std::vector<std::string>& header);
  Status add(const Row& row, const std::vector<CellError>& errors);
  Status commit();
  int64_t rows() const;

 private:
  explicit ErrorWorkbook(std::unique_ptr<SheetWriter> w, size_t width) : writer_(std::move(w)), width_(width) {}
  std::unique_ptr<SheetWriter> writer_;
  size_t width_;
};

}  // namespace qiao::excel
