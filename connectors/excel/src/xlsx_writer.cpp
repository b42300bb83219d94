// The .xlsx writers over libxlsxwriter in constant-memory mode (rows are streamed to a temp
// file, so memory does not grow with rows): typed cells, bold frozen header, auto-filter;
// one sheet (SheetWriter) or several written one after another (WorkbookWriter).
#include <xlsxwriter.h>
#include <unistd.h>

#include <cstdlib>

#include "internal.h"

namespace qiao::excel {

Result<std::unique_ptr<SheetWriter>> SheetWriter::create(const std::string& path,
                                                         std::vector<ColumnSpec> columns,
                                                         const WriteOptions& options) {
  if (columns.empty()) {
    return Error::permanent(ErrorCode::kInvalidArgument, detail::baseName(path) + ": no columns to write");
  }
  Format f = options.format;
  if (f == Format::kAuto) {
    std::string ext = detail::lowerExtension(path);
    if (ext == "xlsx") f = Format::kXlsx;
    else if (ext == "csv" || ext == "txt") f = Format::kCsv;
    else return Error::permanent(ErrorCode::kInvalidArgument, detail::baseName(path) +
                                 ": cannot tell the format from the extension (use .xlsx or .csv)");
  }
  if (f == Format::kXls) {
    return Error::permanent(ErrorCode::kInvalidArgument, "writing .xls is not supported; use .xlsx");
  }
  return f == Format::kCsv ? detail::makeCsvWriter(path, std::move(columns), options)
                           : detail::makeXlsxWriter(path, std::move(columns), options);
}

namespace detail {
namespace {

// One .xlsx being written: the workbook, its formats and the sheet that takes rows now.
// Shared by SheetWriter (one sheet) and WorkbookWriter (several, one after another).
class XlsxBook {
 public:
  ~XlsxBook() {
    if (wb_ != nullptr) {
      workbook_close(wb_);
      ::unlink(tmp_.c_str());
    }
  }

  Status open(const std::string& path, bool escape_formulas) {
    path_ = path;
    tmp_ = temporaryPathFor(path);
    escape_formulas_ = escape_formulas;
    auto slash = path.find_last_of('/');
    tmpdir_ = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
    lxw_workbook_options wo{};
    wo.constant_memory = LXW_TRUE;
    wo.tmpdir = tmpdir_.data();
    wb_ = workbook_new_opt(tmp_.c_str(), &wo);
    if (wb_ == nullptr) return fail("cannot create the workbook");
    header_ = workbook_add_format(wb_);
    format_set_bold(header_);
    amount_ = numFormat("#,##0.00");
    integer_ = numFormat("0");
    date_ = numFormat("yyyy-mm-dd");
    datetime_ = numFormat("yyyy-mm-dd hh:mm:ss");
    text_ = numFormat("@");
    percent_ = numFormat("0.00%");
    return Status();
  }

  Status addSheet(const std::string& name, std::vector<ColumnSpec> columns, bool freeze_header,
                  bool auto_filter) {
    if (wb_ == nullptr) return Error::permanent(ErrorCode::kInternal, "xlsx writer already committed");
    if (columns.empty()) {
      return Error::permanent(ErrorCode::kInvalidArgument, baseName(path_) + ": sheet '" + name + "': no columns to write");
    }
    // libxlsxwriter checks length, characters and (case-insensitive) uniqueness.
    lxw_error valid = workbook_validate_sheet_name(wb_, name.c_str());
    if (valid != LXW_NO_ERROR) {
      return Error::permanent(ErrorCode::kInvalidArgument, baseName(path_) + ": invalid sheet name '" + name +
                              "': " + lxw_strerror(valid));
    }
    QIAO_RETURN_IF_ERROR(finishSheet());
    ws_ = workbook_add_worksheet(wb_, name.c_str());
    if (ws_ == nullptr) return fail("cannot add sheet '" + name + "'");
    columns_ = std::move(columns);
    rows_ = 0;
    auto_filter_ = auto_filter;
    ++sheets_;
    for (size_t i = 0; i < columns_.size(); ++i) {
      double w = columns_[i].width;
      if (w <= 0) {
        w = static_cast<double>(displayWidth(columns_[i].name)) + 2;
        if (columns_[i].kind == ColumnKind::kDateTime) w = std::max(w, 20.0);
        if (columns_[i].kind == ColumnKind::kDate || columns_[i].kind == ColumnKind::kAmount) w = std::max(w, 12.0);
        w = std::min(std::max(w, 8.0), 50.0);
      }
      auto col = static_cast<lxw_col_t>(i);
      QIAO_RETURN_IF_ERROR(check(worksheet_set_column(ws_, col, col, w, nullptr)));
      QIAO_RETURN_IF_ERROR(check(worksheet_write_string(ws_, 0, col, escape(columns_[i].name).c_str(), header_)));
    }
    if (freeze_header) worksheet_freeze_panes(ws_, 1, 0);
    return Status();
  }

