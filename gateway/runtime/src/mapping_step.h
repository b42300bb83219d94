// The mapping step of a route: the compiled plan and the direction it runs in, and the
// per-delivery application (parse the payload, map, write) on thread-local documents.
#pragma once

#include <memory>
#include <string>

#include "qiao/config/config.h"
#include "qiao/core/result.h"

namespace qiao::mapping {
class MappingPlan;
class XrefResolver;
}
namespace qiao::store {
class Store;
}

namespace qiao::runtime {

struct RouteMapping {
  std::shared_ptr<const mapping::MappingPlan> plan;
  bool reverse = false;
};

// Loads <gateway.mappings_dir>/<name>.yaml (or .yml); errors start with `user` ("job 'x'").
Result<std::shared_ptr<const mapping::MappingPlan>> loadNamedMapping(const config::Config& cfg,
                                                                     const std::string& name,
                                                                     const std::string& user);

// Loads <gateway.mappings_dir>/<route.mapping>.yaml (or .yml) and decides the direction:
// `mapping_direction`, or with `auto` reverse when a schedule polls this route's source.
// Errors carry every diagnostic of the file.
Result<RouteMapping> loadRouteMapping(const config::Config& cfg, const std::string& route);

// `lookup:` rules read the store's ID cross-reference: to the other system gives the row's
// number (K/3 FNumber / FBillNo) when it has one, else its id; back matches either.
std::unique_ptr<mapping::XrefResolver> makeStoreXrefResolver(store::Store& store);

// Maps payload (JSON text); a field error is a permanent kMappingError naming every field. A
// failing cross-reference store gives its own (transient) error: the record is retried.
Result<std::string> applyMapping(const RouteMapping& m, const std::string& payload,
                                 const mapping::XrefResolver* xref);

}  // namespace qiao::runtime
