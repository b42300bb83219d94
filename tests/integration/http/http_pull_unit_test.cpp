// The `http` source's pure parts: `pull:` settings (through the config loader and through the
// connector's own check, each error naming its field), times, the watermark and page URLs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "http_pull.h"
#include "http_source.h"
#include "qiao/config/config.h"
#include "qiao/sdk/connector.h"
#include "qiao/testkit/testkit.h"

void qiao_register_http(qiao::sdk::Registry& registry);

namespace {

using nlohmann::json;
using namespace qiao::connectors::http;
namespace tk = qiao::testkit;

std::string loadDiagnostics(const std::string& pull_yaml) {
  tk::TempDir dir;
  tk::writeFile(dir.file("c.yaml"),
                "connectors:\n"
                "  crm_pull:\n"
                "    type: http\n"
                "    url: http://127.0.0.1:1/api/customers\n"
                "    pull:\n" +
                    pull_yaml);
  qiao::sdk::Registry registry;
  qiao_register_http(registry);
  auto r = qiao::config::loadConfig(dir.path(), registry);
  std::string out;
  for (const auto& d : r.diagnostics) out += d.format() + "\n";
  return out;
}

// The settings JSON the config loader hands the connector for a pull block.
std::string loadedSettings(const std::string& pull_yaml) {
  tk::TempDir dir;
  tk::writeFile(dir.file("c.yaml"),
                "connectors:\n  crm_pull:\n    type: http\n"
                "    url: http://127.0.0.1:1/api/customers\n    pull:\n" +
                    pull_yaml);
  qiao::sdk::Registry registry;
  qiao_register_http(registry);
  auto r = qiao::config::loadConfig(dir.path(), registry);
  EXPECT_TRUE(r.diagnostics.empty()) << (r.diagnostics.empty() ? "" : r.diagnostics[0].format());
  if (!r.config) return "";
  return r.config->connectors.at("crm_pull").settings_json;
}

std::string sourceError(const json& settings) {
  qiao::sdk::Registry registry;
  qiao_register_http(registry);
  auto made = registry.find("http")->make_source({"crm_pull", settings.dump()}, {"crm_pull", "/tmp"});
  return made.ok() ? "" : made.error().message;
}

TEST(HttpPullConfig, LoaderNamesTheFieldOfAnUnknownOrMistypedKey) {
  std::string d = loadDiagnostics("      entity: customer\n      pagesize: 50\n");
  EXPECT_NE(d.find("c.yaml:7:"), std::string::npos) << d;
  EXPECT_NE(d.find("connectors.crm_pull.pull.pagesize"), std::string::npos) << d;
  EXPECT_NE(d.find("page_size"), std::string::npos) << d;  // did you mean

  d = loadDiagnostics("      entity: customer\n      page_size: lots\n");
  EXPECT_NE(d.find("connectors.crm_pull.pull.page_size"), std::string::npos) << d;

  d = loadDiagnostics("      id_field: /customerId\n");
  EXPECT_NE(d.find("connectors.crm_pull.pull.entity"), std::string::npos) << d;

  d = loadDiagnostics("      entity: customer\n      since_format: epoch\n");
  EXPECT_NE(d.find("connectors.crm_pull.pull.since_format"), std::string::npos) << d;

  EXPECT_EQ(loadDiagnostics("      entity: customer\n      extra_query: {include_deleted: \"true\"}\n"),
            "");
}

TEST(HttpPullConfig, LoadedDefaultsParseToTheDocumentedValues) {
  std::string settings = loadedSettings("      entity: customer\n      overlap: 2m\n");
  ASSERT_FALSE(settings.empty());
  auto c = parseHttpPullConfig(settings);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->entity, "customer");
  EXPECT_EQ(c->since_param, "modified_since");
  EXPECT_EQ(c->cursor_param, "cursor");
  EXPECT_EQ(c->limit_param, "limit");
  EXPECT_EQ(c->page_size, 100);
  EXPECT_EQ(c->items, "/items");
  EXPECT_EQ(c->next_cursor, "/next_cursor");
  EXPECT_EQ(c->id_field, "/id");
  EXPECT_EQ(c->modified_field, "/modifiedAt");
  EXPECT_EQ(c->overlap_ms, 120000);
  EXPECT_EQ(c->since_format, SinceFormat::kIso8601);
}

