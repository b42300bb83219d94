// Bad input at the drop folder (the `excel` source and sink) and the reader cases not covered
// elsewhere: links and names that would lead out of the folder, a bad row in the middle of a
// file, a password-protected workbook dropped in, a workbook renamed to .txt, a huge CSV line.
// Each ends in an error naming the file (and row) with nothing of that file emitted.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "excel_test_util.h"
#include "qiao/sdk/connector.h"

void qiao_register_excel(qiao::sdk::Registry& registry);

namespace qiao::excel {
namespace {

using testing::readAll;
using testing::readBytes;
using testing::TempDir;
using testing::writeBytes;

const sdk::Descriptor& descriptor() {
  static sdk::Registry reg;
  static bool once = [] { qiao_register_excel(reg); return true; }();
  (void)once;
  return *reg.find("excel");
}

std::unique_ptr<sdk::Source> dropSource(const std::string& folder, const std::string& pattern = "*") {
  auto s = descriptor().make_source(
      {"drop", R"({"folder":")" + folder + R"(","pattern":")" + pattern + R"(","min_file_age":"0ms"})"}, {"drop", ""});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s).value() : nullptr;
}

bool isLink(const std::string& p) {
  struct stat st{};
  return ::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}

TEST(DropFolderBadInput, SymbolicLinkOutOfTheFolderIsRefusedNotFollowed) {
  TempDir outside, drop;
  writeBytes(outside.file("secret.csv"), "password\nhunter2\n");
  ASSERT_EQ(::symlink(outside.file("secret.csv").c_str(), drop.file("evil.csv").c_str()), 0);
  auto src = dropSource(drop.path(), "*.csv");
  ASSERT_TRUE(src);
  auto p = src->poll("", 10);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message.rfind("evil.csv: a symbolic link; the drop folder reads only files inside it", 0), 0u)
      << p.error().message;
  EXPECT_EQ(p.error().message.find("hunter2"), std::string::npos);
  // The link itself moved to rejected/; its target is where it was, untouched.
  EXPECT_TRUE(isLink(drop.file("rejected/evil.csv")));
  EXPECT_EQ(readBytes(outside.file("secret.csv")), "password\nhunter2\n");
  EXPECT_NE(readBytes(drop.file("rejected/evil.csv.error.txt")).find("symbolic link"), std::string::npos);
  auto next = src->poll("", 10);
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_TRUE(next->records.empty());
}

TEST(DropFolderBadInput, RejectedFolderReplacedByALinkIsNotWrittenThrough) {
  TempDir outside, drop;
  ASSERT_EQ(::symlink(outside.path().c_str(), drop.file("rejected").c_str()), 0);
  writeBytes(drop.file("bad.xlsx"), "not a workbook");
  auto src = dropSource(drop.path(), "*.xlsx");
  auto p = src->poll("", 10);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("bad.xlsx: not an .xlsx workbook"), std::string::npos) << p.error().message;
  EXPECT_NE(p.error().message.find("not a folder (a symbolic link is not followed)"), std::string::npos)
      << p.error().message;
  EXPECT_TRUE(outside.list().empty());                      // nothing moved or written outside
  EXPECT_TRUE(std::filesystem::exists(drop.file("bad.xlsx")));  // the file stays for the operator
}

