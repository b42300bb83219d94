// loadConfig: reads every YAML file in the directory, merges the sections, then checks the
// references between them. Every problem becomes a Diagnostic; nothing stops at the first.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "qiao/config/config.h"
#include "qiao/config/suggest.h"
#include "qiao/sdk/connector.h"
#include "sections.h"

namespace qiao::config {

std::string Diagnostic::format() const {
  std::string out = file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": ";
  if (!path.empty()) out += path + ": ";
  return out + message;
}

namespace {

namespace fs = std::filesystem;
using detail::Ctx;
using detail::Where;

const std::vector<std::string> kSections = {"gateway", "server",    "store", "security",
                                            "connectors", "routes", "schedules", "jobs",
                                            "reconciliation", "sync"};

struct State {
  Config config;
  bool store_path_set = false;
  std::map<std::string, Where> singletons;  // section -> where first defined
  std::map<std::string, detail::ConnectorMeta> connectors;
  std::map<std::string, detail::RouteMeta> routes;
  std::map<std::string, detail::ScheduleMeta> schedules;
  std::map<std::string, detail::JobMeta> jobs;
  detail::Where reconciliation;
  detail::SyncMeta sync;
};

std::string dangling(const std::string& kind, const std::string& word,
                     std::vector<std::string> names) {
  std::string msg = "no " + kind + " named '" + word + "'";
  std::string near = suggest(word, names);
  if (!near.empty()) return msg + "; did you mean '" + near + "'?";
  if (names.empty()) return msg + "; no " + kind + "s are defined";
  return msg + "; defined " + kind + "s: " + detail::join(names, ", ");
}

template <typename T>
std::vector<std::string> keysOf(const std::map<std::string, T>& m) {
  std::vector<std::string> out;
  for (const auto& [k, _] : m) out.push_back(k);
  return out;
}

// One entry collection (connectors/routes/schedules): entries merge across files by name.
template <typename ConfigT, typename MetaT, typename ReadFn>
void readEntries(Ctx& c, const YAML::Node& section, const std::string& kind,
                 const std::string& section_name, std::map<std::string, ConfigT>* configs,
                 std::map<std::string, MetaT>* metas, ReadFn read) {
  if (section.IsNull()) return;
  if (!section.IsMap()) {
    c.error(section, section_name, "expected a map of " + kind + " names to their settings");
    return;
  }
  for (auto it = section.begin(); it != section.end(); ++it) {
    YAML::Node key = it->first;  // it-> yields a temporary: copy the handle
    std::string name = key.IsScalar() ? key.Scalar() : "";
    std::string path = detail::joinPath(section_name, name);
    if (!detail::validName(name)) {
      c.error(key, path, kind + " name '" + name +
                             "' must use only letters, digits, '_', '-' or '.'");
      continue;
    }
    auto prev = metas->find(name);
    if (prev != metas->end()) {
      c.error(key, path, kind + " '" + name + "' is already defined at " +
                             prev->second.entry.text());
      continue;
    }
    ConfigT& cfg = (*configs)[name];
    cfg.name = name;
    read(key, it->second, path, &cfg, &(*metas)[name]);
  }
}

void readFile(Ctx& c, const YAML::Node& root, State* st, const sdk::Registry& registry) {
  if (root.IsNull()) return;  // an empty file is fine
  if (!root.IsMap()) {
    c.error(root, "", "expected a map of sections (" + detail::join(kSections, ", ") + ")");
    return;
  }
  Config& cfg = st->config;
  for (auto it = root.begin(); it != root.end(); ++it) {
    YAML::Node key = it->first;  // it-> yields a temporary: copy the handle
    YAML::Node value = it->second;
    std::string name = key.IsScalar() ? key.Scalar() : "";
    if (std::find(kSections.begin(), kSections.end(), name) == kSections.end()) {
      c.error(key, name, detail::unknownMessage("section", name, kSections));
      continue;
    }
    if (name == "connectors") {
      readEntries(c, value, "connector", name, &cfg.connectors, &st->connectors,
                  [&](const YAML::Node& k, const YAML::Node& v, const std::string& p,
                      ConnectorConfig* out, detail::ConnectorMeta* meta) {
                    detail::readConnector(c, k, v, p, registry, out, meta);
                  });
      continue;
    }
    if (name == "routes") {
      readEntries(c, value, "route", name, &cfg.routes, &st->routes,
                  [&](const YAML::Node& k, const YAML::Node& v, const std::string& p,
                      RouteConfig* out, detail::RouteMeta* meta) {
                    detail::readRoute(c, k, v, p, out, meta);
                  });
      continue;
    }
    if (name == "schedules") {
      readEntries(c, value, "schedule", name, &cfg.schedules, &st->schedules,
                  [&](const YAML::Node& k, const YAML::Node& v, const std::string& p,
                      ScheduleConfig* out, detail::ScheduleMeta* meta) {
                    detail::readSchedule(c, k, v, p, out, meta);
                  });
      continue;
    }
    if (name == "jobs") {
      readEntries(c, value, "job", name, &cfg.jobs, &st->jobs,
                  [&](const YAML::Node& k, const YAML::Node& v, const std::string& p,
                      JobConfig* out, detail::JobMeta* meta) {
                    detail::readJob(c, k, v, p, out, meta);
                  });
      continue;
    }
    auto first = st->singletons.find(name);
    if (first != st->singletons.end()) {
      c.error(key, name, "section '" + name + "' is already defined at " +
                             first->second.text() + "; it may appear in one file only");
      continue;
    }
    st->singletons.emplace(name, c.where(key));
    if (name == "gateway") detail::readGateway(c, value, &cfg.gateway);
    else if (name == "server") detail::readServer(c, value, &cfg.server);
    else if (name == "store") detail::readStore(c, value, &cfg.store, &st->store_path_set);
    else if (name == "security") detail::readSecurity(c, value, &cfg.security);
    else if (name == "sync") detail::readSync(c, value, &cfg.sync, &st->sync);
    else {
      st->reconciliation = c.where(key);
      detail::readReconciliation(c, value, &cfg.reconciliation);
    }
  }
}

bool isFile(const std::string& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

// on_delivered.then: each named route exists, takes records from ingest (not from a source
// connector of its own), and following `then` never comes back to where it started.
bool chainsBackTo(const Config& cfg, const std::string& start, const std::string& at,
                  std::set<std::string>& seen, std::string chain, std::string* loop) {
  chain += " -> " + at;
  if (at == start) {
    *loop = chain;
    return true;
  }
  if (!seen.insert(at).second) return false;  // explored from here already
  auto it = cfg.routes.find(at);
  if (it == cfg.routes.end()) return false;
  for (const std::string& next : it->second.on_delivered.then)
    if (chainsBackTo(cfg, start, next, seen, chain, loop)) return true;
  return false;
}

void checkChains(Ctx& c, State* st, const std::vector<std::string>& route_names) {
  Config& cfg = st->config;
  for (auto& [name, r] : cfg.routes) {
    const detail::RouteMeta& m = st->routes[name];
    if (m.then.line == 0) continue;
    std::set<std::string> named;
    for (size_t i = 0; i < r.on_delivered.then.size(); ++i) {
      const std::string& next = r.on_delivered.then[i];
      std::string path = "routes." + name + ".on_delivered.then";
      detail::Where at = m.then;
      if (i < m.then_items.size()) {  // written as a list
        path += "[" + std::to_string(i) + "]";
        at = m.then_items[i];
      }
      auto it = cfg.routes.find(next);
      if (next.empty()) {
        c.errorAt(at, path, "must name a route");
        continue;
      }
      if (!named.insert(next).second) {
        c.errorAt(at, path, "route '" + next + "' is named twice");
        continue;
      }
      if (it == cfg.routes.end()) {
        c.errorAt(at, path, dangling("route", next, route_names));
        continue;
      }
      if (it->second.source != "ingest") {
        c.errorAt(at, path,
                  "route '" + next + "' reads from connector '" + it->second.source +
                      "'; a route fed by on_delivered.then takes records from \"ingest\"");
        continue;
      }
      std::set<std::string> seen;
      std::string loop;
      if (chainsBackTo(cfg, name, next, seen, name, &loop))
        c.errorAt(at, path, "routes chain in a loop: " + loop);
    }
  }
}

bool mappingExists(const Config& cfg, const std::string& name) {
  std::string base = cfg.gateway.mappings_dir + "/" + name;
  return isFile(base + ".yaml") || isFile(base + ".yml");
}

std::string mappingNotFound(const Config& cfg, const std::string& name) {
  std::string base = cfg.gateway.mappings_dir + "/" + name;
  return "mapping '" + name + "' not found: looked for " + base + ".yaml and " + base + ".yml";
}

// Jobs: the routes, mappings and sections they use exist; names do not clash with schedules
// (both are runs of the one scheduler, kept in the store by name).
void checkJobs(Ctx& c, State* st, const std::vector<std::string>& route_names) {
  Config& cfg = st->config;
  for (auto& [name, j] : cfg.jobs) {
    const detail::JobMeta& m = st->jobs[name];
    const std::string path = "jobs." + name;
    if (!m.has_timezone) j.timezone = cfg.gateway.timezone;
    if (cfg.schedules.count(name))
      c.errorAt(m.entry, path, "job '" + name + "' has the name of schedule '" + name +
                                   "' (defined at " + st->schedules[name].entry.text() +
                                   "); jobs and schedules share one name space");
    if (m.mapping.line > 0 && !j.mapping.empty() && !mappingExists(cfg, j.mapping))
      c.errorAt(m.mapping, path + ".mapping", mappingNotFound(cfg, j.mapping));
    bool wants_route = j.type == "import" || (j.type == "export" && j.rows == "route_messages");
    if (m.route.line > 0 && !j.route.empty()) {
      auto it = cfg.routes.find(j.route);
      if (it == cfg.routes.end())
        c.errorAt(m.route, path + ".route", dangling("route", j.route, route_names));
      else if (j.type == "import" && it->second.source != "ingest")
        c.errorAt(m.route, path + ".route",
                  "route '" + j.route + "' reads from connector '" + it->second.source +
                      "'; an import job feeds a route whose source is \"ingest\"");
    } else if (wants_route && j.type == "export") {
      c.errorAt(m.entry, path + ".route", "required for rows: route_messages (whose messages to export)");
    }
    bool recon = j.type == "reconcile" || j.type == "recon_report" ||
                 (j.type == "export" && j.rows.rfind("recon_", 0) == 0);
    if (recon && !cfg.reconciliation.enabled)
      c.errorAt(m.type.line > 0 ? m.type : m.entry, path + ".type",
                "needs a reconciliation: section (with enabled: true)");
  }
  const ReconciliationConfig& r = cfg.reconciliation;
  for (const std::string& route : r.enabled ? r.status_routes : std::vector<std::string>{}) {
    auto it = cfg.routes.find(route);
    if (it == cfg.routes.end())
      c.errorAt(st->reconciliation, "reconciliation.status_route",
                dangling("route", route, route_names));
    else if (it->second.source != "ingest")
      c.errorAt(st->reconciliation, "reconciliation.status_route",
                "route '" + route + "' must take records from \"ingest\"");
  }
}

// References between sections, checked once everything is read.
void checkReferences(Ctx& c, State* st) {
  Config& cfg = st->config;
  const std::vector<std::string> connector_names = keysOf(cfg.connectors);
  for (auto& [name, r] : cfg.routes) {
    const detail::RouteMeta& m = st->routes[name];
    const std::string path = "routes." + name;
    if (m.source.line > 0 && r.source != "ingest") {
      auto it = st->connectors.find(r.source);
      if (it == st->connectors.end()) {
        c.errorAt(m.source, path + ".source",
                  dangling("connector", r.source, connector_names) +
                      "; use \"ingest\" for the HTTP API");
      } else if (it->second.descriptor != nullptr && !it->second.descriptor->isSource()) {
        c.errorAt(m.source, path + ".source",
                  "connector '" + r.source + "' (type " + it->second.descriptor->name +
                      ") is not a source");
      }
    }
    if (m.sink.line > 0 && r.sink == kReconciliationSink && !st->connectors.count(r.sink)) {
      if (!cfg.reconciliation.enabled)
        c.errorAt(m.sink, path + ".sink",
                  "sink 'reconciliation' needs a reconciliation: section (with enabled: true)");
    } else if (m.sink.line > 0 && r.sink == kApprovalsSink && !st->connectors.count(r.sink)) {
      // built in: decisions for the approval gate; always available
    } else if (m.sink.line > 0 && r.sink == kSyncSink && !st->connectors.count(r.sink)) {
      if (!cfg.sync.enabled)
        c.errorAt(m.sink, path + ".sink", "sink 'sync' needs a sync: section (with enabled: true)");
    } else if (m.sink.line > 0) {
      auto it = st->connectors.find(r.sink);
      if (r.sink.empty()) {
        c.errorAt(m.sink, path + ".sink", "must name a sink connector");
      } else if (it == st->connectors.end()) {
        c.errorAt(m.sink, path + ".sink", dangling("connector", r.sink, connector_names));
      } else if (it->second.descriptor != nullptr && !it->second.descriptor->isSink()) {
        c.errorAt(m.sink, path + ".sink",
                  "connector '" + r.sink + "' (type " + it->second.descriptor->name +
                      ") is not a sink");
      }
    }
    if (m.mapping.line > 0 && !r.mapping.empty() && !mappingExists(cfg, r.mapping))
      c.errorAt(m.mapping, path + ".mapping", mappingNotFound(cfg, r.mapping));
  }
  const std::vector<std::string> route_names = keysOf(cfg.routes);
  checkChains(c, st, route_names);
  detail::checkApprovals(c, cfg, st->routes, [&](const std::string& route) {
    return dangling("route", route, route_names);
  });
  for (auto& [name, s] : cfg.schedules) {
    const detail::ScheduleMeta& m = st->schedules[name];
    if (!m.has_timezone) s.timezone = cfg.gateway.timezone;
    if (m.route.line == 0 || s.route.empty()) continue;
    auto it = cfg.routes.find(s.route);
    if (it == cfg.routes.end()) {
      c.errorAt(m.route, "schedules." + name + ".route", dangling("route", s.route, route_names));
    } else if (it->second.source == "ingest") {
      c.errorAt(m.route, "schedules." + name + ".route",
                "route '" + s.route +
                    "' takes records from \"ingest\" (the HTTP API); a schedule needs a route "
                    "whose source is a connector");
    }
  }
  checkJobs(c, st, route_names);
  detail::checkSync(c, cfg, st->sync, [&cfg](const std::string& m) {
    return mappingExists(cfg, m) ? std::string() : mappingNotFound(cfg, m);
  });
  if (!st->store_path_set) cfg.store.path = cfg.gateway.data_dir + "/qiao.db";
}

}  // namespace

LoadResult loadConfig(const std::string& dir, const sdk::Registry& registry) {
  LoadResult result;
  State st;
  st.config.dir = dir;
  std::vector<std::string> secrets;
  Ctx c(dir, &result.diagnostics, &secrets);

  std::error_code ec;
  std::vector<std::string> files;
  if (!fs::is_directory(dir, ec)) {
    result.diagnostics.push_back({dir, 0, 0, "", "not a directory (or cannot be read)"});
    return result;
  }
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    std::string ext = e.path().extension().string();
    if (name[0] != '.' && (ext == ".yaml" || ext == ".yml") && e.is_regular_file(ec))
      files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    result.diagnostics.push_back({dir, 0, 0, "", "no *.yaml or *.yml files in this directory"});
    return result;
  }

