// Private to qiao_config: readers for each top-level section and per-entry metadata kept
// for the cross-reference checks that run once every file has been read.
#pragma once

#include <functional>
#include <map>

#include "reader.h"

namespace qiao::sdk {
struct Descriptor;
class Registry;
}  // namespace qiao::sdk

namespace qiao::config::detail {

struct ConnectorMeta {
  Where entry;
  const sdk::Descriptor* descriptor = nullptr;  // null when the type is missing or unknown
};

struct ApprovalMeta {
  Where entry;
  std::vector<Where> via;  // per rule
  Where escalate_via;
  Where on_rejected;
};

struct RouteMeta {
  Where entry;
  Where source;   // line 0 when not given
  Where sink;
  Where mapping;
  Where then;     // on_delivered.then
  std::vector<Where> then_items;  // its list elements (then: [a, b])
  ApprovalMeta approval;
};

struct ScheduleMeta {
  Where entry;
  Where route;
  bool has_timezone = false;
};

struct JobMeta {
  Where entry;
  Where type;
  Where folder;
  Where mapping;
  Where route;
  Where file_pattern;
  Where columns;
  bool has_timezone = false;
};

void readGateway(Ctx& c, const YAML::Node& n, GatewayConfig* out);
void readServer(Ctx& c, const YAML::Node& n, ServerConfig* out);
void readStore(Ctx& c, const YAML::Node& n, StoreConfig* out, bool* path_set);
void readSecurity(Ctx& c, const YAML::Node& n, SecurityConfig* out);

// `key` is the entry's name node (where "missing required key" errors point).
void readConnector(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
                   const sdk::Registry& registry, ConnectorConfig* out, ConnectorMeta* meta);
void readRoute(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
               RouteConfig* out, RouteMeta* meta);
// routes.<name>.approval (approval_section.cpp); the routes it names are checked by
// checkApprovals once every route is read.
void readApproval(Ctx& c, const YAML::Node& n, const std::string& path, ApprovalConfig* out,
                  ApprovalMeta* meta);
void checkApprovals(Ctx& c, const Config& cfg, const std::map<std::string, RouteMeta>& metas,
                    const std::function<std::string(const std::string&)>& no_such_route);
void readSchedule(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
                  ScheduleConfig* out, ScheduleMeta* meta);

void readJob(Ctx& c, const YAML::Node& key, const YAML::Node& n, const std::string& path,
             JobConfig* out, JobMeta* meta);
void readReconciliation(Ctx& c, const YAML::Node& n, ReconciliationConfig* out);

// sync_section.cpp: `sync:`, and its references once every file is read (mapping_problem
// says why a mapping name cannot be loaded, "" when it can).
struct SyncMeta {
  Where entry;
  std::map<std::string, Where> sides, owner;
};
void readSync(Ctx& c, const YAML::Node& n, SyncConfig* out, SyncMeta* meta);
void checkSync(Ctx& c, const Config& cfg, const SyncMeta& meta,
               const std::function<std::string(const std::string&)>& mapping_problem);

}  // namespace qiao::config::detail
