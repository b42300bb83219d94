// Cells, rows, cell references and format detection.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "cfb.h"
#include "internal.h"

namespace qiao::excel {

std::string_view toString(CellType t) {
  switch (t) {
    case CellType::kEmpty: return "empty";
    case CellType::kString: return "string";
    case CellType::kNumber: return "number";
    case CellType::kBool: return "bool";
    case CellType::kError: return "error";
    case CellType::kDateTime: return "datetime";
  }
  return "?";
}

Cell Cell::dateTime(const LocalDateTime& t) {
  char buf[40];
  if (t.hour == 0 && t.minute == 0 && t.second == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", t.year, t.month, t.day);
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", t.year, t.month, t.day,
                  t.hour, t.minute, t.second);
  }
  return Cell{CellType::kDateTime, buf, t};
}

bool Row::blank() const {
  for (const auto& c : cells) {
    if (c.type != CellType::kEmpty && !(c.type == CellType::kString && c.text.empty())) return false;
  }
  return true;
}

std::string columnLetter(size_t column) {
  std::string s;
  size_t n = column + 1;
  while (n > 0) {
    s.insert(s.begin(), static_cast<char>('A' + (n - 1) % 26));
    n = (n - 1) / 26;
  }
  return s;
}

std::string cellRef(std::string_view sheet, int64_t row, size_t column) {
  bool quote = false;
  for (char ch : sheet) {
    if (ch == ' ' || ch == '-' || ch == '\'' || ch == '!' || ch == '(' || ch == ')') quote = true;
  }
  std::string s;
  if (quote) {
    s += '\'';
    for (char ch : sheet) {
      if (ch == '\'') s += '\'';
      s += ch;
    }
    s += '\'';
  } else {
    s.assign(sheet);
  }
  s += '!';
  s += columnLetter(column);
  s += std::to_string(row);
  return s;
}

namespace detail {

std::string baseName(std::string_view path) {
  auto slash = path.find_last_of('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string stemOf(std::string_view path) {
  std::string b = baseName(path);
  auto dot = b.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? b : b.substr(0, dot);
}

std::string lowerExtension(std::string_view path) {
  std::string b = baseName(path);
  auto dot = b.find_last_of('.');
  if (dot == std::string::npos) return "";
  std::string e = b.substr(dot + 1);
  for (auto& ch : e) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return e;
}

std::string formatDouble(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  std::string s = buf;
  if (s == "-0") s = "0";
  return s;
}

bool normalizeNumberText(std::string_view in, std::string* out) {
  if (in.empty() || in.size() > 64) return false;
  std::string text(in);
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(v)) return false;
  int digits = 0;
  bool leading = true;
  for (char ch : text) {
    if (ch == 'e' || ch == 'E') break;
    if (ch < '0' || ch > '9') continue;
    if (leading && ch == '0') continue;
    leading = false;
    ++digits;
  }
  *out = digits > 15 ? formatDouble(v) : std::move(text);
  return true;
}

bool isBuiltinDateFormat(int id) {
  // 14-22 and 45-47 everywhere; 27-36 and 50-58 are the East Asian locales' date formats
  // (yyyy"年"m"月"d"日" in Chinese Excel).
  return (id >= 14 && id <= 22) || (id >= 45 && id <= 47) || (id >= 27 && id <= 36) ||
         (id >= 50 && id <= 58);
}

bool isDateFormatCode(std::string_view code) {
  // Only the first section (positive numbers) decides.
  bool in_quote = false;
  for (size_t i = 0; i < code.size(); ++i) {
    char ch = code[i];
    if (in_quote) {
      if (ch == '"') in_quote = false;
      continue;
    }
    if (ch == '"') { in_quote = true; continue; }
    if (ch == '\\' || ch == '_' || ch == '*') { ++i; continue; }
    if (ch == ';') break;
    if (ch == '[') {
      auto close = code.find(']', i);
      if (close == std::string_view::npos) return false;
      std::string_view inner = code.substr(i + 1, close - i - 1);
      // [h] [mm] [ss]: elapsed time, a duration rather than a date.
      if (!inner.empty() && (inner[0] == 'h' || inner[0] == 'H' || inner[0] == 'm' ||
                             inner[0] == 'M' || inner[0] == 's' || inner[0] == 'S')) {
        return false;
      }
      i = close;
      continue;
    }
    switch (ch) {
      case 'd': case 'D': case 'm': case 'M': case 'y': case 'Y':
      case 'h': case 'H': case 's': case 'S':
        return code.substr(0, 7) != "General" && code.substr(0, 7) != "general";
      default: break;
    }
  }
  return false;
}

Result<Format> detectFormat(const std::string& path, Format requested) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return readError(baseName(path) + ": cannot open the file");
  std::string head(8, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  const bool zip = head.size() >= 4 && head.compare(0, 4, "PK\x03\x04", 4) == 0;
  const bool cfb = head.size() >= 8 && head.compare(0, 8, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0;
  if (cfb) {  // the directory entries of an OLE file are near its start
    head.resize(65536);
    in.read(head.data() + 8, static_cast<std::streamsize>(head.size() - 8));
    head.resize(8 + static_cast<size_t>(in.gcount()));
  }
  const std::string name = baseName(path);
  if (cfb) {
    // A password-protected workbook: an encrypted .xlsx is an OLE file with EncryptionInfo and
    // EncryptedPackage streams. The directory is read properly (it may lie anywhere in the
    // file); for an OLE file too broken to read, the first 64 KiB are searched for the name.
    auto ole = CompoundFile::open(path);
    static const char kEnc[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
    const bool encrypted = ole.ok() ? (*ole)->hasStream("EncryptedPackage") || (*ole)->hasStream("EncryptionInfo")
                                    : head.find(std::string(kEnc, sizeof kEnc - 1)) != std::string::npos;
    if (encrypted) {
      return readError(name + ": the workbook is password-protected; remove the password in "
                              "Excel (File > Info > Protect Workbook) and save it again");
    }
  }
  Format f = requested;
  if (f == Format::kAuto) {
    std::string ext = lowerExtension(path);
    if (ext == "xlsx" || ext == "xlsm") f = Format::kXlsx;
    else if (ext == "xls") f = Format::kXls;
    else if (ext == "csv" || ext == "txt" || ext == "tsv") f = Format::kCsv;
    else if (zip) f = Format::kXlsx;
    else if (cfb) f = Format::kXls;
    else f = Format::kCsv;
  }
  if (head.empty()) return readError(name + ": the file is empty");
  if (f == Format::kXlsx && !zip) {
    if (cfb) return Format::kXls;  // an old .xls saved with a new name
    return readError(name + ": not an .xlsx workbook (no zip signature); is it a text or CSV "
                            "file with the wrong extension?");
  }
  if (f == Format::kXls && !cfb) {
    if (zip) return Format::kXlsx;
    return readError(name + ": not an .xls workbook (no BIFF/OLE signature)");
  }
  if (f == Format::kCsv && (zip || cfb)) {
    return readError(name + ": looks like a workbook (.xlsx/.xls), not a CSV text file");
  }
  return f;
}

}  // namespace detail
}  // namespace qiao::excel