  Status addRow(const std::vector<Cell>& cells) {
    if (wb_ == nullptr) return Error::permanent(ErrorCode::kInternal, "xlsx writer already committed");
    if (ws_ == nullptr) return Error::permanent(ErrorCode::kInvalidArgument, baseName(path_) + ": a row before any sheet");
    if (cells.size() > columns_.size()) {
      return Error::permanent(ErrorCode::kInvalidArgument, baseName(path_) + ": row of " +
                              std::to_string(cells.size()) + " cells for " + std::to_string(columns_.size()) + " columns");
    }
    auto r = static_cast<lxw_row_t>(++rows_);
    for (size_t i = 0; i < cells.size(); ++i) {
      QIAO_RETURN_IF_ERROR(writeCell(r, static_cast<lxw_col_t>(i), columns_[i].kind, cells[i]));
    }
    return Status();
  }

  Status commit() {
    if (wb_ == nullptr) return Error::permanent(ErrorCode::kInternal, "xlsx writer already committed");
    if (ws_ == nullptr) return Error::permanent(ErrorCode::kInvalidArgument, baseName(path_) + ": no sheet to write");
    QIAO_RETURN_IF_ERROR(finishSheet());
    lxw_error rc = workbook_close(wb_);
    wb_ = nullptr;
    if (rc != LXW_NO_ERROR) {
      ::unlink(tmp_.c_str());
      return Error::transient(ErrorCode::kInternal, baseName(path_) + ": " + lxw_strerror(rc));
    }
    return publishFile(tmp_, path_);
  }
  int64_t rowsWritten() const { return rows_; }
  int sheetCount() const { return sheets_; }

 private:
  // What is written once a sheet's rows are complete (the filter spans them).
  Status finishSheet() {
    if (ws_ != nullptr && auto_filter_) {
      QIAO_RETURN_IF_ERROR(check(worksheet_autofilter(ws_, 0, 0, static_cast<lxw_row_t>(rows_),
                                                      static_cast<lxw_col_t>(columns_.size() - 1))));
    }
    auto_filter_ = false;
    return Status();
  }
  lxw_format* numFormat(const char* code) {
    lxw_format* f = workbook_add_format(wb_);
    format_set_num_format(f, code);
    return f;
  }
  static size_t displayWidth(const std::string& s) {
    size_t w = 0;
    for (size_t i = 0; i < s.size();) {
      auto c = static_cast<unsigned char>(s[i]);
      size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      w += len >= 3 ? 2 : 1;  // CJK characters take two columns
      i += len;
    }
    return w;
  }
  std::string escape(const std::string& s) const { return escape_formulas_ ? escapeFormula(s) : s; }
  Status fail(const std::string& what) {
    return Error::transient(ErrorCode::kInternal, baseName(path_) + ": " + what);
  }
  Status check(lxw_error rc) {
    if (rc == LXW_NO_ERROR) return Status();
    return Error::permanent(ErrorCode::kInvalidArgument, baseName(path_) + ": row " +
                            std::to_string(rows_ + 1) + ": " + lxw_strerror(rc));
  }
  Status writeString(lxw_row_t r, lxw_col_t c, const std::string& s) {
    return check(worksheet_write_string(ws_, r, c, escape(s).c_str(), nullptr));
  }
  Status writeDate(lxw_row_t r, lxw_col_t c, const LocalDateTime& t, bool with_time) {
    lxw_datetime dt{t.year, static_cast<uint8_t>(t.month), static_cast<uint8_t>(t.day),
                    static_cast<uint8_t>(t.hour), static_cast<uint8_t>(t.minute),
                    static_cast<double>(t.second) + t.nanos / 1e9};
    return check(worksheet_write_datetime(ws_, r, c, &dt, with_time ? datetime_ : date_));
  }
  static bool plainNumber(const std::string& s, double* v) {
    if (s.empty() || looksLikeIdentifier(s)) return false;
    char* end = nullptr;
    *v = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size();
  }
  lxw_format* numberFormat(ColumnKind kind) const {
    switch (kind) {
      case ColumnKind::kAmount: return amount_;
      case ColumnKind::kInteger: return integer_;
      case ColumnKind::kPercent: return percent_;
      default: return nullptr;
    }
  }

