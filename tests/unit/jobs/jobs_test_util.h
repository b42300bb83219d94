// Shared set-up for the jobs tests: a drop folder, a real SQLite store, the standard Excel
// order mapping, spreadsheets written with the excel library and read back with it.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "qiao/excel/excel.h"
#include "qiao/jobs/import_job.h"
#include "qiao/mapping/mapping.h"
#include "qiao/store/store.h"
#include "qiao/testkit/testkit.h"

namespace qiao::jobs::testing {

using excel::Cell;
using CellRow = std::vector<Cell>;

inline std::string standardMapping(const std::string& name) {
  return testkit::sourcePath("mappings/standard/" + name);
}

inline std::shared_ptr<const mapping::MappingPlan> loadPlan(const std::string& path) {
  auto p = mapping::loadMapping(path);
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? std::move(p).value() : nullptr;
}

inline std::shared_ptr<const mapping::MappingPlan> planText(const std::string& yaml) {
  auto p = mapping::loadMappingText(yaml, "test.yaml");
  EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error().message);
  return p.ok() ? std::move(p).value() : nullptr;
}

// Writes a workbook (or .csv) with the excel library's writer.
inline void writeSheet(const std::string& path, const std::string& sheet,
                       const std::vector<std::string>& header, const std::vector<CellRow>& rows) {
  std::vector<excel::ColumnSpec> cols;
  for (const auto& h : header) cols.push_back({h, excel::ColumnKind::kAuto, 0});
  excel::WriteOptions o;
  o.sheet_name = sheet;
  auto w = excel::SheetWriter::create(path, cols, o);
  ASSERT_TRUE(w.ok()) << w.error().message;
  for (const auto& r : rows) ASSERT_TRUE((*w)->addRow(r).ok());
  ASSERT_TRUE((*w)->commit().ok());
}

struct ReadBack {
  std::vector<std::string> header;
  std::vector<excel::Row> rows;
};
inline ReadBack readSheet(const std::string& path) {
  ReadBack out;
  auto t = excel::openTable(path);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  if (!t.ok()) return out;
  out.header = (*t)->header();
  excel::Row row;
  for (int i = 0; i < 100000; ++i) {
    auto more = (*t)->next(row);
    EXPECT_TRUE(more.ok()) << (more.ok() ? "" : more.error().message);
    if (!more.ok() || !*more) break;
    out.rows.push_back(row);
  }
  return out;
}

inline Cell date(int y, int m, int d) {
  LocalDateTime t;
  t.year = y;
  t.month = m;
  t.day = d;
  return Cell::dateTime(t);
}
inline Cell text(const std::string& s) { return Cell::string(s); }
inline Cell num(const std::string& s) { return Cell::number(s); }

inline std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (auto& e : std::filesystem::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

inline int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

inline bool exists(const std::string& path) { return std::filesystem::exists(path); }

// A drop folder, a store and an IngestFn that commits to it (route "excel-orders").
class JobsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = dir_.file("drop");
    std::filesystem::create_directories(folder_);
    store::SqliteOptions o;
    o.path = dir_.file("db/qiao.db");
    o.synchronous_full = false;
    auto s = store::openSqliteStore(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    spec_.name = "orders";
    spec_.folder = folder_;
    spec_.mapping = loadPlan(standardMapping("excel_orders.yaml"));
    spec_.entity = "order";
    spec_.group_append = "/lines";
    spec_.min_file_age_ms = 0;
    ingest_ = [this](std::vector<Record> records) -> Result<std::vector<store::IngestResult>> {
      ++ingest_calls_;
      if (fail_after_records_ >= 0 && records_seen_ + static_cast<int64_t>(records.size()) > fail_after_records_) {
        return Error::transient(ErrorCode::kStoreBusy, "simulated crash");
      }
      std::vector<store::NewMessage> msgs;
      for (auto& r : records) {
        ++records_seen_;
        store::NewMessage m;
        m.route = "excel-orders";
        m.record = std::move(r);
        msgs.push_back(std::move(m));
      }
      return store_->ingest(msgs, 1'700'000'000'000);
    };
  }

  // Every message in the store, in id order.
  std::vector<store::Message> messages() {
    store::MessageFilter f;
    f.limit = 10000;
    auto r = store_->listMessages(f);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : std::vector<store::Message>{};
  }

  testkit::TempDir dir_;
  std::string folder_;
  std::unique_ptr<store::Store> store_;
  ImportSpec spec_;
  IngestFn ingest_;
  int ingest_calls_ = 0;
  int64_t records_seen_ = 0;
  int64_t fail_after_records_ = -1;  // >= 0: the batch that would pass this many records fails
};

}  // namespace qiao::jobs::testing
