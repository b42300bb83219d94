// Scheduled polling: a cron schedule polls a route's source connector (here the echo test
// plugin, which has two records), the records are committed before the watermark moves, and
// neither more polls nor a restart bring them in twice.
#include <signal.h>

#include <chrono>
#include <thread>

#include "gateway_fixture.h"

namespace qiao::e2e {
namespace {

class ScheduleTest : public GatewayFixture {
 protected:
  int pollsLogged() {
    std::string log = gatewayLog();
    int n = 0;
    for (size_t pos = log.find("\"event\":\"poll.done\",\"route\":\"pulled\""); pos != std::string::npos;
         pos = log.find("\"event\":\"poll.done\",\"route\":\"pulled\"", pos + 1))
      ++n;
    return n;
  }
};

TEST_F(ScheduleTest, CronPollsTheSourceOnceEachRecordAcrossPollsAndRestarts) {
  GatewayOptions o;
  o.plugins_dir = QIAO_TEST_PLUGINS_DIR "/echo_sink";
  o.extra_yaml =
      "  pulled:\n"
      "    source: echo_src\n"
      "    sink: erp\n"
      "schedules:\n"
      "  pull_echo:\n"
      "    cron: \"* * * * * *\"\n"
      "    route: pulled\n";
  o.extra_connectors_yaml = "  echo_src:\n    type: echo_sink\n    prefix: s\n";
  writeConfig(o);
  startGateway();

  ASSERT_TRUE(testkit::waitFor([&] { return simStats()["effects"].get<int>() >= 2; }, 10000)) << gatewayLog();
  // Several more polls after the source ran dry: nothing new.
  ASSERT_TRUE(testkit::waitFor([&] { return pollsLogged() >= 4; }, 10000)) << gatewayLog();
  EXPECT_EQ(simStats()["effects"], 2);

  auto r = api("GET", "/api/v1/messages?route=pulled");
  ASSERT_EQ(r.status, 200);
  auto list = json::parse(r.body);
  ASSERT_EQ(list["items"].size(), 2u) << r.body;
  EXPECT_EQ(list["items"][0]["business_key"], "E-1");
  EXPECT_EQ(list["items"][0]["source_system"], "echo");

  // The watermark survives a restart: the new process polls from "2".
  stopGateway(SIGTERM);
  startGateway();
  int before = pollsLogged();
  ASSERT_TRUE(testkit::waitFor([&] { return pollsLogged() >= before + 2; }, 10000)) << gatewayLog();
  EXPECT_EQ(simStats()["effects"], 2);
  r = api("GET", "/api/v1/messages?route=pulled");
  EXPECT_EQ(json::parse(r.body)["items"].size(), 2u) << r.body;
}

// GET /api/v1/jobs shows each schedule's next fire and its last run (kept in the store), and a
// fire time missed while the gateway was down runs once at start with `missed: run_once`.
TEST_F(ScheduleTest, JobsApiShowsRunsAndAMissedFireRunsOnceAtStart) {
  GatewayOptions o;
  o.plugins_dir = QIAO_TEST_PLUGINS_DIR "/echo_sink";
  o.extra_yaml =
      "  pulled:\n"
      "    source: echo_src\n"
      "    sink: erp\n"
      "schedules:\n"
      "  pull_echo:\n"
      "    cron: \"*/2 * * * * *\"\n"
      "    route: pulled\n"
      "    missed: run_once\n";
  o.extra_connectors_yaml = "  echo_src:\n    type: echo_sink\n    prefix: s\n";
  writeConfig(o);
  startGateway();

  json job;
  ASSERT_TRUE(testkit::waitFor([&] {
    auto r = api("GET", "/api/v1/jobs");
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_object() || j["jobs"].empty()) return false;
    job = j["jobs"][0];
    return job["last_run"]["outcome"] == "ok";
  }, 10000)) << job.dump() << gatewayLog();
  EXPECT_EQ(job["name"], "pull_echo");
  EXPECT_EQ(job["route"], "pulled");
  EXPECT_EQ(job["timezone"], "Asia/Shanghai");
  EXPECT_EQ(job["missed"], "run_once");
  EXPECT_TRUE(job["next_run"].is_string()) << job.dump();
  EXPECT_TRUE(job["last_run"]["started"].is_string()) << job.dump();
  EXPECT_TRUE(job["last_run"]["finished"].is_string()) << job.dump();

  // Down for more than two fire times; the next start catches up once, at once.
  stopGateway(SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(4500));
  startGateway();
  ASSERT_TRUE(testkit::waitFor([&] {
    return gatewayLog().find("\"event\":\"schedule.catch_up\"") != std::string::npos;
  }, 3000)) << gatewayLog();
  EXPECT_EQ(simStats()["effects"], 2);  // the source had two records; nothing twice
}

}  // namespace
}  // namespace qiao::e2e
