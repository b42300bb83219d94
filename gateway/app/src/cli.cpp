#include "cli.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "qiao/plugin/plugin_host.h"

namespace qiao::app {

Args parseArgs(int argc, char** argv, int first, const std::vector<std::string>& boolean_flags) {
  Args args;
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && a.size() > 2) {
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        args.flags[a.substr(0, eq)] = a.substr(eq + 1);
      } else if (std::find(boolean_flags.begin(), boolean_flags.end(), a) != boolean_flags.end() ||
                 i + 1 >= argc) {
        args.flags[a] = "true";
      } else {
        args.flags[a] = argv[++i];
      }
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

namespace {

// gateway.plugins_dir must be known before the configuration can be validated (plugin
// connectors bring their own schemas), so it is read ahead of the full load.
std::string peekPluginsDir(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto ext = e.path().extension().string();
    if (ext == ".yaml" || ext == ".yml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    try {
      YAML::Node root = YAML::LoadFile(f.string());
      if (root.IsMap() && root["gateway"] && root["gateway"].IsMap() && root["gateway"]["plugins_dir"])
        return root["gateway"]["plugins_dir"].as<std::string>();
    } catch (const std::exception&) {
      // Syntax errors are reported by the full load.
    }
  }
  return "";
}

}  // namespace

std::unique_ptr<Loaded> loadAll(const Args& args, bool quiet_plugins) {
  std::string dir = args.get("--config");
  if (dir.empty()) {
    std::fprintf(stderr, "qiao: --config DIR is required\n");
    return nullptr;
  }
  if (!std::filesystem::is_directory(dir)) {
    std::fprintf(stderr, "qiao: config directory '%s' does not exist\n", dir.c_str());
    return nullptr;
  }
  auto loaded = std::make_unique<Loaded>();
  sdk::registerBuiltinConnectors(loaded->registry);
  std::string plugins = args.get("--plugins", peekPluginsDir(dir));
  if (!plugins.empty()) {
    bool failed = false;
    for (const auto& r : plugin::loadPlugins(plugins, loaded->registry)) {
      if (!r.loaded) {
        failed = true;
        std::fprintf(stderr, "plugin refused: %s: %s\n", r.path.c_str(), r.message.c_str());
      } else if (!quiet_plugins) {
        std::fprintf(stderr, "plugin loaded: %s (%s)\n", r.path.c_str(), r.name.c_str());
      }
    }
    (void)failed;  // refused plugins are reported; connectors that needed them fail validation
  }
  auto result = config::loadConfig(dir, loaded->registry);
  if (!result.config) {
    for (const auto& d : result.diagnostics) std::fprintf(stderr, "%s\n", d.format().c_str());
    std::fprintf(stderr, "%zu problem(s) in %s\n", result.diagnostics.size(), dir.c_str());
    return nullptr;
  }
  loaded->config = std::move(*result.config);
  if (args.has("--data-dir")) {
    std::string old_default = loaded->config.gateway.data_dir + "/qiao.db";
    loaded->config.gateway.data_dir = args.get("--data-dir");
    if (loaded->config.store.path.empty() || loaded->config.store.path == old_default)
      loaded->config.store.path = loaded->config.gateway.data_dir + "/qiao.db";
  }
  return loaded;
}

Result<std::unique_ptr<store::Store>> openStore(const config::Config& config) {
  store::SqliteOptions opts;
  opts.path = config.store.path.empty() ? config.gateway.data_dir + "/qiao.db" : config.store.path;
  opts.busy_timeout_ms = config.store.busy_timeout_ms;
  opts.synchronous_full = config.store.synchronous != "normal";
  return store::openSqliteStore(opts);
}

std::string isoTime(int64_t ms) {
  if (ms <= 0) return "";
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

}  // namespace qiao::app
