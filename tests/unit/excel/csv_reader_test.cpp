// The CSV reader: encodings (detected and configured), quoting, delimiters, limits, errors.
#include <gtest/gtest.h>
#include <iconv.h>

#include "excel_test_util.h"
#include "qiao/excel/sheet.h"

namespace qiao::excel {
namespace {

using testing::cellText;
using testing::cellType;
using testing::readAll;
using testing::TempDir;
using testing::writeBytes;

std::string toGb18030(const std::string& utf8) {
  iconv_t cd = iconv_open("GB18030", "UTF-8");
  std::string in = utf8, out(utf8.size() * 2 + 8, '\0');
  char* ip = in.data();
  char* op = out.data();
  size_t il = in.size(), ol = out.size();
  size_t rc = iconv(cd, &ip, &il, &op, &ol);
  iconv_close(cd);
  EXPECT_NE(rc, static_cast<size_t>(-1));
  out.resize(out.size() - ol);
  return out;
}

const std::string kText = "客户名称,金额,备注\r\n深圳华强,\"1,234.50\",\"第一行\n第二行\"\r\n\"说\"\"好\"\"的\",12,\r\n";

void expectSample(const testing::ReadAll& r) {
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(cellText(r.rows[0], 0), "客户名称");
  EXPECT_EQ(cellText(r.rows[1], 0), "深圳华强");
  EXPECT_EQ(cellText(r.rows[1], 1), "1,234.50");
  EXPECT_EQ(cellText(r.rows[1], 2), "第一行\n第二行");
  EXPECT_EQ(r.rows[1].number, 2);
  EXPECT_EQ(cellText(r.rows[2], 0), "说\"好\"的");
  EXPECT_EQ(cellType(r.rows[2], 2), CellType::kEmpty);
  EXPECT_EQ(r.rows[2].number, 3);
  EXPECT_EQ(r.rows[2].sheet, "in");
}

TEST(CsvReader, Utf8) {
  TempDir dir;
  writeBytes(dir.file("in.csv"), kText);
  expectSample(readAll(dir.file("in.csv")));
}

TEST(CsvReader, Utf8WithBom) {
  TempDir dir;
  writeBytes(dir.file("in.csv"), "\xEF\xBB\xBF" + kText);
  auto r = readAll(dir.file("in.csv"));
  expectSample(r);
}

TEST(CsvReader, GbkDetectedAndConfigured) {
  TempDir dir;
  std::string gbk = toGb18030(kText);
  ASSERT_NE(gbk, kText);
  writeBytes(dir.file("in.csv"), gbk);
  expectSample(readAll(dir.file("in.csv")));
  ReadOptions o;
  o.encoding = Encoding::kGb18030;
  expectSample(readAll(dir.file("in.csv"), o));
}

TEST(CsvReader, GbkBeyondTheFirstChunkAndSplitCharacters) {
  TempDir dir;
  std::string text = "名称,数量\n";
  for (int i = 0; i < 30000; ++i) text += "产品" + std::to_string(i) + "号,\"" + std::to_string(i) + "\"\n";
  writeBytes(dir.file("in.csv"), toGb18030(text));  // > 1 MiB sniff window? no: many 64 KiB chunks
  auto r = readAll(dir.file("in.csv"));
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.rows.size(), 30001u);
  EXPECT_EQ(cellText(r.rows[29999], 0), "产品29998号");
  EXPECT_EQ(cellText(r.rows[30000], 1), "29999");
}

TEST(CsvReader, DelimitersDetectedFromTheHeaderLine) {
  TempDir dir;
  writeBytes(dir.file("semi.csv"), "a;b;\"c,d\"\n1;2,5;3\n");
  auto r = readAll(dir.file("semi.csv"));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(cellText(r.rows[0], 2), "c,d");
  EXPECT_EQ(cellText(r.rows[1], 1), "2,5");
  writeBytes(dir.file("tab.txt"), "a\tb\tc\n1\t2\t3\n");
  r = readAll(dir.file("tab.txt"));
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.rows[1].cells.size(), 3u);
  ReadOptions o;
  o.delimiter = ';';
  writeBytes(dir.file("forced.csv"), "a,b;c\n");
  r = readAll(dir.file("forced.csv"), o);
  EXPECT_EQ(cellText(r.rows[0], 0), "a,b");
}

