// Import jobs, the file flow: identity, refusal, the row pass, error workbook, manifest,
// watermark, archive (docs/jobs.md).
#include "qiao/jobs/import_job.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <optional>
#include <nlohmann/json.hpp>

#include "import_rows.h"
#include "job_files.h"
#include "qiao/excel/excel.h"
#include "qiao/mapping/introspect.h"

namespace qiao::jobs {

namespace fs = std::filesystem;

std::string importedWatermark(const std::string& job, const std::string& sha256) {
  return "import-file:" + job + ":" + sha256;
}

std::string ImportReport::toJson() const {
  nlohmann::ordered_json j;
  j["file"] = file;
  j["sha256"] = sha256;
  j["already_imported"] = already_imported;
  j["rows"] = rows;
  j["records"] = records;
  j["accepted"] = accepted;
  j["duplicates"] = duplicates;
  j["invalid_rows"] = invalid_rows;
  j["archived_to"] = archived_to;
  j["rejected_to"] = rejected_to;
  j["error_workbook"] = error_workbook;
  j["manifest"] = manifest;
  j["errors"] = errors;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

Error invalidSpec(const ImportSpec& spec, const std::string& why) {
  return Error::permanent(ErrorCode::kConfigInvalid, "import job '" + spec.name + "': " + why);
}

Result<excel::ReadOptions> readOptions(const ImportSpec& spec) {
  excel::ReadOptions o;
  o.sheet = spec.sheet;
  o.header_row = spec.header_row;
  o.limits = spec.limits;
  std::string enc = spec.encoding;
  std::transform(enc.begin(), enc.end(), enc.begin(), [](unsigned char c) { return std::tolower(c); });
  if (enc == "auto" || enc.empty()) o.encoding = excel::Encoding::kAuto;
  else if (enc == "utf-8" || enc == "utf8") o.encoding = excel::Encoding::kUtf8;
  else if (enc == "gb18030" || enc == "gbk" || enc == "gb2312") o.encoding = excel::Encoding::kGb18030;
  else return invalidSpec(spec, "encoding '" + spec.encoding + "' is not auto, utf-8 or gb18030");
  const std::string& d = spec.delimiter;
  if (d == "auto" || d.empty()) o.delimiter = 0;
  else if (d == "tab" || d == "\t") o.delimiter = '\t';
  else if (d == "," || d == ";" || d == "|") o.delimiter = d[0];
  else return invalidSpec(spec, "delimiter '" + d + "' is not auto, ',', ';', '|' or tab");
  return o;
}

Status checkSpec(const ImportSpec& spec) {
  if (spec.name.empty()) return invalidSpec(spec, "no name");
  if (!spec.mapping) return invalidSpec(spec, "no mapping");
  if (spec.folder.empty()) return invalidSpec(spec, "no folder");
  return {};
}

// A path we import from: no ".." component, a plain file name at the end.
Status checkPath(const std::string& path) {
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0) {
      return Error::permanent(ErrorCode::kInvalidArgument, "refused file path '" + path + "': contains '..'");
    }
    start = end + 1;
  }
  Status s = excel::validateFileName(detail::baseName(path));
  if (!s.ok()) {
    return Error::permanent(ErrorCode::kInvalidArgument, "refused file name: " + s.error().message);
  }
  return {};
}

excel::ValueKind valueKindOf(const std::string& kind, const std::string& date_parse) {
  if (date_parse == "excel1900" || date_parse == "excel1904") return excel::ValueKind::kDecimal;
  if (!date_parse.empty() && date_parse != "auto") return excel::ValueKind::kText;  // a pattern
  if (kind == "decimal" || kind == "number") return excel::ValueKind::kDecimal;
  if (kind == "date") return excel::ValueKind::kDate;
  if (kind == "datetime") return excel::ValueKind::kDateTime;
  if (kind == "bool") return excel::ValueKind::kBool;
  return excel::ValueKind::kText;
}

std::string archiveDir(const ImportSpec& spec) {
  return spec.archive_folder.empty() ? spec.folder + "/archive" : spec.archive_folder;
}

