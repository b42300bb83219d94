// Settings of the `excel` connector (schema in excel_connector.cpp, docs/connectors/excel.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/excel/sheet.h"

namespace qiao::connectors::excel {

struct ExcelConfig {
  std::string folder;          // source: the drop folder; sink: the outbox
  // source
  std::string pattern = "*.xlsx";  // file names to pick up (shell glob, e.g. "*.csv")
  std::string archive_folder;      // default <folder>/archive; read files move here
  std::string rejected_folder;     // default <folder>/rejected; unreadable files move here
  std::string entity = "row";
  std::string key_column;          // header whose value becomes the record's business key
  int64_t min_file_age_ms = 2000;  // files changed more recently may still be being copied
  qiao::excel::ReadOptions read;
  // sink
  std::string file_pattern = "export-{date}.csv";  // {date} = YYYYMMDD (UTC), {entity}
  std::vector<std::string> columns;                // fields (and header) of the export
  char csv_delimiter = ',';
};

// kConfigInvalid naming the setting.
Result<ExcelConfig> parseExcelConfig(const std::string& json, bool for_sink);

// Expands {date} and {entity}; rejects names that would leave the folder.
Result<std::string> exportFileName(const std::string& pattern, int64_t utc_ms, const std::string& entity);

}  // namespace qiao::connectors::excel
