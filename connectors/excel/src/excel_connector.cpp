// Descriptor of the `excel` connector: its settings table and factories.
#include <memory>

#include "excel_config.h"
#include "excel_sink.h"
#include "excel_source.h"
#include "qiao/sdk/connector.h"

namespace {

using qiao::sdk::FieldSpec;
using qiao::sdk::FieldType;

std::vector<FieldSpec> excelFields() {
  std::vector<FieldSpec> f;
  f.push_back({"folder", FieldType::kString, true, "", {},
               "Source: the drop folder polled for files. Sink: the outbox the export files are written to.",
               "/srv/qiao/excel/orders-in", {}});
  f.push_back({"pattern", FieldType::kString, false, "*.xlsx", {},
               "Source: file names to read (shell glob; .xlsx, .xls and .csv are told apart by content).",
               "*.csv", {}});
  f.push_back({"archive_folder", FieldType::kString, false, "", {},
               "Source: where a file moves once all its rows are committed (default <folder>/archive).",
               "/srv/qiao/excel/done", {}});
  f.push_back({"rejected_folder", FieldType::kString, false, "", {},
               "Source: where an unreadable file moves, with <name>.error.txt (default <folder>/rejected).",
               "/srv/qiao/excel/bad", {}});
  f.push_back({"min_file_age", FieldType::kDuration, false, "2s", {},
               "Source: files changed more recently than this are left for a later poll (still being copied).",
               "10s", {}});
  f.push_back({"sheet", FieldType::kString, false, "", {},
               "Source: sheet name to read (default: the first sheet).", "订单", {}});
  f.push_back({"header_row", FieldType::kInt, false, "0", {},
               "Source: 1-based row of the header; 0 = the first non-empty row.", "3", {}});
  f.push_back({"encoding", FieldType::kEnum, false, "auto", {"auto", "utf-8", "gb18030"},
               "Source, CSV: text encoding; auto = BOM or valid UTF-8, else GB18030 (GBK).", "gb18030", {}});
  f.push_back({"delimiter", FieldType::kEnum, false, "auto", {"auto", "comma", "semicolon", "tab"},
               "CSV field separator; auto = detected from the header line (sink: comma).", "semicolon", {}});
  f.push_back({"entity", FieldType::kString, false, "row", {},
               "Source: the entity of the records (the route's mapping decides what they become).", "order", {}});
  f.push_back({"key_column", FieldType::kString, false, "", {},
               "Source: header of the column whose value is the record's business key.", "订单编号", {}});
  f.push_back({"file_pattern", FieldType::kString, false, "export-{date}.csv", {},
               "Sink: export file name; {date} = YYYYMMDD (UTC), {entity} = the record's entity. Must end in .csv.",
               "orders-{date}.csv", {}});
  f.push_back({"columns", FieldType::kStringList, false, "", {},
               "Sink: the record fields to write, in order (also the header). Default: the first record's fields.",
               "[orderId, customerName, amount]", {}});
  return f;
}

}  // namespace

void qiao_register_excel(qiao::sdk::Registry& registry) {
  namespace ex = qiao::connectors::excel;
  qiao::sdk::Descriptor d;
  d.name = "excel";
  d.summary = "Reads .xlsx/.xls/.csv files from a drop folder row by row (source) and appends "
              "records to dated CSV export files (sink).";
  d.maturity = qiao::sdk::Maturity::kAlpha;
  d.config = excelFields();
  d.make_sink = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context&)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Sink>> {
    auto cfg = ex::parseExcelConfig(ic.json, true);
    if (!cfg.ok()) return cfg.takeError();
    std::unique_ptr<qiao::sdk::Sink> sink = std::make_unique<ex::ExcelSink>(std::move(cfg).value());
    return sink;
  };
  d.make_source = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context&)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Source>> {
    auto cfg = ex::parseExcelConfig(ic.json, false);
    if (!cfg.ok()) return cfg.takeError();
    std::unique_ptr<qiao::sdk::Source> src = std::make_unique<ex::ExcelSource>(std::move(cfg).value());
    return src;
  };
  (void)registry.add(std::move(d));
}