// Counts the data rows: progress gets a total, and a workbook that cannot be read to its end
// is refused before anything of it is ingested.
Result<int64_t> countRows(const std::string& path, const excel::ReadOptions& options) {
  QIAO_ASSIGN_OR_RETURN(auto table, excel::openTable(path, options));
  excel::Row row;
  int64_t n = 0;
  while (true) {
    QIAO_ASSIGN_OR_RETURN(bool more, table->next(row));
    if (!more) return n;
    ++n;
  }
}

// Moves the file to rejected/ with a .error.txt beside it; the report carries the reason.
Result<ImportReport> refuse(ImportReport report, const ImportSpec& spec, const std::string& path,
                            const std::string& stamp, std::string reason) {
  const std::string dir = spec.folder + "/rejected";
  QIAO_RETURN_IF_ERROR(detail::ensureDirectory(dir));
  const std::string target = detail::uniquePath(dir, stamp + "-" + report.file);
  QIAO_RETURN_IF_ERROR(excel::writeFileAtomically(target + ".error.txt", reason + "\n"));
  QIAO_RETURN_IF_ERROR(detail::moveFile(path, target));
  report.rejected_to = target;
  report.errors.push_back(std::move(reason));
  return report;
}

// archive/<stamp>-<name>, its stem free for .errors.xlsx and .manifest.json too.
std::string archiveStem(const std::string& dir, const std::string& stamp, const std::string& name) {
  auto [stem, ext] = detail::splitExtension(name);
  std::error_code ec;
  for (int n = 0; n < 100000; ++n) {
    std::string s = dir + "/" + stamp + "-" + stem + (n == 0 ? "" : "-" + std::to_string(n));
    if (!fs::exists(s + ext, ec) && !fs::exists(s + ".errors.xlsx", ec) &&
        !fs::exists(s + ".manifest.json", ec)) {
      return s;
    }
  }
  return dir + "/" + stamp + "-" + stem;
}

Status writeErrorWorkbook(const std::string& path, const std::string& target,
                          const excel::ReadOptions& options, const detail::InvalidRows& invalid) {
  QIAO_ASSIGN_OR_RETURN(auto table, excel::openTable(path, options));
  QIAO_ASSIGN_OR_RETURN(auto book, excel::ErrorWorkbook::create(target, table->header()));
  excel::Row row;
  while (true) {
    QIAO_ASSIGN_OR_RETURN(bool more, table->next(row));
    if (!more) break;
    auto it = invalid.find(row.number);
    if (it != invalid.end()) QIAO_RETURN_IF_ERROR(book->add(row, it->second));
  }
  return book->commit();
}

}  // namespace