  Status writeCell(lxw_row_t r, lxw_col_t c, ColumnKind kind, const Cell& cell) {
    if (cell.type == CellType::kEmpty) return Status();
    double v = 0;
    switch (kind) {
      case ColumnKind::kText:
        return check(worksheet_write_string(ws_, r, c, escape(cell.text).c_str(), text_));
      case ColumnKind::kNumber:
      case ColumnKind::kInteger:
      case ColumnKind::kAmount:
      case ColumnKind::kPercent:
        if ((cell.type == CellType::kNumber || cell.type == CellType::kString) && plainNumber(cell.text, &v)) {
          return check(worksheet_write_number(ws_, r, c, v, numberFormat(kind)));
        }
        return writeString(r, c, cell.text);
      case ColumnKind::kDate:
      case ColumnKind::kDateTime:
        if (cell.type == CellType::kDateTime) return writeDate(r, c, cell.datetime, kind == ColumnKind::kDateTime);
        if (cell.type == CellType::kString) {
          auto p = parseDateTimeAuto(cell.text);
          if (p.ok()) return writeDate(r, c, p->local, kind == ColumnKind::kDateTime);
        }
        return writeString(r, c, cell.text);
      case ColumnKind::kAuto:
        break;
    }
    switch (cell.type) {
      case CellType::kNumber:
        if (plainNumber(cell.text, &v)) return check(worksheet_write_number(ws_, r, c, v, nullptr));
        return check(worksheet_write_string(ws_, r, c, escape(cell.text).c_str(), text_));
      case CellType::kDateTime: {
        const auto& t = cell.datetime;
        return writeDate(r, c, t, t.hour != 0 || t.minute != 0 || t.second != 0);
      }
      case CellType::kBool:
        return check(worksheet_write_boolean(ws_, r, c, cell.text == "TRUE", nullptr));
      case CellType::kString:
        if (looksLikeIdentifier(cell.text)) return check(worksheet_write_string(ws_, r, c, cell.text.c_str(), text_));
        return writeString(r, c, cell.text);
      default:
        return writeString(r, c, cell.text);
    }
  }

  std::string path_, tmp_, tmpdir_;
  bool escape_formulas_ = true;
  bool auto_filter_ = false;
  std::vector<ColumnSpec> columns_;
  lxw_workbook* wb_ = nullptr;
  lxw_worksheet* ws_ = nullptr;
  lxw_format *header_ = nullptr, *amount_ = nullptr, *integer_ = nullptr, *date_ = nullptr,
             *datetime_ = nullptr, *text_ = nullptr, *percent_ = nullptr;
  int64_t rows_ = 0;
  int sheets_ = 0;
};

class XlsxWriter final : public SheetWriter {
 public:
  Status open(const std::string& path, std::vector<ColumnSpec> columns, const WriteOptions& o) {
    QIAO_RETURN_IF_ERROR(book_.open(path, o.escape_formulas));
    return book_.addSheet(o.sheet_name, std::move(columns), o.freeze_header, o.auto_filter);
  }
  Status addRow(const std::vector<Cell>& cells) override { return book_.addRow(cells); }
  Status commit() override { return book_.commit(); }
  int64_t rowsWritten() const override { return book_.rowsWritten(); }

 private:
  XlsxBook book_;
};

class XlsxWorkbookWriter final : public WorkbookWriter {
 public:
  Status open(const std::string& path, const WorkbookOptions& o) {
    opts_ = o;
    return book_.open(path, o.escape_formulas);
  }
  Status addSheet(const std::string& name, std::vector<ColumnSpec> columns) override {
    return book_.addSheet(name, std::move(columns), opts_.freeze_header, opts_.auto_filter);
  }
  Status addRow(const std::vector<Cell>& cells) override { return book_.addRow(cells); }
  Status commit() override { return book_.commit(); }
  int64_t rowsWritten() const override { return book_.rowsWritten(); }
  int sheetCount() const override { return book_.sheetCount(); }

 private:
  WorkbookOptions opts_;
  XlsxBook book_;
};

}  // namespace

Result<std::unique_ptr<SheetWriter>> makeXlsxWriter(const std::string& path, std::vector<ColumnSpec> columns,
                                                    const WriteOptions& o) {
  auto w = std::make_unique<XlsxWriter>();
  QIAO_RETURN_IF_ERROR(w->open(path, std::move(columns), o));
  return std::unique_ptr<SheetWriter>(std::move(w));
}

}  // namespace detail

Result<std::unique_ptr<WorkbookWriter>> WorkbookWriter::create(const std::string& path,
                                                               const WorkbookOptions& options) {
  if (detail::lowerExtension(path) != "xlsx") {
    return Error::permanent(ErrorCode::kInvalidArgument, detail::baseName(path) +
                            ": a workbook with several sheets must be .xlsx");
  }
  auto w = std::make_unique<detail::XlsxWorkbookWriter>();
  QIAO_RETURN_IF_ERROR(w->open(path, options));
  return std::unique_ptr<WorkbookWriter>(std::move(w));
}

}  // namespace qiao::excel
