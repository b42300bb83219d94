// Internal: the row pass of an import — convert, map, validate, group, batch, ingest.
#pragma once

#include <functional>
#include <future>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "qiao/excel/row_json.h"
#include "qiao/jobs/import_job.h"
#include "qiao/mapping/document.h"
#include "qiao/mapping/mapping.h"
#include "qiao/mapping/path.h"

namespace qiao::jobs::detail {

// Row number -> what is wrong with it (the error workbook's content).
using InvalidRows = std::map<int64_t, std::vector<excel::CellError>>;

class RowImporter {
 public:
  struct Context {
    const ImportSpec* spec = nullptr;
    const std::vector<excel::ExpectedColumn>* expected = nullptr;
    // Per expected column: the date parse of its rule ("" / "auto" / "excel1900" / "excel1904"
    // / a pattern); date cells are handed to the mapping in that shape.
    const std::vector<std::string>* date_parse = nullptr;
    const excel::HeaderMatch* match = nullptr;
    ExcelDateSystem date_system = ExcelDateSystem::k1900;
    const IngestFn* ingest = nullptr;
    const ProgressFn* progress = nullptr;
    const mapping::XrefResolver* xref = nullptr;
    int64_t rows_total = -1;
    // Set (ungrouped imports): called once, before the first batch goes to the store; waits
    // until the file is known to read to its end and returns its data rows (the total for
    // progress), or why it does not read (then nothing is ingested).
    std::function<Result<int64_t>()> before_first_ingest;
    int64_t now_ms = 0;
    ImportReport* report = nullptr;  // receives rows, records, accepted, duplicates
  };
  // Fails when group_append is not a valid JSON pointer.
  static Result<std::unique_ptr<RowImporter>> create(const Context& ctx);

  // One data row. An Error (ingest or cross-reference store failed) ends the import.
  Status add(const excel::Row& row);
  // Ingests the grouped records and the last batch; marks the rows of spoilt groups invalid.
  Status finish();
  // Waits for a batch still being ingested (an error path that does not finish()).
  ~RowImporter();
  const InvalidRows& invalid() const { return invalid_; }

 private:
  struct Group {
    std::string key;
    std::string first_json;          // the first valid row's record
    std::vector<std::string> items;  // later rows' elements of the group_append array
    std::vector<int64_t> rows;
    int64_t invalid_row = 0;         // first invalid row of the group; 0 = none
  };

  explicit RowImporter(const Context& ctx);
  struct DateShape {
    size_t column;                               // file column
    std::optional<ExcelDateSystem> serial;       // excel1900 / excel1904: as a serial number
    std::optional<DateTimePattern> pattern;      // else formatted with the rule's pattern
  };
  std::string cellOf(const excel::Row& row, const std::string& field) const;
  std::string recordKey();
  const excel::Row& shapeCells(const excel::Row& row);
  std::string idempotencyKey(const std::string& key, const std::string& json, const excel::Row* row);
  Status queue(std::string json, const std::string& key, std::string idem);
  Status flush();
  Status collect();   // the batch in flight: its results into the report
  Status passGate();  // ctx_.before_first_ingest, once
  void reportProgress(int64_t rows_done);
  Result<std::string> mergeGroup(Group& g);  // takes the group's texts

  Context ctx_;
  excel::RowConverter converter_;
  std::unordered_map<std::string, size_t> column_of_;  // expected name -> file column
  std::string key_field_;                              // the plan's key as a column name
  std::string sheet_name_;
  std::optional<mapping::Path> key_target_;            // where the key lands in the record
  std::optional<mapping::Path> append_path_;
  std::vector<DateShape> date_shapes_;
  excel::Row shaped_;
  mapping::Document in_, out_, scratch_;
  mapping::FieldErrors field_errors_;
  std::vector<Record> batch_;
  // One batch at a time is ingested in a second thread while this one reads and maps on;
  // batches are committed in order, each before the next is sent.
  std::future<Result<std::vector<store::IngestResult>>> inflight_;
  size_t inflight_records_ = 0;
  int64_t inflight_rows_ = 0;  // rows read when it was sent: the progress it stands for
  bool gate_passed_ = false;
  bool finishing_ = false;     // finish(): grouped records are complete, send them in batches
  std::vector<Group> groups_;
  std::unordered_map<std::string, size_t> group_index_;
  std::unordered_map<std::string, int64_t> identical_rows_;
  InvalidRows invalid_;
  int64_t rows_ = 0;
  int64_t last_progress_ = -1;
};

}  // namespace qiao::jobs::detail
