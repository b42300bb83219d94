// The .xls reader (FreeXL) on a BIFF8 workbook built here by a tiny writer: an OLE compound
// file holding a Workbook stream (globals: codepage, date mode, XFs, sheet, shared strings;
// one worksheet with LABELSST and NUMBER cells). Debian ships no .xls sample to read instead.
#include <gtest/gtest.h>

#include <cstring>

#include "excel_test_util.h"
#include "qiao/excel/sheet.h"

namespace qiao::excel {
namespace {

using testing::TempDir;

void put16(std::string& s, uint16_t v) { s += static_cast<char>(v & 0xFF); s += static_cast<char>(v >> 8); }
void put32(std::string& s, uint32_t v) { put16(s, static_cast<uint16_t>(v & 0xFFFF)); put16(s, static_cast<uint16_t>(v >> 16)); }
void set32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void record(std::string& s, uint16_t type, const std::string& data) {
  put16(s, type);
  put16(s, static_cast<uint16_t>(data.size()));
  s += data;
}
std::string utf16(const std::u16string& t) {
  std::string s;
  for (char16_t c : t) put16(s, static_cast<uint16_t>(c));
  return s;
}
std::string bof(uint16_t dt) {
  std::string d;
  put16(d, 0x0600); put16(d, dt); put16(d, 0x0DBB); put16(d, 0x07CC); put32(d, 0); put32(d, 0x0006);
  return d;
}

// Workbook stream with one sheet: strings in a shared string table, numbers, one date cell.
std::string biffWorkbook(const std::u16string& sheet_name, bool date1904, const std::string& extra_cells = "") {
  const std::vector<std::u16string> sst = {u"客户名称", u"金额", u"日期", u"深圳华强"};
  std::string g;
  record(g, 0x0809, bof(0x0005));
  std::string d;
  put16(d, 1200);
  record(g, 0x0042, d);  // CODEPAGE: UTF-16
  d.clear();
  put16(d, date1904 ? 1 : 0);
  record(g, 0x0022, d);  // DATEMODE
  for (int i = 0; i < 18; ++i) {  // 16 style XFs, a general cell XF (16) and a date cell XF (17, format 14)
    d.clear();
    put16(d, 0);
    put16(d, i == 17 ? 14 : 0);
    put16(d, i < 16 ? 0xFFF5 : 0x0001);
    d += std::string(14, '\0');
    record(g, 0x00E0, d);
  }
  size_t boundsheet_at = g.size();
  d.clear();
  put32(d, 0);  // lbPlyPos, patched below
  d += '\0'; d += '\0';
  d += static_cast<char>(sheet_name.size());
  d += '\x01';
  d += utf16(sheet_name);
  record(g, 0x0085, d);
  d.clear();
  put32(d, static_cast<uint32_t>(sst.size()));
  put32(d, static_cast<uint32_t>(sst.size()));
  for (const auto& s : sst) {
    put16(d, static_cast<uint16_t>(s.size()));
    d += '\x01';
    d += utf16(s);
  }
  record(g, 0x00FC, d);
  record(g, 0x000A, "");
  set32(g, boundsheet_at + 4, static_cast<uint32_t>(g.size()));

  std::string w;
  record(w, 0x0809, bof(0x0010));
  d.clear();
  put32(d, 0); put32(d, extra_cells.empty() ? 2 : 4); put16(d, 0); put16(d, extra_cells.empty() ? 3 : 6); put16(d, 0);
  record(w, 0x0200, d);  // DIMENSIONS: rows 0..1, columns 0..2 (0..3 and 0..5 with extra cells)
  auto label = [&](uint16_t r, uint16_t c, uint32_t isst) {
    std::string x;
    put16(x, r); put16(x, c); put16(x, 16); put32(x, isst);
    record(w, 0x00FD, x);
  };
  auto number = [&](uint16_t r, uint16_t c, uint16_t xf, double v) {
    std::string x;
    put16(x, r); put16(x, c); put16(x, xf);
    char b[8];
    std::memcpy(b, &v, 8);
    x.append(b, 8);
    record(w, 0x0203, x);
  };
  label(0, 0, 0); label(0, 1, 1); label(0, 2, 2);
  label(1, 0, 3); number(1, 1, 16, 1234.5); number(1, 2, 17, 45658);
  w += extra_cells;
  record(w, 0x000A, "");
  std::string stream = g + w;
  stream.resize(std::max<size_t>(stream.size(), 4096) + 64, '\0');  // above the mini-stream cutoff
  return stream;
}

// An OLE compound file (version 3, 512-byte sectors): FAT in sector 0, directory in sector 1,
// the Workbook stream from sector 2 on.
std::string compoundFile(const std::string& stream) {
  const uint32_t kEnd = 0xFFFFFFFE, kFree = 0xFFFFFFFF, kFatSect = 0xFFFFFFFD;
  size_t sectors = (stream.size() + 511) / 512;
  std::string h;
  h += std::string("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  h += std::string(16, '\0');
  put16(h, 0x003E); put16(h, 0x0003); put16(h, 0xFFFE); put16(h, 9); put16(h, 6);
  h += std::string(6, '\0');
  put32(h, 0); put32(h, 1); put32(h, 1); put32(h, 0); put32(h, 0x1000);
  put32(h, kEnd); put32(h, 0); put32(h, kEnd); put32(h, 0);
  put32(h, 0);  // DIFAT[0]: the FAT is sector 0
  for (int i = 1; i < 109; ++i) put32(h, kFree);
  std::string fat;
  put32(fat, kFatSect);
  put32(fat, kEnd);
  for (size_t i = 0; i < sectors; ++i) put32(fat, i + 1 == sectors ? kEnd : static_cast<uint32_t>(i + 3));
  fat.resize(512, '\xFF');
  auto entry = [&](const std::u16string& name, uint8_t type, uint32_t child, uint32_t start, uint32_t size) {
    std::string e = utf16(name);
    if (!name.empty()) put16(e, 0);
    e.resize(64, '\0');
    put16(e, name.empty() ? 0 : static_cast<uint16_t>((name.size() + 1) * 2));
    e += static_cast<char>(type);
    e += '\x01';
    put32(e, kFree); put32(e, kFree); put32(e, child);
    e += std::string(36, '\0');
    put32(e, start); put32(e, size); put32(e, 0);
    return e;
  };
  std::string dir = entry(u"Root Entry", 5, 1, kEnd, 0) +
                    entry(u"Workbook", 2, kFree, 2, static_cast<uint32_t>(stream.size())) +
                    entry(u"", 0, kFree, 0, 0) + entry(u"", 0, kFree, 0, 0);
  std::string body = stream;
  body.resize(sectors * 512, '\0');
  return h + fat + dir + body;
}

TEST(XlsReader, ReadsAHandMadeBiff8Workbook) {
  TempDir dir;
  testing::writeBytes(dir.file("old.xls"), compoundFile(biffWorkbook(u"订单", false)));
  auto names = listSheets(dir.file("old.xls"));
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(*names, std::vector<std::string>{"订单"});
  auto t = openTable(dir.file("old.xls"));
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ((*t)->header(), (std::vector<std::string>{"客户名称", "金额", "日期"}));
  EXPECT_EQ((*t)->declaredDataRows(), 1);
  Row r;
  auto more = (*t)->next(r);
  ASSERT_TRUE(more.ok() && *more);
  EXPECT_EQ(r.sheet, "订单");
  EXPECT_EQ(r.number, 2);
  EXPECT_EQ(r.cells.at(0).text, "深圳华强");
  EXPECT_EQ(r.cells.at(1).type, CellType::kNumber);
  EXPECT_EQ(r.cells.at(1).text, "1234.5");
  EXPECT_EQ(r.cells.at(2).type, CellType::kDateTime);
  EXPECT_EQ(r.cells.at(2).text, "2025-01-01");
  EXPECT_FALSE(*(*t)->next(r));
}

TEST(XlsReader, CorruptAndRenamedFilesAreErrors) {
  TempDir dir;
  std::string good = compoundFile(biffWorkbook(u"S", false));
  testing::writeBytes(dir.file("cut.xls"), good.substr(0, 700));
  auto r = testing::readAll(dir.file("cut.xls"));
  EXPECT_NE(r.error.find("cut.xls: not a readable .xls (BIFF8) workbook"), std::string::npos) << r.error;
  testing::writeBytes(dir.file("text.xls"), "just text");
  EXPECT_NE(testing::readAll(dir.file("text.xls")).error.find("not an .xls workbook"), std::string::npos);
  ReadOptions o;
  o.sheet = "nope";
  testing::writeBytes(dir.file("ok.xls"), good);
  EXPECT_NE(testing::readAll(dir.file("ok.xls"), o).error.find("no sheet named 'nope'; sheets: S"), std::string::npos);
}

// FORMULA records (FreeXL skips them): the cached result by kind, typed through the XF.
std::string formula(uint16_t r, uint16_t c, uint16_t xf, const std::string& value8) {
  std::string x;
  put16(x, r); put16(x, c); put16(x, xf);
  x += value8;
  put16(x, 0); put32(x, 0); put16(x, 0);  // grbit, chn, cce = 0 (no parsed expression needed)
  std::string rec;
  record(rec, 0x0006, x);
  return rec;
}
std::string doubleBytes(double v) {
  char b[8];
  std::memcpy(b, &v, 8);
  return std::string(b, 8);
}
std::string special(uint8_t kind, uint8_t value) {
  std::string v(8, '\0');
  v[0] = static_cast<char>(kind);
  v[2] = static_cast<char>(value);
  v[6] = v[7] = '\xFF';
  return v;
}

TEST(XlsReader, FormulaCellsGiveTheirCachedResults) {
  TempDir dir;
  std::string cells = formula(2, 0, 16, doubleBytes(3703.5)) + formula(2, 1, 17, doubleBytes(46352));
  cells += formula(2, 2, 16, special(0, 0));
  record(cells, 0x04BC, "");  // a SHRFMLA between the formula and its STRING
  std::string str;
  put16(str, 6); str += '\x01'; str += utf16(u"合计");  // 2 of 6 characters here ...
  record(cells, 0x0207, str);
  record(cells, 0x003C, std::string("\x00-ABC", 5));   // ... 4 more, 8-bit, in a CONTINUE
  cells += formula(2, 3, 16, special(1, 1)) + formula(2, 4, 16, special(2, 0x07));
  cells += formula(3, 0, 16, special(3, 0));  // an empty-string result: no value
  testing::writeBytes(dir.file("f.xls"), compoundFile(biffWorkbook(u"汇总", false, cells)));
  auto r = testing::readAll(dir.file("f.xls"));
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.rows.size(), 3u);
  const Row& row = r.rows[2];
  EXPECT_EQ(row.number, 3);
  ASSERT_EQ(row.cells.size(), 5u);
  EXPECT_EQ(row.cells[0].type, CellType::kNumber);
  EXPECT_EQ(row.cells[0].text, "3703.5");
  EXPECT_EQ(row.cells[1].type, CellType::kDateTime);
  EXPECT_EQ(row.cells[1].text, "2026-11-26");
  EXPECT_EQ(row.cells[2].type, CellType::kString);
  EXPECT_EQ(row.cells[2].text, "合计-ABC");
  EXPECT_EQ(row.cells[3].type, CellType::kBool);
  EXPECT_EQ(row.cells[3].text, "TRUE");
  EXPECT_EQ(row.cells[4].type, CellType::kError);
  EXPECT_EQ(row.cells[4].text, "#DIV/0!");
}

TEST(XlsReader, BrokenWorkbookStreamUnderFormulasIsAnErrorNotEmptyCells) {
  TempDir dir;
  std::string file = compoundFile(biffWorkbook(u"S", false, formula(2, 0, 16, doubleBytes(1))));
  // Point the Workbook stream's directory entry one sector past the end: FreeXL reads the file
  // through its own FAT walk; either it or our scan must refuse it, never read blanks.
  const size_t dir_entry = 512 + 512 + 128;  // header, FAT sector, then the 2nd directory entry
  set32(file, dir_entry + 116, 0x7FFF);
  testing::writeBytes(dir.file("b.xls"), file);
  auto r = testing::readAll(dir.file("b.xls"));
  EXPECT_EQ(r.error.rfind("b.xls: ", 0), 0u) << r.error;
  EXPECT_TRUE(r.rows.empty());
}

}  // namespace
}  // namespace qiao::excel
