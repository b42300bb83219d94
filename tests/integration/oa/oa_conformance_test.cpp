// The sink conformance suite for the `oa` sink, both kinds, against one qiao-sim started on
// first use: effects are the requests the simulators created.
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "oa_harness.h"
#include "qiao/sdk/connector.h"
#include "qiao/testkit/sink_conformance.h"

void qiao_register_oa(qiao::sdk::Registry& registry);

namespace {

using nlohmann::json;
using qiao::testkit::SinkConformanceCase;
using qiao::testkit::SinkFault;
namespace tk = qiao::testkit;

constexpr const char* kToken = "oa-conformance-token-NEVER-LOG";

class Sim {
 public:
  static Sim& get() {
    static Sim sim;
    return sim;
  }
  int port() {
    std::call_once(once_, [this] {
      dir_ = std::make_unique<tk::TempDir>();
      port_ = tk::startQiaoSim(&child_, dir_->file("sim.out"));
      if (port_ <= 0) ADD_FAILURE() << "qiao-sim did not start";
      else oa_it::simCall(port_, "POST", "/sim/oa/_config", {{"token", kToken}});
    });
    return port_;
  }
  std::string dataDir() { return dir_->path(); }

 private:
  std::once_flag once_;
  std::unique_ptr<tk::TempDir> dir_;
  std::unique_ptr<tk::Child> child_;
  int port_ = 0;
};

qiao::Result<std::unique_ptr<qiao::sdk::Sink>> makeSink(const json& settings) {
  static qiao::sdk::Registry* registry = [] {
    auto* r = new qiao::sdk::Registry();
    qiao_register_oa(*r);
    return r;
  }();
  return registry->find("oa")->make_sink({"oa_conf", settings.dump()}, {"oa_conf", Sim::get().dataDir()});
}

void fault(const std::string& sim, SinkFault kind, const json& permanent_spec) {
  json spec = kind == SinkFault::kTransient ? json{{"mode", "status"}, {"status", 503}, {"count", 1}} : permanent_spec;
  oa_it::simCall(Sim::get().port(), "POST", "/sim/" + sim + "/_faults", spec);
}

SinkConformanceCase genericCase() {
  SinkConformanceCase c;
  c.name = "oa_generic";
  c.secret = kToken;
  c.make_sink = [] { return makeSink(oa_it::genericSettings(Sim::get().port(), {{"auth_token", kToken}})); };
  c.effects = [] { return oa_it::simCall(Sim::get().port(), "GET", "/sim/oa/_stats")["created"].get<int64_t>(); };
  c.set_fault = [](SinkFault k) { fault("oa", k, {{"mode", "status"}, {"status", 400}, {"count", 1}}); };
  c.reset = [] { oa_it::simCall(Sim::get().port(), "POST", "/sim/oa/_faults", {{"mode", "none"}}); };
  return c;
}

SinkConformanceCase weaverCase() {
  SinkConformanceCase c;
  c.name = "oa_weaver";
  c.make_sink = [] {
    return makeSink(oa_it::weaverSettings(Sim::get().port(), {{"request_name", "conformance {/key}"},
                                                              {"main_fields", {{"ddh", "{/key}"}}}}));
  };
  c.effects = [] {
    return oa_it::simCall(Sim::get().port(), "GET", "/sim/weaver/_stats")["requests_created"].get<int64_t>();
  };
  c.set_fault = [](SinkFault k) {
    fault("weaver", k, {{"mode", "status"}, {"status", 200}, {"count", 1}, {"path", "workflow/paService/doCreateRequest"},
                        {"body", {{"code", "PARAM_ERROR"}, {"errMsg", {{"error_param_x", "injected"}}}}}});
  };
  c.reset = [] { oa_it::simCall(Sim::get().port(), "POST", "/sim/weaver/_faults", {{"mode", "none"}}); };
  return c;
}

}  // namespace

QIAO_SINK_CONFORMANCE(OaGeneric, genericCase());
QIAO_SINK_CONFORMANCE(OaWeaver, weaverCase());
