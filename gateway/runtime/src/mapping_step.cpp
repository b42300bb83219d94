#include "mapping_step.h"

#include "qiao/runtime/gateway.h"

#include <filesystem>

#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"

namespace qiao::runtime {

Result<RouteMapping> loadRouteMapping(const config::Config& cfg, const std::string& route_name) {
  const auto& route = cfg.routes.at(route_name);
  std::string base = cfg.gateway.mappings_dir + "/" + route.mapping;
  std::string path = std::filesystem::exists(base + ".yaml") ? base + ".yaml" : base + ".yml";
  auto plan = mapping::loadMapping(path, mapping::LoadOptions{cfg.gateway.mappings_dir});
  if (!plan.ok())
    return Error::permanent(ErrorCode::kConfigInvalid,
                            "route '" + route_name + "': mapping " + path + ":\n" + plan.error().message);
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
  return problems;
}

Result<std::string> applyMapping(const RouteMapping& m, const std::string& payload) {
  thread_local mapping::Document in;
  thread_local mapping::Document out;
  auto parsed = mapping::parseJson(payload, in);
  if (!parsed.ok())
    return Error::permanent(ErrorCode::kMappingError, "payload is not valid JSON: " + parsed.error().message);
  auto st = mapping::apply(*m.plan, in.root(), out,
                           m.reverse ? mapping::Direction::kReverse : mapping::Direction::kForward);
  if (!st.ok()) return Error::permanent(ErrorCode::kMappingError, st.error().message);
  std::string text;
  text.reserve(payload.size());
  mapping::writeJson(out.root(), text);
  return text;
}

}  // namespace qiao::runtime
