// Import jobs under repetition and failure: the same file twice, an edited file, a crash in
// the middle, hostile names, corrupt workbooks, and the drop folder's selection of files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../excel/excel_test_util.h"
#include "jobs_test_util.h"

namespace qiao::jobs::testing {
namespace {

using nlohmann::json;

const std::vector<std::string> kHeader = {"订单编号", "订单日期", "客户编码", "物料编码", "数量", "单价"};

CellRow line(const std::string& order, const std::string& material, const std::string& qty) {
  return {text(order), text("2026-11-26"), text("C1"), text(material), num(qty), num("2.5")};
}

std::vector<CellRow> fourOrders(const std::string& qty_of_so3 = "3") {
  return {line("SO-1", "M1", "1"), line("SO-2", "M2", "2"), line("SO-3", "M3", qty_of_so3),
          line("SO-1", "M4", "4"), line("SO-4", "M5", "5")};
}

TEST_F(JobsTest, TheSameFileTwiceImportsNothingTwice) {
  writeSheet(folder_ + "/a.xlsx", "订单", kHeader, fourOrders());
  auto bytes = testkit::readFile(folder_ + "/a.xlsx");
  auto first = importFile(spec_, folder_ + "/a.xlsx", *store_, ingest_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->accepted, 4);
  const int calls = ingest_calls_;
  // Dropped again, under another name: the file hash knows it.
  testkit::writeFile(folder_ + "/a (copy).xlsx", bytes);
  auto again = importFile(spec_, folder_ + "/a (copy).xlsx", *store_, ingest_);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE(again->already_imported);
  EXPECT_EQ(again->manifest, first->manifest);
  EXPECT_EQ(again->accepted, 0);
  EXPECT_EQ(ingest_calls_, calls) << "nothing ingested";
  EXPECT_FALSE(exists(folder_ + "/a (copy).xlsx"));
  EXPECT_TRUE(exists(again->archived_to));
  EXPECT_EQ(messages().size(), 4u);
}

TEST_F(JobsTest, AnEditedFileSendsOnlyTheChangedOrders) {
  writeSheet(folder_ + "/a.xlsx", "订单", kHeader, fourOrders());
  auto first = importFile(spec_, folder_ + "/a.xlsx", *store_, ingest_);
  ASSERT_TRUE(first.ok()) << first.error().message;
  // Someone changes SO-3's quantity and saves the workbook again.
  writeSheet(folder_ + "/a.xlsx", "订单", kHeader, fourOrders("30"));
  auto second = importFile(spec_, folder_ + "/a.xlsx", *store_, ingest_);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->already_imported);
  EXPECT_EQ(second->records, 4);
  EXPECT_EQ(second->accepted, 1);
  EXPECT_EQ(second->duplicates, 3);
  auto msgs = messages();
  ASSERT_EQ(msgs.size(), 5u);
  EXPECT_EQ(msgs[4].record.business_key, "SO-3");
  EXPECT_EQ(json::parse(msgs[4].record.payload)["lines"][0]["qty"], "30");
}

TEST_F(JobsTest, RowsWithoutAKeyAreKeyedByContentAndOccurrence) {
  spec_.mapping = planText(R"(mapping: notes
rules:
  - {to: text, from: 内容, required: true}
)");
  spec_.group_append = "";
  writeSheet(folder_ + "/n.csv", "n", {"内容"}, {{text("a")}, {text("a")}, {text("b")}});
  auto r = importFile(spec_, folder_ + "/n.csv", *store_, ingest_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->accepted, 3) << "two identical rows are two records";
  writeSheet(folder_ + "/n2.csv", "n", {"内容"}, {{text("a")}, {text("b")}, {text("a")}, {text("c")}});
  auto r2 = importFile(spec_, folder_ + "/n2.csv", *store_, ingest_);
  ASSERT_TRUE(r2.ok()) << r2.error().message;
  EXPECT_EQ(r2->accepted, 1);
  EXPECT_EQ(r2->duplicates, 3);
}

TEST_F(JobsTest, ACrashMidwayLeavesTheFileAndTheRerunAddsNoDuplicates) {
  spec_.group_append = "";
  spec_.batch_records = 2;
  writeSheet(folder_ + "/a.xlsx", "订单", kHeader, fourOrders());
  fail_after_records_ = 2;  // the second batch "crashes"
  auto crashed = importFile(spec_, folder_ + "/a.xlsx", *store_, ingest_);
  ASSERT_FALSE(crashed.ok());
  EXPECT_NE(crashed.error().message.find("simulated crash"), std::string::npos);
  EXPECT_TRUE(exists(folder_ + "/a.xlsx")) << "the file waits for the next run";
  EXPECT_FALSE(exists(folder_ + "/archive"));
  EXPECT_EQ(messages().size(), 2u);
  auto sha = excel::sha256File(folder_ + "/a.xlsx");
  ASSERT_TRUE(sha.ok());
  auto wm = store_->getWatermark(importedWatermark("orders", *sha));
  ASSERT_TRUE(wm.ok());
  EXPECT_FALSE(wm->has_value());

  fail_after_records_ = -1;
  auto rerun = importFolder(spec_, *store_, ingest_);
  ASSERT_TRUE(rerun.ok()) << rerun.error().message;
  ASSERT_EQ(rerun->size(), 1u);
  EXPECT_EQ((*rerun)[0].accepted, 3);
  EXPECT_EQ((*rerun)[0].duplicates, 2);
  EXPECT_EQ(messages().size(), 5u);
  EXPECT_FALSE(exists(folder_ + "/a.xlsx"));
}

TEST_F(JobsTest, ACrashMidwayOfAGroupedImportIsRepairedByTheRerun) {
  spec_.batch_records = 1;
  writeSheet(folder_ + "/a.xlsx", "订单", kHeader, fourOrders());
  fail_after_records_ = 2;
  auto crashed = importFolder(spec_, *store_, ingest_);
  ASSERT_FALSE(crashed.ok());
  EXPECT_NE(crashed.error().message.find("a.xlsx"), std::string::npos) << crashed.error().message;
  EXPECT_TRUE(exists(folder_ + "/a.xlsx"));
  EXPECT_EQ(messages().size(), 2u);
  fail_after_records_ = -1;
  auto rerun = importFolder(spec_, *store_, ingest_);
  ASSERT_TRUE(rerun.ok()) << rerun.error().message;
  ASSERT_EQ(rerun->size(), 1u);
  EXPECT_EQ((*rerun)[0].accepted, 2);
  EXPECT_EQ((*rerun)[0].duplicates, 2);
  auto msgs = messages();
  ASSERT_EQ(msgs.size(), 4u);
  EXPECT_EQ(json::parse(msgs[0].record.payload)["lines"].size(), 2u) << "SO-1 with both lines";
}

TEST_F(JobsTest, AWorkbookBrokenHalfwayIngestsNothing) {
  // Rows 2 and 3 read fine, row 4 is cut off: the XML ends inside it.
  std::string rows;
  auto cell = [](const std::string& ref, const std::string& v) {
    return "<c r=\"" + ref + "\" t=\"inlineStr\"><is><t>" + v + "</t></is></c>";
  };
  const char* cols = "ABCDEF";
  rows += "<row r=\"1\">";
  for (size_t i = 0; i < kHeader.size(); ++i) rows += cell(std::string(1, cols[i]) + "1", kHeader[i]);
  rows += "</row>";
  for (int r = 2; r <= 3; ++r) {
    std::string n = std::to_string(r);
    rows += "<row r=\"" + n + "\">" + cell("A" + n, "SO-" + n) + cell("B" + n, "2026-11-26") + cell("C" + n, "C1") +
            cell("D" + n, "M") + "<c r=\"E" + n + "\"><v>1</v></c><c r=\"F" + n + "\"><v>2</v></c></row>";
  }
  rows += "<row r=\"4\"><c r=\"A4\" t=\"inlineStr\"><is><t>SO-4";
  for (const std::string group : {"/lines", ""}) {
    spec_.group_append = group;
    excel::testing::XlsxParts parts;
    parts.sheets = {{"订单", rows}};
    ASSERT_TRUE(excel::testing::writeXlsx(folder_ + "/cut.xlsx", parts));
    auto r = importFile(spec_, folder_ + "/cut.xlsx", *store_, ingest_);
    ASSERT_TRUE(r.ok()) << r.error().message;
    ASSERT_EQ(r->errors.size(), 1u) << "group_append '" << group << "'";
    EXPECT_TRUE(exists(r->rejected_to));
    EXPECT_EQ(r->accepted, 0);
    EXPECT_EQ(ingest_calls_, 0) << "group_append '" << group << "': " << r->errors[0];
    EXPECT_NE(r->errors[0].find("row 4"), std::string::npos) << r->errors[0];
  }
  EXPECT_TRUE(messages().empty());
}

TEST_F(JobsTest, DotDotAndHiddenNamesAreRefusedUntouched) {
  std::filesystem::create_directories(folder_ + "/sub");
  writeSheet(folder_ + "/a.xlsx", "订单", kHeader, fourOrders());
  auto r = importFile(spec_, folder_ + "/sub/../a.xlsx", *store_, ingest_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find(".."), std::string::npos) << r.error().message;
  EXPECT_TRUE(exists(folder_ + "/a.xlsx"));
  testkit::writeFile(folder_ + "/.hidden.xlsx", "x");
  auto hidden = importFile(spec_, folder_ + "/.hidden.xlsx", *store_, ingest_);
  ASSERT_FALSE(hidden.ok());
  EXPECT_TRUE(exists(folder_ + "/.hidden.xlsx"));
  EXPECT_EQ(ingest_calls_, 0);
}

TEST_F(JobsTest, CorruptAndRenamedFilesAreRejectedWithTheReason) {
  testkit::writeFile(folder_ + "/broken.xlsx", std::string("PK\x03\x04", 4) + std::string(200, '\x7f'));
  testkit::writeFile(folder_ + "/notes.xlsx", "just some text renamed to .xlsx\n");
  auto reports = importFolder(spec_, *store_, ingest_);
  ASSERT_TRUE(reports.ok()) << reports.error().message;
  ASSERT_EQ(reports->size(), 2u);
  for (const auto& r : *reports) {
    ASSERT_EQ(r.errors.size(), 1u) << r.file;
    EXPECT_NE(r.errors[0].find(r.file), std::string::npos) << r.errors[0];
    EXPECT_TRUE(exists(r.rejected_to));
    EXPECT_EQ(testkit::readFile(r.rejected_to + ".error.txt"), r.errors[0] + "\n");
  }
  EXPECT_EQ(ingest_calls_, 0);
  EXPECT_EQ(listDir(folder_), (std::vector<std::string>{"rejected"}));
}

TEST_F(JobsTest, SymbolicLinksAreRefusedByNameAndNeverFollowed) {
  // A workbook outside the drop folder, linked into it: its rows must not be imported.
  std::string outside = dir_.file("outside.xlsx");
  writeSheet(outside, "订单", kHeader, fourOrders());
  std::filesystem::create_symlink(outside, folder_ + "/linked.xlsx");
  std::filesystem::create_symlink(dir_.file("nothing-here.xlsx"), folder_ + "/dangling.xlsx");
  auto reports = importFolder(spec_, *store_, ingest_);
  ASSERT_TRUE(reports.ok()) << reports.error().message;
  ASSERT_EQ(reports->size(), 2u);
  for (const auto& r : *reports) {
    ASSERT_EQ(r.errors.size(), 1u) << r.file;
    EXPECT_NE(r.errors[0].find("symbolic link"), std::string::npos) << r.errors[0];
    EXPECT_TRUE(std::filesystem::is_symlink(r.rejected_to)) << "the link itself moves: " << r.rejected_to;
  }
  EXPECT_EQ(ingest_calls_, 0);
  EXPECT_TRUE(exists(outside)) << "the target is left alone";
  EXPECT_EQ(listDir(folder_), (std::vector<std::string>{"rejected"}));
}

TEST_F(JobsTest, TheFolderRunTakesDueFilesInNameOrderOnly) {
  writeSheet(folder_ + "/b.xlsx", "订单", kHeader, {line("SO-B", "M", "1")});
  writeSheet(folder_ + "/a.csv", "订单", kHeader, {line("SO-A", "M", "1")});
  testkit::writeFile(folder_ + "/readme.txt", "not a pattern");
  testkit::writeFile(folder_ + "/.~lock.b.xlsx#", "office lock file");
  testkit::writeFile(folder_ + "/~$b.xlsx", "Excel's owner file of an open workbook");
  std::filesystem::create_directories(folder_ + "/archive");
  writeSheet(folder_ + "/archive/old.xlsx", "订单", kHeader, {line("SO-OLD", "M", "1")});
  auto due = dueFiles(spec_, nowMs());
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, (std::vector<std::string>{folder_ + "/a.csv", folder_ + "/b.xlsx"}));
  // Too young: a file still being copied in is left for the next run.
  spec_.min_file_age_ms = 3'600'000;
  auto young = dueFiles(spec_, nowMs());
  ASSERT_TRUE(young.ok());
  EXPECT_TRUE(young->empty());
  spec_.min_file_age_ms = 0;
  auto reports = importFolder(spec_, *store_, ingest_);
  ASSERT_TRUE(reports.ok()) << reports.error().message;
  ASSERT_EQ(reports->size(), 2u);
  EXPECT_EQ((*reports)[0].file, "a.csv");
  auto msgs = messages();
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].record.business_key, "SO-A");
  EXPECT_TRUE(exists(folder_ + "/readme.txt"));
}

}  // namespace
}  // namespace qiao::jobs::testing
