// The `qiao` command line against real configs, a real store and a running gateway.
#include <signal.h>

#include <sstream>

#include "gateway_fixture.h"

namespace qiao::e2e {
namespace {

std::string qiao(const std::string& args, int* rc) {
  std::string out;
  *rc = testkit::runCommand(testkit::binPath("qiao") + " " + args, &out);
  return out;
}

// The key line of `qiao keys create` (stdout; stderr carries the "shown only once" note).
std::string keyLine(const std::string& out) {
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("qiao_", 0) == 0) return line;
  return "";
}

TEST(Cli, ValidateReportsEveryProblemWithPositionAndExitsOne) {
  testkit::TempDir dir;
  testkit::writeFile(dir.file("cfg/gateway.yaml"),
                     "gateway:\n"
                     "  data_dir: " + dir.file("data") + "\n"
                     "  wrokers: 4\n"
                     "connectors:\n"
                     "  erp:\n"
                     "    type: htp\n"
                     "routes:\n"
                     "  orders:\n"
                     "    sink: nowhere\n");
  int rc = 0;
  std::string out = qiao("validate --config " + dir.file("cfg"), &rc);
  EXPECT_EQ(rc, 1) << out;
  std::string file = dir.file("cfg") + "/gateway.yaml";
  EXPECT_NE(out.find(file + ":3:3: gateway.wrokers: unknown key 'wrokers'; did you mean 'workers'?"),
            std::string::npos) << out;
  EXPECT_NE(out.find(file + ":6:11: connectors.erp.type:"), std::string::npos) << out;
  EXPECT_NE(out.find("did you mean 'http'?"), std::string::npos) << out;
  EXPECT_NE(out.find(file + ":9:11: routes.orders.sink: no connector named 'nowhere'"), std::string::npos) << out;
  EXPECT_NE(out.find("3 problem(s)"), std::string::npos) << out;
}

TEST(Cli, ValidateRunsEachConnectorsOwnChecks) {
  testkit::TempDir dir;
  testkit::writeFile(dir.file("cfg/gateway.yaml"),
                     "gateway:\n"
                     "  data_dir: " + dir.file("data") + "\n"
                     "connectors:\n"
                     "  crm:\n"
                     "    type: http\n"
                     "    url: http://127.0.0.1:9/api/orders/{orderId}/status\n"
                     "routes:\n"
                     "  writeback:\n"
                     "    sink: crm\n");
  int rc = 0;
  std::string out = qiao("validate --config " + dir.file("cfg"), &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("connectors.crm: http sink: url: placeholder at column 31 must be a JSON "
                     "pointer such as {/orderId}"),
            std::string::npos)
      << out;
}

TEST(Cli, ValidateAcceptsTheDemoConfig) {
  int rc = 0;
  // The demo reads its secrets from the environment (.ci/demo sets them); run from the source
  // root, as the demo does, so that gateway.mappings_dir resolves.
  std::string out = qiao("validate --config " + testkit::sourcePath("config/demo"), &rc);
  EXPECT_EQ(rc, 1) << out;
  EXPECT_NE(out.find("QIAO_DEMO_K3_APP_SECRET"), std::string::npos) << out;  // named, not guessed
  out.clear();
  rc = testkit::runCommand("cd " + testkit::sourcePath("") +
                               " && QIAO_DEMO_K3_APP_SECRET=s QIAO_DEMO_CRM_TOKEN=t"
                               " QIAO_DEMO_CRM_WEBHOOK_SECRET=w QIAO_DEMO_WECOM_SECRET=x"
                               " QIAO_DEMO_WECOM_CALLBACK_TOKEN=y"
                               " QIAO_DEMO_WECOM_AES_KEY=kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR " +
                               testkit::binPath("qiao") + " validate --config config/demo",
                           &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ok (8 connectors, 10 routes, 1 schedules, 4 jobs)"), std::string::npos) << out;
}

TEST(Cli, UsageErrorsExitTwo) {
  int rc = 0;
  qiao("frobnicate", &rc);
  EXPECT_EQ(rc, 2);
  qiao("", &rc);
  EXPECT_EQ(rc, 2);
  std::string out = qiao("version", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out.rfind("qiao ", 0), 0u) << out;
}

TEST(Cli, ConnectorsListShowsTheSchema) {
  int rc = 0;
  std::string out = qiao("connectors list", &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("http  [source+sink"), std::string::npos) << out;
  EXPECT_NE(out.find("url"), std::string::npos) << out;
  EXPECT_NE(out.find("required"), std::string::npos) << out;
}

class CliGatewayTest : public GatewayFixture {};

TEST_F(CliGatewayTest, KeysCreatePrintsAWorkingKeyOnceAndStoresOnlyItsHash) {
  writeConfig({});
  int rc = 0;
  std::string out = qiao("keys create --role operator --name ops --config " + config_dir_, &rc);
  ASSERT_EQ(rc, 0) << out;
  std::string key = keyLine(out);
  ASSERT_FALSE(key.empty()) << out;
  EXPECT_NE(out.find("shown only once"), std::string::npos) << out;
  std::string list = qiao("keys list --config " + config_dir_, &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(list.find("operator"), std::string::npos) << list;
  EXPECT_EQ(list.find(key), std::string::npos) << "keys list must never show a key";
  startGateway();
  EXPECT_EQ(api("GET", "/api/v1/messages", "", key).status, 200);
  // An ingest key may post records but not read them.
  std::string ingest = keyLine(qiao("keys create --role ingest --config " + config_dir_, &rc));
  ASSERT_FALSE(ingest.empty());
  EXPECT_EQ(api("GET", "/api/v1/messages", "", ingest).status, 403);
  std::string bad = qiao("keys create --role root --config " + config_dir_, &rc);
  EXPECT_EQ(rc, 2) << bad;
}

TEST_F(CliGatewayTest, DlqReplayFromTheCommandLineWithACorrectedPayload) {
  writeConfig({});
  startGateway();
  setFault(R"({"mode":"status","status":422,"body":"{\"error\":\"物料 M-9 不存在\"}","count":1})");
  auto ids = ingest(R"({"orderId":"SO-CLI","material":"M-9"})");
  ASSERT_EQ(ids.size(), 1u);
  waitStatus(ids[0], "dead");

  int rc = 0;
  std::string list = qiao("dlq list --config " + config_dir_, &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(list.find("SO-CLI"), std::string::npos) << list;
  EXPECT_NE(list.find("物料 M-9 不存在"), std::string::npos) << list;

  testkit::writeFile(dir_->file("fixed.json"), R"({"orderId":"SO-CLI","material":"M-1"})");
  auto dl = json::parse(api("GET", "/api/v1/dead-letters").body);
  std::string dl_id = std::to_string(dl["items"][0]["id"].get<int64_t>());
  std::string out = qiao("dlq replay " + dl_id + " --payload " + dir_->file("fixed.json") +
                             " --reason 'material fixed' --config " + config_dir_, &rc);
  EXPECT_EQ(rc, 0) << out;
  auto msg = waitStatus(ids[0], "delivered");
  EXPECT_EQ(msg["payload"]["material"], "M-1");
  out = qiao("dlq replay " + dl_id + " --config " + config_dir_, &rc);
  EXPECT_NE(rc, 0) << "a dead letter is replayed once: " << out;
  out = qiao("dlq replay 999999 --config " + config_dir_, &rc);
  EXPECT_EQ(rc, 4) << out;

  std::string show = qiao("messages show " + std::to_string(ids[0]) + " --config " + config_dir_, &rc);
  EXPECT_EQ(rc, 0);
  auto shown = json::parse(show, nullptr, false);
  ASSERT_TRUE(shown.is_object()) << show;
  EXPECT_EQ(shown["attempts"].size(), 2u) << show;
}

TEST_F(CliGatewayTest, PluginConnectorLoadsAtStartAndDelivers) {
  GatewayOptions o;
  o.plugins_dir = QIAO_TEST_PLUGINS_DIR "/echo_sink";
  o.extra_yaml =
      "  plugged:\n"
      "    sink: echo\n"
      "    entity: order\n"
      "    business_key: /orderId\n";
  o.extra_connectors_yaml = "  echo:\n    type: echo_sink\n    prefix: t\n";
  writeConfig(o);
  startGateway();
  auto r = api("POST", "/api/v1/routes/plugged/messages", R"({"orderId":"SO-PLUG"})");
  ASSERT_EQ(r.status, 202) << r.body;
  int64_t id = json::parse(r.body)["accepted"][0]["id"].get<int64_t>();
  auto msg = waitStatus(id, "delivered");
  EXPECT_EQ(msg["remote_id"].get<std::string>().rfind("echo-", 0), 0u) << msg.dump();
  r = api("GET", "/api/v1/connectors");
  EXPECT_NE(r.body.find("echo_sink"), std::string::npos) << r.body;
}

TEST(Cli, RefusedPluginsAreReportedClearly) {
  testkit::TempDir dir;
  testkit::writeFile(dir.file("cfg/gateway.yaml"),
                     "gateway:\n  data_dir: " + dir.file("data") + "\n  plugins_dir: " QIAO_TEST_PLUGINS_DIR "/mixed\n");
  int rc = 0;
  std::string out = qiao("validate --config " + dir.file("cfg"), &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("plugin refused:"), std::string::npos) << out;
  EXPECT_NE(out.find("ABI version 99, this gateway speaks 1"), std::string::npos) << out;
  EXPECT_NE(out.find("missing symbol qiao_plugin_entry"), std::string::npos) << out;
}

}  // namespace
}  // namespace qiao::e2e
