// Export jobs: canonical JSON rows (orders, customers, ...) to an .xlsx or .csv file in an
// outbox folder, written atomically, named by a pattern with the date (docs/jobs.md).
//
//   ExportSpec spec{.name = "orders", .folder = "/data/outbox", .file_pattern = "订单-{date}.xlsx",
//                   .mapping = excel_orders_plan, .ungroup = "/lines"};
//   auto report = qiao::jobs::exportRows(spec, rows, nowMs());
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/jobs/import_job.h"  // ProgressFn

namespace qiao::jobs {

struct ExportColumn {
  std::string header;
  std::string pointer;        // JSON pointer into the (reverse-mapped, ungrouped) row: "/订单编号"
  std::string kind = "text";  // text | number | decimal | date | datetime
  std::string number_format;  // "" = the kind's default ("#,##0.00" for decimal)
  double width = 0;           // characters; 0 = from the header
};

struct ExportSpec {
  std::string name;
  std::string folder;
  // "订单-{date}.xlsx": {date} = YYYYMMDD, {time} = HHMMSS (in `timezone`), {job} = name.
  // The extension chooses the format: .xlsx or .csv (UTF-8 with BOM).
  std::string file_pattern;
  std::string timezone = "Asia/Shanghai";
  // Empty: the mapping's source fields in rule order (needs `mapping`), typed from it.
  std::vector<ExportColumn> columns;
  // Optional: applied in REVERSE to each row (canonical -> sheet shape).
  std::shared_ptr<const mapping::MappingPlan> mapping;
  // JSON pointer of an array in the canonical row ("/lines"): one sheet row per element, the
  // other fields repeated (the inverse of ImportSpec::group_append). A row whose array is
  // absent or empty gives one sheet row without line fields.
  std::string ungroup;
  std::string sheet_name = "Sheet1";
};

// Streams canonical JSON rows: calls emit once per row; stops at emit's first error.
using RowSource = std::function<Status(const std::function<Status(std::string_view row_json)>& emit)>;

struct ExportReport {
  std::string path;  // the file written
  int64_t rows = 0;  // sheet rows (after ungroup)
  std::string toJson() const;
};

// Writes the file, or nothing: a row that is not JSON or that the mapping cannot reverse
// fails the whole export with an error naming the row number (1-based, as emitted) and field;
// the temporary file is removed. An existing file of the same name is kept: the new file gets
// "-1", "-2", ... before the extension. Progress: (rows done, -1) every 1000 rows.
Result<ExportReport> exportRows(const ExportSpec& spec, const RowSource& rows, int64_t now_ms,
                                const ProgressFn& progress = {});

// The file name the pattern gives at now_ms (before collision suffixes); kInvalidArgument for
// a pattern that yields no plain file name or has an extension other than .xlsx / .csv.
Result<std::string> exportFileName(const ExportSpec& spec, int64_t now_ms);

// The default columns for a mapping (what exportRows uses when spec.columns is empty).
std::vector<ExportColumn> defaultColumns(const mapping::MappingPlan& plan);

}  // namespace qiao::jobs
