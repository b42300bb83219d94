#include "mapping_step.h"

#include "qiao/runtime/gateway.h"

#include <filesystem>

#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"
#include "qiao/store/store.h"

namespace qiao::runtime {

Result<std::shared_ptr<const mapping::MappingPlan>> loadNamedMapping(const config::Config& cfg,
                                                                     const std::string& name,
                                                                     const std::string& user) {
  std::string base = cfg.gateway.mappings_dir + "/" + name;
  std::string path = std::filesystem::exists(base + ".yaml") ? base + ".yaml" : base + ".yml";
  auto plan = mapping::loadMapping(path, mapping::LoadOptions{cfg.gateway.mappings_dir});
  if (!plan.ok())
    return Error::permanent(ErrorCode::kConfigInvalid,
                            user + ": mapping " + path + ":\n" + plan.error().message);
  return plan;
}

Result<RouteMapping> loadRouteMapping(const config::Config& cfg, const std::string& route_name) {
  const auto& route = cfg.routes.at(route_name);
  auto plan = loadNamedMapping(cfg, route.mapping, "route '" + route_name + "'");
  if (!plan.ok()) return plan.takeError();
  RouteMapping m;
  m.plan = std::move(plan).value();
  if (route.mapping_direction == "reverse") {
    m.reverse = true;
  } else if (route.mapping_direction != "forward") {
    for (const auto& [_, sched] : cfg.schedules)
      if (sched.route == route_name) m.reverse = true;  // pulled: the file runs backwards
  }
  return m;
}

std::vector<std::string> checkRouteMappings(const config::Config& cfg) {
  std::vector<std::string> problems;
  for (const auto& [name, route] : cfg.routes) {
    if (route.mapping.empty()) continue;
    auto m = loadRouteMapping(cfg, name);
    if (!m.ok()) problems.push_back(m.error().message);
  }
  for (const auto& [name, job] : cfg.jobs) {
    if (job.mapping.empty()) continue;
    auto m = loadNamedMapping(cfg, job.mapping, "job '" + name + "'");
    if (!m.ok()) problems.push_back(m.error().message);
  }
  return problems;
}

namespace {

class StoreXrefResolver final : public mapping::XrefResolver {
 public:
  explicit StoreXrefResolver(store::Store& store) : store_(store) {}
  Result<std::optional<std::string>> toRemote(std::string_view entity, std::string_view system,
                                              std::string_view local_id) const override {
    auto row = store_.findXrefByLocal(std::string(entity), std::string(system),
                                      std::string(local_id));
    if (!row.ok()) return row.takeError();
    if (!row->has_value()) return std::optional<std::string>();
    const store::XrefEntry& x = **row;
    return std::optional<std::string>(x.remote_number.empty() ? x.remote_id : x.remote_number);
  }
  Result<std::optional<std::string>> toLocal(std::string_view entity, std::string_view system,
                                             std::string_view remote_id) const override {
    auto row = store_.findXrefByRemote(std::string(entity), std::string(system),
                                       std::string(remote_id));
    if (!row.ok()) return row.takeError();
    if (!row->has_value()) return std::optional<std::string>();
    return std::optional<std::string>((*row)->local_id);
  }

 private:
  store::Store& store_;
};

}  // namespace

std::unique_ptr<mapping::XrefResolver> makeStoreXrefResolver(store::Store& store) {
  return std::make_unique<StoreXrefResolver>(store);
}

Result<std::string> applyMapping(const RouteMapping& m, const std::string& payload,
                                 const mapping::XrefResolver* xref) {
  thread_local mapping::Document in;
  thread_local mapping::Document out;
  auto parsed = mapping::parseJson(payload, in);
  if (!parsed.ok())
    return Error::permanent(ErrorCode::kMappingError, "payload is not valid JSON: " + parsed.error().message);
  mapping::ApplyOptions options;
  options.xref = xref;
  auto st = mapping::apply(*m.plan, in.root(), out,
                           m.reverse ? mapping::Direction::kReverse : mapping::Direction::kForward,
                           options);
  if (!st.ok()) {
    if (st.error().code != ErrorCode::kMappingError) return st.error();  // the store failed
    return Error::permanent(ErrorCode::kMappingError, st.error().message);
  }
  std::string text;
  text.reserve(payload.size());
  mapping::writeJson(out.root(), text);
  return text;
}

}  // namespace qiao::runtime
