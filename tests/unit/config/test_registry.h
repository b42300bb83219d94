// A registry with two fake connector types for config tests: `http` (a sink) and `poller`
// (a source). Their factories are never called by the loader; they only mark the kinds.
#pragma once

#include "qiao/sdk/connector.h"

namespace qiao::config::testing {

inline sdk::Registry makeTestRegistry() {
  using sdk::FieldSpec;
  using sdk::FieldType;
  sdk::Registry registry;

  sdk::Descriptor http;
  http.name = "http";
  http.summary = "fake HTTP sink";
  http.config = {
      FieldSpec{"url", FieldType::kUrl, true, "", {}, "target URL", "https://erp.local/api", {}},
      FieldSpec{"timeout", FieldType::kDuration, false, "10s", {}, "request timeout", "", {}},
      FieldSpec{"token", FieldType::kSecret, false, "", {}, "bearer token", "", {}},
      FieldSpec{"method", FieldType::kEnum, false, "POST", {"POST", "PUT"}, "HTTP method", "", {}},
  };
  http.make_sink = [](const sdk::InstanceConfig&, const sdk::Context&)
      -> Result<std::unique_ptr<sdk::Sink>> {
    return Error::permanent(ErrorCode::kInternal, "fake");
  };
  (void)registry.add(std::move(http));

  sdk::Descriptor poller;
  poller.name = "poller";
  poller.summary = "fake polling source";
  poller.config = {
      FieldSpec{"endpoint", FieldType::kUrl, true, "", {}, "where to poll", "", {}},
      FieldSpec{"batch", FieldType::kInt, false, "100", {}, "records per poll", "", {}},
  };
  poller.make_source = [](const sdk::InstanceConfig&, const sdk::Context&)
      -> Result<std::unique_ptr<sdk::Source>> {
    return Error::permanent(ErrorCode::kInternal, "fake");
  };
  (void)registry.add(std::move(poller));
  return registry;
}

}  // namespace qiao::config::testing
