// Bad workbooks: each gets an error naming the file (and sheet and row where there is one),
// never a crash and never a silent partial read.
#include <gtest/gtest.h>

#include "excel_test_util.h"
#include "qiao/excel/sheet.h"

namespace qiao::excel {
namespace {

using testing::readAll;
using testing::readBytes;
using testing::TempDir;
using testing::writeBytes;
using testing::writeXlsx;
using testing::writeZip;
using testing::XlsxParts;

std::string validSheet(int rows) {
  std::string s;
  for (int i = 1; i <= rows; ++i) {
    s += "<row r=\"" + std::to_string(i) + "\"><c r=\"A" + std::to_string(i) + "\" t=\"inlineStr\"><is><t>row " +
         std::to_string(i) + " with some text to make the part longer</t></is></c></row>";
  }
  return s;
}

TEST(XlsxBadInput, GarbageWithXlsxExtensionIsARenamedFile) {
  TempDir dir;
  writeBytes(dir.file("notes.xlsx"), "name,amount\nA,1\n");
  auto r = readAll(dir.file("notes.xlsx"));
  EXPECT_NE(r.error.find("notes.xlsx: not an .xlsx workbook (no zip signature)"), std::string::npos) << r.error;
}

TEST(XlsxBadInput, EmptyFile) {
  TempDir dir;
  writeBytes(dir.file("empty.xlsx"), "");
  EXPECT_NE(readAll(dir.file("empty.xlsx")).error.find("empty.xlsx: the file is empty"), std::string::npos);
}

TEST(XlsxBadInput, TruncatedWorkbookAtEveryFewBytes) {
  TempDir dir;
  XlsxParts p;
  p.sheets[0].second = validSheet(200);
  ASSERT_TRUE(writeXlsx(dir.file("full.xlsx"), p));
  std::string bytes = readBytes(dir.file("full.xlsx"));
  ASSERT_GT(bytes.size(), 1000u);
  int failures = 0;
  for (size_t cut = 4; cut < bytes.size(); cut += bytes.size() / 23) {
    writeBytes(dir.file("cut.xlsx"), bytes.substr(0, cut));
    auto r = readAll(dir.file("cut.xlsx"));
    ASSERT_NE(r.error, "") << "cut at " << cut << " read " << r.rows.size() << " rows without error";
    EXPECT_NE(r.error.find("cut.xlsx"), std::string::npos) << r.error;
    ++failures;
  }
  EXPECT_GT(failures, 20);
}

TEST(XlsxBadInput, CorruptCompressedDataIsAnError) {
  TempDir dir;
  XlsxParts p;
  p.sheets[0].second = validSheet(300);
  ASSERT_TRUE(writeXlsx(dir.file("ok.xlsx"), p));
  std::string bytes = readBytes(dir.file("ok.xlsx"));
  // Flip bytes in the middle of the sheet's deflated data.
  size_t at = bytes.find("xl/worksheets/sheet1.xml");
  ASSERT_NE(at, std::string::npos);
  for (size_t i = at + 200; i < at + 260 && i < bytes.size(); ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
  writeBytes(dir.file("bad.xlsx"), bytes);
  auto r = readAll(dir.file("bad.xlsx"));
  EXPECT_NE(r.error, "");
  EXPECT_NE(r.error.find("bad.xlsx"), std::string::npos) << r.error;
}

TEST(XlsxBadInput, MalformedSheetXmlNamesSheetAndRow) {
  TempDir dir;
  XlsxParts p;
  p.sheets = {{"订单", "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\"><v>2</c></row>"}};
  ASSERT_TRUE(writeXlsx(dir.file("m.xlsx"), p));
  auto r = readAll(dir.file("m.xlsx"));
  EXPECT_NE(r.error.find("m.xlsx: xl/worksheets/sheet1.xml line 1, sheet '订单' near row 2: malformed XML"),
            std::string::npos) << r.error;
}

TEST(XlsxBadInput, DoctypeIsRefused) {
  TempDir dir;
  std::string ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
  XlsxParts p;
  p.shared_strings = "<si><t>x</t></si>";
  ASSERT_TRUE(writeXlsx(dir.file("base.xlsx"), p));
  // Re-make the workbook with a shared strings part that declares an entity.
  auto rels = std::string("<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
                          "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>");
  ASSERT_TRUE(writeZip(dir.file("x.xlsx"), {
      {"xl/workbook.xml", "<?xml version=\"1.0\"?><workbook xmlns=\"" + ns + "\" xmlns:r=\"r\"><sheets><sheet name=\"S\" r:id=\"rId1\"/></sheets></workbook>"},
      {"xl/_rels/workbook.xml.rels", rels},
      {"xl/sharedStrings.xml", "<?xml version=\"1.0\"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><sst><si><t>&xxe;</t></si></sst>"},
      {"xl/worksheets/sheet1.xml", "<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row></sheetData></worksheet>"}}));
  auto r = readAll(dir.file("x.xlsx"));
  EXPECT_NE(r.error.find("DOCTYPE is not allowed"), std::string::npos) << r.error;
  EXPECT_TRUE(r.rows.empty());
}

TEST(XlsxBadInput, ZipBombIsRefusedByRatioAndBySize) {
  TempDir dir;
  std::string row = "<row><c t=\"inlineStr\"><is><t>0000000000000000000000000000000000000000</t></is></c></row>";
  std::string body;
  body.reserve(24u << 20);
  while (body.size() < (24u << 20)) body += row;  // ~24 MiB that deflates to a few KiB
  XlsxParts p;
  p.sheets[0].second = body;
  ASSERT_TRUE(writeXlsx(dir.file("bomb.xlsx"), p));
  auto r = readAll(dir.file("bomb.xlsx"));
  EXPECT_NE(r.error.find("refused as a zip bomb"), std::string::npos) << r.error;

  ReadOptions small;
  small.limits.max_ratio = 1000000;
  small.limits.max_entry_bytes = 1u << 20;
  auto s = readAll(dir.file("bomb.xlsx"), small);
  EXPECT_NE(s.error.find("over the limit"), std::string::npos) << s.error;
}

TEST(XlsxBadInput, SharedStringIndexOutOfRangeNamesTheCell) {
  TempDir dir;
  XlsxParts p;
  p.shared_strings = "<si><t>a</t></si>";
  p.sheets[0].second = "<row r=\"7\"><c r=\"B7\" t=\"s\"><v>5</v></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("s.xlsx"), p));
  auto r = readAll(dir.file("s.xlsx"));
  EXPECT_NE(r.error.find("Sheet1!B7: shared string index '5' out of range"), std::string::npos) << r.error;
}

TEST(XlsxBadInput, BadNumberAndBadCellReference) {
  TempDir dir;
  XlsxParts p;
  p.sheets[0].second = "<row r=\"3\"><c r=\"C3\"><v>12abc</v></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("n.xlsx"), p));
  EXPECT_NE(readAll(dir.file("n.xlsx")).error.find("Sheet1!C3: bad number '12abc'"), std::string::npos);
  p.sheets[0].second = "<row r=\"3\"><c r=\"3C\"><v>1</v></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("r.xlsx"), p));
  EXPECT_NE(readAll(dir.file("r.xlsx")).error.find("bad cell reference '3C'"), std::string::npos);
}

TEST(XlsxBadInput, PasswordProtectedWorkbook) {
  TempDir dir;
  std::string cfb("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  cfb += std::string(600, '\0');
  static const char kName[] = "E\0n\0c\0r\0y\0p\0t\0e\0d\0P\0a\0c\0k\0a\0g\0e\0";
  cfb += std::string(kName, sizeof kName - 1);
  cfb += std::string(600, '\0');
  writeBytes(dir.file("secret.xlsx"), cfb);
  auto r = readAll(dir.file("secret.xlsx"));
  EXPECT_NE(r.error.find("secret.xlsx: the workbook is password-protected"), std::string::npos) << r.error;
}

TEST(XlsxBadInput, MissingWorkbookPart) {
  TempDir dir;
  ASSERT_TRUE(writeZip(dir.file("z.xlsx"), {{"hello.txt", "hi"}}));
  auto r = readAll(dir.file("z.xlsx"));
  EXPECT_NE(r.error.find("z.xlsx: the workbook has no part xl/workbook.xml"), std::string::npos) << r.error;
}

TEST(TableReader, RaggedRowNamesTheCellRightOfTheHeader) {
  TempDir dir;
  XlsxParts p;
  p.sheets[0].second = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>b</t></is></c></row>"
                       "<row r=\"2\"><c r=\"A2\"><v>1</v></c></row>"
                       "<row r=\"3\"><c r=\"A3\"><v>1</v></c><c r=\"D3\"><v>9</v></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("rag.xlsx"), p));
  auto t = openTable(dir.file("rag.xlsx"));
  ASSERT_TRUE(t.ok());
  Row row;
  ASSERT_TRUE(*(*t)->next(row));
  auto bad = (*t)->next(row);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("rag.xlsx: Sheet1!D3: value '9' right of the last header column (B)"),
            std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace qiao::excel

namespace qiao::excel {
namespace {

// Deterministic mutations of sheet XML (zipped correctly, so the XML handlers see them) and
// of whole files: every read ends in rows or an error naming the file, never a crash or hang.
TEST(XlsxBadInput, MutatedWorkbooksNeverCrash) {
  TempDir dir;
  const std::string sheet =
      "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"inlineStr\"><is><t>名</t></is></c></row>"
      "<row r=\"2\"><c r=\"A2\" s=\"1\"><v>45658.25</v></c><c r=\"B2\" t=\"b\"><v>1</v></c><c t=\"e\"><v>#REF!</v></c></row>"
      "<row><c r=\"C3\" t=\"str\"><v>x</v></c><c r=\"XFD3\"><v>1e308</v></c></row>";
  const std::string strings = "<si><r><t>a</t></r><rPh><t>b</t></rPh></si><si><t>c_x0041_</t></si>";
  const std::string styles = "<numFmts><numFmt numFmtId=\"200\" formatCode=\"[Red]yyyy\"/></numFmts><cellXfs><xf numFmtId=\"0\"/><xf numFmtId=\"200\"/></cellXfs>";
  uint64_t seed = 12345;
  auto rnd = [&seed] { seed = seed * 6364136223846793005ull + 1442695040888963407ull; return seed >> 33; };
  int errors = 0, oks = 0;
  for (int round = 0; round < 300; ++round) {
    XlsxParts p;
    p.sheets[0].second = sheet;
    p.shared_strings = strings;
    p.styles = styles;
    std::string* target = round % 3 == 0 ? &p.sheets[0].second : round % 3 == 1 ? &p.shared_strings : &p.styles;
    for (int k = 0; k < 1 + static_cast<int>(rnd() % 4); ++k) {
      size_t at = rnd() % target->size();
      switch (rnd() % 3) {
        case 0: (*target)[at] = static_cast<char>(rnd() % 256); break;
        case 1: target->erase(at, 1 + rnd() % 8); break;
        default: target->insert(at, std::string(1 + rnd() % 3, "<>\"&/=0123456789abcrtvs"[rnd() % 23])); break;
      }
      if (target->empty()) *target = "x";
    }
    ASSERT_TRUE(writeXlsx(dir.file("m.xlsx"), p));
    auto r = readAll(dir.file("m.xlsx"));
    if (r.error.empty()) ++oks;
    else { ++errors; EXPECT_EQ(r.error.rfind("m.xlsx: ", 0), 0u) << r.error; }
  }
  EXPECT_GT(errors, 50);
  EXPECT_GT(oks, 5);
  // Whole-file byte flips.
  ASSERT_TRUE(writeXlsx(dir.file("base.xlsx"), XlsxParts{{{"S", sheet}}, strings, styles, false}));
  std::string base = readBytes(dir.file("base.xlsx"));
  for (int round = 0; round < 200; ++round) {
    std::string b = base;
    for (int k = 0; k < 3; ++k) b[rnd() % b.size()] = static_cast<char>(rnd() % 256);
    writeBytes(dir.file("f.xlsx"), b);
    auto r = readAll(dir.file("f.xlsx"));
    if (!r.error.empty()) {
      EXPECT_NE(r.error.find("f.xlsx"), std::string::npos) << r.error;
    }
  }
}

TEST(CsvBadInput, RandomBytesNeverCrash) {
  TempDir dir;
  uint64_t seed = 99;
  auto rnd = [&seed] { seed = seed * 6364136223846793005ull + 1442695040888963407ull; return seed >> 33; };
  for (int round = 0; round < 300; ++round) {
    std::string b;
    size_t n = rnd() % 400;
    for (size_t i = 0; i < n; ++i) b += "a,;\t\"\r\n\xE4\xB8\xAD\xFF\x81"[rnd() % 12];
    writeBytes(dir.file("r.csv"), b);
    auto r = readAll(dir.file("r.csv"));
    if (!r.error.empty()) {
      EXPECT_EQ(r.error.rfind("r.csv: ", 0), 0u) << r.error;
    }
    auto t = openTable(dir.file("r.csv"));
    if (!t.ok()) continue;
    Row row;
    for (int i = 0; i < 1000; ++i) {
      auto more = (*t)->next(row);
      if (!more.ok() || !*more) break;
    }
  }
}

}  // namespace
}  // namespace qiao::excel

namespace qiao::excel {
namespace {

TEST(XlsxBadInput, OverlongCellTextIsAnError) {
  TempDir dir;
  XlsxParts p;
  p.sheets[0].second = "<row r=\"4\"><c r=\"B4\" t=\"inlineStr\"><is><t>" + std::string(2u << 20, 'x') + "</t></is></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("long.xlsx"), p));
  ReadOptions o;
  o.limits.max_ratio = 100000;  // a run of 'x' compresses like a zip bomb
  auto r = readAll(dir.file("long.xlsx"), o);
  EXPECT_NE(r.error.find("Sheet1!B4: cell text longer than 1048576 bytes"), std::string::npos) << r.error.substr(0, 300);
}

}  // namespace
}  // namespace qiao::excel

namespace qiao::excel {
namespace {

// Found with fuzz_xlsx_reader's UTF-8 check (corpus/xlsx/surrogate_escapes): _xHHHH_ escapes of
// UTF-16 surrogates were encoded one by one (CESU-8), which is not UTF-8 and broke JSON.
TEST(XlsxBadInput, SurrogateEscapesBecomeUtf8) {
  TempDir dir;
  XlsxParts p;
  p.shared_strings = "<si><t>a_xD83D__xDE00_b</t></si><si><t>lone_xD800_high</t></si><si><t>_xDC00_x_xD83D_</t></si>";
  p.sheets[0].second = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c>"
                       "<c r=\"C1\" t=\"s\"><v>2</v></c><c r=\"D1\" t=\"inlineStr\"><is><t>_x4E2D__x0041_</t></is></c></row>";
  ASSERT_TRUE(writeXlsx(dir.file("u.xlsx"), p));
  auto r = readAll(dir.file("u.xlsx"));
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.rows.size(), 1u);
  EXPECT_EQ(testing::cellText(r.rows[0], 0), "a\xF0\x9F\x98\x80" "b");          // U+1F600 from its pair
  EXPECT_EQ(testing::cellText(r.rows[0], 1), "lone\xEF\xBF\xBDhigh");           // U+FFFD
  EXPECT_EQ(testing::cellText(r.rows[0], 2), "\xEF\xBF\xBDx\xEF\xBF\xBD");
  EXPECT_EQ(testing::cellText(r.rows[0], 3), "中A");
}

}  // namespace
}  // namespace qiao::excel

namespace qiao::excel {
namespace {

void put32le(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

// An encrypted .xlsx as large workbooks are laid out: the streams first, the OLE directory
// after them, here at 78 KiB, beyond the first 64 KiB that a byte search would look at.
std::string encryptedOleWithDirectoryAtTheEnd() {
  const uint32_t kEnd = 0xFFFFFFFE, kFree = 0xFFFFFFFF, kFatSect = 0xFFFFFFFD;
  const uint32_t info_start = 2, info_sectors = 8, pkg_start = 10, pkg_sectors = 142, dir_sector = 152;
  std::string h("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  h += std::string(16, '\0');
  h += std::string("\x3E\x00\x03\x00\xFE\xFF\x09\x00\x06\x00", 10);
  h += std::string(6, '\0');
  put32le(h, 0); put32le(h, 2); put32le(h, dir_sector); put32le(h, 0); put32le(h, 4096);
  put32le(h, kEnd); put32le(h, 0); put32le(h, kEnd); put32le(h, 0);
  put32le(h, 0); put32le(h, 1);  // DIFAT: FAT in sectors 0 and 1
  for (int i = 2; i < 109; ++i) put32le(h, kFree);
  std::vector<uint32_t> fat(256, kFree);
  fat[0] = fat[1] = kFatSect;
  for (uint32_t i = 0; i < info_sectors; ++i) fat[info_start + i] = i + 1 == info_sectors ? kEnd : info_start + i + 1;
  for (uint32_t i = 0; i < pkg_sectors; ++i) fat[pkg_start + i] = i + 1 == pkg_sectors ? kEnd : pkg_start + i + 1;
  fat[dir_sector] = kEnd;
  std::string body;
  for (uint32_t v : fat) put32le(body, v);
  body += std::string((info_sectors + pkg_sectors) * 512, 'z');
  auto entry = [](const std::u16string& name, uint8_t type, uint32_t child, uint32_t start, uint32_t size) {
    std::string e;
    for (char16_t c : name) { e += static_cast<char>(c & 0xFF); e += static_cast<char>(c >> 8); }
    e.resize(64, '\0');
    e += static_cast<char>(((name.size() + 1) * 2) & 0xFF);
    e += '\0';
    e += static_cast<char>(type);
    e += '\x01';
    put32le(e, 0xFFFFFFFF); put32le(e, 0xFFFFFFFF); put32le(e, child);  // siblings (unused here), child
    e += std::string(36, '\0');
    put32le(e, start); put32le(e, size); put32le(e, 0);
    return e;
  };
  body += entry(u"Root Entry", 5, 1, kEnd, 0) + entry(u"EncryptedPackage", 2, 0xFFFFFFFF, pkg_start, pkg_sectors * 512) +
          entry(u"EncryptionInfo", 2, 0xFFFFFFFF, info_start, info_sectors * 512) + std::string(128, '\0');
  return h + std::string(512 - h.size(), '\0') + body;
}

TEST(XlsxBadInput, PasswordProtectedWorkbookWithItsDirectoryPast64KiB) {
  TempDir dir;
  std::string file = encryptedOleWithDirectoryAtTheEnd();
  ASSERT_GT(file.size(), 70000u);
  ASSERT_GT(file.find(std::string("E\0n\0c\0r\0y\0p\0t\0e\0d", 17)), 65536u);  // only in the directory sector
  writeBytes(dir.file("big secret.xlsx"), file);
  auto r = readAll(dir.file("big secret.xlsx"));
  EXPECT_EQ(r.error.rfind("big secret.xlsx: the workbook is password-protected", 0), 0u) << r.error;
}

}  // namespace
}  // namespace qiao::excel

namespace qiao::excel {
namespace {

// The shared string table is held in memory: its limit holds for many strings and for one
// endless string alike (checked as the text grows, not when the string ends).
TEST(XlsxBadInput, SharedStringsOverTheLimitAreRefused) {
  TempDir dir;
  ReadOptions o;
  o.limits.max_shared_strings_bytes = 4096;
  o.limits.max_ratio = 100000;
  XlsxParts p;
  p.sheets[0].second = "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>";
  for (int i = 0; i < 200; ++i) p.shared_strings += "<si><t>客户名称" + std::to_string(i) + "</t></si>";
  ASSERT_TRUE(writeXlsx(dir.file("many.xlsx"), p));
  EXPECT_EQ(readAll(dir.file("many.xlsx"), o).error, "many.xlsx: shared strings exceed 4096 bytes");
  p.shared_strings = "<si><t>" + std::string(64 * 1024, 'y') + "</t></si>";
  ASSERT_TRUE(writeXlsx(dir.file("one.xlsx"), p));
  EXPECT_EQ(readAll(dir.file("one.xlsx"), o).error, "one.xlsx: shared strings exceed 4096 bytes");
  EXPECT_EQ(readAll(dir.file("one.xlsx")).error, "") << "within the default limit";
}

}  // namespace
}  // namespace qiao::excel

namespace qiao::excel {
namespace {

// Found by fuzz_xlsx_reader (corpus/xlsx/self_closing_bad_cell): a self-closing cell with a bad
// reference was refused, but expat still delivered its end tag and the reader stored a cell at
// column -1 (undefined behaviour). Now the error, and nothing after it.
TEST(XlsxBadInput, SelfClosingCellWithABadReferenceIsOnlyAnError) {
  TempDir dir;
  XlsxParts p;
  for (const char* row : {"<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c></row><row r=\"2\"><c r=\"4\"/></row>",
                          "<row r=\"2\"><c r=\"A2\"><v>1</v></c><c r=\"ZZZZ2\"/></row>"}) {
    p.sheets[0].second = row;
    ASSERT_TRUE(writeXlsx(dir.file("c.xlsx"), p));
    auto r = readAll(dir.file("c.xlsx"));
    EXPECT_NE(r.error.find("c.xlsx: xl/worksheets/sheet1.xml"), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("bad cell reference"), std::string::npos) << r.error;
    EXPECT_LE(r.rows.size(), 1u);  // at most row 1, read before the bad one
  }
}

}  // namespace
}  // namespace qiao::excel