TEST(DropFolderBadInput, NamesWithPathsAreRefusedAtConfigAndDelivery) {
  // A source pattern is a file name pattern: "../*.csv" would read beside the folder.
  auto bad = descriptor().make_source({"x", R"({"folder":"/tmp/in","pattern":"../*.csv"})"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'pattern' is a file name pattern, without '/'"), std::string::npos);
  auto bad_sink = descriptor().make_sink({"x", R"({"folder":"/tmp/out","file_pattern":"../{date}.csv"})"}, {});
  ASSERT_FALSE(bad_sink.ok());
  EXPECT_NE(bad_sink.error().message.find("without '/' or '..'"), std::string::npos);
  // The sink's {entity} comes from the record: an entity with ../ is refused, nothing written.
  TempDir dir;
  std::filesystem::create_directory(dir.file("out"));
  auto sink = descriptor().make_sink({"out", R"({"folder":")" + dir.file("out") + R"(","file_pattern":"{entity}-{date}.csv"})"}, {});
  ASSERT_TRUE(sink.ok()) << sink.error().message;
  Record r;
  r.entity = "../escape";
  r.created_at_ms = 1795478400000;
  r.payload = R"({"id":"SO-1"})";
  r.idempotency_key = "k1";
  auto d = (*sink)->deliver(r);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("excel: export"), std::string::npos) << d.error().message;
  EXPECT_EQ(dir.list(), std::vector<std::string>{"out"});
  EXPECT_TRUE(std::filesystem::is_empty(dir.file("out")));
}

TEST(DropFolderBadInput, BadRowInTheMiddleEmitsNothingOfThatFile) {
  TempDir drop;
  // Rows 2-4 are fine; row 5 has a byte that is neither UTF-8 nor GB18030.
  writeBytes(drop.file("orders.csv"), "单号,金额\nSO-1,1\nSO-2,2\nSO-3,3\nSO-4,\xFF\xFF\nSO-5,5\n");
  auto src = dropSource(drop.path(), "*.csv");
  auto p = src->poll("", 100);
  ASSERT_FALSE(p.ok()) << "the rows before the bad one were handed out";
  EXPECT_EQ(p.error().message.rfind("orders.csv: row 5: bytes that are neither UTF-8 nor GB18030", 0), 0u)
      << p.error().message;
  EXPECT_TRUE(std::filesystem::exists(drop.file("rejected/orders.csv")));
  EXPECT_FALSE(std::filesystem::exists(drop.file("orders.csv")));
}

TEST(DropFolderBadInput, PasswordProtectedWorkbookIsRejectedWithTheReason) {
  TempDir drop;
  writeBytes(drop.file("加密.xlsx"), readBytes(std::string(QIAO_EXCEL_FIXTURES) + "/libreoffice_password.xlsx"));
  writeBytes(drop.file("加密.xls"), readBytes(std::string(QIAO_EXCEL_FIXTURES) + "/libreoffice_password.xls"));
  auto src = dropSource(drop.path(), "*.xls*");
  for (const char* name : {"加密.xls", "加密.xlsx"}) {  // name order
    auto p = src->poll("", 10);
    ASSERT_FALSE(p.ok()) << name;
    EXPECT_EQ(p.error().message.rfind(std::string(name) + ": the workbook is password-protected", 0), 0u)
        << p.error().message;
    EXPECT_TRUE(std::filesystem::exists(drop.file(std::string("rejected/") + name)));
  }
}

TEST(ReaderBadInput, WorkbookRenamedToTxtIsRefusedAsText) {
  TempDir dir;
  std::string xlsx = readBytes(std::string(QIAO_EXCEL_FIXTURES) + "/openpyxl_orders.xlsx");
  ASSERT_GT(xlsx.size(), 1000u);
  writeBytes(dir.file("orders.txt"), xlsx);
  auto r = readAll(dir.file("orders.txt"));
  EXPECT_EQ(r.error, "orders.txt: looks like a workbook (.xlsx/.xls), not a CSV text file");
  writeBytes(dir.file("old.txt"), readBytes(std::string(QIAO_EXCEL_FIXTURES) + "/libreoffice_orders.xls"));
  EXPECT_EQ(readAll(dir.file("old.txt")).error, "old.txt: looks like a workbook (.xlsx/.xls), not a CSV text file");
  // A text file renamed to .xls is named as such.
  writeBytes(dir.file("notes.xls"), "客户,金额\n华强,1\n");
  EXPECT_EQ(readAll(dir.file("notes.xls")).error, "notes.xls: not an .xls workbook (no BIFF/OLE signature)");
}

long maxRssKiB() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(ReaderBadInput, HugeCsvLineStopsAtTheLimitWithoutReadingItWhole) {
  TempDir dir;
  {
    // 96 MiB on one line (no newline, no quote): the default 1 MiB record limit must stop it.
    std::ofstream out(dir.file("huge.csv"), std::ios::binary);
    out << "a,b\n1,";
    std::string block(1u << 20, 'x');
    for (int i = 0; i < 96; ++i) out << block;
  }
  const long before = maxRssKiB();
  auto r = readAll(dir.file("huge.csv"));
  const long grown = maxRssKiB() - before;
  EXPECT_EQ(r.error, "huge.csv: row 2: record longer than 1048576 bytes (an unclosed quote?)");
  ASSERT_EQ(r.rows.size(), 1u);  // the header
  EXPECT_LT(grown, 32 * 1024) << "peak RSS grew by " << grown << " KiB";
  // An unclosed quote swallowing the rest of the file stops at the same limit.
  {
    std::ofstream out(dir.file("quote.csv"), std::ios::binary);
    out << "a,b\n1,\"";
    std::string lines;
    for (int i = 0; i < 40000; ++i) lines += "row,with,\"\"quotes\"\" and text\n";
    out << lines << lines;
  }
  auto q = readAll(dir.file("quote.csv"));
  EXPECT_EQ(q.error.rfind("quote.csv: row 2: record longer than 1048576 bytes", 0), 0u) << q.error;
}

}  // namespace
}  // namespace qiao::excel
