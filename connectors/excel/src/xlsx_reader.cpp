// The .xlsx reader: workbook, relationships, styles and shared strings are read first (their
// size does not grow with rows), then the chosen sheet's XML is parsed chunk by chunk and
// rows are handed out as they complete.
#include <cstdlib>
#include <deque>
#include <map>

#include "internal.h"
#include "xlsx_zip.h"

namespace qiao::excel::detail {
namespace {

struct SheetEntry {
  std::string name;
  std::string rel_id;
  std::string part;  // "xl/worksheets/sheet1.xml"
  bool chart = false;
};

struct Workbook {
  std::vector<SheetEntry> sheets;
  bool date1904 = false;
  std::string dir;             // folder of the workbook part ("xl/")
  std::string shared_strings;  // part names from the workbook's relationships
  std::string styles;
};

// "xl/" + "../foo.xml" -> "foo.xml"; "/xl/a.xml" -> "xl/a.xml".
std::string resolvePart(const std::string& dir, const std::string& target) {
  std::string joined = !target.empty() && target[0] == '/' ? target.substr(1) : dir + target;
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t slash = joined.find('/', start);
    if (slash == std::string::npos) slash = joined.size();
    std::string seg = joined.substr(start, slash - start);
    if (seg == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!seg.empty() && seg != ".") {
      parts.push_back(seg);
    }
    start = slash + 1;
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out;
}

Result<Workbook> readWorkbook(ZipArchive& zip) {
  Workbook wb;
  std::string wb_part = "xl/workbook.xml";
  if (zip.has("_rels/.rels")) {
    std::string found;
    QIAO_RETURN_IF_ERROR(parseEntry(zip, "_rels/.rels", {[&](std::string_view n, const char** a) {
      if (n != "Relationship") return;
      const char* type = attr(a, "Type");
      const char* target = attr(a, "Target");
      if (type && target && std::string_view(type).ends_with("/officeDocument")) found = target;
    }, nullptr, nullptr, nullptr}));
    if (!found.empty()) wb_part = resolvePart("", found);
  }
  auto slash = wb_part.find_last_of('/');
  wb.dir = slash == std::string::npos ? "" : wb_part.substr(0, slash + 1);
  QIAO_RETURN_IF_ERROR(parseEntry(zip, wb_part, {[&](std::string_view n, const char** a) {
    if (n == "workbookPr") {
      const char* d = attr(a, "date1904");
      wb.date1904 = d && (std::string_view(d) == "1" || std::string_view(d) == "true");
    } else if (n == "sheet") {
      const char* name = attr(a, "name");
      const char* id = attr(a, "id");
      wb.sheets.push_back({name ? name : "", id ? id : "", "", false});
    }
  }, nullptr, nullptr, nullptr}));
  std::string rels = wb.dir + "_rels/" + wb_part.substr(slash == std::string::npos ? 0 : slash + 1) + ".rels";
  std::map<std::string, std::pair<std::string, bool>> targets;
  QIAO_RETURN_IF_ERROR(parseEntry(zip, rels, {[&](std::string_view n, const char** a) {
    if (n != "Relationship") return;
    const char* id = attr(a, "Id");
    const char* target = attr(a, "Target");
    const char* type = attr(a, "Type");
    if (!id || !target) return;
    std::string_view t = type ? type : "";
    if (t.ends_with("/sharedStrings")) wb.shared_strings = resolvePart(wb.dir, target);
    if (t.ends_with("/styles")) wb.styles = resolvePart(wb.dir, target);
    targets[id] = {resolvePart(wb.dir, target), t.ends_with("/chartsheet")};
  }, nullptr, nullptr, nullptr}));
  for (auto& s : wb.sheets) {
    auto it = targets.find(s.rel_id);
    if (it == targets.end()) {
      return readError(zip.name() + ": sheet '" + s.name + "' has no target part (corrupt workbook)");
    }
    s.part = it->second.first;
    s.chart = it->second.second;
  }
  if (wb.sheets.empty()) return readError(zip.name() + ": the workbook has no sheets");
  if (wb.shared_strings.empty()) wb.shared_strings = wb.dir + "sharedStrings.xml";
  if (wb.styles.empty()) wb.styles = wb.dir + "styles.xml";
  return wb;
}

// For each cellXfs index: whether its number format shows a date.
Result<std::vector<bool>> readDateStyles(ZipArchive& zip, const std::string& part) {
  std::vector<bool> is_date;
  if (!zip.has(part)) return is_date;
  std::map<int, bool> custom;
  int depth_cell_xfs = 0;
  QIAO_RETURN_IF_ERROR(parseEntry(zip, part, {[&](std::string_view n, const char** a) {
    if (n == "numFmt") {
      const char* id = attr(a, "numFmtId");
      const char* code = attr(a, "formatCode");
      if (id && code) custom[std::atoi(id)] = isDateFormatCode(code);
    } else if (n == "cellXfs") {
      ++depth_cell_xfs;
    } else if (n == "xf" && depth_cell_xfs > 0) {
      const char* id = attr(a, "numFmtId");
      int fmt = id ? std::atoi(id) : 0;
      auto it = custom.find(fmt);
      is_date.push_back(it != custom.end() ? it->second : isBuiltinDateFormat(fmt));
    }
  }, [&](std::string_view n) {
    if (n == "cellXfs") --depth_cell_xfs;
  }, nullptr, nullptr}));
  return is_date;
}

Result<std::vector<std::string>> readSharedStrings(ZipArchive& zip, const std::string& part,
                                                   const Limits& limits) {
  std::vector<std::string> strings;
  if (!zip.has(part)) return strings;
  std::string cur;
  bool in_t = false;
  int phonetic = 0;
  uint64_t bytes = 0;
  std::string failure;
  QIAO_RETURN_IF_ERROR(parseEntry(zip, part, {[&](std::string_view n, const char**) {
    if (n == "si") cur.clear();
    else if (n == "rPh") ++phonetic;
    else if (n == "t" && phonetic == 0) in_t = true;
  }, [&](std::string_view n) {
    if (n == "t") in_t = false;
    else if (n == "rPh") --phonetic;
    else if (n == "si") {
      bytes += cur.size() + 32;
      if (bytes > limits.max_shared_strings_bytes && failure.empty()) {
        failure = "shared strings exceed " + std::to_string(limits.max_shared_strings_bytes) + " bytes";
      }
      strings.push_back(decodeOoxmlEscapes(std::move(cur)));
      cur.clear();
    }
  }, [&](std::string_view t) {
    if (!in_t || !failure.empty()) return;
    // Checked as the text grows: one endless <si> must not get past the limit before it ends.
    if (bytes + cur.size() + t.size() > limits.max_shared_strings_bytes) {
      failure = "shared strings exceed " + std::to_string(limits.max_shared_strings_bytes) + " bytes";
      cur.clear();
      return;
    }
    cur.append(t);
  }, [&] {  // read again from the start by expat (see XmlHandler::restart)
    strings.clear();
    cur.clear();
    in_t = false;
    phonetic = 0;
    bytes = 0;
    failure.clear();
  }}));
  if (!failure.empty()) return readError(zip.name() + ": " + failure);
  return strings;
}

// "BC12" -> column 54 (0-based), or -1.
int64_t columnOfRef(const char* ref) {
  int64_t col = 0;
  int letters = 0;
  // At most 3 letters (XFD): stop counting at the 4th so a long run cannot overflow.
  for (; *ref >= 'A' && *ref <= 'Z' && letters <= 3; ++ref, ++letters) col = col * 26 + (*ref - 'A' + 1);
  if (letters == 0 || letters > 3) return -1;
  return col - 1;
}

constexpr size_t kMaxCellBytes = 1u << 20;

class XlsxSheetReader final : public SheetReader {
 public:
  XlsxSheetReader(std::unique_ptr<ZipArchive> zip, std::string sheet, std::vector<bool> date_styles,
                  std::vector<std::string> strings, bool date1904, Limits limits)
      : zip_(std::move(zip)), sheet_(std::move(sheet)), date_styles_(std::move(date_styles)),
        strings_(std::move(strings)), date1904_(date1904), limits_(limits) {}

