#include "import_rows.h"

#include <cstdio>
#include <cstdlib>

#include "qiao/excel/file_identity.h"
#include "qiao/excel/writer.h"
#include "qiao/mapping/introspect.h"
#include "qiao/mapping/json.h"

namespace qiao::jobs::detail {

RowImporter::RowImporter(const Context& ctx)
    : ctx_(ctx), converter_(*ctx.expected, *ctx.match, ctx.date_system) {
  for (size_t e = 0; e < ctx.expected->size(); ++e) {
    int f = ctx.match->file_column[e];
    if (f >= 0) column_of_.emplace((*ctx.expected)[e].name, static_cast<size_t>(f));
  }
  key_field_ = mapping::keyPath(*ctx.spec->mapping);
  for (const auto& f : mapping::sourceFields(*ctx.spec->mapping)) {
    if (f.path != key_field_ || key_field_.empty()) continue;
    if (auto p = mapping::Path::compile(f.target); p.ok()) key_target_ = std::move(p).value();
  }
  for (size_t e = 0; ctx.date_parse != nullptr && e < ctx.date_parse->size(); ++e) {
    const std::string& parse = (*ctx.date_parse)[e];
    int f = ctx.match->file_column[e];
    if (f < 0 || parse.empty() || parse == "auto") continue;
    DateShape shape{static_cast<size_t>(f), std::nullopt, std::nullopt};
    if (parse == "excel1900") shape.serial = ExcelDateSystem::k1900;
    else if (parse == "excel1904") shape.serial = ExcelDateSystem::k1904;
    else if (auto p = DateTimePattern::compile(parse); p.ok()) shape.pattern = std::move(p).value();
    else continue;
    date_shapes_.push_back(std::move(shape));
  }
}

namespace {

std::string serialText(double serial) {
  char buf[40];
  if (serial == static_cast<double>(static_cast<int64_t>(serial))) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(serial));
  } else {
    std::snprintf(buf, sizeof buf, "%.10f", serial);
  }
  return buf;
}

// "'=1+1", "'+86...", "'@SUM(A1)": a text cell escapeFormula wrote.
bool isEscapedFormula(const excel::Cell& c) {
  return c.type == excel::CellType::kString && c.text.size() > 1 && c.text[0] == '\'' &&
         excel::needsFormulaEscape(std::string_view(c.text).substr(1));
}

}  // namespace

// The row as the mapping wants it: escaped formulas unescaped, and date cells (and date
// texts) in the shape the column's rule parses — a serial number for excel1900/excel1904, the
// rule's own pattern otherwise. Cells that are no date stay as they are, for the mapping to
// report.
const excel::Row& RowImporter::shapeCells(const excel::Row& row) {
  bool escaped = false;
  for (const auto& c : row.cells) escaped = escaped || isEscapedFormula(c);
  if (date_shapes_.empty() && !escaped) return row;
  shaped_ = row;
  // Our exports write a text "=1+1" as "'=1+1" (formula injection); read it back as it was.
  for (auto& c : shaped_.cells) {
    if (isEscapedFormula(c)) c.text.erase(0, 1);
  }
  for (const DateShape& d : date_shapes_) {
    if (d.column >= shaped_.cells.size()) continue;
    excel::Cell& c = shaped_.cells[d.column];
    std::optional<LocalDateTime> when;
    if (c.type == excel::CellType::kDateTime) {
      when = c.datetime;
    } else if (c.type == excel::CellType::kString) {
      if (auto p = parseDateTimeAuto(c.text); p.ok()) when = p->local;
    } else if (c.type == excel::CellType::kNumber && d.pattern) {
      if (auto t = fromExcelSerial(std::strtod(c.text.c_str(), nullptr), ctx_.date_system); t.ok()) when = *t;
    }
    if (!when) continue;
    if (d.serial) {
      if (auto s = toExcelSerial(*when, *d.serial); s.ok()) c = excel::Cell::number(serialText(*s));
    } else {
      c = excel::Cell::string(d.pattern->format(*when, 0));
    }
  }
  return shaped_;
}

Result<std::unique_ptr<RowImporter>> RowImporter::create(const Context& ctx) {
  std::unique_ptr<RowImporter> r(new RowImporter(ctx));
  const std::string& pointer = ctx.spec->group_append;
  if (!pointer.empty()) {
    auto p = pointer[0] == '/' ? mapping::Path::compile(pointer)
                               : Result<mapping::Path>(Error::permanent(ErrorCode::kInvalidArgument,
                                                                        "must start with '/'"));
    if (!p.ok()) {
      return Error::permanent(ErrorCode::kConfigInvalid,
                              "import job " + ctx.spec->name + ": group_append '" + pointer +
                                  "' is not a JSON pointer like \"/lines\": " + p.error().message);
    }
    r->append_path_ = std::move(p).value();
  }
  return r;
}

