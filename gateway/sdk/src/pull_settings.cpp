#include "qiao/sdk/pull_settings.h"

#include <cctype>
#include <nlohmann/json.hpp>

namespace qiao::sdk {

bool parseDurationMs(const std::string& text, int64_t* out) {
  size_t i = 0;
  while (i < text.size() && text[i] == ' ') ++i;
  size_t digits_start = i;
  int64_t n = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    if (n > 1'000'000'000'000LL) return false;
    n = n * 10 + (text[i] - '0');
    ++i;
  }
  if (i == digits_start) return false;
  std::string unit = text.substr(i);
  while (!unit.empty() && unit.back() == ' ') unit.pop_back();
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  if (unit.empty() || unit == "ms") *out = n;
  else if (unit == "s") *out = n * 1000;
  else if (unit == "m") *out = n * 60'000;
  else if (unit == "h") *out = n * 3'600'000;
  else return false;
  return true;
}

void PullSettingsReader::str(const char* key, std::string* out) {
  auto v = pull_.find(key);
  if (v == pull_.end() || v->is_null()) return;
  if (v->is_string()) *out = v->get<std::string>();
  else problems_.push_back(std::string("pull.") + key + " must be a string");
}

void PullSettingsReader::integer(const char* key, int64_t lo, int64_t hi, int* out) {
  auto v = pull_.find(key);
  if (v == pull_.end() || v->is_null()) return;
  int64_t n = 0;
  const std::string s = v->is_string() ? v->get<std::string>() : "";
  if (v->is_number_integer()) n = v->get<int64_t>();
  else if (!s.empty() && s.size() < 10 && s.find_first_not_of("0123456789") == std::string::npos)
    n = std::stoll(s);
  else return problems_.push_back(std::string("pull.") + key + " must be an integer");
  if (n < lo || n > hi)
    return problems_.push_back(std::string("pull.") + key + " must be between " +
                               std::to_string(lo) + " and " + std::to_string(hi) + " (got " +
                               std::to_string(n) + ")");
  *out = static_cast<int>(n);
}

void PullSettingsReader::duration(const char* key, const char* example, int64_t* out) {
  auto v = pull_.find(key);
  if (v == pull_.end() || v->is_null()) return;
  int64_t ms = 0;
  bool ok = v->is_number_integer() ? (ms = v->get<int64_t>(), true)
            : v->is_string()       ? parseDurationMs(v->get<std::string>(), &ms)
                                   : false;
  if (!ok || ms < 0)
    problems_.push_back(std::string("pull.") + key + " must be a duration such as \"" + example +
                        "\" or integer milliseconds");
  else *out = ms;
}

void PullSettingsReader::rejectUnknown(std::initializer_list<const char*> known) {
  for (const auto& [key, _] : pull_.items()) {
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) problems_.push_back("unknown setting 'pull." + key + "'");
  }
}

}  // namespace qiao::sdk
