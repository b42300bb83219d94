// The third-party plugin host: loads shared libraries speaking the C ABI in
// qiao/sdk/plugin_abi.h and registers each as a connector type, next to the built-ins.
//
// Loaded libraries are never unloaded (dlclose): instances may outlive any loader object,
// so handles live for the whole process. Refused libraries are reported, never registered.
#pragma once

#include <string>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/sdk/connector.h"

namespace qiao::plugin {

// What happened to one file in the plugins directory.
struct PluginLoadReport {
  std::string path;     // the file that was tried
  bool loaded = false;  // true: registered in the registry
  std::string name;     // the plugin's connector type ("" if not known)
  std::string message;  // why it was refused, or a short "loaded ..." note; names the file
};

// Loads every *.so in dir (sorted by file name, not recursive). One report per file; a
// refused file never stops the others. An unreadable dir gives one refused report for it.
std::vector<PluginLoadReport> loadPlugins(const std::string& dir, sdk::Registry& registry);

// Loads one plugin file and registers it. Returns the registered connector type name; the
// error (ErrorCode::kPluginError, or kAlreadyExists on a name clash) names the file.
Result<std::string> loadPlugin(const std::string& path, sdk::Registry& registry);

}  // namespace qiao::plugin