// The record's business key: the mapped value of the key column (orderId "SO-1" for a cell
// " so-1 "), else the key cell as written.
std::string RowImporter::recordKey() {
  if (key_target_) {
    mapping::Value v = mapping::get(out_.root(), *key_target_);
    if (v.isString() && !v.asString().empty()) return std::string(v.asString());
    if (v.isNumber()) return std::string(v.numberText());
  }
  return mapping::businessKey(*ctx_.spec->mapping, in_.root());
}

// "订单!F7" for a field that is a column of the file; "订单 row 7" for anything else.
std::string RowImporter::cellOf(const excel::Row& row, const std::string& field) const {
  auto it = column_of_.find(field);
  if (it != column_of_.end()) return excel::cellRef(row.sheet, row.number, it->second);
  return row.sheet + " row " + std::to_string(row.number);
}

std::string RowImporter::idempotencyKey(const std::string& key, const std::string& json,
                                        const excel::Row* row) {
  const std::string prefix = "import:" + ctx_.spec->name + ":";
  if (!key.empty()) return prefix + key + ":" + excel::sha256Hex(json).substr(0, 16);
  std::vector<std::string> values;
  if (row != nullptr) {
    values.reserve(row->cells.size());
    for (const auto& c : row->cells) values.push_back(c.text);
  } else {
    values.push_back(json);
  }
  std::string content = excel::rowContentKey(values);
  int64_t n = ++identical_rows_[content];  // the n-th identical row of this file
  return prefix + content + ":" + std::to_string(n);
}

Status RowImporter::queue(std::string json, const std::string& key, std::string idem) {
  Record r;
  r.payload = std::move(json);
  r.entity = ctx_.spec->entity;
  r.source_system = "excel";
  r.business_key = key;
  r.idempotency_key = std::move(idem);
  r.created_at_ms = ctx_.now_ms;
  r.updated_at_ms = ctx_.now_ms;
  batch_.push_back(std::move(r));
  ++ctx_.report->records;
  // Grouped imports hold everything until the file is read to its end: no order goes in
  // before its last line is seen, and a file that breaks halfway has ingested nothing.
  if ((!append_path_ || finishing_) && batch_.size() >= std::max<size_t>(1, ctx_.spec->batch_records)) {
    return flush();
  }
  return {};
}

RowImporter::~RowImporter() {
  if (inflight_.valid()) inflight_.wait();
}

// Sends the queued records to the store in batches of batch_records, each once the one
// before it is committed.
Status RowImporter::flush() {
  const size_t size = std::max<size_t>(1, ctx_.spec->batch_records);
  for (size_t at = 0; at < batch_.size(); at += size) {
    const size_t n = std::min(size, batch_.size() - at);
    std::vector<Record> batch(std::make_move_iterator(batch_.begin() + static_cast<std::ptrdiff_t>(at)),
                              std::make_move_iterator(batch_.begin() + static_cast<std::ptrdiff_t>(at + n)));
    Status s = collect();
    if (s.ok()) s = passGate();
    if (!s.ok()) {
      batch_.clear();
      return s;
    }
    inflight_records_ = n;
    inflight_rows_ = rows_;
    inflight_ = std::async(std::launch::async, [ingest = ctx_.ingest, records = std::move(batch)]() mutable {
      return (*ingest)(std::move(records));
    });
  }
  batch_.clear();
  return {};
}

Status RowImporter::collect() {
  if (!inflight_.valid()) return {};
  auto results = inflight_.get();
  if (!results.ok()) return results.error();
  if (results->size() != inflight_records_) {
    return Error::permanent(ErrorCode::kInternal, "ingest returned " + std::to_string(results->size()) +
                                                      " results for " + std::to_string(inflight_records_) + " records");
  }
  for (const auto& r : *results) (r.duplicate ? ctx_.report->duplicates : ctx_.report->accepted)++;
  reportProgress(inflight_rows_);
  return {};
}

Status RowImporter::passGate() {
  if (gate_passed_) return {};
  gate_passed_ = true;
  if (ctx_.before_first_ingest) {
    QIAO_ASSIGN_OR_RETURN(ctx_.rows_total, ctx_.before_first_ingest());
  }
  return {};
}

void RowImporter::reportProgress(int64_t rows_done) {
  if (!*ctx_.progress || rows_done <= last_progress_) return;
  last_progress_ = rows_done;
  (*ctx_.progress)(rows_done, ctx_.rows_total);
}

