#include "excel_source.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>

#include "qiao/excel/file_identity.h"
#include "qiao/excel/writer.h"

namespace qiao::connectors::excel {

namespace xl = qiao::excel;

namespace {

struct Mark {
  std::string sha;
  int64_t row = 0;
  bool complete = false;
};

// "<sha256>:<last row>:<0|1>"; anything else is a fresh start.
Mark parseMark(const std::string& w) {
  Mark m;
  auto a = w.find(':');
  auto b = a == std::string::npos ? a : w.find(':', a + 1);
  if (b == std::string::npos) return m;
  m.sha = w.substr(0, a);
  m.row = std::atoll(w.c_str() + a + 1);
  m.complete = w.substr(b + 1) == "1";
  return m;
}

std::string makeMark(const std::string& sha, int64_t row, bool complete) {
  return sha + ":" + std::to_string(row) + ":" + (complete ? "1" : "0");
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

ExcelSource::ExcelSource(ExcelConfig cfg) : cfg_(std::move(cfg)) {}

std::vector<std::string> ExcelSource::listFiles() const {
  std::vector<std::string> names;
  DIR* d = ::opendir(cfg_.folder.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.empty() || n[0] == '.' || n.ends_with(".error.txt")) continue;  // temp files, ours
    if (::fnmatch(cfg_.pattern.c_str(), n.c_str(), 0) != 0) continue;
    struct stat st{};
    std::string p = cfg_.folder + "/" + n;
    // lstat: a symbolic link is listed (and then refused by poll), never followed out of the folder.
    if (::lstat(p.c_str(), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) continue;
    int64_t mtime_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
    if (nowMs() - mtime_ms < cfg_.min_file_age_ms) continue;  // may still be being copied in
    names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

Status ExcelSource::moveTo(const std::string& path, const std::string& folder) const {
  ::mkdir(folder.c_str(), 0755);
  std::string name = path.substr(path.find_last_of('/') + 1);
  // archive/ and rejected/ sit in the drop folder by default, where anyone who drops files could
  // put a symbolic link named "archive" pointing elsewhere: a folder inside the drop folder must
  // be a real folder. (One the operator configured elsewhere may be a link.)
  const bool inside = folder.starts_with(cfg_.folder + "/");
  struct stat fst{};
  if ((inside ? ::lstat(folder.c_str(), &fst) : ::stat(folder.c_str(), &fst)) != 0 || !S_ISDIR(fst.st_mode)) {
    return Error::permanent(ErrorCode::kConnectorError, "excel: cannot move " + name + " to " + folder +
                                                            ": not a folder (a symbolic link is not followed)");
  }
  std::string target = folder + "/" + name;
  struct stat st{};
  if (::stat(target.c_str(), &st) == 0) target += "." + std::to_string(nowMs());  // never overwrite
  if (::rename(path.c_str(), target.c_str()) != 0) {
    return Error::transient(ErrorCode::kConnectorError, "excel: cannot move " + name + " to " + folder);
  }
  return Status();
}

Error ExcelSource::reject(const std::string& path, const Error& why) const {
  std::string name = path.substr(path.find_last_of('/') + 1);
  Status moved = moveTo(path, cfg_.rejected_folder);
  if (!moved.ok()) return Error::permanent(ErrorCode::kInvalidArgument, why.message + "; " + moved.error().message);
  (void)xl::writeFileAtomically(cfg_.rejected_folder + "/" + name + ".error.txt", why.message + "\n");
  return Error::permanent(ErrorCode::kInvalidArgument, why.message + " (moved to " + cfg_.rejected_folder + ")");
}

Result<sdk::PollResult> ExcelSource::poll(const std::string& watermark, size_t max_records) {
  sdk::PollResult out;
  Mark mark = parseMark(watermark);
  if (max_records == 0) max_records = 1;
  for (const auto& name : listFiles()) {
    std::string path = cfg_.folder + "/" + name;
    struct stat st{};
    if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {  // the link moves, never its target
      return reject(path, Error::permanent(ErrorCode::kInvalidArgument,
                                           name + ": a symbolic link; the drop folder reads only files inside "
                                                  "it (copy the file in instead)"));
    }
    QIAO_ASSIGN_OR_RETURN(std::string sha, xl::sha256File(path));
    if (mark.sha == sha && mark.complete) {
      QIAO_RETURN_IF_ERROR(moveTo(path, cfg_.archive_folder));  // its rows are committed
      continue;
    }
    const int64_t resume_after = mark.sha == sha ? mark.row : 0;
    if (!open_ || open_->sha != sha || open_->last_row != resume_after) {
      open_.reset();
      auto table = xl::openTable(path, cfg_.read);
      if (!table.ok()) return reject(path, table.error());
      auto o = std::make_unique<Open>();
      o->path = path;
      o->sha = sha;
      o->table = std::move(table).value();
      o->converter = std::make_unique<xl::RowConverter>(
          xl::RowConverter::fromHeader(o->table->header(), o->table->dateSystem()));
      const auto& h = o->table->header();
      for (size_t i = 0; i < h.size(); ++i) {
        if (!cfg_.key_column.empty() && xl::normalizeHeader(h[i]) == xl::normalizeHeader(cfg_.key_column)) {
          o->key_index = static_cast<int>(i);
        }
      }
      if (!cfg_.key_column.empty() && o->key_index < 0) {
        return reject(path, Error::permanent(ErrorCode::kInvalidArgument,
                                             name + ": no column '" + cfg_.key_column + "' (key_column)"));
      }
      open_ = std::move(o);
    }
    xl::Row row;
    while (out.records.size() < max_records) {
      auto more = open_->table->next(row);
      if (!more.ok()) {
        Error e = more.takeError();
        open_.reset();
        return reject(path, e);
      }
      if (!*more) {
        out.watermark = makeMark(sha, open_->last_row, true);
        open_.reset();
        out.more = true;  // the next poll archives this file and goes on
        return out;
      }
      if (row.number <= resume_after) continue;
      auto rec = open_->converter->convert(row);
      std::string payload = rec.json;
      if (!rec.ok()) {  // never dropped: the mapping or an operator sees why
        std::string errs = ",\"_errors\":[";
        for (size_t i = 0; i < rec.errors.size(); ++i) errs += (i ? "," : "") + xl::jsonQuote(rec.errors[i].text());
        errs += "]}";
        payload.pop_back();
        payload += payload.size() > 1 ? errs : errs.substr(1);
      }
      Record r;
      r.payload = std::move(payload);
      r.entity = cfg_.entity;
      r.source_system = "excel";
      r.idempotency_key = "excel:" + xl::rowPositionKey(sha, row.sheet, row.number);
      auto k = static_cast<size_t>(open_->key_index);
      r.business_key = open_->key_index >= 0 && k < row.cells.size() && !row.cells[k].text.empty()
                           ? row.cells[k].text : name + "#" + std::to_string(row.number);
      r.created_at_ms = r.updated_at_ms = nowMs();
      out.records.push_back(std::move(r));
      open_->last_row = row.number;
    }
    out.watermark = makeMark(sha, open_->last_row, false);
    out.more = true;
    return out;
  }
  out.watermark = watermark;
  return out;
}

sdk::Health ExcelSource::health() {
  struct stat st{};
  if (::stat(cfg_.folder.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return {false, "drop folder " + cfg_.folder + " does not exist"};
  }
  return {true, ""};
}

}  // namespace qiao::connectors::excel
