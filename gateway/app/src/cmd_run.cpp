// `qiao run`: serve until SIGTERM/SIGINT, then drain in-flight deliveries and release leases.
#include <signal.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "cli.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"
#include "qiao/http/api_keys.h"
#include "qiao/http/api_server.h"
#include "qiao/runtime/gateway.h"

namespace qiao::app {
namespace {

// Makes security.bootstrap_admin_key a valid admin key (idempotent across restarts).
Status ensureBootstrapKey(store::Store& store, const std::string& plaintext) {
  if (plaintext.empty()) return {};
  std::string hash = http::hashApiKey(plaintext);
  auto found = store.findApiKeyByHash(hash);
  if (!found.ok()) return found.error();
  if (found->has_value()) return {};
  store::ApiKey key;
  key.key_id = "bootstrap";
  key.hash = hash;
  key.role = "admin";
  key.name = "security.bootstrap_admin_key";
  key.created_at_ms = Clock::system().nowMs();
  return store.putApiKey(key);
}

}  // namespace

int cmdRun(const Args& args) {
  int64_t t_start = steadyNowUs();
  // Signals are taken synchronously by this thread; every thread started later inherits the mask.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto loaded = loadAll(args);
  if (!loaded) return kExitInvalid;
  auto& cfg = loaded->config;
  for (const auto& s : cfg.security.secrets) log::registerSecret(s);
  log::Level level;
  if (log::parseLevel(cfg.gateway.log_level, &level)) log::setLevel(level);
  std::error_code ec;
  std::filesystem::create_directories(cfg.gateway.data_dir, ec);
  if (!cfg.gateway.log_file.empty()) {
    auto parent = std::filesystem::path(cfg.gateway.log_file).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (!log::setOutputFile(cfg.gateway.log_file)) {
      std::fprintf(stderr, "qiao: cannot open log file %s: %s\n", cfg.gateway.log_file.c_str(),
                   std::strerror(errno));
      return kExitRuntime;
    }
  }

  std::string bootstrap = cfg.security.bootstrap_admin_key;
  http::ApiServerOptions api_opts{cfg.server.host, cfg.server.port, cfg.server.max_body_bytes,
                                  cfg.server.max_threads, cfg.security.require_auth,
                                  cfg.server.max_upload_bytes};
  auto gw = runtime::createGateway(std::move(cfg), loaded->registry);
  if (!gw.ok()) {
    log::error("gateway.create_failed", {{"error", gw.error().message}});
    std::fprintf(stderr, "qiao: %s\n", log::redact(gw.error().message).c_str());
    return kExitRuntime;
  }
  auto& gateway = **gw;
  if (auto st = ensureBootstrapKey(gateway.store(), bootstrap); !st.ok()) {
    log::error("gateway.bootstrap_key_failed", {{"error", st.error().message}});
    return kExitRuntime;
  }
  http::ApiServer server(gateway, api_opts);
  if (auto st = server.start(); !st.ok()) {
    log::error("server.start_failed", {{"error", st.error().message}});
    std::fprintf(stderr, "qiao: %s\n", st.error().message.c_str());
    return kExitRuntime;
  }
  if (auto st = gateway.start(); !st.ok()) {
    log::error("gateway.start_failed", {{"error", st.error().message}});
    server.stop();
    return kExitRuntime;
  }
  log::info("gateway.ready", {{"listen", api_opts.host + ":" + std::to_string(server.port())},
                              {"startup_ms", static_cast<long long>((steadyNowUs() - t_start) / 1000)}});

  int sig = 0;
  sigwait(&sigs, &sig);
  log::info("gateway.signal", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  server.stop();
  if (!gateway.stop()) {
    // Deliveries stuck past the drain timeout still run on the gateway's threads; their
    // leases are released and their late outcomes are fenced off. Leave without
    // destroying what those threads use.
    std::fflush(nullptr);
    std::_Exit(kExitOk);
  }
  return kExitOk;
}

}  // namespace qiao::app
