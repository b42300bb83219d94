// Export jobs: canonical rows -> (ungroup) -> reverse mapping -> typed cells -> an .xlsx or
// .csv written atomically (docs/jobs.md).
#include "qiao/jobs/export_job.h"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "job_files.h"
#include "qiao/core/datetime.h"
#include "qiao/core/decimal.h"
#include "qiao/excel/excel.h"
#include "qiao/mapping/introspect.h"
#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"
#include "qiao/mapping/path.h"

namespace qiao::jobs {

std::string ExportReport::toJson() const {
  nlohmann::ordered_json j;
  j["path"] = path;
  j["rows"] = rows;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

Error exportError(const ExportSpec& spec, const std::string& why) {
  return Error::permanent(ErrorCode::kInvalidArgument, "export job '" + spec.name + "': " + why);
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

void replaceAll(std::string& s, std::string_view from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
}

// "/a~1b" for the field "a/b" (RFC 6901).
std::string pointerTo(const std::string& field) {
  std::string out = "/";
  for (char c : field) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

Result<excel::ColumnKind> columnKind(const ExportSpec& spec, const ExportColumn& c) {
  // The excel writer has fixed formats per kind; number_format picks among them.
  const std::string& f = c.number_format;
  if (c.kind == "text") return excel::ColumnKind::kText;
  if (c.kind == "date") return excel::ColumnKind::kDate;
  if (c.kind == "datetime") return excel::ColumnKind::kDateTime;
  if (c.kind == "number" || c.kind == "decimal") {
    if (f == "0") return excel::ColumnKind::kInteger;
    if (f == "#,##0.00") return excel::ColumnKind::kAmount;
    if (f == "General" || f == "general") return excel::ColumnKind::kNumber;
    if (f.empty()) return c.kind == "decimal" ? excel::ColumnKind::kAmount : excel::ColumnKind::kNumber;
    return exportError(spec, "column '" + c.header + "': number_format '" + f +
                                 "' is not one of \"0\", \"#,##0.00\", \"General\"");
  }
  return exportError(spec, "column '" + c.header + "': kind '" + c.kind +
                               "' is not text, number, decimal, date or datetime");
}

std::string textOf(mapping::Value v) {
  if (v.isString()) return std::string(v.asString());
  if (v.isNumber()) return std::string(v.numberText());
  if (v.isBool()) return v.asBool() ? "TRUE" : "FALSE";
  return mapping::toJson(v);  // an object or array: its JSON, rather than nothing
}

// The cell for a value in a column of `kind`; a value that does not fit stays text.
excel::Cell cellOf(mapping::Value v, const std::string& kind) {
  if (!v.valid() || v.isNull()) return {};
  std::string text = textOf(v);
  if (kind == "number" || kind == "decimal") {
    if (v.isNumber() || (v.isString() && Decimal::parse(text).ok())) {
      return excel::Cell::number(v.isNumber() ? text : Decimal::parse(text)->toString());
    }
  } else if (kind == "date" || kind == "datetime") {
    if (v.isString()) {
      auto p = parseDateTimeAuto(text);
      if (p.ok()) return excel::Cell::dateTime(p->local);
    } else if (v.isNumber()) {  // an Excel serial (the reverse of a `parse: excel1900` rule)
      auto t = fromExcelSerial(std::strtod(text.c_str(), nullptr));
      if (t.ok()) return excel::Cell::dateTime(*t);
    }
  } else if (v.isBool()) {
    return excel::Cell::boolean(v.asBool());
  }
  return excel::Cell::string(std::move(text));
}

// A one-way rule (trim, upper, auto dates, many-to-one maps): its canonical value is
// exported as is under the rule's source column, so that reversing a cleaning mapping still
// fills every column (and the import reads that value back to the same record).
struct OneWay {
  mapping::Path target;
  std::string column;
};

std::vector<OneWay> oneWayRules(const mapping::MappingPlan& plan) {
  std::vector<OneWay> out;
  const auto& targets = plan.nonInvertible();
  for (const auto& f : mapping::sourceFields(plan)) {
    if (std::find(targets.begin(), targets.end(), f.target) == targets.end()) continue;
    if (auto p = mapping::Path::compile(f.target); p.ok()) out.push_back({std::move(p).value(), f.path});
  }
  return out;
}

struct CompiledColumn {
  mapping::Path path;
  std::string kind;
};

}  // namespace

std::vector<ExportColumn> defaultColumns(const mapping::MappingPlan& plan) {
  std::vector<ExportColumn> out;
  for (const auto& f : mapping::sourceFields(plan)) {
    ExportColumn c;
    c.header = f.path;
    c.pointer = pointerTo(f.path);
    c.kind = f.kind == "bool" ? "text" : f.kind;
    out.push_back(std::move(c));
  }
  return out;
}

Result<std::string> exportFileName(const ExportSpec& spec, int64_t now_ms) {
  QIAO_ASSIGN_OR_RETURN(auto zone, TimeZone::load(spec.timezone));
  const std::string stamp = detail::stamp(now_ms, *zone);  // YYYYMMDD-HHMMSS
  std::string name = spec.file_pattern;
  replaceAll(name, "{date}", stamp.substr(0, 8));
  replaceAll(name, "{time}", stamp.substr(9));
  replaceAll(name, "{job}", spec.name);
  Status ok = excel::validateFileName(name);
  if (!ok.ok()) return exportError(spec, "file_pattern '" + spec.file_pattern + "': " + ok.error().message);
  std::string ext = lower(detail::splitExtension(name).second);
  if (ext != ".xlsx" && ext != ".csv") {
    return exportError(spec, "file_pattern '" + spec.file_pattern + "' must end in .xlsx or .csv");
  }
  return name;
}

Result<ExportReport> exportRows(const ExportSpec& spec, const RowSource& rows, int64_t now_ms,
                                const ProgressFn& progress) {
  if (spec.folder.empty()) return exportError(spec, "no folder");
  QIAO_ASSIGN_OR_RETURN(std::string name, exportFileName(spec, now_ms));
  std::vector<ExportColumn> columns = spec.columns;
  if (columns.empty() && spec.mapping) columns = defaultColumns(*spec.mapping);
  if (columns.empty()) return exportError(spec, "no columns (give columns, or a mapping to take them from)");

  std::vector<excel::ColumnSpec> specs;
  std::vector<CompiledColumn> compiled;
  for (const auto& c : columns) {
    QIAO_ASSIGN_OR_RETURN(excel::ColumnKind kind, columnKind(spec, c));
    auto p = mapping::Path::compile(c.pointer);
    if (c.pointer.empty() || c.pointer[0] != '/' || !p.ok()) {
      return exportError(spec, "column '" + c.header + "': pointer '" + c.pointer +
                                   "' is not a JSON pointer like \"/orderId\"");
    }
    specs.push_back({c.header, kind, c.width});
    compiled.push_back({std::move(p).value(), c.kind});
  }
  std::optional<mapping::Path> ungroup;
  if (!spec.ungroup.empty()) {
    auto p = mapping::Path::compile(spec.ungroup);
    if (spec.ungroup[0] != '/' || !p.ok()) {
      return exportError(spec, "ungroup '" + spec.ungroup + "' is not a JSON pointer like \"/lines\"");
    }
    ungroup = std::move(p).value();
  }

  QIAO_RETURN_IF_ERROR(detail::ensureDirectory(spec.folder));
  ExportReport report;
  report.path = detail::uniquePath(spec.folder, name);
  excel::WriteOptions wo;
  wo.sheet_name = spec.sheet_name;
  QIAO_ASSIGN_OR_RETURN(auto writer, excel::SheetWriter::create(report.path, std::move(specs), wo));

  const std::vector<OneWay> one_way = spec.mapping ? oneWayRules(*spec.mapping) : std::vector<OneWay>{};
  mapping::Document row_doc, element_doc, out_doc;
  mapping::FieldErrors field_errors;
  std::vector<excel::Cell> cells(compiled.size());
  int64_t row_number = 0;

  // One sheet row from a canonical object (an element of the ungrouped array, or the row).
  auto writeOne = [&](mapping::Value canonical, const std::string& where) -> Status {
    mapping::Value shaped = canonical;
    if (spec.mapping) {
      Status s = mapping::apply(*spec.mapping, canonical, out_doc, mapping::Direction::kReverse,
                                &field_errors);
      if (!s.ok()) {
        std::string why;
        for (const auto& fe : field_errors) {
          why += (why.empty() ? "" : "; ") + fe.target + (fe.source.empty() ? "" : " <- " + fe.source) +
                 ": " + fe.message;
        }
        return exportError(spec, where + ": " + (why.empty() ? s.error().message : why));
      }
      shaped = out_doc.root();
      if (!shaped.isObject()) shaped.setObject();
      for (const OneWay& w : one_way) {
        mapping::Value v = mapping::get(canonical, w.target);
        if (v.valid() && !v.isNull() && !shaped.find(w.column).valid()) shaped.set(w.column).copyFrom(v);
      }
    }
    for (size_t i = 0; i < compiled.size(); ++i) cells[i] = cellOf(mapping::get(shaped, compiled[i].path), compiled[i].kind);
    QIAO_RETURN_IF_ERROR(writer->addRow(cells));
    ++report.rows;
    if (progress && report.rows % 1000 == 0) progress(report.rows, -1);
    return {};
  };

  Status streamed = rows([&](std::string_view json) -> Status {
    ++row_number;
    const std::string where = "row " + std::to_string(row_number);
    Status parsed = mapping::parseJson(json, row_doc);
    if (!parsed.ok()) return exportError(spec, where + ": not JSON: " + parsed.error().message);
    if (!row_doc.root().isObject()) return exportError(spec, where + ": not a JSON object");
    if (!ungroup) return writeOne(row_doc.root(), where);
    mapping::Value items = mapping::get(row_doc.root(), *ungroup);
    if (!items.isArray() || items.size() == 0) return writeOne(row_doc.root(), where);
    for (size_t i = 0; i < items.size(); ++i) {
      // The row with its array cut down to this one element: the shape group_append merges.
      element_doc.clear();
      element_doc.root().copyFrom(row_doc.root());
      QIAO_ASSIGN_OR_RETURN(mapping::Value array, mapping::setPath(element_doc, *ungroup));
      array.setArray(1);
      array.append().copyFrom(items.at(i));
      QIAO_RETURN_IF_ERROR(writeOne(element_doc.root(), where + spec.ungroup + "/" + std::to_string(i)));
    }
    return {};
  });
  if (!streamed.ok()) return streamed.error();  // the writer's temporary file goes with it
  QIAO_RETURN_IF_ERROR(writer->commit());
  if (progress) progress(report.rows, report.rows);
  return report;
}

}  // namespace qiao::jobs
