// The `sync:` section: values read, every problem reported with file:line and field path.
#include <gtest/gtest.h>

#include "qiao/config/config.h"
#include "qiao/testkit/testkit.h"
#include "test_registry.h"

namespace qiao::config {
namespace {

using testkit::TempDir;
using testkit::writeFile;

std::string dump(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.format() + "\n";
  return out;
}

const char* kBase =
    "connectors:\n"
    "  crm_put:\n    type: http\n    url: http://127.0.0.1:1/c/{/customerId}\n    method: PUT\n"
    "  crm_post:\n    type: http\n    url: http://127.0.0.1:1/c\n"
    "routes:\n"
    "  crm_in:\n    sink: sync\n"
    "  to_crm:\n    sink: crm_put\n"
    "  to_crm_new:\n    sink: crm_post\n"
    "  to_k3:\n    sink: crm_post\n";

TEST(SyncSection, ReadsSidesInFileOrderWithDefaults) {
  TempDir dir;
  writeFile(dir.file("a.yaml"), kBase);
  writeFile(dir.file("sync.yaml"),
            "sync:\n"
            "  fields: [name, phone, grade]\n"
            "  owner: {grade: crm}\n"
            "  json_fields: []\n"
            "  match: {review_name_only: false}\n"
            "  batch_window: 3s\n"
            "  batch_max: 64\n"
            "  sides:\n"
            "    k3cloud:\n"
            "      route: to_k3\n"
            "      id_path: /data/Model/FCUSTID\n"
            "      on_delete: mirror\n"
            "      flag_field: FDescription\n"
            "    crm:\n"
            "      route: to_crm\n"
            "      create_route: to_crm_new\n"
            "      sources: [crm_hooks, http]\n");
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_TRUE(r.config) << dump(r);
  const SyncConfig& s = r.config->sync;
  EXPECT_TRUE(s.enabled);
  ASSERT_EQ(s.sides.size(), 2u);
  EXPECT_EQ(s.sides[0].name, "k3cloud");  // file order: k3cloud wins exact-time ties
  EXPECT_EQ(s.sides[0].id_path, "/data/Model/FCUSTID");
  EXPECT_EQ(s.sides[0].on_delete, "mirror");
  EXPECT_EQ(s.sides[0].on_forbid, "mirror");
  EXPECT_EQ(s.sides[0].sources, std::vector<std::string>{"k3cloud"});
  EXPECT_EQ(s.sides[1].create_route, "to_crm_new");
  EXPECT_EQ(s.sides[1].sources, (std::vector<std::string>{"crm_hooks", "http"}));
  EXPECT_EQ(s.sides[1].id_path, "/customerId");
  EXPECT_EQ(s.owner.at("grade"), "crm");
  EXPECT_FALSE(s.review_name_only);
  EXPECT_EQ(s.batch_window_ms, 3000);
  EXPECT_EQ(s.batch_max, 64);
}

TEST(SyncSection, ProblemsNameFileLineAndPath) {
  TempDir dir;
  writeFile(dir.file("a.yaml"), kBase);
  writeFile(dir.file("sync.yaml"),
            "sync:\n"                                   // 1
            "  fields: [name, phone]\n"                 // 2
            "  owner: {grade: crm, phone: erp}\n"       // 3
            "  sides:\n"                                // 4
            "    crm:\n"                                // 5
            "      route: nowhere\n"                    // 6
            "      on_delete: wipe\n"                   // 7
            "    k3cloud:\n"                            // 8
            "      route: crm_in\n"                     // 9
            "      id_path: FCUSTID\n"                  // 10
            "      mapping: no_such_mapping\n"          // 11
            "      carries: [name, fax]\n");            // 12
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_FALSE(r.config);
  std::string all = dump(r);
  auto has = [&](const std::string& needle) { return all.find(needle) != std::string::npos; };
  EXPECT_TRUE(has("sync.yaml:7:18: sync.sides.crm.on_delete:")) << all;
  EXPECT_TRUE(has("sync.yaml:10:16: sync.sides.k3cloud.id_path: expected a JSON pointer")) << all;
  EXPECT_TRUE(has("sync.yaml:5:5: sync.sides.crm.route: no route named 'nowhere'")) << all;
  EXPECT_TRUE(has("sync.sides.k3cloud.route: route 'crm_in' writes into the sync itself")) << all;
  EXPECT_TRUE(has("sync.sides.k3cloud.mapping:")) << all;
  EXPECT_TRUE(has("sync.sides.k3cloud.carries: 'fax' is not one of sync.fields")) << all;
  EXPECT_TRUE(has("sync.yaml:3:18: sync.owner.grade: 'grade' is not one of sync.fields")) << all;
  EXPECT_TRUE(has("sync.owner.phone: no side named 'erp'")) << all;
}

TEST(SyncSection, SinkSyncNeedsTheSection) {
  TempDir dir;
  writeFile(dir.file("a.yaml"), kBase);
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_FALSE(r.config);
  EXPECT_NE(dump(r).find("routes.crm_in.sink: sink 'sync' needs a sync: section"), std::string::npos)
      << dump(r);
}

TEST(SyncSection, NeedsTwoSidesAndFields) {
  TempDir dir;
  writeFile(dir.file("a.yaml"), kBase);
  writeFile(dir.file("sync.yaml"), "sync:\n  sides:\n    crm: {route: to_crm}\n");
  auto registry = testing::makeTestRegistry();
  LoadResult r = loadConfig(dir.path(), registry);
  ASSERT_FALSE(r.config);
  std::string all = dump(r);
  EXPECT_NE(all.find("sync.fields: required key 'fields' is missing"), std::string::npos) << all;
  EXPECT_NE(all.find("sync.sides: needs at least two sides"), std::string::npos) << all;
}

}  // namespace
}  // namespace qiao::config
