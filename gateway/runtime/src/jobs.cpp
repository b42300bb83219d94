// Jobs (`jobs:`): Excel imports and exports, reconciliation runs and reports. A job runs on
// demand (runJob: the CLI and the HTTP API) or on its cron through the scheduler; either way
// one run at a time across every process sharing the store (the schedule_runs lease), with
// its progress in GET /api/v1/jobs and its outcome kept in the store.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "gateway_impl.h"
#include "qiao/core/clock.h"
#include "qiao/core/log.h"
#include "qiao/jobs/export_job.h"
#include "qiao/jobs/import_job.h"

namespace qiao::runtime {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

jobs::ImportSpec importSpec(const config::JobConfig& j, const config::RouteConfig& route,
                            std::shared_ptr<const mapping::MappingPlan> plan) {
  jobs::ImportSpec spec;
  spec.name = j.name;
  spec.folder = j.folder;
  spec.patterns = j.patterns;
  spec.archive_folder = j.archive_folder;
  spec.sheet = j.sheet;
  spec.header_row = j.header_row;
  spec.encoding = j.encoding == "gbk" ? "gb18030" : j.encoding;
  spec.delimiter = j.delimiter == "comma" ? "," : j.delimiter == "semicolon" ? ";" : j.delimiter;
  spec.mapping = std::move(plan);
  spec.entity = route.entity;
  spec.group_append = j.group;
  spec.min_file_age_ms = j.min_file_age_ms;
  spec.timezone = j.timezone;
  return spec;
}

jobs::ExportSpec exportSpec(const config::JobConfig& j,
                            std::shared_ptr<const mapping::MappingPlan> plan) {
  jobs::ExportSpec spec;
  spec.name = j.name;
  spec.folder = j.folder;
  spec.file_pattern = j.file_pattern;
  spec.timezone = j.timezone;
  spec.mapping = std::move(plan);
  spec.ungroup = j.ungroup;
  spec.sheet_name = j.sheet_name;
  for (const auto& c : j.columns)
    spec.columns.push_back({c.header, c.pointer, c.kind, c.number_format, c.width});
  return spec;
}

// Copies a file given to `qiao import` / the API into the drop folder (temp name, then
// rename, so a concurrent folder scan never sees half a file). Keeps the caller's original.
Result<std::string> copyIntoFolder(const std::string& file, const std::string& folder) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return Error::permanent(ErrorCode::kNotFound, file + ": no such file");
  std::string name = fs::path(file).filename().string();
  if (name.empty() || name[0] == '.')
    return Error::permanent(ErrorCode::kInvalidArgument, file + ": not a plain file name");
  fs::create_directories(folder, ec);
  fs::path dest = fs::path(folder) / name;
  if (fs::equivalent(file, dest, ec)) return dest.string();  // already in the drop folder
  fs::path tmp = fs::path(folder) / ("." + name + ".part");
  fs::copy_file(file, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) return Error::permanent(ErrorCode::kInternal, "copying " + file + " into " + folder + ": " + ec.message());
  fs::rename(tmp, dest, ec);
  if (ec) return Error::permanent(ErrorCode::kInternal, "moving " + tmp.string() + " to " + dest.string() + ": " + ec.message());
  return dest.string();
}

}  // namespace

Result<JobRun> GatewayImpl::runJob(const std::string& name, const std::string& file) {
  Schedule* s = nullptr;
  for (auto& sp : schedules_)
    if (sp->job != nullptr && sp->cfg.name == name) s = sp.get();
  if (s == nullptr) {
    std::vector<std::string> names;
    for (const auto& [n, _] : cfg_.jobs) names.push_back(n);
    return Error::permanent(ErrorCode::kNotFound, "no job named '" + name + "'");
  }
  if (!file.empty() && s->job->type != "import")
    return Error::permanent(ErrorCode::kInvalidArgument,
                            "job '" + name + "' is an " + s->job->type + " job; only import jobs take a file");
  bool idle = false;
  if (!s->running.compare_exchange_strong(idle, true))
    return Error::permanent(ErrorCode::kConflict, "job '" + name + "' is running in this gateway (" +
                                                      std::to_string(s->progress.load()) + " rows done)");
  int64_t now = Clock::system().nowMs();
  auto taken = store_->beginScheduleRun(name, worker_id_, now, now, now + cfg_.store.lease_ms);
  if (!taken.ok() || !*taken) {
    s->running = false;
    if (!taken.ok()) return taken.takeError();
    return Error::permanent(ErrorCode::kConflict,
                            "job '" + name + "' is running in another gateway process sharing this store");
  }
  s->progress = 0;
  s->progress_total = -1;
  s->renewed_ms = now;
  PollOutcome out = runJobBody(*s, file);
  finishRun(*s, out);
  JobRun run;
  run.ok = out.error.empty();
  run.summary = out.error.empty() ? out.summary : out.error;
  run.report_json = out.report_json.empty() ? "{}" : out.report_json;
  return run;
}

