// Helpers shared by the readers and writers of the excel connector (not installed).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "qiao/core/result.h"
#include "qiao/excel/sheet.h"
#include "qiao/excel/writer.h"

namespace qiao::excel::detail {

inline Error readError(std::string msg) {
  return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg));
}
// "orders.xlsx" from "/in/orders.xlsx": errors name the file, never the whole path.
std::string baseName(std::string_view path);
std::string stemOf(std::string_view path);
std::string lowerExtension(std::string_view path);
// Number text as Excel shows it: more than 15 significant digits rounded to 15.
// false if the text is not a number.
bool normalizeNumberText(std::string_view in, std::string* out);
std::string formatDouble(double v);
bool isDateFormatCode(std::string_view code);
bool isBuiltinDateFormat(int id);
// Format chosen from extension and magic bytes; errors for renamed or encrypted files.
Result<Format> detectFormat(const std::string& path, Format requested);

Result<std::unique_ptr<SheetReader>> openXlsxSheet(const std::string& path, const ReadOptions& o);
Result<std::vector<std::string>> listXlsxSheets(const std::string& path, const ReadOptions& o);
Result<std::unique_ptr<SheetReader>> openXlsSheet(const std::string& path, const ReadOptions& o);
Result<std::vector<std::string>> listXlsSheets(const std::string& path, const ReadOptions& o);
Result<std::unique_ptr<SheetReader>> openCsvSheet(const std::string& path, const ReadOptions& o);

Result<std::unique_ptr<SheetWriter>> makeXlsxWriter(const std::string& path, std::vector<ColumnSpec> columns,
                                                    const WriteOptions& o);
Result<std::unique_ptr<SheetWriter>> makeCsvWriter(const std::string& path, std::vector<ColumnSpec> columns,
                                                   const WriteOptions& o);
}  // namespace qiao::excel::detail
