// The .xls (BIFF8) reader over FreeXL. FreeXL loads the workbook into memory, so the file size
// is capped (Limits::max_xls_bytes); rows are then handed out one at a time.
#include <freexl.h>
#include <sys/stat.h>

#include <cstdio>
#include <unordered_map>

#include "cfb.h"
#include "internal.h"

namespace qiao::excel::detail {
namespace {

struct Handle {
  const void* h = nullptr;
  ~Handle() { if (h != nullptr) freexl_close(h); }
};

Result<std::unique_ptr<Handle>> openXls(const std::string& path, const Limits& limits) {
  const std::string name = baseName(path);
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return readError(name + ": cannot open the file");
  if (static_cast<uint64_t>(st.st_size) > limits.max_xls_bytes) {
    return readError(name + ": .xls file of " + std::to_string(st.st_size) + " bytes is over the limit of " +
                     std::to_string(limits.max_xls_bytes) + "; save it as .xlsx");
  }
  auto h = std::make_unique<Handle>();
  int rc = freexl_open(path.c_str(), &h->h);
  if (rc != FREEXL_OK) {
    return readError(name + ": not a readable .xls (BIFF8) workbook: corrupt, truncated or an "
                            "unsupported old version (FreeXL error " + std::to_string(rc) + ")");
  }
  // FreeXL answers FREEXL_OK with no handle for a workbook with a FILEPASS record (encrypted
  // with a password to open), and reports BIFF obfuscation through FREEXL_BIFF_PASSWORD.
  unsigned int pw = 0;
  if (h->h == nullptr ||
      (freexl_get_info(h->h, FREEXL_BIFF_PASSWORD, &pw) == FREEXL_OK && pw == FREEXL_BIFF_OBFUSCATED)) {
    return readError(name + ": the workbook is password-protected; remove the password (in Excel: "
                            "File > Info > Protect Workbook; in WPS or LibreOffice: save without a "
                            "password) and save it again");
  }
  return h;
}

Result<std::vector<std::string>> sheetNames(const Handle& h, const std::string& name) {
  unsigned int count = 0;
  if (freexl_get_info(h.h, FREEXL_BIFF_SHEET_COUNT, &count) != FREEXL_OK) {
    return readError(name + ": cannot read the list of sheets");
  }
  std::vector<std::string> names;
  for (unsigned int i = 0; i < count; ++i) {
    const char* n = nullptr;
    if (freexl_get_worksheet_name(h.h, static_cast<unsigned short>(i), &n) != FREEXL_OK) {
      return readError(name + ": cannot read the name of sheet " + std::to_string(i + 1));
    }
    names.emplace_back(n ? n : "");
  }
  return names;
}

// Formula results by (row << 16 | column), for the cells FreeXL reports as empty.
using FormulaCells = std::unordered_map<uint64_t, Cell>;

Result<FormulaCells> formulaCells(const std::string& path, const std::string& name, const std::string& sheet,
                                  bool date1904, const Limits& limits) {
  FormulaCells out;
  auto fail = [&](const Error& e) {
    return readError(name + ": cannot read the formula results of sheet '" + sheet + "': " + e.message);
  };
  auto cfb = CompoundFile::open(path);
  if (!cfb.ok()) return fail(cfb.error());
  auto stream = (*cfb)->readStream("Workbook", limits.max_xls_bytes);
  if (!stream.ok()) return fail(stream.error());
  auto cells = readXlsFormulaResults(*stream, sheet);
  if (!cells.ok()) return fail(cells.error());
  const ExcelDateSystem system = date1904 ? ExcelDateSystem::k1904 : ExcelDateSystem::k1900;
  for (auto& f : *cells) {
    Cell c;
    switch (f.kind) {
      case XlsFormulaCell::kNumber: c = Cell::number(formatDouble(f.number)); break;
      case XlsFormulaCell::kDate: {
        auto dt = fromExcelSerial(f.number, system);
        c = dt.ok() ? Cell::dateTime(*dt) : Cell::number(formatDouble(f.number));
        break;
      }
      case XlsFormulaCell::kString: c = Cell::string(std::move(f.text)); break;
      case XlsFormulaCell::kBool: c = Cell::boolean(f.text == "TRUE"); break;
      case XlsFormulaCell::kError: c = Cell::error(std::move(f.text)); break;
    }
    out[(static_cast<uint64_t>(f.row) << 16) | f.col] = std::move(c);
  }
  return out;
}

class XlsSheetReader final : public SheetReader {
 public:
  XlsSheetReader(std::unique_ptr<Handle> h, std::string file, std::string sheet, unsigned rows,
                 unsigned short cols, bool date1904, FormulaCells formulas)
      : h_(std::move(h)), file_(std::move(file)), sheet_(std::move(sheet)), rows_(rows), cols_(cols),
        date1904_(date1904), formulas_(std::move(formulas)) {}