void GatewayImpl::finishRun(Schedule& s, const PollOutcome& out) {
  auto st = store_->finishScheduleRun(s.cfg.name, worker_id_, out.error.empty() ? "ok" : "failed",
                                      out.error.empty() ? out.summary : out.error, out.records,
                                      Clock::system().nowMs());
  if (!st.ok()) log::warn("schedule.store_error", {{"schedule", s.cfg.name}, {"error", st.error().message}});
  s.running = false;
}

// Progress of a running job: for GET /api/v1/jobs, the log (at most every 2 s), and the lease
// (a long import keeps its run, also in the CLI where no timer thread renews it).
void GatewayImpl::jobProgress(Schedule& s, int64_t done, int64_t total) {
  s.progress = done;
  s.progress_total = total;
  int64_t now = Clock::system().nowMs();
  if (now - s.renewed_ms >= cfg_.store.lease_ms / 3) {
    (void)store_->renewScheduleRun(s.cfg.name, worker_id_, now + cfg_.store.lease_ms);
    s.renewed_ms = now;
  }
  if (now - s.logged_ms >= 2000) {
    s.logged_ms = now;
    log::info("job.progress", {{"job", s.cfg.name}, {"rows_done", static_cast<long long>(done)},
                               {"rows_total", static_cast<long long>(total)}});
  }
}

PollOutcome GatewayImpl::runJobBody(Schedule& s, const std::string& file) {
  const config::JobConfig& j = *s.job;
  log::info("job.started", {{"job", j.name}, {"type", j.type}, {"file", file}});
  PollOutcome out;
  if (j.type == "import") out = runImport(s, file);
  else if (j.type == "export") out = runExport(s);
  else out = runReconJob(s);
  if (out.error.empty())
    log::info("job.finished", {{"job", j.name}, {"summary", out.summary}});
  else
    log::warn("job.failed", {{"job", j.name}, {"error", out.error}});
  return out;
}

PollOutcome GatewayImpl::runImport(Schedule& s, const std::string& file) {
  const config::JobConfig& j = *s.job;
  PollOutcome out;
  jobs::ImportSpec spec = importSpec(j, cfg_.routes.at(j.route), job_mappings_.at(j.name));
  auto ingestFn = [this, &j](std::vector<Record> records) { return ingest(j.route, std::move(records)); };
  auto progressFn = [this, &s](int64_t done, int64_t total) { jobProgress(s, done, total); };
  std::vector<jobs::ImportReport> reports;
  if (!file.empty()) {
    auto placed = copyIntoFolder(file, j.folder);
    if (!placed.ok()) {
      out.error = placed.error().message;
      return out;
    }
    auto r = jobs::importFile(spec, *placed, *store_, ingestFn, progressFn, xref_resolver_.get());
    if (!r.ok()) {
      out.error = r.error().message;
      return out;
    }
    reports.push_back(std::move(r).value());
  } else {
    std::error_code ec;  // a drop folder nobody dropped into yet is empty, not an error
    fs::create_directories(j.folder, ec);
    auto r = jobs::importFolder(spec, *store_, ingestFn, progressFn, xref_resolver_.get());
    if (!r.ok()) {
      out.error = r.error().message;
      return out;
    }
    reports = std::move(r).value();
  }
  json files = json::array();
  int64_t accepted = 0, duplicates = 0, invalid = 0;
  std::vector<std::string> refused;
  for (const auto& r : reports) {
    files.push_back(json::parse(r.toJson(), nullptr, false));
    accepted += r.accepted;
    duplicates += r.duplicates;
    invalid += r.invalid_rows;
    if (r.refused()) refused.push_back(r.errors.front());  // names the file
  }
  out.records = accepted;
  out.report_json = json{{"job", j.name}, {"type", "import"}, {"files", files}}.dump();
  out.summary = std::to_string(reports.size()) + " file(s), " + std::to_string(accepted) +
                " new record(s), " + std::to_string(duplicates) + " already imported, " +
                std::to_string(invalid) + " invalid row(s)";
  if (!refused.empty()) {
    out.error = "refused " + std::to_string(refused.size()) + " file(s): " + refused.front();
    if (refused.size() > 1) out.error += " (and more)";
  }
  return out;
}

PollOutcome GatewayImpl::runExport(Schedule& s) {
  const config::JobConfig& j = *s.job;
  PollOutcome out;
  auto it = job_mappings_.find(j.name);
  jobs::ExportSpec spec = exportSpec(j, it == job_mappings_.end() ? nullptr : it->second);
  jobs::RowSource rows = exportRows(j);
  auto report = jobs::exportRows(spec, rows, Clock::system().nowMs(),
                                 [this, &s](int64_t done, int64_t total) { jobProgress(s, done, total); });
  if (!report.ok()) {
    out.error = report.error().message;
    return out;
  }
  out.records = report->rows;
  out.report_json = json{{"job", j.name}, {"type", "export"},
                         {"file", json::parse(report->toJson(), nullptr, false)}}.dump();
  out.summary = std::to_string(report->rows) + " row(s) to " + report->path;
  return out;
}

}  // namespace qiao::runtime