  Status start(const std::string& part) {
    QIAO_RETURN_IF_ERROR(zip_->openEntry(part));
    stream_ = std::make_unique<XmlStream>(*zip_, XmlHandler{
        [this](std::string_view n, const char** a) { onStart(n, a); },
        [this](std::string_view n) { onEnd(n); },
        [this](std::string_view t) { onText(t); },
        [this] { restart(); }});
    return Status();
  }

  Result<bool> next(Row& row) override {
    while (ready_.empty()) {
      if (finished_) return false;
      auto more = stream_->step([this] { return "sheet '" + sheet_ + "' near row " + std::to_string(row_number_); });
      if (!more.ok()) return more.takeError();
      if (!*more) finished_ = true;
    }
    row = std::move(ready_.front());
    ready_.pop_front();
    ++handed_out_;
    return true;
  }
  const std::string& sheetName() const override { return sheet_; }
  ExcelDateSystem dateSystem() const override {
    return date1904_ ? ExcelDateSystem::k1904 : ExcelDateSystem::k1900;
  }
  int64_t declaredLastRow() const override { return declared_last_row_; }

 private:
  // The stream reads the sheet again from its start (FastXml gave up): the rows already
  // handed out come again and are skipped; the rest are made anew.
  void restart() {
    ready_.clear();
    cur_ = Row{};
    in_row_ = in_v_ = in_is_ = in_t_ = false;
    phonetic_ = 0;
    row_number_ = 0;
    col_ = -1;
    declared_last_row_ = -1;
    type_.clear();
    style_ = 0;
    value_.clear();
    inline_.clear();
    skip_rows_ = handed_out_;
  }

