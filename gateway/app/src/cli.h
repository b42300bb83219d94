// Shared pieces of the `qiao` command line: argument parsing, loading the configuration
// together with the connector registry (built-ins + plugins), opening the store.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "qiao/config/config.h"
#include "qiao/sdk/connector.h"
#include "qiao/store/store.h"

namespace qiao::app {

// Exit codes (documented in docs/operations.md).
constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;   // invalid configuration or input
constexpr int kExitUsage = 2;     // bad command line
constexpr int kExitRuntime = 3;   // store or runtime failure
constexpr int kExitNotFound = 4;  // the named object does not exist
constexpr int kExitRecordsFailed = 5;  // qiao map: some records not mapped (others printed)

// --flag value / --flag=value / positionals.
struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;  // "--x" without value maps to "true"
  bool has(const std::string& f) const { return flags.count(f) > 0; }
  std::string get(const std::string& f, const std::string& def = "") const {
    auto it = flags.find(f);
    return it == flags.end() ? def : it->second;
  }
};
// Flags listed in `boolean_flags` take no value.
Args parseArgs(int argc, char** argv, int first, const std::vector<std::string>& boolean_flags);

struct Loaded {
  sdk::Registry registry;
  config::Config config;
};

// Registers built-in connectors and plugins (--plugins, else gateway.plugins_dir), then
// loads and validates the configuration. On failure prints every diagnostic to stderr.
std::unique_ptr<Loaded> loadAll(const Args& args, bool quiet_plugins = false);

Result<std::unique_ptr<store::Store>> openStore(const config::Config& config);

// Millisecond timestamp as ISO-8601 UTC.
std::string isoTime(int64_t ms);

int cmdRun(const Args& args);
int cmdValidate(const Args& args);
int cmdMessages(const Args& args);
int cmdDlq(const Args& args);
int cmdKeys(const Args& args);
int cmdConnectors(const Args& args);
int cmdMap(const Args& args);
int cmdImport(const Args& args);
int cmdJobs(const Args& args);
int cmdRecon(const Args& args);

}  // namespace qiao::app
