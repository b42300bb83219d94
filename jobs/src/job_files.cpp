#include "job_files.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "qiao/core/datetime.h"
#include "qiao/excel/writer.h"

namespace qiao::jobs::detail {

namespace fs = std::filesystem;

int64_t systemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string stamp(int64_t utc_ms, const TimeZone& zone) {
  LocalDateTime t = zone.toLocal(utc_ms);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d-%02d%02d%02d", static_cast<int>(t.year), t.month,
                t.day, t.hour, t.minute, t.second);
  return buf;
}

std::string utcText(int64_t utc_ms) { return formatIso8601(utc_ms, *TimeZone::utc()); }

std::string baseName(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::pair<std::string, std::string> splitExtension(const std::string& name) {
  auto dot = name.find_last_of('.');
  if (dot == std::string::npos || dot == 0) return {name, ""};
  return {name.substr(0, dot), name.substr(dot)};
}

std::string uniquePath(const std::string& dir, const std::string& name) {
  std::string candidate = dir + "/" + name;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(candidate, ec))) return candidate;
  auto [stem, ext] = splitExtension(name);
  for (int n = 1; n < 100000; ++n) {
    candidate = dir + "/" + stem + "-" + std::to_string(n) + ext;
    if (!fs::exists(fs::symlink_status(candidate, ec))) return candidate;
  }
  return candidate;  // 100000 files of one name: the caller's write fails visibly
}

Status ensureDirectory(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return Error::transient(ErrorCode::kInternal, "cannot create folder " + dir + ": " + ec.message());
  }
  return {};
}

Status moveFile(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) == 0) return {};
  if (errno != EXDEV) {
    return Error::transient(ErrorCode::kInternal,
                            "cannot move " + from + " to " + to + ": " + std::strerror(errno));
  }
  std::string tmp = excel::temporaryPathFor(to);
  std::error_code ec;
  fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Error::transient(ErrorCode::kInternal, "cannot copy " + from + " to " + to + ": " + ec.message());
  }
  QIAO_RETURN_IF_ERROR(excel::publishFile(tmp, to));
  fs::remove(from, ec);
  if (ec) return Error::transient(ErrorCode::kInternal, "cannot remove " + from + ": " + ec.message());
  return {};
}

Result<int64_t> fileSize(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error::permanent(ErrorCode::kNotFound, path + ": " + std::strerror(errno));
  }
  return static_cast<int64_t>(st.st_size);
}

Result<int64_t> fileMtimeMs(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Error::permanent(ErrorCode::kNotFound, path + ": " + std::strerror(errno));
  }
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

}  // namespace qiao::jobs::detail