Result<ImportReport> importFile(const ImportSpec& spec, const std::string& path, store::Store& store,
                                const IngestFn& ingest, const ProgressFn& progress,
                                const mapping::XrefResolver* xref) {
  QIAO_RETURN_IF_ERROR(checkSpec(spec));
  QIAO_RETURN_IF_ERROR(checkPath(path));
  QIAO_ASSIGN_OR_RETURN(excel::ReadOptions options, readOptions(spec));
  QIAO_ASSIGN_OR_RETURN(auto zone, TimeZone::load(spec.timezone));
  std::error_code link_ec;
  if (fs::is_symlink(path, link_ec)) {  // never read through a link: it may point anywhere
    ImportReport report;
    report.file = detail::baseName(path);
    std::string reason = report.file + ": a symbolic link; put the file itself into the drop "
                                       "folder (links are not followed)";
    return refuse(std::move(report), spec, path, detail::stamp(detail::systemNowMs(), *zone),
                  std::move(reason));
  }
  QIAO_ASSIGN_OR_RETURN(int64_t size, detail::fileSize(path));
  const int64_t started = detail::systemNowMs();
  const std::string stamp = detail::stamp(started, *zone);
  const std::string archive = archiveDir(spec);

  ImportReport report;
  report.file = detail::baseName(path);
  QIAO_ASSIGN_OR_RETURN(report.sha256, excel::sha256File(path));
  const std::string watermark = importedWatermark(spec.name, report.sha256);
  QIAO_ASSIGN_OR_RETURN(auto earlier, store.getWatermark(watermark));
  if (earlier) {  // this very content was imported before: archive the copy, ingest nothing
    report.already_imported = true;
    report.manifest = *earlier;
    QIAO_RETURN_IF_ERROR(detail::ensureDirectory(archive));
    std::string target = detail::uniquePath(archive, stamp + "-" + report.file);
    QIAO_RETURN_IF_ERROR(detail::moveFile(path, target));
    report.archived_to = target;
    return report;
  }

  // Header first: a file without its required columns is refused before any row is read.
  auto table = excel::openTable(path, options);
  if (!table.ok()) return refuse(std::move(report), spec, path, stamp, table.error().message);
  std::vector<excel::ExpectedColumn> expected;
  std::vector<std::string> date_parse;
  for (const auto& f : mapping::sourceFields(*spec.mapping)) {
    expected.push_back({f.path, f.aliases, f.required, valueKindOf(f.kind, f.date_parse), false});
    date_parse.push_back(f.date_parse);
  }
  auto match = excel::matchHeader((*table)->header(), expected);
  if (!match.ok()) {
    std::string reason = report.file + ": " + match.error().message;
    return refuse(std::move(report), spec, path, stamp, std::move(reason));
  }
  // Rows are ingested batch by batch as they are read, unless grouped. Ungrouped, a second
  // reader makes sure in another thread that the file reads to its end (and counts its rows)
  // while this one converts and maps: nothing goes to the store before it is done, so a
  // workbook that breaks halfway ingests nothing. Grouped imports hold their records until
  // the end anyway: the total is the sheet's dimension, if any.
  const bool grouped = !spec.group_append.empty();
  std::future<Result<int64_t>> counting;
  std::optional<Result<int64_t>> counted;
  if (!grouped) {
    counting = std::async(std::launch::async, [&path, options] { return countRows(path, options); });
  }
  auto countedRows = [&]() -> Result<int64_t> {
    if (!counted) counted = counting.get();
    return *counted;
  };
  // The file does not read to its end: refused, with a report that says only that.
  auto refuseUnreadable = [&](const std::string& reason) {
    ImportReport refused;
    refused.file = report.file;
    refused.sha256 = report.sha256;
    return refuse(std::move(refused), spec, path, stamp, reason);
  };

  detail::RowImporter::Context ctx;
  ctx.spec = &spec;
  ctx.expected = &expected;
  ctx.date_parse = &date_parse;
  ctx.match = &*match;
  ctx.date_system = (*table)->dateSystem();
  ctx.ingest = &ingest;
  ctx.progress = &progress;
  ctx.xref = xref;
  ctx.rows_total = grouped ? (*table)->declaredDataRows() : -1;
  if (!grouped) ctx.before_first_ingest = countedRows;
  ctx.now_ms = started;
  ctx.report = &report;
  QIAO_ASSIGN_OR_RETURN(auto rows, detail::RowImporter::create(ctx));
  excel::Row row;
  while (true) {
    auto more = (*table)->next(row);
    if (!more.ok()) {
      // Grouped: nothing was ingested yet, the file is refused. Ungrouped, the second reader
      // says whether it is: else the file is changing under us; try again next run.
      if (grouped) return refuseUnreadable(more.error().message);
      if (auto c = countedRows(); !c.ok()) return refuseUnreadable(c.error().message);
      return Error::transient(ErrorCode::kInternal, more.error().message);
    }
    if (!*more) break;
    Status added = rows->add(row);
    if (!added.ok()) {
      if (counted && !counted->ok()) return refuseUnreadable(counted->error().message);
      return added.error();
    }
  }
  if (!grouped) {
    if (auto c = countedRows(); !c.ok()) return refuseUnreadable(c.error().message);
  }
  QIAO_RETURN_IF_ERROR(rows->finish());

  // Everything is committed: leave the evidence, mark the file, archive it.
  QIAO_RETURN_IF_ERROR(detail::ensureDirectory(archive));
  const std::string stem = archiveStem(archive, stamp, report.file);
  int64_t cell_errors = 0;
  for (const auto& [n, errs] : rows->invalid()) cell_errors += static_cast<int64_t>(errs.size());
  if (!rows->invalid().empty()) {
    report.error_workbook = stem + ".errors.xlsx";
    QIAO_RETURN_IF_ERROR(writeErrorWorkbook(path, report.error_workbook, options, rows->invalid()));
  }
  report.manifest = stem + ".manifest.json";
  report.archived_to = stem + detail::splitExtension(report.file).second;
  nlohmann::ordered_json m;
  m["job"] = spec.name;
  m["file"] = report.file;
  m["sha256"] = report.sha256;
  m["size_bytes"] = size;
  m["sheet"] = (*table)->sheetName();
  m["header_row"] = (*table)->headerRowNumber();
  m["rows"] = report.rows;
  m["records"] = report.records;
  m["accepted"] = report.accepted;
  m["duplicates"] = report.duplicates;
  m["invalid_rows"] = report.invalid_rows;
  m["cell_errors"] = cell_errors;
  m["unknown_columns"] = match->unknown;
  m["missing_optional_columns"] = match->missing_optional;
  m["started_utc"] = detail::utcText(started);
  m["finished_utc"] = detail::utcText(detail::systemNowMs());
  m["archived_as"] = detail::baseName(report.archived_to);
  m["error_workbook"] = report.error_workbook.empty() ? "" : detail::baseName(report.error_workbook);
  QIAO_RETURN_IF_ERROR(excel::writeFileAtomically(
      report.manifest, m.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"));
  QIAO_RETURN_IF_ERROR(store.setWatermark(watermark, report.manifest, detail::systemNowMs()));
  QIAO_RETURN_IF_ERROR(detail::moveFile(path, report.archived_to));
  return report;
}

Result<std::vector<std::string>> dueFiles(const ImportSpec& spec, int64_t now_ms) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(spec.folder, ec);
  if (ec) {
    return Error::transient(ErrorCode::kNotFound, "import job '" + spec.name + "': cannot read folder " +
                                                      spec.folder + ": " + ec.message());
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (!excel::validateFileName(name).ok()) continue;  // hidden, temporary or unsafe names
    if (name.rfind("~$", 0) == 0) continue;  // Office's lock file beside a workbook left open
    // archive/ and rejected/ are skipped; a link is taken so that importFile refuses it by
    // name (moved to rejected/), never silently ignored and never followed.
    if (!it->is_symlink(ec) && !it->is_regular_file(ec)) continue;
    bool matches = false;
    for (const auto& p : spec.patterns) {
      matches = matches || fnmatch(p.c_str(), name.c_str(), FNM_CASEFOLD) == 0;
    }
    if (!matches) continue;
    if (it->is_symlink(ec)) {  // refused at once, whatever it points to (even nothing)
      out.push_back(it->path().string());
      continue;
    }
    auto mtime = detail::fileMtimeMs(it->path().string());
    if (!mtime.ok() || now_ms - *mtime < spec.min_file_age_ms) continue;  // still being written
    out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<ImportReport>> importFolder(const ImportSpec& spec, store::Store& store,
                                               const IngestFn& ingest, const ProgressFn& progress,
                                               const mapping::XrefResolver* xref) {
  QIAO_RETURN_IF_ERROR(checkSpec(spec));
  QIAO_ASSIGN_OR_RETURN(auto files, dueFiles(spec, detail::systemNowMs()));
  std::vector<ImportReport> reports;
  for (const auto& f : files) {
    auto r = importFile(spec, f, store, ingest, progress, xref);
    if (!r.ok()) {
      Error e = r.takeError();
      e.message = detail::baseName(f) + ": " + e.message;
      return e;
    }
    reports.push_back(std::move(r).value());
  }
  return reports;
}

}  // namespace qiao::jobs
