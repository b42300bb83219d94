// qiao-sim itself: the receiver's endpoints, dedupe, faults and the state file.
#include <algorithm>
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <string>

#include "qiao/testkit/testkit.h"
#include "sim_process.h"

namespace {

using nlohmann::json;
namespace tk = qiao::testkit;

class Sim : public sim_test::SimProcess {
 public:
  Sim(const tk::TempDir& dir, std::vector<std::string> extra = {})
      : SimProcess(dir, "sim", std::move(extra)) {}

  tk::HttpResponse post(const std::string& path, const std::string& body,
                        const std::map<std::string, std::string>& headers = {}) {
    return tk::http("POST", port(), path, body, headers);
  }
  json get(const std::string& path) {
    auto r = tk::http("GET", port(), path);
    EXPECT_EQ(r.status, 200) << path << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }
};

TEST(QiaoSim, ReadyLineNamesAPortAndHealthAnswers) {
  tk::TempDir dir;
  Sim sim(dir);
  ASSERT_GT(sim.port(), 0);
  auto h = sim.get("/sim/_health");
  EXPECT_EQ(h["ok"], true);
  const auto& names = h["simulators"];
  EXPECT_NE(std::find(names.begin(), names.end(), "receiver"), names.end()) << h.dump();
  EXPECT_EQ(tk::http("GET", sim.port(), "/sim/nope/x").status, 404);
}

TEST(QiaoSim, ReceiverRecordsDedupesAndPages) {
  tk::TempDir dir;
  Sim sim(dir);
  const std::string base = "/sim/receiver/erp";
  for (int i = 0; i < 5; ++i) {
    auto r = sim.post(base + "/orders", "{\"n\":" + std::to_string(i) + "}",
                      {{"Idempotency-Key", "k" + std::to_string(i)}});
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json::parse(r.body)["id"], "R-" + std::to_string(i + 1));
  }
  auto dup = sim.post(base + "/orders", "{}", {{"Idempotency-Key", "k2"}});
  EXPECT_EQ(dup.status, 200);
  EXPECT_EQ(json::parse(dup.body)["id"], "R-3");
  auto noKey = sim.post(base + "/orders", "{\"free\":1}");
  EXPECT_EQ(noKey.status, 201);
  auto s = sim.get(base + "/_stats");
  EXPECT_EQ(s["requests"], 7);
  EXPECT_EQ(s["effects"], 6);
  EXPECT_EQ(s["duplicates"], 1);
  EXPECT_EQ(s["unique_keys"], 5);
  auto page = sim.get(base + "/_records?limit=2&offset=1");
  ASSERT_EQ(page["records"].size(), 2u);
  EXPECT_EQ(page["records"][0]["json"]["n"], 1);
  EXPECT_EQ(page["records"][1]["headers"]["idempotency-key"], "k2");
  EXPECT_EQ(page["total"], 6);
  // Other receivers are independent.
  EXPECT_EQ(sim.get("/sim/receiver/other/_stats")["requests"], 0);
  ASSERT_EQ(sim.post(base + "/_reset", "").status, 200);
  EXPECT_EQ(sim.get(base + "/_stats")["effects"], 0);
}

TEST(QiaoSim, DedupeCanBeSwitchedOffAndHeaderRenamed) {
  tk::TempDir dir;
  Sim sim(dir);
  const std::string base = "/sim/receiver/r";
  ASSERT_EQ(sim.post(base + "/_config", R"({"dedupe":false})").status, 200);
  sim.post(base + "/x", "{}", {{"Idempotency-Key", "same"}});
  sim.post(base + "/x", "{}", {{"Idempotency-Key", "same"}});
  EXPECT_EQ(sim.get(base + "/_stats")["effects"], 2);
  ASSERT_EQ(sim.post(base + "/_config", R"({"dedupe":true,"idempotency_header":"X-Req"})").status,
            200);
  sim.post(base + "/x", "{}", {{"X-Req", "a"}});
  sim.post(base + "/x", "{}", {{"X-Req", "a"}});
  auto s = sim.get(base + "/_stats");
  EXPECT_EQ(s["effects"], 3);
  EXPECT_EQ(s["duplicates"], 1);
}

TEST(QiaoSim, FaultsApplyToTheNextRequestsOnly) {
  tk::TempDir dir;
  Sim sim(dir);
  const std::string base = "/sim/receiver/f";
  ASSERT_EQ(sim.post(base + "/_faults",
                     R"({"mode":"status","status":429,"retry_after":2,"count":2})").status,
            200);
  for (int i = 0; i < 2; ++i) {
    auto r = sim.post(base + "/x", "{}");
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.headers["retry-after"], "2");
  }
  EXPECT_EQ(sim.post(base + "/x", "{}").status, 201);
  ASSERT_EQ(sim.post(base + "/_faults", R"({"mode":"reset","count":1})").status, 200);
  EXPECT_EQ(sim.post(base + "/x", "{}").status, 0);  // no response at all
  EXPECT_EQ(sim.post(base + "/x", "{}").status, 201);
  ASSERT_EQ(sim.post(base + "/_faults", R"({"mode":"status","status":500})").status, 200);
  EXPECT_EQ(sim.post(base + "/x", "{}").status, 500);
  EXPECT_EQ(sim.post(base + "/x", "{}").status, 500);  // no count: until cleared
  ASSERT_EQ(sim.post(base + "/_faults", R"({"mode":"none"})").status, 200);
  EXPECT_EQ(sim.post(base + "/x", "{}").status, 201);
  auto s = sim.get(base + "/_stats");
  EXPECT_EQ(s["effects"], 3);
  EXPECT_EQ(s["faults_injected"], 5);
  EXPECT_EQ(sim.post(base + "/_faults", R"({"mode":"explode"})").status, 400);
  EXPECT_EQ(sim.post(base + "/_faults", "not json").status, 400);
}

TEST(QiaoSim, StateFileKeepsDedupeAcrossRestart) {
  tk::TempDir dir;
  std::string state = dir.file("sim-state.json");
  {
    Sim sim(dir, {"--state-file", state});
    ASSERT_EQ(sim.post("/sim/receiver/erp/o", "{}", {{"Idempotency-Key", "k1"}}).status, 201);
    sim.child().kill(SIGTERM);
    EXPECT_EQ(sim.child().wait(10000), 0) << tk::readFile(sim.output());
  }
  Sim again(dir, {"--state-file", state});
  auto r = again.post("/sim/receiver/erp/o", "{}", {{"Idempotency-Key", "k1"}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["id"], "R-1");
  auto next = again.post("/sim/receiver/erp/o", "{}", {{"Idempotency-Key", "k2"}});
  EXPECT_EQ(json::parse(next.body)["id"], "R-2");
  auto s = again.get("/sim/receiver/erp/_stats");
  EXPECT_EQ(s["effects"], 2);
  EXPECT_EQ(s["unique_keys"], 2);
}

TEST(QiaoSim, RejectsBadArguments) {
  std::string out;
  EXPECT_EQ(tk::runCommand(tk::binPath("qiao-sim") + " --port 70000", &out), 2) << out;
  EXPECT_EQ(tk::runCommand(tk::binPath("qiao-sim") + " --bogus", &out), 2) << out;
}

}  // namespace
