// Adapters that present a loaded C plugin as sdk::Sink / sdk::Source. Internal to the host.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "qiao/core/result.h"
#include "qiao/sdk/connector.h"
#include "qiao/sdk/plugin_abi.h"

namespace qiao::plugin::detail {

// One loaded library: its function table and what the host learned from its descriptor.
// Shared by every instance made from it; the dlopen handle behind `api` is never closed.
struct PluginLib {
  std::string name;
  std::string path;
  const qiao_plugin_v1* api = nullptr;
  bool thread_safe = true;
  // Held around every call into the plugin when the descriptor says "thread_safe": false.
  std::mutex mu;
};

Result<std::unique_ptr<sdk::Sink>> makeSink(const std::shared_ptr<PluginLib>& lib,
                                            const sdk::InstanceConfig& config);
Result<std::unique_ptr<sdk::Source>> makeSource(const std::shared_ptr<PluginLib>& lib,
                                                const sdk::InstanceConfig& config);

}  // namespace qiao::plugin::detail