  const std::string prefix = !dir.empty() && dir.back() == '/' ? dir : dir + "/";
  for (const auto& name : files) {
    c.file = prefix + name;
    std::ifstream in(c.file, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in) {
      c.errorAt(Where{c.file, 0, 0}, "", "cannot read file");
      continue;
    }
    YAML::Node root;
    try {
      root = YAML::Load(text.str());
    } catch (const YAML::Exception& e) {
      Where w{c.file, e.mark.line >= 0 ? e.mark.line + 1 : 0,
              e.mark.column >= 0 ? e.mark.column + 1 : 0};
      c.errorAt(w, "", "YAML syntax error: " + e.msg);
      continue;
    }
    try {
      readFile(c, root, &st, registry);
    } catch (const std::exception& e) {  // yaml-cpp accessors; should not happen
      c.errorAt(Where{c.file, 0, 0}, "", std::string("internal error reading file: ") + e.what());
    }
  }
  checkReferences(c, &st);

  // Belt and braces: a resolved value that reached a message (say, a connector name given
  // as a reference) is masked; secrets never leave the loader in a diagnostic.
  for (auto& d : result.diagnostics)
    for (const auto& secret : secrets)
      for (size_t p; (p = d.message.find(secret)) != std::string::npos;)
        d.message.replace(p, secret.size(), "***");

  std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     if (a.file != b.file) return a.file < b.file;
                     if (a.line != b.line) return a.line < b.line;
                     return a.column < b.column;
                   });
  st.config.security.secrets = std::move(secrets);
  if (result.diagnostics.empty()) result.config = std::move(st.config);
  return result;
}

}  // namespace qiao::config