TEST(CsvReader, InvalidEncodingNamesTheRow) {
  TempDir dir;
  std::string text = "a,b\n1,2\n";
  for (int i = 0; i < 5; ++i) text += "x,y\n";
  text += "bad,\xFF\xFF\n";  // row 8: neither UTF-8 nor GB18030
  writeBytes(dir.file("bad.csv"), text);
  auto r = readAll(dir.file("bad.csv"));
  EXPECT_NE(r.error.find("bad.csv: row 8: bytes that are neither UTF-8 nor GB18030"), std::string::npos) << r.error;
  EXPECT_EQ(r.rows.size(), 7u);  // rows before it were read, none after it
  ReadOptions o;
  o.encoding = Encoding::kUtf8;
  r = readAll(dir.file("bad.csv"), o);
  EXPECT_NE(r.error.find("bad.csv: row 8: invalid UTF-8"), std::string::npos) << r.error;
}

TEST(CsvReader, UnclosedQuoteAndHugeRecord) {
  TempDir dir;
  writeBytes(dir.file("q.csv"), "a,b\n1,\"never closed\n2,3\n");
  auto r = readAll(dir.file("q.csv"));
  EXPECT_NE(r.error.find("q.csv: row 2: a quoted field is not closed"), std::string::npos) << r.error;
  ReadOptions o;
  o.limits.max_csv_record_bytes = 1000;
  writeBytes(dir.file("big.csv"), "a,b\n1," + std::string(200000, 'x') + "\n");
  r = readAll(dir.file("big.csv"), o);
  EXPECT_NE(r.error.find("big.csv: row 2: record longer than 1000 bytes"), std::string::npos) << r.error << " rows " << r.rows.size();
}

TEST(CsvReader, Utf16AndWorkbookRenamedToCsvAreRefused) {
  TempDir dir;
  writeBytes(dir.file("u16.csv"), std::string("\xFF\xFE" "a\0,\0b\0", 8));
  EXPECT_NE(readAll(dir.file("u16.csv")).error.find("UTF-16"), std::string::npos);
  writeBytes(dir.file("wb.csv"), std::string("PK\x03\x04", 4) + std::string(100, 'x'));
  EXPECT_NE(readAll(dir.file("wb.csv")).error.find("looks like a workbook"), std::string::npos);
}

TEST(CsvTable, ShortAndLongRecords) {
  TempDir dir;
  writeBytes(dir.file("t.csv"), "a,b,c\n1,2\n1,2,3,4\n");
  auto t = openTable(dir.file("t.csv"));
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->declaredDataRows(), -1);
  Row row;
  ASSERT_TRUE(*(*t)->next(row));  // short rows are padded by default
  auto bad = (*t)->next(row);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("t.csv: t!D3: value '4' right of the last header column (C)"), std::string::npos)
      << bad.error().message;
  ReadOptions strict;
  strict.allow_short_rows = false;
  auto s = openTable(dir.file("t.csv"), strict);
  ASSERT_TRUE(s.ok());
  auto e = (*s)->next(row);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("row 2: 2 fields, the header has 3"), std::string::npos) << e.error().message;
}

TEST(CsvReader, NoTrailingNewlineAndCrOnlyLineEnds) {
  TempDir dir;
  writeBytes(dir.file("n.csv"), "a,b\r1,2\r3,\"4\"");
  auto r = readAll(dir.file("n.csv"));
  ASSERT_EQ(r.error, "");
  ASSERT_EQ(r.rows.size(), 3u);
  EXPECT_EQ(cellText(r.rows[2], 1), "4");
}

}  // namespace
}  // namespace qiao::excel
