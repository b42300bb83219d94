// Descriptor of the `http` connector: its settings table, the sink and the source factory.
#include <memory>

#include "http_config.h"
#include "http_pull.h"
#include "http_sink.h"
#include "http_source.h"
#include "qiao/sdk/connector.h"

namespace {

using qiao::sdk::FieldSpec;
using qiao::sdk::FieldType;

std::vector<FieldSpec> httpFields() {
  std::vector<FieldSpec> f;
  f.push_back({"url", FieldType::kUrl, true, "", {},
               "Target URL; each record is sent here as the request body.",
               "https://erp.example.com/api/orders", {}});
  f.push_back({"method", FieldType::kEnum, false, "POST", {"POST", "PUT"},
               "HTTP method of the request.", "PUT", {}});
  f.push_back({"timeout", FieldType::kDuration, false, "10s", {},
               "Total time allowed for one request (connect, send, wait, read).", "30s", {}});
  f.push_back({"connect_timeout", FieldType::kDuration, false, "3s", {},
               "Time allowed to open the TCP (and TLS) connection.", "2s", {}});
  f.push_back({"headers", FieldType::kObject, false, "", {},
               "Extra request headers, a map of header name to value (free-form keys).",
               "{X-Tenant: acme}", {}});
  f.push_back({"auth_token", FieldType::kSecret, false, "", {},
               "Sent as 'Authorization: Bearer <token>'. Never logged.", "${secret:erp_token}",
               {}});
  f.push_back({"idempotency_header", FieldType::kString, false, "Idempotency-Key", {},
               "Header that carries the record's idempotency key on every try (empty = none).",
               "X-Request-Id", {}});
  f.push_back({"remote_id_field", FieldType::kString, false, "/id", {},
               "JSON pointer into a 2xx response body for the target's id; falls back to the "
               "Location header.",
               "/data/number", {}});
  f.push_back({"tls_verify", FieldType::kBool, false, "true", {},
               "Verify the server certificate and host name.", "true", {}});
  f.push_back({"ca_file", FieldType::kString, false, "", {},
               "PEM file of CA certificates to trust instead of the system store.",
               "/etc/qiao/erp-ca.pem", {}});
  f.push_back({"pull", FieldType::kObject, false, "", {},
               "As a source: incremental pull of the list endpoint at url (GET, paged, with a "
               "modified-time watermark). Required to use http as a source.",
               "{entity: customer, id_field: /customerId}",
               qiao::connectors::http::httpPullFieldSpecs()});
  return f;
}

}  // namespace

void qiao_register_http(qiao::sdk::Registry& registry) {
  qiao::sdk::Descriptor d;
  d.name = "http";
  d.summary = "Sends each record as a JSON request to an HTTP endpoint (POST or PUT), with "
              "an idempotency key header and retry-aware error classes. As a source it pulls a JSON "
              "list endpoint incrementally (settings `pull:`: modified-time watermark with an "
              "overlap window, de-duplicated, paged by cursor).";
  d.maturity = qiao::sdk::Maturity::kBeta;
  d.config = httpFields();
  d.make_sink = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context& ctx)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Sink>> {
    auto cfg = qiao::connectors::http::parseHttpSinkConfig(ic.json);
    if (!cfg.ok()) return cfg.takeError();
    std::unique_ptr<qiao::sdk::Sink> sink = std::make_unique<qiao::connectors::http::HttpSink>(
        std::move(cfg).value(), ic.name.empty() ? ctx.instance_name : ic.name);
    return sink;
  };
  d.make_source = [](const qiao::sdk::InstanceConfig& ic, const qiao::sdk::Context& ctx)
      -> qiao::Result<std::unique_ptr<qiao::sdk::Source>> {
    namespace h = qiao::connectors::http;
    auto cfg = h::parseHttpSourceConnection(ic.json);
    if (!cfg.ok()) return cfg.takeError();
    auto pull = h::parseHttpPullConfig(ic.json);
    if (!pull.ok()) return pull.takeError();
    std::unique_ptr<qiao::sdk::Source> src = std::make_unique<h::HttpSource>(
        std::move(cfg).value(), std::move(pull).value(),
        ic.name.empty() ? ctx.instance_name : ic.name);
    return src;
  };
  (void)registry.add(std::move(d));
}
