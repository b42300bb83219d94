// Descriptor of the `oa` connector: its settings table and the sink factory.
#include <memory>

#include "oa_config.h"
#include "oa_sink.h"
#include "qiao/sdk/connector.h"

void qiao_register_oa(qiao::sdk::Registry& registry) {
  namespace oa = qiao::connectors::oa;
  qiao::sdk::Descriptor d;
  d.name = "oa";
  d.summary = "Approval requests in an OA: Weaver e-cology 9 REST (register, RSA-encrypted "
              "applytoken, doCreateRequest, status polling) or a generic REST OA (create and "
              "status endpoints, status map). States normalised to draft / in_approval / "
              "approved / rejected / withdrawn / terminated; a retried submit never creates a "
              "second request.";
  d.maturity = qiao::sdk::Maturity::kAlpha;
  d.config = oa::oaFieldSpecs();
  d.make_sink = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context& ctx)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Sink>> {
    auto client = oa::makeBackend(ic.json, ctx.data_dir);
    if (!client.ok()) return client.takeError();
    std::unique_ptr<qiao::sdk::Sink> sink = std::make_unique<oa::OaSink>(std::move(client).value());
    return sink;
  };
  (void)registry.add(std::move(d));
}
