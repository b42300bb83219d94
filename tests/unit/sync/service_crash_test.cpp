// kill -9: a child process runs a deterministic sequence of sync operations (ingests, first
// deliveries, confirmations, failures, conflicts) and is killed at a random moment; the file
// reopens to exactly the state after the last operation that committed — links, pending and
// failed writes, conflicts and the review list — checked against a replay of the same
// operations in a fresh file.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iterator>
#include <cstdio>
#include <deque>
#include <fstream>
#include <random>
#include <thread>

#include "qiao/testkit/testkit.h"
#include "service_fixture.h"

namespace qiao::sync::test {
namespace {

using nlohmann::json;

struct World {
  FakeClock clock;
  SideSim crm{"crm", "customerId", "C", &clock};
  SideSim k3{"k3cloud", "k3Id", "1005", &clock};
  std::deque<SyncWrite> queue;  // handed out, not delivered yet
};

// Operation i; the same i on the same state always does the same thing. Every operation is
// one commit except case 0 (two ingests); first_commit_only stops it after its first, the
// state a kill between the two leaves.
void runOp(Service& svc, World& w, int i, bool first_commit_only = false) {
  w.clock.now += 1000;
  std::mt19937 rng(static_cast<unsigned>(i));
  auto take = [&](const Result<IngestResult>& r) {
    if (r.ok()) w.queue.insert(w.queue.end(), r->writes.begin(), r->writes.end());
  };
  switch (i % 5) {
    case 0: {  // a new customer on each side
      json c = company("崩溃测试" + std::to_string(i) + "号有限公司", "", "0512-" + std::to_string(i));
      take(svc.ingestChange("crm", w.crm.json(w.crm.create(c))));
      if (first_commit_only) break;
      c["name"] = "崩溃测试" + std::to_string(i) + "号机械有限公司";
      take(svc.ingestChange("k3cloud", w.k3.json(w.k3.create(c))));
      break;
    }
    case 1:  // deliver and confirm the oldest write
      if (!w.queue.empty()) {
        SyncWrite sw = w.queue.front();
        w.queue.pop_front();
        SideSim& s = sw.side == "crm" ? w.crm : w.k3;
        std::string id = s.apply(sw);
        auto released = svc.confirmWrite(sw.write_id, sw.kind == "create" ? id : "");
        if (released.ok()) w.queue.insert(w.queue.end(), released->begin(), released->end());
      }
      break;
    case 2:  // a CRM user edits the address of a customer
      if (!w.crm.records.empty()) {
        auto it = std::next(w.crm.records.begin(), static_cast<long>(rng() % w.crm.records.size()));
        w.crm.edit(it->first, "address", "路" + std::to_string(i) + "号");
        take(svc.ingestChange("crm", w.crm.json(it->first)));
      }
      break;
    case 3:  // a write fails
      if (w.queue.size() > 2 && w.queue.front().kind != "create") {
        (void)svc.failWrite(w.queue.front().write_id, "K/3 MsgCode 11 (op " + std::to_string(i) + ")");
        w.queue.pop_front();
      }
      break;
    case 4: {  // both sides edit the same customer's phone: a conflict
      json links = json::parse(*svc.linksJson(10000, 0));
      std::vector<std::pair<std::string, std::string>> both;
      for (const json& l : links["items"]) {
        std::string c = l["sides"]["crm"]["id"], k = l["sides"]["k3cloud"]["id"];
        if (!c.empty() && !k.empty() && w.crm.records.count(c) && w.k3.records.count(k)) both.emplace_back(c, k);
      }
      if (both.empty()) break;
      auto [c, k] = both[rng() % both.size()];
      w.crm.edit(c, "phone", "crm " + std::to_string(i));
      w.clock.now += 5;
      w.k3.edit(k, "phone", "k3 " + std::to_string(i));
      take(svc.ingestCycle({{"crm", {w.crm.json(c)}}, {"k3cloud", {w.k3.json(k)}}}));
      break;
    }
  }
}

std::string snapshot(Service& svc) {
  std::string s = *svc.linksJson(10000, 0);
  s += "\n" + *svc.writesJson("", 10000, 0);
  s += "\n" + *svc.conflictsJson(10000, 0);
  s += "\n" + *svc.reviewJson(10000, 0, "all");
  return s;
}

// The state after `ops` whole operations, plus the first commit of the next one if asked.
std::string replay(const std::string& path, int ops, bool then_first_commit = false) {
  World w;
  auto svc = Service::open(serviceOptions(path, &w.clock));
  EXPECT_TRUE(svc.ok());
  for (int i = 0; i < ops; ++i) runOp(**svc, w, i);
  if (then_first_commit) runOp(**svc, w, ops, /*first_commit_only=*/true);
  return snapshot(**svc);
}

TEST(SyncServiceCrash, KilledProcessReopensToItsLastCommitExactly) {
  std::mt19937 rng(20261127);
  for (int round = 0; round < 3; ++round) {
    testkit::TempDir dir;
    const std::string db = dir.file("qiao.db");
    const std::string progress = dir.file("progress");
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Never back into gtest from the child.
      try {
        World w;
        auto svc = Service::open(serviceOptions(db, &w.clock));
        if (!svc.ok()) ::_exit(1);
        for (int i = 0; i < 400; ++i) {
          runOp(**svc, w, i);
          // After op i committed: the count of finished ops (rename: never half written).
          std::ofstream(progress + ".tmp") << (i + 1);
          std::rename((progress + ".tmp").c_str(), progress.c_str());
        }
      } catch (...) {
        ::_exit(2);
      }
      ::raise(SIGKILL);  // no clean close either way
      ::_exit(3);
    }
    // Let it get going, then kill it somewhere in the middle.
    for (int i = 0; i < 2000 && !std::ifstream(progress).good(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 300));
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited: " << status;
    int done = 0;
    std::ifstream(progress) >> done;
    ASSERT_GT(done, 0);

    FakeClock clock;
    auto reopened = Service::open(serviceOptions(db, &clock));
    ASSERT_TRUE(reopened.ok()) << reopened.error().message;
    const std::string got = snapshot(**reopened);
    // The kill may have landed after op `done` committed but before its progress was written,
    // or between the two commits of a two-commit op: exactly one of these states, nothing else.
    const std::string after_done = replay(dir.file("replay_a.db"), done);
    if (got != after_done && !(done % 5 == 0 && got == replay(dir.file("replay_h.db"), done, true))) {
      EXPECT_EQ(got, replay(dir.file("replay_b.db"), done + 1)) << "round " << round << " after " << done << " ops";
    }
    SyncCounts c = (*reopened)->counts();
    std::printf("round %d: killed after %d ops: %zu links, %zu pending, %zu failed, %zu conflicts\n",
                round, done, c.links, c.pending, c.failed, c.conflicts);
    EXPECT_GT(c.links, 0u);
    EXPECT_GT(c.pending + c.deferred, 0u);  // the kill left writes open: they came back
  }
}

}  // namespace
}  // namespace qiao::sync::test