  Result<bool> next(Row& row) override {
    while (next_ < rows_) {
      unsigned r = next_++;
      row = Row{sheet_, static_cast<int64_t>(r) + 1, {}};
      for (unsigned short c = 0; c < cols_; ++c) {
        FreeXL_CellValue v{};
        if (freexl_get_cell_value(h_->h, r, c, &v) != FREEXL_OK) {
          return readError(file_ + ": " + cellRef(sheet_, r + 1, c) + ": unreadable cell (corrupt .xls)");
        }
        Cell cell;
        switch (v.type) {
          case FREEXL_CELL_INT: cell = Cell::number(std::to_string(v.value.int_value)); break;
          case FREEXL_CELL_DOUBLE: cell = Cell::number(formatDouble(v.value.double_value)); break;
          case FREEXL_CELL_TEXT:
          case FREEXL_CELL_SST_TEXT: cell = Cell::string(v.value.text_value ? v.value.text_value : ""); break;
          case FREEXL_CELL_DATE:
          case FREEXL_CELL_DATETIME: {
            const char* text = v.value.text_value ? v.value.text_value : "";
            auto p = parseDateTimeAuto(text);
            cell = p.ok() ? Cell::dateTime(p->local) : Cell::string(text);  // judged per cell later
            break;
          }
          case FREEXL_CELL_TIME: cell = Cell::string(v.value.text_value ? v.value.text_value : ""); break;
          default: {  // empty to FreeXL; a formula cell's cached result, if it has one
            auto f = formulas_.find((static_cast<uint64_t>(r) << 16) | c);
            if (f == formulas_.end()) continue;
            cell = f->second;
          }
        }
        if (row.cells.size() <= c) row.cells.resize(c + 1u);
        row.cells[c] = std::move(cell);
      }
      if (!row.cells.empty()) return true;
    }
    return false;
  }
  const std::string& sheetName() const override { return sheet_; }
  ExcelDateSystem dateSystem() const override {
    return date1904_ ? ExcelDateSystem::k1904 : ExcelDateSystem::k1900;
  }
  int64_t declaredLastRow() const override { return static_cast<int64_t>(rows_); }

 private:
  std::unique_ptr<Handle> h_;
  std::string file_, sheet_;
  unsigned rows_;
  unsigned short cols_;
  bool date1904_;
  FormulaCells formulas_;
  unsigned next_ = 0;
};

}  // namespace

Result<std::vector<std::string>> listXlsSheets(const std::string& path, const ReadOptions& o) {
  QIAO_ASSIGN_OR_RETURN(auto h, openXls(path, o.limits));
  return sheetNames(*h, baseName(path));
}

Result<std::unique_ptr<SheetReader>> openXlsSheet(const std::string& path, const ReadOptions& o) {
  const std::string name = baseName(path);
  QIAO_ASSIGN_OR_RETURN(auto h, openXls(path, o.limits));
  QIAO_ASSIGN_OR_RETURN(auto names, sheetNames(*h, name));
  int index = o.sheet_index;
  std::string all;
  if (!o.sheet.empty()) index = -1;
  for (size_t i = 0; i < names.size(); ++i) {
    all += (i ? ", " : "") + names[i];
    if (!o.sheet.empty() && names[i] == o.sheet) index = static_cast<int>(i);
  }
  if (index < 0 || static_cast<size_t>(index) >= names.size()) {
    return readError(name + ": " + (o.sheet.empty() ? "no sheet number " + std::to_string(index + 1)
                                                     : "no sheet named '" + o.sheet + "'") +
                     "; sheets: " + all);
  }
  if (freexl_select_active_worksheet(h->h, static_cast<unsigned short>(index)) != FREEXL_OK) {
    return readError(name + ": cannot select sheet '" + names[static_cast<size_t>(index)] + "'");
  }
  unsigned int rows = 0;
  unsigned short cols = 0;
  if (freexl_worksheet_dimensions(h->h, &rows, &cols) != FREEXL_OK) {
    return readError(name + ": cannot read the size of sheet '" + names[static_cast<size_t>(index)] + "'");
  }
  unsigned int mode = 0;
  bool date1904 = freexl_get_info(h->h, FREEXL_BIFF_DATEMODE, &mode) == FREEXL_OK && mode == FREEXL_BIFF_DATEMODE_1904;
  unsigned int biff = 0;
  FormulaCells formulas;
  if (freexl_get_info(h->h, FREEXL_BIFF_VERSION, &biff) == FREEXL_OK && biff == FREEXL_BIFF_VER_8) {
    QIAO_ASSIGN_OR_RETURN(formulas, formulaCells(path, name, names[static_cast<size_t>(index)], date1904, o.limits));
  }
  return std::unique_ptr<SheetReader>(std::make_unique<XlsSheetReader>(
      std::move(h), name, names[static_cast<size_t>(index)], rows, cols, date1904, std::move(formulas)));
}

}  // namespace qiao::excel::detail
