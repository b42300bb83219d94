// Writers: formula escaping, identifiers kept as text, CSV bytes, atomic publication.
#include <gtest/gtest.h>

#include <algorithm>

#include "excel_test_util.h"
#include "qiao/excel/sheet.h"
#include "qiao/excel/writer.h"

namespace qiao::excel {
namespace {

using testing::readBytes;
using testing::TempDir;

TEST(FormulaEscape, LeadingCharactersThatExcelWouldEvaluate) {
  for (const char* s : {"=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"}) {
    EXPECT_TRUE(needsFormulaEscape(s)) << s;
    EXPECT_EQ(escapeFormula(s), std::string("'") + s);
  }
  for (const char* s : {"", "1+1", "a=b", " =1", "'=1", "华为"}) {
    EXPECT_FALSE(needsFormulaEscape(s)) << s;
    EXPECT_EQ(escapeFormula(s), s);
  }
}

TEST(Identifiers, LongDigitStringsAndLeadingZerosStayText) {
  EXPECT_TRUE(looksLikeIdentifier("13800138000123"));
  EXPECT_TRUE(looksLikeIdentifier("440301199001011234"));
  EXPECT_TRUE(looksLikeIdentifier("123456789012"));
  EXPECT_FALSE(looksLikeIdentifier("12345678901"));
  EXPECT_TRUE(looksLikeIdentifier("0755"));
  EXPECT_FALSE(looksLikeIdentifier("0"));
  EXPECT_FALSE(looksLikeIdentifier("12.50"));
  EXPECT_FALSE(looksLikeIdentifier("44030119900101123X"));
}

TEST(CsvWriter, BomCrlfQuotingAndEscaping) {
  TempDir dir;
  auto w = SheetWriter::create(dir.file("out.csv"), {{"名称"}, {"金额", ColumnKind::kAmount}, {"日期", ColumnKind::kDate}});
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE((*w)->addRow({Cell::string("a,\"b\"\nc"), Cell::number("-5"), Cell::dateTime({2026, 1, 2, 3, 4, 5, 0})}).ok());
  ASSERT_TRUE((*w)->addRow({Cell::string("=cmd|' /C calc'!A0"), Cell{}, Cell::string("-x")}).ok());
  EXPECT_FALSE((*w)->addRow({Cell{}, Cell{}, Cell{}, Cell{}}).ok());
  ASSERT_TRUE((*w)->commit().ok());
  EXPECT_EQ(readBytes(dir.file("out.csv")),
            "\xEF\xBB\xBF名称,金额,日期\r\n"
            "\"a,\"\"b\"\"\nc\",-5,2026-01-02 03:04:05\r\n"
            "'=cmd|' /C calc'!A0,,'-x\r\n");
  EXPECT_EQ((*w)->rowsWritten(), 2);
}

TEST(AtomicWrite, NothingVisibleUntilCommitAndNothingLeftOnAbort) {
  TempDir dir;
  for (const char* name : {"a.xlsx", "a.csv"}) {
    {
      auto w = SheetWriter::create(dir.file(name), {{"x"}});
      ASSERT_TRUE(w.ok());
      for (int i = 0; i < 1000; ++i) ASSERT_TRUE((*w)->addRow({Cell::number(std::to_string(i))}).ok());
      auto files = dir.list();
      EXPECT_EQ(std::count(files.begin(), files.end(), std::string(name)), 0) << name << " visible before commit";
      // Dropped without commit: the temporary file goes too.
    }
    EXPECT_TRUE(dir.list().empty()) << name;
    auto w = SheetWriter::create(dir.file(name), {{"x"}});
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->addRow({Cell::number("1")}).ok());
    // csv: a hidden temporary file; xlsx (constant memory): nothing until the close.
    for (const auto& f : dir.list()) EXPECT_EQ(f[0], '.') << "temporary files are hidden: " << f;
    if (std::string(name).ends_with(".csv")) {
      EXPECT_EQ(dir.list().size(), 1u);
    }
    ASSERT_TRUE((*w)->commit().ok());
    EXPECT_EQ(dir.list(), std::vector<std::string>{name});
    std::filesystem::remove(dir.file(name));
  }
}

TEST(AtomicWrite, ReplacesAnExistingFileWhole) {
  TempDir dir;
  testing::writeBytes(dir.file("r.txt"), "old contents that are longer");
  ASSERT_TRUE(writeFileAtomically(dir.file("r.txt"), "new").ok());
  EXPECT_EQ(readBytes(dir.file("r.txt")), "new");
  EXPECT_EQ(dir.list().size(), 1u);
  EXPECT_FALSE(writeFileAtomically(dir.file("no/such/dir.txt"), "x").ok());
}

TEST(Writer, RejectsUnknownExtensionAndNoColumns) {
  TempDir dir;
  EXPECT_FALSE(SheetWriter::create(dir.file("x.ods"), {{"a"}}).ok());
  EXPECT_FALSE(SheetWriter::create(dir.file("x.xlsx"), {}).ok());
  EXPECT_FALSE(SheetWriter::create(dir.file("x.xls"), {{"a"}}).ok());
}

TEST(XlsxWriter, LongIdsAsTextAmountsAsNumbersInEveryKind) {
  TempDir dir;
  std::vector<ColumnSpec> cols = {{"身份证", ColumnKind::kAuto}, {"金额", ColumnKind::kAmount},
                                  {"整数", ColumnKind::kInteger}, {"时间", ColumnKind::kDateTime},
                                  {"文本", ColumnKind::kText}};
  auto w = SheetWriter::create(dir.file("t.xlsx"), cols);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->addRow({Cell::string("440301199001011234"), Cell::string("99.9"), Cell::number("7"),
                            Cell::string("2026-11-26 08:30:00"), Cell::number("123")}).ok());
  ASSERT_TRUE((*w)->commit().ok());
  auto t = openTable(dir.file("t.xlsx"));
  ASSERT_TRUE(t.ok());
  Row r;
  ASSERT_TRUE(*(*t)->next(r));
  EXPECT_EQ(r.cells.at(0).type, CellType::kString);
  EXPECT_EQ(r.cells.at(0).text, "440301199001011234");
  EXPECT_EQ(r.cells.at(1).type, CellType::kNumber);
  EXPECT_EQ(r.cells.at(1).text, "99.9");
  EXPECT_EQ(r.cells.at(2).text, "7");
  EXPECT_EQ(r.cells.at(3).type, CellType::kDateTime);
  EXPECT_EQ(r.cells.at(3).text, "2026-11-26T08:30:00");
  EXPECT_EQ(r.cells.at(4).type, CellType::kString);
  EXPECT_EQ(r.cells.at(4).text, "123");
}

}  // namespace
}  // namespace qiao::excel
