// The `excel` connector: descriptor, source over a drop folder (watermarks, resume, archive,
// rejected files) and the CSV sink (append, idempotency).
#include <gtest/gtest.h>

#include "excel_config.h"
#include "excel_test_util.h"
#include "qiao/sdk/connector.h"

void qiao_register_excel(qiao::sdk::Registry& registry);

namespace qiao::excel {
namespace {

using testing::readBytes;
using testing::TempDir;
using testing::writeBytes;

const sdk::Descriptor& descriptor() {
  static sdk::Registry reg;
  static bool once = [] { qiao_register_excel(reg); return true; }();
  (void)once;
  return *reg.find("excel");
}

std::unique_ptr<sdk::Source> source(const std::string& json) {
  auto s = descriptor().make_source({"drop", json}, {"drop", ""});
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message);
  return s.ok() ? std::move(s).value() : nullptr;
}

TEST(ExcelConnector, DescriptorDeclaresBothSidesAndItsSettings) {
  const auto& d = descriptor();
  EXPECT_TRUE(d.isSink());
  EXPECT_TRUE(d.isSource());
  std::vector<std::string> names;
  for (const auto& f : d.config) names.push_back(f.name);
  for (const char* n : {"folder", "pattern", "sheet", "header_row", "encoding", "delimiter", "key_column",
                        "file_pattern", "columns"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  }
  EXPECT_FALSE(d.make_source({"x", "{}"}, {}).ok());
  auto bad = d.make_source({"x", R"({"folder":"/tmp","encoding":"latin1"})"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("'encoding' must be auto, utf-8 or gb18030"), std::string::npos);
  auto xlsx_sink = d.make_sink({"x", R"({"folder":"/tmp","file_pattern":"out-{date}.xlsx"})"}, {});
  EXPECT_FALSE(xlsx_sink.ok());
  EXPECT_FALSE(d.make_sink({"x", R"({"folder":"/tmp","file_pattern":"../x.csv"})"}, {}).ok());
}

TEST(ExcelSource, PollsRowsInBatchesResumesAndArchives) {
  TempDir dir;
  writeBytes(dir.file("a.csv"), "单号,金额\nSO-1,1\nSO-2,2\nSO-3,3\n");
  writeBytes(dir.file("b.csv"), "单号,金额\nSO-9,9\n");
  writeBytes(dir.file(".hidden.csv"), "x\n1\n");
  auto src = source(R"({"folder":")" + dir.path() + R"(","pattern":"*.csv","key_column":"单号","entity":"order","min_file_age":0})");
  ASSERT_TRUE(src);
  auto p1 = src->poll("", 2);
  ASSERT_TRUE(p1.ok()) << p1.error().message;
  ASSERT_EQ(p1->records.size(), 2u);
  EXPECT_EQ(p1->records[0].payload, R"({"单号":"SO-1","金额":"1"})");
  EXPECT_EQ(p1->records[0].business_key, "SO-1");
  EXPECT_EQ(p1->records[0].entity, "order");
  EXPECT_EQ(p1->records[0].source_system, "excel");
  EXPECT_NE(p1->records[0].idempotency_key, p1->records[1].idempotency_key);
  EXPECT_TRUE(p1->more);
  // A fresh source (a restart) resumes from the watermark alone.
  auto again = source(R"({"folder":")" + dir.path() + R"(","pattern":"*.csv","min_file_age":"0s"})");
  auto p2 = again->poll(p1->watermark, 10);
  ASSERT_TRUE(p2.ok());
  ASSERT_EQ(p2->records.size(), 1u);
  EXPECT_EQ(p2->records[0].payload, R"({"单号":"SO-3","金额":"3"})");
  EXPECT_EQ(p2->records[0].idempotency_key.substr(0, 6), "excel:");
  // End of a.csv: it is archived on the next poll, which goes on with b.csv.
  std::string mark = p2->watermark;
  for (int i = 0; i < 3 && mark.ends_with(":0"); ++i) mark = again->poll(mark, 10)->watermark;
  auto p3 = again->poll(mark, 10);
  ASSERT_TRUE(p3.ok());
  ASSERT_EQ(p3->records.size(), 1u);
  EXPECT_EQ(p3->records[0].payload, R"({"单号":"SO-9","金额":"9"})");
  EXPECT_TRUE(std::filesystem::exists(dir.file("archive/a.csv")));
  EXPECT_FALSE(std::filesystem::exists(dir.file("a.csv")));
  EXPECT_TRUE(std::filesystem::exists(dir.file(".hidden.csv")));
}

TEST(ExcelSource, LeavesFilesThatAreStillBeingCopied) {
  TempDir dir;
  writeBytes(dir.file("new.csv"), "a\n1\n");
  auto src = source(R"({"folder":")" + dir.path() + R"(","pattern":"*.csv","min_file_age":"1m"})");
  auto p = src->poll("", 10);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->records.empty());
  EXPECT_FALSE(descriptor().make_source({"x", R"({"folder":"/tmp","min_file_age":"soon"})"}, {}).ok());
}

TEST(ExcelSource, UnreadableFileIsRejectedWithItsReason) {
  TempDir dir;
  writeBytes(dir.file("bad.xlsx"), "this is text");
  auto src = source(R"({"folder":")" + dir.path() + R"(","min_file_age":"0ms"})");
  auto p = src->poll("", 10);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("bad.xlsx: not an .xlsx workbook"), std::string::npos) << p.error().message;
  EXPECT_TRUE(std::filesystem::exists(dir.file("rejected/bad.xlsx")));
  EXPECT_NE(readBytes(dir.file("rejected/bad.xlsx.error.txt")).find("no zip signature"), std::string::npos);
  auto next = src->poll("", 10);
  ASSERT_TRUE(next.ok());
  EXPECT_TRUE(next->records.empty());
}

TEST(ExcelSink, AppendsRowsOnceEach) {
  TempDir dir;
  auto made = descriptor().make_sink(
      {"out", R"({"folder":")" + dir.path() + R"(","file_pattern":"{entity}-{date}.csv","columns":["id","name","amount"]})"}, {});
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto& sink = *made.value();
  Record r;
  r.entity = "order";
  r.created_at_ms = 1795478400000;  // 2026-11-24T00:00:00Z
  r.payload = R"J({"id":"SO-1","name":"=cmd()","amount":"12.50"})J";
  r.idempotency_key = "k1";
  auto d = sink.deliver(r);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->remote_id, "order-20261124.csv");
  ASSERT_TRUE(sink.deliver(r).ok());  // same key: not written twice
  r.payload = R"({"id":"SO-2","amount":3,"name":null})";
  r.idempotency_key = "k2";
  ASSERT_TRUE(sink.deliver(r).ok());
  EXPECT_EQ(readBytes(dir.file("order-20261124.csv")),
            "\xEF\xBB\xBFid,name,amount\r\nSO-1,'=cmd(),12.50\r\nSO-2,,3\r\n");
  r.payload = R"({"id":"SO-3","surprise":"x"})";
  r.idempotency_key = "k3";
  auto bad = sink.deliver(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("surprise"), std::string::npos);
  r.payload = "[1]";
  EXPECT_FALSE(sink.deliver(r).ok());
  // A new sink instance (restart) still knows k1.
  auto again = descriptor().make_sink({"out", R"({"folder":")" + dir.path() + R"(","file_pattern":"{entity}-{date}.csv"})"}, {});
  r.payload = R"J({"id":"SO-1","name":"=cmd()","amount":"12.50"})J";
  r.idempotency_key = "k1";
  ASSERT_TRUE((*again)->deliver(r).ok());
  std::string after = readBytes(dir.file("order-20261124.csv"));
  EXPECT_EQ(std::count(after.begin(), after.end(), '\n'), 3);
}

}  // namespace
}  // namespace qiao::excel
