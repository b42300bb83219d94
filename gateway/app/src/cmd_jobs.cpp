// The job commands: `qiao import FILE --job NAME`, `qiao jobs list|run NAME`, and
// `qiao recon run|report`. They build the gateway as `qiao run` does but do not start it: the
// job runs in this process, its records go into the store, and a running gateway (or the
// next start) delivers them.
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "qiao/core/log.h"
#include "qiao/recon/model.h"
#include "qiao/recon/service.h"
#include "qiao/runtime/gateway.h"

namespace qiao::app {
namespace {

using nlohmann::json;

int exitFor(const Error& e) {
  std::fprintf(stderr, "qiao: %s\n", e.message.c_str());
  if (e.code == ErrorCode::kNotFound) return kExitNotFound;
  if (e.code == ErrorCode::kInvalidArgument) return kExitUsage;
  if (e.code == ErrorCode::kConfigInvalid) return kExitInvalid;
  return kExitRuntime;
}

// Builds the gateway without starting it; logs go to stderr at warn so stdout stays the report.
int buildGateway(const Args& args, std::unique_ptr<Loaded>* loaded,
                 std::unique_ptr<runtime::Gateway>* gw) {
  *loaded = loadAll(args, true);
  if (!*loaded) return kExitInvalid;
  log::setLevel(args.has("--verbose") ? log::Level::kInfo : log::Level::kWarn);
  auto made = runtime::createGateway((*loaded)->config, (*loaded)->registry);
  if (!made.ok()) return exitFor(made.error());
  *gw = std::move(made).value();
  return kExitOk;
}

int printRun(const Result<runtime::JobRun>& run) {
  if (!run.ok()) return exitFor(run.error());
  json report = json::parse(run->report_json, nullptr, false);
  std::printf("%s\n", report.is_discarded() ? run->report_json.c_str() : report.dump(2).c_str());
  std::fprintf(stderr, "%s%s\n", run->ok ? "" : "qiao: ", run->summary.c_str());
  return run->ok ? kExitOk : kExitInvalid;
}

}  // namespace

int cmdImport(const Args& args) {
  if (args.positional.size() != 1 || !args.has("--job")) {
    std::fprintf(stderr, "usage: qiao import FILE --job NAME --config DIR\n");
    return kExitUsage;
  }
  std::unique_ptr<Loaded> loaded;
  std::unique_ptr<runtime::Gateway> gw;
  if (int rc = buildGateway(args, &loaded, &gw); rc != kExitOk) return rc;
  return printRun(gw->runJob(args.get("--job"), args.positional[0]));
}

int cmdJobs(const Args& args) {
  const std::string sub = args.positional.empty() ? "" : args.positional[0];
  if (sub != "list" && !(sub == "run" && args.positional.size() == 2)) {
    std::fprintf(stderr, "usage: qiao jobs list --config DIR | qiao jobs run NAME --config DIR\n");
    return kExitUsage;
  }
  std::unique_ptr<Loaded> loaded;
  std::unique_ptr<runtime::Gateway> gw;
  if (int rc = buildGateway(args, &loaded, &gw); rc != kExitOk) return rc;
  if (sub == "run") return printRun(gw->runJob(args.positional[1], ""));
  std::printf("%-24s %-13s %-16s %-9s %-20s %s\n", "NAME", "KIND", "CRON", "OUTCOME", "LAST RUN", "DETAIL");
  for (const auto& j : gw->jobStatuses())
    std::printf("%-24s %-13s %-16s %-9s %-20s %s\n", j.name.c_str(), j.kind.c_str(),
                j.cron.empty() ? "(on demand)" : j.cron.c_str(),
                j.last.outcome.empty() ? "-" : j.last.outcome.c_str(),
                j.last.last_started_ms ? isoTime(j.last.last_started_ms).c_str() : "-",
                j.last.detail.c_str());
  return kExitOk;
}

int cmdRecon(const Args& args) {
  const std::string sub = args.positional.empty() ? "" : args.positional[0];
  if (sub != "run" && sub != "report") {
    std::fprintf(stderr,
                 "usage: qiao recon run --config DIR\n"
                 "       qiao recon report --month YYYY-MM [--out FILE.xlsx] --config DIR\n");
    return kExitUsage;
  }
  std::unique_ptr<Loaded> loaded;
  std::unique_ptr<runtime::Gateway> gw;
  if (int rc = buildGateway(args, &loaded, &gw); rc != kExitOk) return rc;
  recon::Service* svc = gw->reconciliation();
  if (svc == nullptr) {
    std::fprintf(stderr, "qiao: reconciliation is not configured (add a reconciliation: section)\n");
    return kExitInvalid;
  }
  if (sub == "run") {
    auto stats = gw->reconcile();
    if (!stats.ok()) return exitFor(stats.error());
    std::printf("%s\n", stats->c_str());
    return kExitOk;
  }
  std::string month = args.get("--month");
  int year = 0, mon = 0;
  if (month.size() != 7 || std::sscanf(month.c_str(), "%4d-%2d", &year, &mon) != 2 || mon < 1 || mon > 12) {
    std::fprintf(stderr, "qiao: --month must be YYYY-MM, e.g. 2026-11\n");
    return kExitUsage;
  }
  // Aging as of the month's last day, or today for the current month.
  int next_y = mon == 12 ? year + 1 : year, next_m = mon == 12 ? 1 : mon + 1;
  char first_next[16];
  std::snprintf(first_next, sizeof first_next, "%04d-%02d-01", next_y, next_m);
  auto end = recon::parseDate(first_next);
  if (!end.ok()) return exitFor(end.error());
  recon::Date as_of = *end - 1;
  std::time_t t = std::time(nullptr);
  recon::Date today = static_cast<recon::Date>(t / 86400);
  if (today < as_of) as_of = today;
  std::string out = args.get("--out", "回款核销-" + month + ".xlsx");
  auto path = svc->writeReport(out, year, mon, as_of);
  if (!path.ok()) return exitFor(path.error());
  std::printf("%s\n", path->c_str());
  return kExitOk;
}

}  // namespace qiao::app
