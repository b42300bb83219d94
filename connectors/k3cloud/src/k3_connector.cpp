// Descriptor of the `k3cloud` connector: its settings table, the sink and the source factory.
#include <memory>

#include "k3_config.h"
#include "k3_sink.h"
#include "k3_source.h"
#include "qiao/sdk/connector.h"

void qiao_register_k3cloud(qiao::sdk::Registry& registry) {
  namespace k3 = qiao::connectors::k3cloud;
  qiao::sdk::Descriptor d;
  d.name = "k3cloud";
  d.summary = "Kingdee K/3 Cloud (金蝶云星空) WebAPI: saves each record as a bill (then Submit "
              "and Audit as configured), logs in by password, app secret, signature or signed "
              "headers, and looks a bill up before a retried Save so it is never created twice. As a "
              "source it pulls one form incrementally (settings `pull:`: modify-time watermark "
              "with an overlap window, de-duplicated, paged).";
  d.maturity = qiao::sdk::Maturity::kAlpha;
  d.config = k3::k3FieldSpecs();
  d.make_sink = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context& ctx)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Sink>> {
    auto cfg = k3::parseK3Config(ic.json);
    if (!cfg.ok()) return cfg.takeError();
    std::unique_ptr<qiao::sdk::Sink> sink = std::make_unique<k3::K3Sink>(
        std::move(cfg).value(), ic.name.empty() ? ctx.instance_name : ic.name);
    return sink;
  };
  d.make_source = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context& ctx)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Source>> {
    auto cfg = k3::parseK3Config(ic.json);
    if (!cfg.ok()) return cfg.takeError();
    auto pull = k3::parsePullConfig(ic.json);
    if (!pull.ok()) return pull.takeError();
    std::unique_ptr<qiao::sdk::Source> src = std::make_unique<k3::K3Source>(
        std::move(cfg).value(), std::move(pull).value(), ic.name.empty() ? ctx.instance_name : ic.name);
    return src;
  };
  (void)registry.add(std::move(d));
}
