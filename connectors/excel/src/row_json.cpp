// Rows to JSON records, and the error workbook.
#include <cstdio>
#include <cstdlib>
#include <map>

#include "qiao/core/decimal.h"
#include "qiao/core/log.h"
#include "qiao/excel/row_json.h"

namespace qiao::excel {

// As log::appendJsonString writes it, byte for byte; runs of plain bytes copied at once.
std::string jsonQuote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  size_t run = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
  return out;
}

namespace {

std::string dateText(const LocalDateTime& t, bool with_time) {
  char buf[40];
  if (with_time) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day, t.hour, t.minute, t.second);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", t.year, t.month, t.day);
  }
  return buf;
}

std::string quoteForError(const std::string& s) {
  return "'" + (s.size() > 40 ? s.substr(0, 40) + "..." : s) + "'";
}

// The JSON value of one cell, or an error reason.
Result<std::string> valueOf(const Cell& c, ValueKind kind, ExcelDateSystem sys) {
  auto bad = [](std::string why) { return Error::permanent(ErrorCode::kInvalidArgument, std::move(why)); };
  if (c.type == CellType::kError) return bad("the cell holds the Excel error " + c.text);
  switch (kind) {
    case ValueKind::kAuto:
      if (c.type == CellType::kBool) return std::string(c.text == "TRUE" ? "true" : "false");
      if (c.type == CellType::kNumber) {
        auto d = Decimal::parse(c.text);
        return jsonQuote(d.ok() ? d->toString() : c.text);
      }
      return jsonQuote(c.text);
    case ValueKind::kText:
      return jsonQuote(c.text);
    case ValueKind::kDecimal:
    case ValueKind::kInteger: {
      if (c.type != CellType::kNumber && c.type != CellType::kString) {
        return bad(quoteForError(c.text) + " is not a number");
      }
      auto d = Decimal::parse(c.text);
      if (!d.ok()) return bad(quoteForError(c.text) + " is not a number");
      if (kind == ValueKind::kInteger) {
        auto whole = d->rescale(0, RoundingMode::kDown);
        if (!whole.ok() || !(*whole == *d)) return bad(quoteForError(c.text) + " is not a whole number");
        return jsonQuote(whole->toString());
      }
      return jsonQuote(d->toString());
    }
    case ValueKind::kDate:
    case ValueKind::kDateTime: {
      const bool with_time = kind == ValueKind::kDateTime;
      if (c.type == CellType::kDateTime) return jsonQuote(dateText(c.datetime, with_time));
      if (c.type == CellType::kNumber) {
        auto t = fromExcelSerial(std::strtod(c.text.c_str(), nullptr), sys);
        if (!t.ok()) return bad(quoteForError(c.text) + " is not a date serial number");
        return jsonQuote(dateText(*t, with_time));
      }
      if (c.type == CellType::kString) {
        auto p = parseDateTimeAuto(c.text);
        if (!p.ok()) return bad(quoteForError(c.text) + " is not a date (use 2026-11-26, 2026/11/26 or 2026年11月26日)");
        return jsonQuote(dateText(p->local, with_time));
      }
      return bad(quoteForError(c.text) + " is not a date");
    }
    case ValueKind::kBool: {
      static const std::map<std::string, bool> kWords = {
          {"TRUE", true}, {"FALSE", false}, {"true", true}, {"false", false}, {"1", true}, {"0", false},
          {"是", true}, {"否", false}, {"yes", true}, {"no", false}, {"Y", true}, {"N", false},
          {"y", true}, {"n", false}, {"YES", true}, {"NO", false}};
      auto it = kWords.find(c.text);
      if (it == kWords.end()) return bad(quoteForError(c.text) + " is not yes/no (是/否, TRUE/FALSE, 1/0)");
      return std::string(it->second ? "true" : "false");
    }
  }
  return bad("unknown kind");
}

}  // namespace

RowConverter::RowConverter(std::vector<ExpectedColumn> expected, HeaderMatch match, ExcelDateSystem date_system)
    : expected_(std::move(expected)), match_(std::move(match)), date_system_(date_system) {}

RowConverter RowConverter::fromHeader(const std::vector<std::string>& header, ExcelDateSystem date_system) {
  std::vector<ExpectedColumn> expected;
  HeaderMatch m;
  m.expected_of_file.assign(header.size(), -1);
  std::map<std::string, int> seen;
  for (size_t i = 0; i < header.size(); ++i) {
    std::string name = header[i].empty() ? columnLetter(i) : header[i];
    int n = ++seen[name];
    if (n > 1) name += "_" + std::to_string(n);  // duplicate headers stay distinct keys
    m.expected_of_file[i] = static_cast<int>(expected.size());
    m.file_column.push_back(static_cast<int>(i));
    expected.push_back({name, {}, false, ValueKind::kAuto, false});
  }
  return RowConverter(std::move(expected), std::move(m), date_system);
}

RowRecord RowConverter::convert(const Row& row) const {
  RowRecord out;
  out.json = "{";
  bool first = true;
  for (size_t e = 0; e < expected_.size(); ++e) {
    int f = match_.file_column[e];
    if (f < 0) continue;
    auto col = static_cast<size_t>(f);
    const Cell* c = col < row.cells.size() ? &row.cells[col] : nullptr;
    bool empty = c == nullptr || c->empty() || (c->type == CellType::kString && c->text.find_first_not_of(" \t") == std::string::npos);
    if (empty) {
      if (expected_[e].not_empty) out.errors.push_back({cellRef(row.sheet, row.number, col), expected_[e].name + " is empty"});
      continue;
    }
    auto v = valueOf(*c, expected_[e].kind, date_system_);
    if (!v.ok()) {
      out.errors.push_back({cellRef(row.sheet, row.number, col), expected_[e].name + ": " + v.error().message});
      continue;
    }
    if (!first) out.json += ',';
    first = false;
    out.json += jsonQuote(expected_[e].name);
    out.json += ':';
    out.json += *v;
  }
  out.json += '}';
  return out;
}

Result<std::unique_ptr<ErrorWorkbook>> ErrorWorkbook::create(const std::string& path,
                                                             const std::vector<std::string>& header) {
  std::vector<ColumnSpec> cols;
  for (const auto& h : header) cols.push_back({h, ColumnKind::kAuto, 0});
  cols.push_back({"错误 Error", ColumnKind::kText, 60});
  QIAO_ASSIGN_OR_RETURN(auto w, SheetWriter::create(path, std::move(cols)));
  return std::unique_ptr<ErrorWorkbook>(new ErrorWorkbook(std::move(w), header.size()));
}

Status ErrorWorkbook::add(const Row& row, const std::vector<CellError>& errors) {
  std::vector<Cell> cells(width_ + 1);
  for (size_t i = 0; i < width_ && i < row.cells.size(); ++i) cells[i] = row.cells[i];
  std::string why;
  for (const auto& e : errors) why += (why.empty() ? "" : "; ") + e.text();
  cells[width_] = Cell::string(why);
  return writer_->addRow(cells);
}

Status ErrorWorkbook::commit() { return writer_->commit(); }
int64_t ErrorWorkbook::rows() const { return writer_->rowsWritten(); }

}  // namespace qiao::excel
