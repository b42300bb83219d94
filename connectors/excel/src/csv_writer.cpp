// The CSV writer: UTF-8 with a BOM (so Excel opens Chinese text correctly), CRLF, RFC 4180
// quoting, formula escaping of text cells.
#include <unistd.h>

#include <cstdio>

#include "internal.h"
#include "qiao/excel/writer.h"

namespace qiao::excel::detail {
namespace {

class CsvWriter final : public SheetWriter {
 public:
  ~CsvWriter() override {
    if (f_ != nullptr) {
      std::fclose(f_);
      ::unlink(tmp_.c_str());
    }
  }

  Status open(const std::string& path, std::vector<ColumnSpec> columns, const WriteOptions& o) {
    path_ = path;
    tmp_ = temporaryPathFor(path);
    opts_ = o;
    columns_ = std::move(columns);
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (f_ == nullptr) {
      return Error::transient(ErrorCode::kInternal, baseName(path) + ": cannot create a file in its folder");
    }
    line_ = "\xEF\xBB\xBF";
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i) line_ += opts_.csv_delimiter;
      appendField(line_, escapeText(columns_[i].name));
    }
    line_ += "\r\n";
    return flushLine();
  }

  Status addRow(const std::vector<Cell>& cells) override {
    if (f_ == nullptr) return Error::permanent(ErrorCode::kInternal, "csv writer already committed");
    if (cells.size() > columns_.size()) {
      return Error::permanent(ErrorCode::kInvalidArgument, baseName(path_) + ": row of " +
                              std::to_string(cells.size()) + " cells for " + std::to_string(columns_.size()) + " columns");
    }
    line_.clear();
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (i) line_ += opts_.csv_delimiter;
      if (i >= cells.size()) continue;
      const Cell& c = cells[i];
      switch (c.type) {
        case CellType::kEmpty: break;
        case CellType::kDateTime: {
          std::string t = c.text;
          if (t.size() > 10 && t[10] == 'T') t[10] = ' ';
          appendField(line_, t);
          break;
        }
        case CellType::kString: appendField(line_, escapeText(c.text)); break;
        default: appendField(line_, c.text); break;
      }
    }
    line_ += "\r\n";
    ++rows_;
    return flushLine();
  }

  Status commit() override {
    if (f_ == nullptr) return Error::permanent(ErrorCode::kInternal, "csv writer already committed");
    bool ok = std::fflush(f_) == 0;
    ok = std::fclose(f_) == 0 && ok;
    f_ = nullptr;
    if (!ok) {
      ::unlink(tmp_.c_str());
      return Error::transient(ErrorCode::kInternal, baseName(path_) + ": write failed (disk full?)");
    }
    return publishFile(tmp_, path_);
  }
  int64_t rowsWritten() const override { return rows_; }

 private:
  std::string escapeText(const std::string& s) const {
    return opts_.escape_formulas ? escapeFormula(s) : s;
  }
  void appendField(std::string& out, const std::string& v) const {
    bool quote = v.find_first_of(std::string("\"\r\n") + opts_.csv_delimiter) != std::string::npos;
    if (!quote) { out += v; return; }
    out += '"';
    for (char ch : v) {
      if (ch == '"') out += '"';
      out += ch;
    }
    out += '"';
  }
  Status flushLine() {
    if (std::fwrite(line_.data(), 1, line_.size(), f_) != line_.size()) {
      return Error::transient(ErrorCode::kInternal, baseName(path_) + ": write failed (disk full?)");
    }
    return Status();
  }

  std::string path_, tmp_, line_;
  WriteOptions opts_;
  std::vector<ColumnSpec> columns_;
  std::FILE* f_ = nullptr;
  int64_t rows_ = 0;
};

}  // namespace

Result<std::unique_ptr<SheetWriter>> makeCsvWriter(const std::string& path, std::vector<ColumnSpec> columns,
                                                   const WriteOptions& o) {
  auto w = std::make_unique<CsvWriter>();
  QIAO_RETURN_IF_ERROR(w->open(path, std::move(columns), o));
  return std::unique_ptr<SheetWriter>(std::move(w));
}

}  // namespace qiao::excel::detail
