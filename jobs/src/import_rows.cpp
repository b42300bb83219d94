#include "import_rows.h"

#include "qiao/excel/file_identity.h"
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
  if (batch_.size() >= std::max<size_t>(1, ctx_.spec->batch_records)) return flush();
  return {};
}

Status RowImporter::flush() {
  if (batch_.empty()) return {};
  const size_t n = batch_.size();
  auto results = (*ctx_.ingest)(std::move(batch_));
  batch_.clear();
  if (!results.ok()) return results.error();
  if (results->size() != n) {
    return Error::permanent(ErrorCode::kInternal, "ingest returned " + std::to_string(results->size()) +
                                                      " results for " + std::to_string(n) + " records");
  }
  for (const auto& r : *results) (r.duplicate ? ctx_.report->duplicates : ctx_.report->accepted)++;
  reportProgress(false);
  return {};
}

void RowImporter::reportProgress(bool force) {
  if (!*ctx_.progress || (!force && rows_ == last_progress_)) return;
  last_progress_ = rows_;
  (*ctx_.progress)(rows_, ctx_.rows_total);
}

Status RowImporter::add(const excel::Row& row) {
  ++rows_;
  ctx_.report->rows = rows_;
  if (sheet_name_.empty()) sheet_name_ = row.sheet;
  excel::RowRecord converted = converter_.convert(row);
  std::vector<excel::CellError> errors = std::move(converted.errors);
  QIAO_RETURN_IF_ERROR(mapping::parseJson(converted.json, in_));
  const std::string key = mapping::businessKey(*ctx_.spec->mapping, in_.root());
  if (errors.empty()) {
    mapping::ApplyOptions options;
    options.xref = ctx_.xref;
    options.errors = &field_errors_;
    Status s = mapping::apply(*ctx_.spec->mapping, in_.root(), out_, mapping::Direction::kForward, options);
    if (!s.ok() && s.error().code != ErrorCode::kMappingError) return s;  // the store failed
    for (const auto& fe : field_errors_) {
      std::string reason = fe.source.empty() ? fe.target : fe.source;
      reason += ": " + fe.message;
      if (!fe.value.empty()) reason += " (" + fe.value + ")";
      errors.push_back({cellOf(row, fe.source), std::move(reason)});
    }
    if (!s.ok() && field_errors_.empty()) errors.push_back({cellOf(row, ""), s.error().message});
  }

  const bool grouped = append_path_.has_value() && !key.empty();
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
    reportProgress(false);  // grouped records are ingested at the end: report the reading
  }
  return {};
}

// The group's record: its first row's record with the later rows' elements appended.
Result<std::string> RowImporter::mergeGroup(const Group& g) {
  if (g.items.empty()) return g.first_json;
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
  for (const Group& g : groups_) {
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
  ctx_.report->invalid_rows = static_cast<int64_t>(invalid_.size());
  reportProgress(false);
  return {};
}

}  // namespace qiao::jobs::detail