Status RowImporter::add(const excel::Row& row) {
  ++rows_;
  ctx_.report->rows = rows_;
  if (sheet_name_.empty()) sheet_name_ = row.sheet;
  excel::RowRecord converted = converter_.convert(shapeCells(row));
  std::vector<excel::CellError> errors = std::move(converted.errors);
  QIAO_RETURN_IF_ERROR(mapping::parseJson(converted.json, in_));
  // Mapped even with bad cells: every problem of the row is reported at once, and the key is
  // known for grouping. A bad cell is left out of the JSON; its "required" echo is dropped.
  mapping::ApplyOptions options;
  options.xref = ctx_.xref;
  options.errors = &field_errors_;
  Status s = mapping::apply(*ctx_.spec->mapping, in_.root(), out_, mapping::Direction::kForward, options);
  if (!s.ok() && s.error().code != ErrorCode::kMappingError) return s;  // the store failed
  const size_t cell_errors = errors.size();
  for (const auto& fe : field_errors_) {
    std::string cell = cellOf(row, fe.source);
    bool known = false;
    for (size_t i = 0; i < cell_errors; ++i) known = known || errors[i].cell == cell;
    if (known) continue;
    std::string reason = fe.source.empty() ? fe.target : fe.source;
    reason += ": " + fe.message;
    if (!fe.value.empty()) reason += " (" + fe.value + ")";
    errors.push_back({std::move(cell), std::move(reason)});
  }
  if (!s.ok() && field_errors_.empty() && errors.empty()) errors.push_back({cellOf(row, ""), s.error().message});
  const std::string key = recordKey();

  const bool grouped = append_path_.has_value() && !key.empty();  // keyless rows: one record each
  Group* group = nullptr;
  if (grouped) {
    auto [it, added] = group_index_.emplace(key, groups_.size());
    if (added) groups_.push_back(Group{key, {}, {}, {}, 0});
    group = &groups_[it->second];
    group->rows.push_back(row.number);
  }
  if (!errors.empty()) {
    invalid_[row.number] = std::move(errors);
    if (group != nullptr && group->invalid_row == 0) group->invalid_row = row.number;
  } else if (group == nullptr) {
    std::string json = mapping::toJson(out_.root());
    std::string idem = idempotencyKey(key, json, &row);
    QIAO_RETURN_IF_ERROR(queue(std::move(json), key, std::move(idem)));
  } else if (group->invalid_row == 0) {
    if (group->first_json.empty()) {
      group->first_json = mapping::toJson(out_.root());
    } else {
      mapping::Value items = mapping::get(out_.root(), *append_path_);
      for (size_t i = 0; items.isArray() && i < items.size(); ++i) {
        group->items.push_back(mapping::toJson(items.at(i)));
      }
    }
  }
  if (grouped && rows_ % static_cast<int64_t>(std::max<size_t>(1, ctx_.spec->batch_records)) == 0) {
    reportProgress(rows_);  // grouped records are ingested at the end: report the reading
  }
  return {};
}

// The group's record: its first row's record with the later rows' elements appended.
Result<std::string> RowImporter::mergeGroup(Group& g) {
  if (g.items.empty()) return std::move(g.first_json);
  QIAO_RETURN_IF_ERROR(mapping::parseJson(g.first_json, out_));
  mapping::Value array = mapping::get(out_.root(), *append_path_);
  if (!array.isArray()) {
    QIAO_ASSIGN_OR_RETURN(array, mapping::setPath(out_, *append_path_));
    array.setArray(g.items.size());
  }
  for (const auto& item : g.items) {
    QIAO_RETURN_IF_ERROR(mapping::parseJson(item, scratch_));
    array.append().copyFrom(scratch_.root());
  }
  return mapping::toJson(out_.root());
}

Status RowImporter::finish() {
  finishing_ = true;
  for (Group& g : groups_) {
    if (g.invalid_row != 0) {
      // One bad line spoils its whole order: no order goes in with lines missing.
      for (int64_t row : g.rows) {
        if (invalid_.count(row)) continue;
        auto it = column_of_.find(key_field_);
        std::string cell = it != column_of_.end()
                               ? excel::cellRef(sheet_name_, row, it->second)
                               : sheet_name_ + " row " + std::to_string(row);
        invalid_[row].push_back({cell, "not imported: row " + std::to_string(g.invalid_row) +
                                           " of the same " + key_field_ + " '" + g.key +
                                           "' is invalid"});
      }
      continue;
    }
    QIAO_ASSIGN_OR_RETURN(std::string json, mergeGroup(g));
    std::string idem = idempotencyKey(g.key, json, nullptr);
    QIAO_RETURN_IF_ERROR(queue(std::move(json), g.key, std::move(idem)));
  }
  QIAO_RETURN_IF_ERROR(flush());
  QIAO_RETURN_IF_ERROR(collect());
  QIAO_RETURN_IF_ERROR(passGate());  // no batch at all: the file must still read to its end
  ctx_.report->invalid_rows = static_cast<int64_t>(invalid_.size());
  reportProgress(rows_);
  return {};
}

}  // namespace qiao::jobs::detail
