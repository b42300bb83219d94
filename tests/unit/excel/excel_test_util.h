// Helpers for the excel tests: a temporary folder, hand-made zips (minizip) and .xlsx parts.
#pragma once

#include <minizip/zip.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "qiao/excel/sheet.h"

namespace qiao::excel::testing {

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "qiao-excel-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    for (auto& e : std::filesystem::directory_iterator(path_)) names.push_back(e.path().filename().string());
    return names;
  }

 private:
  std::string path_;
};

inline void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Writes a zip with the given entries (deflated).
inline bool writeZip(const std::string& path, const std::vector<std::pair<std::string, std::string>>& entries) {
  zipFile z = zipOpen64(path.c_str(), APPEND_STATUS_CREATE);
  if (z == nullptr) return false;
  for (const auto& [name, data] : entries) {
    zip_fileinfo info{};
    if (zipOpenNewFileInZip64(z, name.c_str(), &info, nullptr, 0, nullptr, 0, nullptr, Z_DEFLATED, 6, 1) != ZIP_OK) return false;
    if (!data.empty() && zipWriteInFileInZip(z, data.data(), static_cast<unsigned>(data.size())) != ZIP_OK) return false;
    zipCloseFileInZip(z);
  }
  return zipClose(z, nullptr) == ZIP_OK;
}

struct XlsxParts {
  std::vector<std::pair<std::string, std::string>> sheets = {{"Sheet1", ""}};  // name, <sheetData> body
  std::string shared_strings;  // <si> elements; "" = no part
  std::string styles;          // full <styleSheet> inner XML; "" = no part
  bool date1904 = false;
};

// A minimal but well-formed .xlsx with the given parts.
inline bool writeXlsx(const std::string& path, const XlsxParts& p) {
  const std::string ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  const std::string rns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
  std::vector<std::pair<std::string, std::string>> e;
  e.push_back({"[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"});
  e.push_back({"_rels/.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                              "<Relationship Id=\"rId1\" Type=\"" + rns + "/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"});
  std::string wb = "<?xml version=\"1.0\"?><workbook xmlns=\"" + ns + "\" xmlns:r=\"" + rns + "\">";
  if (p.date1904) wb += "<workbookPr date1904=\"1\"/>";
  wb += "<sheets>";
  std::string rels = "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
  for (size_t i = 0; i < p.sheets.size(); ++i) {
    std::string n = std::to_string(i + 1);
    wb += "<sheet name=\"" + p.sheets[i].first + "\" sheetId=\"" + n + "\" r:id=\"rId" + n + "\"/>";
    rels += "<Relationship Id=\"rId" + n + "\" Type=\"" + rns + "/worksheet\" Target=\"worksheets/sheet" + n + ".xml\"/>";
    e.push_back({"xl/worksheets/sheet" + n + ".xml", "<?xml version=\"1.0\"?><worksheet xmlns=\"" + ns + "\"><sheetData>" +
                                                     p.sheets[i].second + "</sheetData></worksheet>"});
  }
  wb += "</sheets></workbook>";
  rels += "</Relationships>";
  e.push_back({"xl/workbook.xml", wb});
  e.push_back({"xl/_rels/workbook.xml.rels", rels});
  if (!p.shared_strings.empty()) {
    e.push_back({"xl/sharedStrings.xml", "<?xml version=\"1.0\"?><sst xmlns=\"" + ns + "\">" + p.shared_strings + "</sst>"});
  }
  if (!p.styles.empty()) {
    e.push_back({"xl/styles.xml", "<?xml version=\"1.0\"?><styleSheet xmlns=\"" + ns + "\">" + p.styles + "</styleSheet>"});
  }
  return writeZip(path, e);
}

// Reads every row of a sheet (no header handling); the error message on failure.
struct ReadAll {
  std::vector<Row> rows;
  std::string error;
};
inline ReadAll readAll(const std::string& path, const ReadOptions& o = {}) {
  ReadAll out;
  auto s = openSheet(path, o);
  if (!s.ok()) { out.error = s.error().message; return out; }
  Row r;
  for (int guard = 0; guard < 1000000; ++guard) {
    auto more = (*s)->next(r);
    if (!more.ok()) { out.error = more.error().message; return out; }
    if (!*more) break;
    out.rows.push_back(r);
  }
  return out;
}

inline std::string cellText(const Row& r, size_t i) { return i < r.cells.size() ? r.cells[i].text : ""; }
inline CellType cellType(const Row& r, size_t i) { return i < r.cells.size() ? r.cells[i].type : CellType::kEmpty; }

}  // namespace qiao::excel::testing
