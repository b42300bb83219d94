#include "excel_config.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdio>

#include "qiao/core/datetime.h"
#include "qiao/excel/file_identity.h"

namespace qiao::connectors::excel {
namespace {

using nlohmann::json;

Error configError(const std::string& msg) {
  return Error::permanent(ErrorCode::kConfigInvalid, "excel: " + msg);
}

Status readString(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) return configError(std::string("'") + key + "' must be a string");
  *out = it->get<std::string>();
  return {};
}

bool badName(const std::string& s) {
  return s.find('/') != std::string::npos || s.find("..") != std::string::npos || s.empty();
}

// Integer milliseconds (what the config layer hands over) or "500ms", "2s", "1m".
Result<int64_t> parseDurationMs(const json& v) {
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return v.get<int64_t>();
  if (v.is_string()) {
    std::string s = v.get<std::string>();
    size_t digits = 0;
    while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) ++digits;
    if (digits > 0 && digits <= 9) {
      int64_t n = std::stoll(s.substr(0, digits));
      std::string unit = s.substr(digits);
      if (unit == "ms") return n;
      if (unit == "s") return n * 1000;
      if (unit == "m") return n * 60000;
    }
  }
  return configError("'min_file_age' must be a duration such as 2s or 500ms");
}

}  // namespace

Result<ExcelConfig> parseExcelConfig(const std::string& text, bool for_sink) {
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return configError("the settings are not a JSON object");
  ExcelConfig c;
  QIAO_RETURN_IF_ERROR(readString(j, "folder", &c.folder));
  if (c.folder.empty()) return configError("'folder' is required");
  while (c.folder.size() > 1 && c.folder.back() == '/') c.folder.pop_back();
  QIAO_RETURN_IF_ERROR(readString(j, "pattern", &c.pattern));
  QIAO_RETURN_IF_ERROR(readString(j, "archive_folder", &c.archive_folder));
  QIAO_RETURN_IF_ERROR(readString(j, "rejected_folder", &c.rejected_folder));
  QIAO_RETURN_IF_ERROR(readString(j, "entity", &c.entity));
  QIAO_RETURN_IF_ERROR(readString(j, "key_column", &c.key_column));
  QIAO_RETURN_IF_ERROR(readString(j, "sheet", &c.read.sheet));
  QIAO_RETURN_IF_ERROR(readString(j, "file_pattern", &c.file_pattern));
  if (c.archive_folder.empty()) c.archive_folder = c.folder + "/archive";
  if (c.rejected_folder.empty()) c.rejected_folder = c.folder + "/rejected";
  if (c.pattern.find('/') != std::string::npos) return configError("'pattern' is a file name pattern, without '/'");
  if (auto it = j.find("header_row"); it != j.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 1048576) {
      return configError("'header_row' must be a row number (1-based; 0 = first non-empty row)");
    }
    c.read.header_row = it->get<int>();
  }
  if (auto it = j.find("min_file_age"); it != j.end() && !it->is_null()) {
    auto ms = parseDurationMs(*it);
    if (!ms.ok()) return ms.takeError();
    c.min_file_age_ms = *ms;
  }
  std::string enc = "auto";
  QIAO_RETURN_IF_ERROR(readString(j, "encoding", &enc));
  if (enc == "auto") c.read.encoding = qiao::excel::Encoding::kAuto;
  else if (enc == "utf-8" || enc == "utf8") c.read.encoding = qiao::excel::Encoding::kUtf8;
  else if (enc == "gb18030" || enc == "gbk") c.read.encoding = qiao::excel::Encoding::kGb18030;
  else return configError("'encoding' must be auto, utf-8 or gb18030 (not '" + enc + "')");
  std::string delim = "auto";
  QIAO_RETURN_IF_ERROR(readString(j, "delimiter", &delim));
  if (delim == "auto") c.read.delimiter = 0;
  else if (delim == "comma" || delim == ",") c.read.delimiter = ',';
  else if (delim == "semicolon" || delim == ";") c.read.delimiter = ';';
  else if (delim == "tab" || delim == "\t") c.read.delimiter = '\t';
  else return configError("'delimiter' must be auto, comma, semicolon or tab (not '" + delim + "')");
  c.csv_delimiter = c.read.delimiter == 0 ? ',' : c.read.delimiter;
  if (auto it = j.find("columns"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return configError("'columns' must be a list of field names");
    for (const auto& v : *it) {
      if (!v.is_string() || v.get<std::string>().empty()) return configError("'columns' must be a list of field names");
      c.columns.push_back(v.get<std::string>());
    }
  }
  if (for_sink) {
    if (badName(c.file_pattern)) return configError("'file_pattern' must be a file name without '/' or '..'");
    std::string lower = c.file_pattern;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!lower.ends_with(".csv")) {
      return configError("'file_pattern' must end in .csv: the sink appends records as they come, "
                         "which .xlsx cannot do (write .xlsx with an export job)");
    }
  }
  return c;
}

Result<std::string> exportFileName(const std::string& pattern, int64_t utc_ms, const std::string& entity) {
  LocalDateTime t = fromEpochSecondsAsUtc(utc_ms / 1000);
  char date[16];
  std::snprintf(date, sizeof date, "%04d%02d%02d", t.year, t.month, t.day);
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern.compare(i, 6, "{date}") == 0) { out += date; i += 5; }
    else if (pattern.compare(i, 8, "{entity}") == 0) { out += entity; i += 7; }
    else out += pattern[i];
  }
  auto valid = qiao::excel::validateFileName(out);
  if (!valid.ok()) return Error::permanent(ErrorCode::kInvalidArgument, "excel: export " + valid.error().message);
  return out;
}

}  // namespace qiao::connectors::excel
