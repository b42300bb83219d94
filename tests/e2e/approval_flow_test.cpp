// The approval gate end to end (issue 8 point 4): CRM orders over 100,000 CNY wait for the
// general manager. The gate holds the order, submits a WeCom approval (qiao-sim's WeCom
// simulator, oa/applyevent), and the simulator's encrypted sys_approval_change callback
// decides it through /hooks/wecom_cb → the built-in `approvals` sink. Approved orders then go
// to K/3 (qiao-sim's k3cloud); rejected ones never do, and the CRM is told with the comment.
#include "k3_flow.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <thread>

namespace qiao::e2e {
namespace {

const std::string kCbToken = "gwApprovalCallbackToken";
const std::string kAesKey = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";

class ApprovalFlowTest : public K3FlowTest {
 protected:
  // gate_extra: more keys of the approval block (timeout, on_timeout...).
  // via: the route that submits (gm_approval: WeCom; oa_approval: the generic OA, polled).
  void start(const std::string& gate_extra = "", const std::string& via = "gm_approval") {
    startSim();
    testkit::writeFile(dir_->file("secrets/wecom_secret"), "sim-wecom-secret\n");
    testkit::writeFile(dir_->file("secrets/wecom_token"), kCbToken + "\n");
    testkit::writeFile(dir_->file("secrets/wecom_aes"), kAesKey + "\n");
    testkit::writeFile(dir_->file("secrets/oa_token"), "sim-oa-token\n");
    const std::string sim_url = "http://127.0.0.1:" + std::to_string(sim_port_);
    Flow f;
    f.extra_connectors =
        "  wecom_oa:\n"
        "    type: wecom\n"
        "    mode: approval\n"
        "    corp_id: wwsimcorp0000001\n"
        "    secret: ${file:" + dir_->file("secrets/wecom_secret") + "}\n"
        "    base_url: " + sim_url + "/sim/wecom\n"
        "    template_id: tpl-large-order\n"
        "    creator_userid: zhangsan\n"
        "  wecom_cb:\n"
        "    type: wecom\n"
        "    corp_id: wwsimcorp0000001\n"
        "    callback_token: ${file:" + dir_->file("secrets/wecom_token") + "}\n"
        "    encoding_aes_key: ${file:" + dir_->file("secrets/wecom_aes") + "}\n"
        "    callback_window: 5m\n"
        "  generic_oa:\n"
        "    type: oa\n"
        "    kind: generic\n"
        "    create_url: " + sim_url + "/sim/oa/api/approvals\n"
        "    create_body: {title: \"订单 {/record/orderId}\", amount: \"{/record/totalAmount}\", ref: \"{key}\"}\n"
        "    status_url: " + sim_url + "/sim/oa/api/approvals/{id}\n"
        "    approver_pointer: /approver\n"
        "    comment_pointer: /comment\n"
        "    auth_token: ${file:" + dir_->file("secrets/oa_token") + "}\n"
        "    status_map: {DRAFT: draft, PENDING: in_approval, APPROVED: approved, REJECTED: rejected,\n"
        "                 WITHDRAWN: withdrawn, CANCELLED: terminated}\n"
        "  crm_rejects:\n"
        "    type: http\n"
        "    url: " + sim_url + "/sim/receiver/crm_rejects/in\n"
        "    timeout: 2s\n";
    f.k3_orders_extra =
        "    approval:\n"
        "      rules:\n"
        "        - name: gm_over_100k\n"
        "          when: {field: /totalAmount, gt: \"100000\"}\n"
        "          via: " + via + "\n"
        "      on_rejected: order_rejected_to_crm\n" + gate_extra;
    const std::string retry = "    retry: {max_attempts: 4, initial_backoff_ms: 100, max_backoff_ms: 300}\n";
    f.extra_routes =
        "  gm_approval:\n"
        "    sink: wecom_oa\n"
        "    entity: approval_request\n"
        "    mapping: order_to_wecom_approval\n" + retry +
        "  director_approval:\n"
        "    sink: wecom_oa\n"
        "    entity: approval_request\n"
        "    mapping: order_to_wecom_approval\n" + retry +
        "  oa_approval:\n"
        "    sink: generic_oa\n"
        "    entity: approval_request\n" + retry +
        "  approval_events:\n"
        "    source: wecom_cb\n"
        "    sink: approvals\n"
        "    entity: approval_event\n" + retry +
        "  order_rejected_to_crm:\n"
        "    sink: crm_rejects\n"
        "    entity: order_rejection\n";
    startFlow(f);
    json cfg{{"callback", {{"url", "http://127.0.0.1:" + std::to_string(api_port_) + "/hooks/wecom_cb"},
                           {"token", kCbToken}, {"encoding_aes_key", kAesKey}, {"backoff_ms", 100}}}};
    auto r = sim("POST", "/sim/wecom/_config", cfg.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }

  static json bigOrder(int n) {
    json o = order(n);
    o["totalAmount"] = "250000.00";
    return o;
  }
  json approvals(const std::string& query = "") {
    auto r = api("GET", "/api/v1/approvals" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    auto j = json::parse(r.body, nullptr, false);
    return j.is_object() ? j["items"] : json::array();
  }
  // Waits until the order's approval was submitted to WeCom; returns its sp_no.
  std::string waitSubmitted(int64_t message_id) {
    std::string sp_no;
    EXPECT_TRUE(testkit::waitFor(
        [&] {
          for (const auto& a : approvals("?state=submitted"))
            if (a["message_id"] == message_id) sp_no = a["request_id"].get<std::string>();
          return !sp_no.empty();
        },
        15000))
        << approvals().dump() << gatewayLog();
    return sp_no;
  }
  void decide(const std::string& sp_no, const std::string& action, const std::string& user,
              const std::string& comment) {
    auto r = sim("POST", "/sim/wecom/_approvals/" + sp_no + "/" + action,
                 json{{"userid", user}, {"comment", comment}}.dump());
    ASSERT_EQ(r.status, 200) << r.body;
  }
  size_t billsWith(const std::string& order_id) {
    size_t n = 0;
    for (const auto& b : k3Bills())
      if (b.dump().find(order_id) != std::string::npos) ++n;
    return n;
  }
  std::vector<std::string> journal(int64_t id) {
    json m = message(id);
    std::vector<std::string> out;
    for (const auto& a : m["attempts"]) out.push_back(a["status"].get<std::string>());
    return out;
  }
  json receiverRecords(const std::string& receiver) {
    auto r = sim("GET", "/sim/receiver/" + receiver + "/_records?limit=100");
    return json::parse(r.body, nullptr, false)["records"];
  }
};

TEST_F(ApprovalFlowTest, LargeOrderWaitsForApprovalAndOnlyThenReachesK3) {
  start();
  auto ids = push(json::array({order(1), bigOrder(2)}));
  ASSERT_EQ(ids.size(), 2u);
  waitStatus(ids[0], "delivered");  // small: straight through
  const std::string sp_no = waitSubmitted(ids[1]);
  EXPECT_EQ(message(ids[1])["status"], "awaiting_approval");
  EXPECT_EQ(billsWith(orderId(2)), 0u) << "a held order must not reach K/3";

  // The approval WeCom holds was built by the mapping from the held order.
  auto detail = sim("GET", "/sim/wecom/_approvals/" + sp_no);
  ASSERT_EQ(detail.status, 200) << detail.body;
  EXPECT_NE(detail.body.find("250000.00"), std::string::npos) << detail.body;
  EXPECT_NE(detail.body.find(orderId(2)), std::string::npos) << detail.body;

  decide(sp_no, "approve", "GM", "同意");
  json m = waitStatus(ids[1], "delivered");
  EXPECT_EQ(billsWith(orderId(2)), 1u);
  json a = approvals("?state=approved");
  ASSERT_EQ(a.size(), 1u) << a.dump();
  EXPECT_EQ(a[0]["approver"], "GM");
  EXPECT_EQ(a[0]["comment"], "同意");
  EXPECT_EQ(a[0]["rule"], "gm_over_100k");
  std::vector<std::string> steps = journal(ids[1]);
  ASSERT_GE(steps.size(), 4u) << m.dump();
  EXPECT_EQ(steps[0], "awaiting_approval");
  EXPECT_EQ(steps[1], "approval_submitted");
  EXPECT_EQ(steps[2], "approved");
  EXPECT_EQ(steps.back(), "delivered");
}

TEST_F(ApprovalFlowTest, RejectedOrderNeverReachesK3AndTheCrmGetsTheComment) {
  start();
  auto ids = push(json::array({bigOrder(3)}));
  ASSERT_EQ(ids.size(), 1u);
  const std::string sp_no = waitSubmitted(ids[0]);
  decide(sp_no, "reject", "GM", "价格低于底价");
  json m = waitStatus(ids[0], "dead");
  EXPECT_NE(m["last_error"].get<std::string>().find("价格低于底价"), std::string::npos) << m.dump();
  ASSERT_TRUE(testkit::waitFor([&] { return receiverRecords("crm_rejects").size() == 1; }, 10000))
      << gatewayLog();
  json told = json::parse(receiverRecords("crm_rejects")[0]["body"].get<std::string>());
  EXPECT_EQ(told["record"]["orderId"], orderId(3));
  EXPECT_EQ(told["approval"]["state"], "rejected");
  EXPECT_EQ(told["approval"]["approver"], "GM");
  EXPECT_EQ(told["approval"]["comment"], "价格低于底价");
  EXPECT_EQ(told["approval"]["requestId"], sp_no);
  // The dead letter says why, with its own class.
  auto dl = api("GET", "/api/v1/dead-letters?route=k3_orders");
  ASSERT_EQ(dl.status, 200) << dl.body;
  json items = json::parse(dl.body)["items"];
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]["error_class"], "approval");
  // An approval that arrives after the rejection changes nothing.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(billsWith(orderId(3)), 0u);
  EXPECT_EQ(message(ids[0])["status"], "dead");
}

TEST_F(ApprovalFlowTest, WaitingSurvivesAKillAndTheDecisionAfterTheRestartApplies) {
  start();
  auto ids = push(json::array({bigOrder(4)}));
  ASSERT_EQ(ids.size(), 1u);
  const std::string sp_no = waitSubmitted(ids[0]);
  stopGateway(SIGKILL);
  startGateway();
  EXPECT_EQ(message(ids[0])["status"], "awaiting_approval");
  decide(sp_no, "approve", "GM", "可以");
  waitStatus(ids[0], "delivered");
  EXPECT_EQ(billsWith(orderId(4)), 1u);
}

TEST_F(ApprovalFlowTest, ADecisionForAnUnknownApprovalIsKeptAsADeadLetter) {
  start();
  // An approval opened in WeCom by hand, not by the gateway.
  json tok = json::parse(sim("GET", "/sim/wecom/cgi-bin/gettoken?corpid=wwsimcorp0000001&corpsecret=sim-wecom-secret").body);
  json apply{{"creator_userid", "zhangsan"}, {"template_id", "tpl-large-order"},
             {"approver", {{{"attr", 1}, {"userid", {"GM"}}}}},
             {"apply_data", {{"contents", {{{"control", "Money"}, {"id", "Money-1"}, {"value", {{"new_money", "1.00"}}}}}}}}};
  auto applied = sim("POST", "/sim/wecom/cgi-bin/oa/applyevent?access_token=" + tok.value("access_token", ""),
                     apply.dump());
  const std::string sp_no = json::parse(applied.body).value("sp_no", "");
  ASSERT_FALSE(sp_no.empty()) << applied.body;
  decide(sp_no, "approve", "GM", "ok");
  // Retried (it may overtake its own submission), then kept with the reason.
  std::string reason;
  ASSERT_TRUE(testkit::waitFor(
      [&] {
        auto dl = api("GET", "/api/v1/dead-letters?route=approval_events");
        json items = json::parse(dl.body, nullptr, false)["items"];
        for (const auto& d : items)
          if (d["reason"].get<std::string>().find("(state approved)") != std::string::npos)
            reason = d["reason"].get<std::string>();
        return !reason.empty();
      },
      15000))
      << reason << gatewayLog();
  EXPECT_NE(reason.find("no record waits on approval request " + sp_no), std::string::npos) << reason;
}

// An OA without callbacks: the gateway asks it (poll: 1s) for the requests that wait.
TEST_F(ApprovalFlowTest, AnOaDecisionIsPolledAndApplied) {
  start("      poll: 1s\n", "oa_approval");
  auto ids = push(json::array({bigOrder(8), bigOrder(9)}));
  ASSERT_EQ(ids.size(), 2u);
  const std::string approve_id = waitSubmitted(ids[0]);
  const std::string reject_id = waitSubmitted(ids[1]);
  json a = approvals("?state=submitted");
  ASSERT_EQ(a.size(), 2u) << a.dump();
  EXPECT_EQ(a[0]["system"], "generic_oa");
  auto r = sim("POST", "/sim/oa/_approvals/" + approve_id + "/approve",
               json{{"approver", "王总"}, {"comment", "同意"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  r = sim("POST", "/sim/oa/_approvals/" + reject_id + "/reject",
          json{{"approver", "王总"}, {"comment", "账期太长"}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  waitStatus(ids[0], "delivered");
  json dead = waitStatus(ids[1], "dead");
  EXPECT_NE(dead["last_error"].get<std::string>().find("账期太长"), std::string::npos) << dead.dump();
  EXPECT_EQ(billsWith(orderId(8)), 1u);
  EXPECT_EQ(billsWith(orderId(9)), 0u);
}

TEST_F(ApprovalFlowTest, NoDecisionInTimeExpiresTheOrderAndTellsTheCrm) {
  start("      timeout: 2s\n");
  auto ids = push(json::array({bigOrder(5)}));
  ASSERT_EQ(ids.size(), 1u);
  waitSubmitted(ids[0]);
  json m = waitStatus(ids[0], "dead", 15000);
  EXPECT_NE(m["last_error"].get<std::string>().find("approval timed out: no decision within 2s"),
            std::string::npos)
      << m.dump();
  ASSERT_TRUE(testkit::waitFor([&] { return receiverRecords("crm_rejects").size() == 1; }, 10000));
  json told = json::parse(receiverRecords("crm_rejects")[0]["body"].get<std::string>());
  EXPECT_EQ(told["approval"]["state"], "expired");
  EXPECT_EQ(billsWith(orderId(5)), 0u);
}

TEST_F(ApprovalFlowTest, NoDecisionInTimeEscalatesToTheNextApprover) {
  start("      timeout: 2s\n      on_timeout: escalate\n      escalate_via: director_approval\n");
  auto ids = push(json::array({bigOrder(6)}));
  ASSERT_EQ(ids.size(), 1u);
  const std::string first = waitSubmitted(ids[0]);
  std::string second;
  ASSERT_TRUE(testkit::waitFor(
      [&] {
        for (const auto& a : approvals("?state=submitted"))
          if (a["escalations"] == 1) second = a["request_id"].get<std::string>();
        return !second.empty();
      },
      15000))
      << approvals().dump() << gatewayLog();
  EXPECT_NE(second, first);
  EXPECT_EQ(message(ids[0])["status"], "awaiting_approval");
  // (The test's director route reuses the GM mapping: the approver is the same user.)
  decide(second, "approve", "GM", "同意");
  waitStatus(ids[0], "delivered");
  EXPECT_EQ(billsWith(orderId(6)), 1u);
  std::vector<std::string> steps = journal(ids[0]);
  EXPECT_EQ(std::count(steps.begin(), steps.end(), "approval_escalated"), 1) << message(ids[0]).dump();
}

TEST_F(ApprovalFlowTest, AnEscalationThatTimesOutTooExpires) {
  start("      timeout: 1s\n      on_timeout: escalate\n      escalate_via: director_approval\n");
  auto ids = push(json::array({bigOrder(7)}));
  ASSERT_EQ(ids.size(), 1u);
  json m = waitStatus(ids[0], "dead", 15000);
  EXPECT_NE(m["last_error"].get<std::string>().find("no decision within 1s after escalation"),
            std::string::npos)
      << m.dump();
  std::vector<std::string> steps = journal(ids[0]);
  EXPECT_EQ(std::count(steps.begin(), steps.end(), "approval_escalated"), 1);
  EXPECT_EQ(billsWith(orderId(7)), 0u);
}

}  // namespace
}  // namespace qiao::e2e