TEST(HttpPullConfig, SourceCheckNamesEachBadField) {
  json s{{"url", "http://127.0.0.1:1/api/customers"},
         {"pull",
          {{"entity", "customer"},
           {"page_size", 0},
           {"id_field", "customerId"},
           {"modified_field", "/a/~2"},
           {"items", "items"},
           {"colour", "red"},
           {"overlap", "soon"}}}};
  std::string e = sourceError(s);
  EXPECT_NE(e.find("pull.page_size must be between 1 and 10000 (got 0)"), std::string::npos) << e;
  EXPECT_NE(e.find("pull.id_field must be a JSON pointer"), std::string::npos) << e;
  EXPECT_NE(e.find("pull.modified_field must be a JSON pointer"), std::string::npos) << e;
  EXPECT_NE(e.find("pull.items must be a JSON pointer"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown setting 'pull.colour'"), std::string::npos) << e;
  EXPECT_NE(e.find("pull.overlap must be a duration"), std::string::npos) << e;

  s["pull"] = {{"entity", "customer"}, {"page_size", 20000}};
  EXPECT_NE(sourceError(s).find("pull.page_size must be between 1 and 10000 (got 20000)"),
            std::string::npos);

  json no_pull{{"url", "http://127.0.0.1:1/api/customers"}};
  EXPECT_NE(sourceError(no_pull).find("'pull' is required"), std::string::npos);

  json templated{{"url", "http://127.0.0.1:1/api/{/id}"}, {"pull", {{"entity", "c"}}}};
  EXPECT_NE(sourceError(templated).find("http source: url"), std::string::npos);

  json good{{"url", "http://127.0.0.1:1/api/customers"}, {"auth_token", "t"},
            {"pull", {{"entity", "customer"}, {"items", ""}, {"next_cursor", ""},
                      {"cursor_param", ""}}}};
  EXPECT_EQ(sourceError(good), "");
  // The sink still works with a pull block beside its settings.
  qiao::sdk::Registry registry;
  qiao_register_http(registry);
  EXPECT_TRUE(registry.find("http")->make_sink({"crm_pull", good.dump()}, {"crm_pull", "/tmp"}).ok());
}

TEST(HttpPullTime, ParsesOffsetsZAndNoOffsetAsUtc) {
  auto a = parseModifiedText("2026-11-27T10:00:00.123+08:00");
  auto b = parseModifiedText("2026-11-27T02:00:00.123Z");
  auto c = parseModifiedText("2026-11-27T02:00:00.123");
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(*b, *c);
  EXPECT_EQ(canonicalTime(*a), "2026-11-27T02:00:00.123Z");
  EXPECT_EQ(formatSince(*a, SinceFormat::kUnixMs), std::to_string(*a));
  EXPECT_EQ(formatSince(*a, SinceFormat::kUnixS), std::to_string(*a / 1000));
  EXPECT_FALSE(parseModifiedText("yesterday"));
  EXPECT_FALSE(parseModifiedText(""));
}

TEST(HttpPullWatermark, SkipsOnlyWhatWasEmittedAndPrunesBelowTheOverlap) {
  HttpPullWatermark wm;
  EXPECT_FALSE(wm.lowerBoundMs(60000));
  wm.add("A", 1'000'000);
  wm.add("B", 1'000'000);
  wm.add("C", 1'050'000);
  EXPECT_TRUE(wm.emitted("A", 1'000'000));
  EXPECT_FALSE(wm.emitted("A", 1'050'000));  // a later change of A is new
  EXPECT_FALSE(wm.emitted("D", 1'000'000));  // same instant, not emitted yet
  EXPECT_EQ(*wm.lowerBoundMs(60000), 990'000);
  EXPECT_EQ(wm.prune(30000, 100), 0u);  // floor 1'020'000: A and B forgotten...
  EXPECT_TRUE(wm.emitted("A", 1'000'000));  // ...but below the floor counts as emitted
  EXPECT_EQ(wm.seenCount(), 1u);
  EXPECT_EQ(*wm.lowerBoundMs(60000), 1'020'000);  // never below the floor

  auto round = decodeHttpPullWatermark(encodeHttpPullWatermark(wm));
  ASSERT_TRUE(round.ok()) << round.error().message;
  EXPECT_EQ(round->newest, wm.newest);
  EXPECT_EQ(round->floor, wm.floor);
  EXPECT_EQ(round->seen, wm.seen);

  HttpPullWatermark capped;
  for (int i = 0; i < 150; ++i) capped.add("id" + std::to_string(i), 5'000'000 + i);
  EXPECT_EQ(capped.prune(3'600'000, 100), 50u);
  EXPECT_EQ(capped.seenCount(), 100u);
  EXPECT_TRUE(capped.emitted("id10", 5'000'010));   // forgotten by the cap, under the floor
  EXPECT_FALSE(capped.emitted("new", 5'000'120));

  EXPECT_FALSE(decodeHttpPullWatermark("{\"form\":\"x\"}").ok());
  // A k3cloud source's watermark (the route's source was switched): refused, not misread.
  EXPECT_FALSE(decodeHttpPullWatermark(
                   R"({"v":1,"form":"BD_Customer","newest":"2026-11-27T10:00:00.123","seen":{}})")
                   .ok());
  EXPECT_FALSE(decodeHttpPullWatermark("not json").ok());
  EXPECT_TRUE(decodeHttpPullWatermark("").ok());
}

// Watermarks users already have stored keep decoding, mean the same, and are written back
// byte for byte (the text the source wrote before its window moved into the sdk).
TEST(HttpPullWatermark, AStoredWatermarkReadsAndWritesBackUnchanged) {
  const std::string stored =
      R"({"floor":"2026-11-27T01:59:00.123Z","kind":"http","newest":"2026-11-27T02:00:00.123Z",)"
      R"("seen":{"2026-11-27T01:59:30.000Z":["CU1","CU2"],"2026-11-27T02:00:00.123Z":["CU3"]},)"
      R"("v":1})";
  auto wm = decodeHttpPullWatermark(stored);
  ASSERT_TRUE(wm.ok()) << wm.error().message;
  EXPECT_EQ(encodeHttpPullWatermark(*wm), stored);
  const int64_t at = *parseModifiedText("2026-11-27T01:59:30.000Z");
  EXPECT_TRUE(wm->emitted("CU2", at));
  EXPECT_FALSE(wm->emitted("CU3", at));
  EXPECT_TRUE(wm->emitted("anything", *parseModifiedText("2026-11-27T01:58:59.999Z")));  // < floor
  EXPECT_EQ(wm->seenCount(), 3u);
}

TEST(HttpPullUrl, AddsEncodedParametersAfterAnExistingQuery) {
  auto cfg = parseHttpSourceConnection(
      json{{"url", "http://127.0.0.1:1/api/customers?tenant=a"}}.dump());
  ASSERT_TRUE(cfg.ok());
  HttpPullConfig pull;
  pull.entity = "customer";
  pull.page_size = 50;
  pull.extra_query = {{"include_deleted", "true"}};
  HttpSource src(*cfg, pull, "crm_pull");
  EXPECT_EQ(src.pageUrl(std::nullopt, ""),
            "http://127.0.0.1:1/api/customers?tenant=a&include_deleted=true&limit=50");
  auto t = parseModifiedText("2026-11-27T02:00:00.000Z");
  EXPECT_EQ(src.pageUrl(t, "17.CU/1+2"),
            "http://127.0.0.1:1/api/customers?tenant=a&include_deleted=true&modified_since="
            "2026-11-27T02%3A00%3A00.000Z&limit=50&cursor=17.CU%2F1%2B2");
}

}  // namespace
