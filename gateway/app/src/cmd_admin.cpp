// The inspection and repair commands: validate, messages, dlq, keys, connectors.
// They open the store directly (SQLite allows it while the gateway runs).
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli.h"
#include "qiao/core/clock.h"
#include "qiao/http/api_keys.h"
#include "qiao/runtime/gateway.h"
#include "qiao/plugin/plugin_host.h"

namespace qiao::app {
namespace {

using nlohmann::json;

std::string cliActor() {
  const char* user = std::getenv("USER");
  if (!user) {
    if (auto* pw = getpwuid(getuid())) user = pw->pw_name;
  }
  return std::string("cli:") + (user ? user : "unknown");
}

json messageJson(const store::Message& m) {
  json j = {{"id", m.id},
            {"route", m.route},
            {"status", store::toString(m.status)},
            {"attempt", m.attempt},
            {"entity", m.record.entity},
            {"business_key", m.record.business_key},
            {"idempotency_key", m.record.idempotency_key},
            {"trace_id", m.record.trace_id},
            {"remote_id", m.remote_id},
            {"last_error", m.last_error},
            {"created_at", isoTime(m.record.created_at_ms)},
            {"next_attempt_at", isoTime(m.next_attempt_at_ms)},
            {"delivered_at", isoTime(m.delivered_at_ms)}};
  auto payload = json::parse(m.record.payload, nullptr, false);
  j["payload"] = payload.is_discarded() ? json(m.record.payload) : payload;
  return j;
}

int parseInt(const std::string& s, int64_t* out) {
  try {
    size_t pos = 0;
    *out = std::stoll(s, &pos);
    return pos == s.size();
  } catch (const std::exception&) {
    return 0;
  }
}

int storeError(const Error& e) {
  std::fprintf(stderr, "qiao: %s\n", e.message.c_str());
  return kExitRuntime;
}

// Loads and validates the configuration, then opens its store; returns an exit code.
int openConfiguredStore(const Args& args, std::unique_ptr<store::Store>* out) {
  auto loaded = loadAll(args, true);
  if (!loaded) return kExitInvalid;
  auto st = openStore(loaded->config);
  if (!st.ok()) return storeError(st.error());
  *out = std::move(st).value();
  return kExitOk;
}

}  // namespace

int cmdValidate(const Args& args) {
  auto loaded = loadAll(args, true);
  if (!loaded) return kExitInvalid;
  const auto& c = loaded->config;
  // The mapping files, loaded as `qiao run` loads them, so validate never passes what run rejects.
  auto problems = runtime::checkRouteMappings(c);
  for (auto& p : runtime::checkConnectorSettings(c, loaded->registry)) problems.push_back(std::move(p));
  for (const auto& p : problems) std::fprintf(stderr, "%s\n", p.c_str());
  if (!problems.empty()) return kExitInvalid;
  std::printf("%s: ok (%zu connectors, %zu routes, %zu schedules, %zu jobs)\n",
              args.get("--config").c_str(), c.connectors.size(), c.routes.size(),
              c.schedules.size(), c.jobs.size());
  return kExitOk;
}

int cmdMessages(const Args& args) {
  if (args.positional.empty()) {
    std::fprintf(stderr, "usage: qiao messages show ID | list --config DIR\n");
    return kExitUsage;
  }
  std::unique_ptr<store::Store> opened;
  if (int rc = openConfiguredStore(args, &opened); rc != kExitOk) return rc;
  auto& store = *opened;
  const std::string& sub = args.positional[0];
  if (sub == "show") {
    int64_t id = 0;
    if (args.positional.size() < 2 || !parseInt(args.positional[1], &id)) {
      std::fprintf(stderr, "usage: qiao messages show ID --config DIR\n");
      return kExitUsage;
    }
    auto m = store.getMessage(id);
    if (!m.ok()) return storeError(m.error());
    if (!m->has_value()) {
      std::fprintf(stderr, "qiao: no message %lld\n", static_cast<long long>(id));
      return kExitNotFound;
    }
    json j = messageJson(**m);
    auto attempts = store.attempts(id);
    if (!attempts.ok()) return storeError(attempts.error());
    j["attempts"] = json::array();
    for (const auto& a : *attempts)
      j["attempts"].push_back({{"attempt", a.attempt}, {"status", a.status}, {"error_class", a.error_class},
                               {"error", a.error}, {"latency_ms", a.latency_us / 1000.0},
                               {"remote_id", a.remote_id}, {"worker", a.worker}, {"at", isoTime(a.at_ms)}});
    std::printf("%s\n", j.dump(2).c_str());
    return kExitOk;
  }
  if (sub == "list") {
    store::MessageFilter f;
    f.route = args.get("--route");
    f.business_key = args.get("--key");
    int64_t limit = 50;
    if (args.has("--limit") && !parseInt(args.get("--limit"), &limit)) return kExitUsage;
    f.limit = static_cast<int>(limit);
    if (args.has("--status")) {
      store::MessageStatus s;
      if (!store::parseMessageStatus(args.get("--status"), &s)) {
        std::fprintf(stderr, "qiao: --status must be pending, inflight, delivered, dead or awaiting_approval\n");
        return kExitUsage;
      }
      f.status = s;
    }
    auto list = store.listMessages(f);
    if (!list.ok()) return storeError(list.error());
    std::printf("%-8s %-16s %-10s %-7s %-24s %s\n", "ID", "ROUTE", "STATUS", "ATTEMPT", "KEY", "REMOTE ID / ERROR");
    for (const auto& m : *list)
      std::printf("%-8lld %-16s %-10s %-7d %-24s %s\n", static_cast<long long>(m.id), m.route.c_str(),
                  store::toString(m.status), m.attempt, m.record.business_key.c_str(),
                  (m.remote_id.empty() ? m.last_error : m.remote_id).c_str());
    return kExitOk;
  }
  std::fprintf(stderr, "qiao: unknown messages command '%s'\n", sub.c_str());
  return kExitUsage;
}

int cmdDlq(const Args& args) {
  if (args.positional.empty()) {
    std::fprintf(stderr, "usage: qiao dlq list|replay --config DIR\n");
    return kExitUsage;
  }
  std::unique_ptr<store::Store> opened;
  if (int rc = openConfiguredStore(args, &opened); rc != kExitOk) return rc;
  auto& store = *opened;
  const std::string& sub = args.positional[0];
  store::DeadLetterFilter f;
  f.route = args.get("--route");
  f.business_key = args.get("--key");
  f.include_replayed = args.has("--include-replayed");
  int64_t limit = 50;
  if (args.has("--limit") && !parseInt(args.get("--limit"), &limit)) return kExitUsage;
  f.limit = static_cast<int>(limit);
  if (sub == "list") {
    auto list = store.listDeadLetters(f);
    if (!list.ok()) return storeError(list.error());
    std::printf("%-6s %-8s %-16s %-24s %-8s %s\n", "ID", "MESSAGE", "ROUTE", "KEY", "TRIES", "REASON");
    for (const auto& d : *list)
      std::printf("%-6lld %-8lld %-16s %-24s %-8d %s%s\n", static_cast<long long>(d.id),
                  static_cast<long long>(d.message_id), d.route.c_str(), d.business_key.c_str(), d.attempts,
                  d.reason.c_str(), d.replayed_at_ms ? "  (replayed)" : "");
    return kExitOk;
  }
  if (sub != "replay") {
    std::fprintf(stderr, "qiao: unknown dlq command '%s'\n", sub.c_str());
    return kExitUsage;
  }
  std::vector<int64_t> ids;
  if (args.has("--all")) {
    auto list = store.listDeadLetters(f);
    if (!list.ok()) return storeError(list.error());
    for (const auto& d : *list) ids.push_back(d.id);
  } else {
    int64_t id = 0;
    if (args.positional.size() < 2 || !parseInt(args.positional[1], &id)) {
      std::fprintf(stderr, "usage: qiao dlq replay ID | --all [--route R] [--key K] --config DIR\n");
      return kExitUsage;
    }
    ids.push_back(id);
  }
  std::optional<std::string> payload;
  if (args.has("--payload")) {
    std::ifstream in(args.get("--payload"));
    if (!in) {
      std::fprintf(stderr, "qiao: cannot read %s\n", args.get("--payload").c_str());
      return kExitInvalid;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    auto doc = json::parse(ss.str(), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      std::fprintf(stderr, "qiao: %s: not a JSON object\n", args.get("--payload").c_str());
      return kExitInvalid;
    }
    payload = doc.dump();
  }
  int failures = 0;
  for (int64_t id : ids) {
    store::ReplayRequest req{id, payload, cliActor(), args.get("--reason"), Clock::system().nowMs()};
    auto r = store.replay(req);
    if (r.ok()) {
      std::printf("dead letter %lld replayed: message %lld is pending again\n", static_cast<long long>(id),
                  static_cast<long long>(*r));
    } else {
      ++failures;
      std::fprintf(stderr, "dead letter %lld: %s\n", static_cast<long long>(id), r.error().message.c_str());
    }
  }
  if (ids.empty()) std::printf("no dead letters match\n");
  if (failures == 0) return kExitOk;
  return ids.size() == 1 && failures == 1 ? kExitNotFound : kExitRuntime;
}

int cmdKeys(const Args& args) {
  if (args.positional.empty() || (args.positional[0] != "create" && args.positional[0] != "list")) {
    std::fprintf(stderr, "usage: qiao keys create --role ROLE --config DIR | keys list --config DIR\n");
    return kExitUsage;
  }
  std::unique_ptr<store::Store> opened;
  if (int rc = openConfiguredStore(args, &opened); rc != kExitOk) return rc;
  auto& store = *opened;
  if (args.positional[0] == "list") {
    auto keys = store.listApiKeys();
    if (!keys.ok()) return storeError(keys.error());
    std::printf("%-12s %-10s %-24s %-26s %s\n", "KEY ID", "ROLE", "NAME", "CREATED", "STATE");
    for (const auto& k : *keys)
      std::printf("%-12s %-10s %-24s %-26s %s\n", k.key_id.c_str(), k.role.c_str(), k.name.c_str(),
                  isoTime(k.created_at_ms).c_str(), k.revoked ? "revoked" : "active");
    return kExitOk;
  }
  std::string role = args.get("--role");
  if (!http::isValidRole(role)) {
    std::fprintf(stderr, "qiao: --role must be one of admin, operator, finance, ingest\n");
    return kExitUsage;
  }
  auto key = http::generateApiKey(role, args.get("--name", role), Clock::system().nowMs());
  if (auto s = store.putApiKey(key.key); !s.ok()) return storeError(s.error());
  store::AuditEntry audit;
  audit.at_ms = key.key.created_at_ms;
  audit.actor = cliActor();
  audit.action = "key.create";
  audit.object = "api_key:" + key.key.key_id;
  audit.detail = json({{"role", role}, {"name", key.key.name}}).dump();
  if (auto s = store.appendAudit(audit); !s.ok()) return storeError(s.error());
  // The only time the plaintext exists outside the caller: printed once, on stdout.
  std::printf("%s\n", key.plaintext.c_str());
  std::fprintf(stderr, "created %s key %s; it is shown only once\n", role.c_str(), key.key.key_id.c_str());
  return kExitOk;
}

int cmdConnectors(const Args& args) {
  if (args.positional.empty() || args.positional[0] != "list") {
    std::fprintf(stderr, "usage: qiao connectors list [--config DIR] [--plugins DIR]\n");
    return kExitUsage;
  }
  sdk::Registry local;
  const sdk::Registry* registry = &local;
  std::unique_ptr<Loaded> loaded;
  if (args.has("--config")) {
    loaded = loadAll(args, true);
    if (!loaded) return kExitInvalid;
    registry = &loaded->registry;
  } else {
    sdk::registerBuiltinConnectors(local);
    if (args.has("--plugins"))
      for (const auto& r : plugin::loadPlugins(args.get("--plugins"), local))
        if (!r.loaded) std::fprintf(stderr, "plugin refused: %s: %s\n", r.path.c_str(), r.message.c_str());
  }
  for (const auto* d : registry->all()) {
    std::string kinds = d->isSink() && d->isSource() ? "source+sink" : d->isSink() ? "sink" : "source";
    std::printf("%s  [%s, %s, %s]  %s\n", d->name.c_str(), kinds.c_str(), sdk::toString(d->maturity),
                d->origin.c_str(), d->summary.c_str());
    for (const auto& f : d->config)
      std::printf("    %-22s %-12s %-9s %s%s\n", f.name.c_str(), sdk::toString(f.type),
                  f.required ? "required" : "optional", f.description.c_str(),
                  f.default_value.empty() ? "" : (" (default " + f.default_value + ")").c_str());
  }
  if (loaded) {
    std::printf("\nconfigured instances:\n");
    for (const auto& [name, c] : loaded->config.connectors)
      std::printf("  %-20s type %s, concurrency %d\n", name.c_str(), c.type.c_str(), c.concurrency);
  }
  return kExitOk;
}

}  // namespace qiao::app
