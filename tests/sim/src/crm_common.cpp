#include "crm_common.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace qiao::sim::crm {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string isoMs(int64_t unix_ms) {
  constexpr int64_t kChina = 8 * 3600 * 1000;
  int64_t local = unix_ms + kChina;
  int64_t secs = local >= 0 ? local / 1000 : (local - 999) / 1000;
  int ms = static_cast<int>(local - secs * 1000);
  time_t t = static_cast<time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+08:00", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::optional<int64_t> parseTime(const std::string& text) {
  if (text.empty() || text.size() > 40) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string::npos) {
    if (text.size() > 15) return std::nullopt;
    return std::stoll(text);
  }
  int y, mo, d, h, mi, s, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6 ||
      n != 19)
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return std::nullopt;
  size_t i = 19;
  int64_t ms = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      if (digits < 3) ms = ms * 10 + (text[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 3; ++k) ms *= 10;
  }
  int64_t offset_min = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-' || text[i] == ' ')) {
    // ' ': a '+' sent unencoded in a query string arrives as a space.
    int sign = text[i] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    std::string rest = text.substr(i + 1);
    if (rest.size() == 5 && rest[2] == ':' && std::sscanf(rest.c_str(), "%2d:%2d", &oh, &om) == 2) {
    } else if (rest.size() == 4 && std::sscanf(rest.c_str(), "%2d%2d", &oh, &om) == 2) {
    } else {
      return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_min = sign * (oh * 60 + om);
    i = text.size();
  } else {
    return std::nullopt;  // a time without an offset is ambiguous
  }
  if (i != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  int64_t secs = static_cast<int64_t>(timegm(&tm));
  return (secs - offset_min * 60) * 1000 + ms;
}

nlohmann::json apiError(const std::string& code, const std::string& message,
                        const std::string& field) {
  nlohmann::json e{{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  return {{"error", e}};
}

Reply errorReply(int status, const std::string& code, const std::string& message,
                 const std::string& field) {
  Reply r;
  r.status = status;
  r.body = apiError(code, message, field).dump();
  return r;
}

bool parsePage(const std::string& since_name, const std::string& since,
               const std::string& cursor, const std::string& limit, PageQuery* out, Reply* error) {
  if (!since.empty()) {
    auto ms = parseTime(since);
    if (!ms) {
      *error = errorReply(400, "invalid_parameter",
                          since_name + " must be ISO-8601 with an offset "
                          "(2026-11-26T08:00:00.000+08:00) or unix milliseconds", since_name);
      return false;
    }
    out->since_ms = *ms;
  }
  if (!cursor.empty()) {
    auto key = decodeCursor(cursor);
    if (!key) {
      *error = errorReply(400, "invalid_parameter", "cursor is not one this API returned", "cursor");
      return false;
    }
    out->after = *key;
  }
  if (!limit.empty()) {
    if (limit.size() > 6 || limit.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(limit) < 1 || std::stoul(limit) > kMaxPageLimit) {
      *error = errorReply(400, "invalid_parameter",
                          "limit must be 1.." + std::to_string(kMaxPageLimit), "limit");
      return false;
    }
    out->limit = std::stoul(limit);
  }
  return true;
}

std::string encodeCursor(const ChangeKey& key) {
  return std::to_string(key.first) + "." + key.second;
}

std::optional<ChangeKey> decodeCursor(const std::string& text) {
  auto dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot > 15) return std::nullopt;
  std::string ms = text.substr(0, dot);
  if (ms.find_first_not_of("0123456789-") != std::string::npos) return std::nullopt;
  try {
    return ChangeKey{std::stoll(ms), text.substr(dot + 1)};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace qiao::sim::crm
