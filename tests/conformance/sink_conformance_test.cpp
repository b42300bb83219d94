// The sink conformance suite, instantiated for each sink qiao ships or tests with.
// Case builders run while gtest registers tests (also for --gtest_list_tests), so they only
// capture lazy handles: the simulator starts and the plugin loads on first use.
#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "qiao/plugin/plugin_host.h"
#include "qiao/sdk/connector.h"
#include "qiao/testkit/sink_conformance.h"
#include "qiao/testkit/testkit.h"

void qiao_register_http(qiao::sdk::Registry& registry);

namespace {

using nlohmann::json;
using qiao::testkit::SinkConformanceCase;
using qiao::testkit::SinkFault;
namespace tk = qiao::testkit;

// ---- http sink against a qiao-sim receiver ------------------------------------------------

constexpr const char* kHttpToken = "tok-conformance-7c1e-NEVER-LOG";

// One qiao-sim child for the whole test binary, started on first use, killed at exit.
class SimTarget {
 public:
  static SimTarget& get() {
    static SimTarget sim;
    return sim;
  }
  int port() {
    std::call_once(started_, [this] { start(); });
    return port_;
  }
  std::string path(const std::string& op) const { return "/sim/receiver/conf/" + op; }

 private:
  void start() {
    dir_ = std::make_unique<tk::TempDir>();
    std::string out = dir_->file("sim.out");
    child_ = std::make_unique<tk::Child>(tk::binPath("qiao-sim"),
                                         std::vector<std::string>{"--port", "0"}, out);
    std::string ready;
    bool up = tk::waitFor(
        [&] {
          ready = tk::readFile(out);
          return ready.find("\"ready\"") != std::string::npos;
        },
        10000);
    if (!up) {
      ADD_FAILURE() << "qiao-sim did not start: " << ready;
      return;
    }
    port_ = json::parse(ready.substr(0, ready.find('\n')))["port"].get<int>();
  }
  std::once_flag started_;
  std::unique_ptr<tk::TempDir> dir_;
  std::unique_ptr<tk::Child> child_;
  int port_ = 0;
};

json simCall(const std::string& method, const std::string& op, const std::string& body = "") {
  auto& sim = SimTarget::get();
  auto r = tk::http(method, sim.port(), sim.path(op), body);
  EXPECT_EQ(r.status, 200) << method << " " << op << ": " << r.body;
  auto j = json::parse(r.body, nullptr, false);
  return j.is_discarded() ? json::object() : j;
}

SinkConformanceCase httpCase() {
  SinkConformanceCase c;
  c.name = "http";
  c.secret = kHttpToken;
  c.make_sink = []() -> qiao::Result<std::unique_ptr<qiao::sdk::Sink>> {
    static qiao::sdk::Registry* registry = [] {
      auto* r = new qiao::sdk::Registry();
      qiao_register_http(*r);
      return r;
    }();
    auto& sim = SimTarget::get();
    json settings{{"url", "http://127.0.0.1:" + std::to_string(sim.port()) + sim.path("orders")},
                  {"timeout", 2000},
                  {"connect_timeout", 1000},
                  {"auth_token", kHttpToken}};
    const auto* d = registry->find("http");
    if (d == nullptr) return qiao::Error::permanent(qiao::ErrorCode::kNotFound, "no http sink");
    return d->make_sink(qiao::sdk::InstanceConfig{"erp", settings.dump()},
                        qiao::sdk::Context{"erp", ""});
  };
  c.effects = [] { return simCall("GET", "_stats")["effects"].get<int64_t>(); };
  c.set_fault = [](SinkFault kind) {
    int status = kind == SinkFault::kTransient ? 503 : 400;
    simCall("POST", "_faults", json{{"mode", "status"}, {"status", status}, {"count", 1}}.dump());
  };
  c.reset = [] { simCall("POST", "_reset"); };
  return c;
}

// ---- the echo_sink test plugin through the plugin host ------------------------------------

// echo_sink has no fault switch: it fails records whose payload says "flaky":true
// (transient) or "fail":true (permanent). set_fault arms a mark for the next record built.
struct EchoFaults {
  std::atomic<int> pending{0};  // 0 none, 1 transient, 2 permanent
};

SinkConformanceCase echoPluginCase() {
  auto faults = std::make_shared<EchoFaults>();
  SinkConformanceCase c;
  c.name = "echo_sink_plugin";
  c.make_sink = []() -> qiao::Result<std::unique_ptr<qiao::sdk::Sink>> {
    // Plugins are never unloaded; one registry for the process keeps the descriptor alive.
    static qiao::sdk::Registry* registry = new qiao::sdk::Registry();
    static qiao::Result<std::string> loaded =
        qiao::plugin::loadPlugin(QIAO_ECHO_SINK_PLUGIN, *registry);
    if (!loaded.ok()) return loaded.error();
    const auto* d = registry->find(loaded.value());
    if (d == nullptr || !d->isSink())
      return qiao::Error::permanent(qiao::ErrorCode::kPluginError, "echo_sink is not a sink");
    return d->make_sink(qiao::sdk::InstanceConfig{"echo", R"({"prefix":"conf"})"},
                        qiao::sdk::Context{"echo", ""});
  };
  c.set_fault = [faults](SinkFault kind) {
    faults->pending = kind == SinkFault::kTransient ? 1 : 2;
  };
  c.prepare = [faults](qiao::Record& r) {
    int mark = faults->pending.exchange(0);
    if (mark == 0) return;
    r.payload.insert(1, mark == 1 ? R"("flaky":true,)" : R"("fail":true,)");
  };
  c.reset = [faults] { faults->pending = 0; };
  // effects stays empty: the plugin keeps no record of what it received.
  return c;
}

}  // namespace

QIAO_SINK_CONFORMANCE(Http, httpCase());
QIAO_SINK_CONFORMANCE(EchoPlugin, echoPluginCase());