  void failAt(const std::string& what) {
    stream_->fail(cellRef(sheet_, row_number_, static_cast<size_t>(col_ < 0 ? 0 : col_)) + ": " + what);
  }

  void onStart(std::string_view n, const char** a) {
    if (n == "dimension") {
      // ref="A1:J100001" (or "A1" for one cell): the last row is the number at the end.
      const char* ref = attr(a, "ref");
      std::string_view r = ref ? ref : "";
      size_t digits = r.size();
      while (digits > 0 && r[digits - 1] >= '0' && r[digits - 1] <= '9') --digits;
      if (digits < r.size() && r.size() - digits <= 7) declared_last_row_ = std::atoll(ref + digits);
    } else if (n == "row") {
      const char* r = attr(a, "r");
      int64_t num = r ? std::atoll(r) : row_number_ + 1;
      if (num <= 0 || num > 1048576) {
        stream_->fail("row number '" + std::string(r ? r : "") + "' is out of range");
        return;
      }
      row_number_ = num;
      cur_ = Row{sheet_, num, {}};
      in_row_ = true;
      col_ = -1;
    } else if (n == "c" && in_row_) {
      const char* r = attr(a, "r");
      int64_t col = r ? columnOfRef(r) : col_ + 1;
      if (col < 0 || col >= static_cast<int64_t>(limits_.max_columns)) {
        stream_->fail("sheet '" + sheet_ + "' row " + std::to_string(row_number_) +
                      ": bad cell reference '" + (r ? r : "") + "'");
        return;
      }
      col_ = col;
      const char* t = attr(a, "t");
      type_ = t ? t : "n";
      const char* s = attr(a, "s");
      style_ = s ? std::atoi(s) : 0;
      value_.clear();
      inline_.clear();
    } else if (n == "v") {
      in_v_ = true;
    } else if (n == "is") {
      in_is_ = true;
    } else if (n == "rPh") {
      ++phonetic_;
    } else if (n == "t" && in_is_ && phonetic_ == 0) {
      in_t_ = true;
    }
  }

  void onText(std::string_view t) {
    std::string* target = in_v_ ? &value_ : in_t_ ? &inline_ : nullptr;
    if (target == nullptr) return;
    if (target->size() + t.size() > kMaxCellBytes) {
      failAt("cell text longer than " + std::to_string(kMaxCellBytes) + " bytes (Excel allows 32,767 characters)");
      target->clear();
      return;
    }
    target->append(t);
  }

  void onEnd(std::string_view n) {
    if (n == "v") in_v_ = false;
    else if (n == "t") in_t_ = false;
    else if (n == "is") in_is_ = false;
    else if (n == "rPh") --phonetic_;
    else if (n == "c" && in_row_) finishCell();
    else if (n == "row" && in_row_) {
      in_row_ = false;
      if (skip_rows_ > 0) --skip_rows_;
      else ready_.push_back(std::move(cur_));
    }
  }

