// Import jobs: spreadsheets dropped into a folder become records (docs/jobs.md).
//
//   ImportSpec spec{.name = "orders", .folder = "/data/excel/orders", .mapping = plan,
//                   .entity = "order", .group_append = "/lines"};
//   auto ingest = [&](std::vector<Record> records) { ... store.ingest(...) ... };
//   auto reports = qiao::jobs::importFolder(spec, store, ingest);
//
// One file, step by step: hash it (an import-file:<job>:<sha256> watermark means it was
// imported already: archive it, ingest nothing); open the sheet and match its header against
// the mapping's source fields (missing required columns refuse the whole file before any row
// is read: it moves to <folder>/rejected/ with a .error.txt); convert and map every row
// (invalid rows are collected for the error workbook); group rows by business key when
// group_append is set; ingest the records in batches with idempotency keys (ungrouped: batch by
// batch while reading, once a second reader in another thread has made sure the file reads to
// its end; grouped: after the last row; each batch is committed in a second thread while the
// next is read and mapped, in order); then write the error workbook and the manifest into the
// archive, set the watermark and move the file there.
// A failure before the move leaves the file in place: the next run imports it again and the
// idempotency keys keep anything from being applied twice.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "qiao/core/record.h"
#include "qiao/core/result.h"
#include "qiao/excel/sheet.h"
#include "qiao/store/store.h"

namespace qiao::mapping {
class MappingPlan;
class XrefResolver;
}  // namespace qiao::mapping

namespace qiao::jobs {

struct ImportSpec {
  std::string name;    // job name: part of idempotency keys and watermarks; keep it stable
  std::string folder;  // drop folder
  std::vector<std::string> patterns{"*.xlsx", "*.xls", "*.csv"};  // fnmatch, case-insensitive
  std::string archive_folder;  // "" = <folder>/archive
  std::string sheet;           // sheet name; "" = the first sheet
  int header_row = 0;          // 1-based; 0 = the first non-blank row
  std::string encoding = "auto";   // CSV: auto | utf-8 | gb18030 (gbk)
  std::string delimiter = "auto";  // CSV: auto | , | ; | tab
  std::shared_ptr<const mapping::MappingPlan> mapping;  // forward: sheet row -> record
  std::string entity;  // Record::entity
  // JSON pointer of an array ("/lines"): rows with the same business key become one record,
  // the later rows' elements appended to the first row's array; one invalid row keeps its
  // whole record out (its other rows join it in the error workbook). "" = one record per row.
  std::string group_append;
  size_t batch_records = 5000;      // records per IngestFn call (one store transaction each)
  int64_t min_file_age_ms = 2000;   // importFolder skips files modified more recently
  std::string timezone = "Asia/Shanghai";  // for the archive names' time stamps
  excel::Limits limits;             // zip bomb / huge line limits of the reader
};

// Commits records durably (the lead's route ingest); one result per record, in order. Called
// from a second thread, one call at a time, never after importFile returned.
using IngestFn = std::function<Result<std::vector<store::IngestResult>>(std::vector<Record>)>;
// Called after each ingested batch (grouped: also while reading); rows_done never decreases;
// rows_total is -1 when unknown (a grouped CSV import).
using ProgressFn = std::function<void(int64_t rows_done, int64_t rows_total)>;

struct ImportReport {
  std::string file;            // the file's name as dropped
  std::string sha256;
  std::string archived_to;     // path of the archived original ("" when not archived)
  std::string rejected_to;     // path in rejected/ when the file was refused
  std::string error_workbook;  // path of <stamp>-<stem>.errors.xlsx ("" when no invalid rows)
  std::string manifest;        // path of the manifest (the earlier one when already_imported)
  int64_t rows = 0;            // data rows read
  int64_t records = 0;         // records built from valid rows (after grouping)
  int64_t accepted = 0;        // records the store took as new
  int64_t duplicates = 0;      // records the store already had (same idempotency key)
  int64_t invalid_rows = 0;    // rows in the error workbook
  bool already_imported = false;
  std::vector<std::string> errors;  // file-level: the file was refused (see rejected_to)
  bool refused() const { return !errors.empty(); }
  std::string toJson() const;
};

// Imports one file. File-level problems (missing columns, corrupt or unreadable workbook,
// wrong format) are not Errors: the report carries them in `errors` and the file is in
// rejected/. An Error means nothing was finished and the file stays where it is: a failing
// IngestFn or store, an archive that cannot be written, or a path that is not a plain file
// name (contains "..", a hidden or control-character name: kInvalidArgument, file untouched).
Result<ImportReport> importFile(const ImportSpec& spec, const std::string& path, store::Store& store,
                                const IngestFn& ingest, const ProgressFn& progress = {},
                                const mapping::XrefResolver* xref = nullptr);

// The files importFolder would import now: matching `patterns`, not hidden, older than
// min_file_age_ms, in name order (subfolders such as archive/ and rejected/ are not entered).
Result<std::vector<std::string>> dueFiles(const ImportSpec& spec, int64_t now_ms);

// Imports every due file in name order. Stops at the first Error (the files after it wait for
// the next run); refused files do not stop it.
Result<std::vector<ImportReport>> importFolder(const ImportSpec& spec, store::Store& store,
                                               const IngestFn& ingest,
                                               const ProgressFn& progress = {},
                                               const mapping::XrefResolver* xref = nullptr);

// The watermark that marks a file as imported: "import-file:<job>:<sha256>".
std::string importedWatermark(const std::string& job, const std::string& sha256);

}  // namespace qiao::jobs