  void finishCell() {
    if (col_ < 0) return;  // no cell was started (its start was refused)
    Cell cell;
    if (type_ == "s") {
      char* end = nullptr;
      unsigned long idx = std::strtoul(value_.c_str(), &end, 10);
      if (value_.empty() || *end != '\0' || idx >= strings_.size()) {
        failAt("shared string index '" + value_ + "' out of range (" + std::to_string(strings_.size()) + " strings)");
        return;
      }
      cell = Cell::string(strings_[idx]);
    } else if (type_ == "inlineStr") {
      cell = Cell::string(decodeOoxmlEscapes(std::move(inline_)));
    } else if (type_ == "str") {
      cell = Cell::string(decodeOoxmlEscapes(std::move(value_)));
    } else if (type_ == "b") {
      cell = Cell::boolean(value_ == "1" || value_ == "true");
    } else if (type_ == "e") {
      cell = Cell::error(value_);
    } else if (type_ == "d") {
      auto p = parseDateTimeAuto(value_);
      // An unparsable date stays text: the row converter names the cell, the file goes on.
      cell = p.ok() ? Cell::dateTime(p->local) : Cell::string(value_);
    } else if (value_.empty()) {
      return;  // a styled empty cell
    } else {
      std::string text;
      if (!normalizeNumberText(value_, &text)) { failAt("bad number '" + value_ + "'"); return; }
      bool is_date = style_ >= 0 && static_cast<size_t>(style_) < date_styles_.size() && date_styles_[style_];
      if (is_date) {
        auto dt = fromExcelSerial(std::strtod(value_.c_str(), nullptr), dateSystem());
        // A date-formatted number that is no date (negative, 1900-02-29, past 9999) shows as
        // ##### in Excel; it stays a number here, for the row converter to judge.
        cell = dt.ok() ? Cell::dateTime(*dt) : Cell::number(std::move(text));
      } else {
        cell = Cell::number(std::move(text));
      }
    }
    auto col = static_cast<size_t>(col_);
    if (cur_.cells.size() <= col) cur_.cells.resize(col + 1);
    cur_.cells[col] = std::move(cell);
  }

  std::unique_ptr<ZipArchive> zip_;
  std::unique_ptr<XmlStream> stream_;
  std::string sheet_;
  std::vector<bool> date_styles_;
  std::vector<std::string> strings_;
  bool date1904_;
  Limits limits_;
  std::deque<Row> ready_;
  bool finished_ = false;
  Row cur_;
  bool in_row_ = false, in_v_ = false, in_is_ = false, in_t_ = false;
  int phonetic_ = 0;
  int64_t row_number_ = 0;
  int64_t col_ = -1;
  int64_t declared_last_row_ = -1;
  int64_t handed_out_ = 0;  // rows next() returned
  int64_t skip_rows_ = 0;   // after a restart: rows to drop, next() returned them already
  std::string type_;
  int style_ = 0;
  std::string value_, inline_;
};

}  // namespace

Result<std::vector<std::string>> listXlsxSheets(const std::string& path, const ReadOptions& o) {
  QIAO_ASSIGN_OR_RETURN(auto zip, ZipArchive::open(path, o.limits));
  QIAO_ASSIGN_OR_RETURN(auto wb, readWorkbook(*zip));
  std::vector<std::string> names;
  for (auto& s : wb.sheets) names.push_back(s.name);
  return names;
}

Result<std::unique_ptr<SheetReader>> openXlsxSheet(const std::string& path, const ReadOptions& o) {
  QIAO_ASSIGN_OR_RETURN(auto zip, ZipArchive::open(path, o.limits));
  QIAO_ASSIGN_OR_RETURN(auto wb, readWorkbook(*zip));
  const SheetEntry* chosen = nullptr;
  std::string all;
  for (auto& s : wb.sheets) {
    all += (all.empty() ? "" : ", ") + s.name;
    if (!o.sheet.empty() && s.name == o.sheet) chosen = &s;
  }
  if (o.sheet.empty()) {
    if (o.sheet_index < 0 || static_cast<size_t>(o.sheet_index) >= wb.sheets.size()) {
      return readError(zip->name() + ": no sheet number " + std::to_string(o.sheet_index + 1) +
                       "; the workbook has " + std::to_string(wb.sheets.size()) + " (" + all + ")");
    }
    chosen = &wb.sheets[static_cast<size_t>(o.sheet_index)];
  }
  if (chosen == nullptr) {
    return readError(zip->name() + ": no sheet named '" + o.sheet + "'; sheets: " + all);
  }
  if (chosen->chart) return readError(zip->name() + ": sheet '" + chosen->name + "' is a chart, not a worksheet");
  QIAO_ASSIGN_OR_RETURN(auto styles, readDateStyles(*zip, wb.styles));
  QIAO_ASSIGN_OR_RETURN(auto strings, readSharedStrings(*zip, wb.shared_strings, o.limits));
  std::string part = chosen->part;
  auto reader = std::make_unique<XlsxSheetReader>(std::move(zip), chosen->name, std::move(styles),
                                                  std::move(strings), wb.date1904, o.limits);
  QIAO_RETURN_IF_ERROR(reader->start(part));
  return std::unique_ptr<SheetReader>(std::move(reader));
}

}  // namespace qiao::excel::detail
