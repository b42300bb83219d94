#include "k3_common.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace qiao::sim::k3 {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

const json* findKey(const json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it != obj.end()) return &*it;
  for (auto i = obj.begin(); i != obj.end(); ++i)
    if (iequals(i.key(), key)) return &i.value();
  return nullptr;
}

json* findKey(json& obj, std::string_view key) {
  return const_cast<json*>(findKey(static_cast<const json&>(obj), key));
}

bool truthy(const json* v, bool fallback) {
  if (!v || v->is_null()) return fallback;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) {
    auto s = lower(v->get<std::string>());
    if (s == "true" || s == "1") return true;
    if (s == "false" || s == "0") return false;
  }
  if (v->is_number_integer()) return v->get<int64_t>() != 0;
  return fallback;
}

namespace {
std::mutex& fixedMu() {
  static std::mutex mu;
  return mu;
}
std::optional<std::string>& fixedNow() {
  static std::optional<std::string> fixed;
  return fixed;
}
}  // namespace

void setFixedShanghaiNow(std::optional<std::string> fixed) {
  std::lock_guard lock(fixedMu());
  fixedNow() = std::move(fixed);
}

bool shanghaiNowFixed() {
  std::lock_guard lock(fixedMu());
  return fixedNow().has_value();
}

std::string shanghaiNow() {
  {
    std::lock_guard lock(fixedMu());
    if (fixedNow()) return *fixedNow();
  }
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000) + 8 * 3600;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

std::optional<std::string> normalizeDate(const std::string& t) {
  auto digits = [&](size_t from, size_t n) {
    if (from + n > t.size()) return false;
    for (size_t i = from; i < from + n; ++i)
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
    return true;
  };
  if (!digits(0, 4) || t.size() < 10 || t[4] != '-' || !digits(5, 2) || t[7] != '-' ||
      !digits(8, 2))
    return std::nullopt;
  if (t.size() == 10) return t + "T00:00:00";
  if ((t[10] != ' ' && t[10] != 'T') || !digits(11, 2) || t.size() < 16 || t[13] != ':' ||
      !digits(14, 2))
    return std::nullopt;
  std::string out = t.substr(0, 10) + "T" + t.substr(11, 5);
  if (t.size() == 16) return out + ":00";
  if (t[16] != ':' || !digits(17, 2)) return std::nullopt;
  out += t.substr(16, 3);
  if (t.size() == 19) return out;
  if (t[19] != '.' || t.size() == 20 || !digits(20, t.size() - 20)) return std::nullopt;
  return out + t.substr(19);
}

std::string paddedNumber(const std::string& prefix, int64_t n, int digits) {
  std::string s = std::to_string(n);
  if (static_cast<int>(s.size()) < digits) s.insert(0, static_cast<size_t>(digits) - s.size(), '0');
  return prefix + s;
}

std::string scalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "1" : "0";
  if (v.is_number()) return v.dump();
  return v.dump();
}

int64_t idValue(const json* v) {
  if (!v || v->is_null()) return 0;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number()) return static_cast<int64_t>(v->get<double>());
  if (v->is_string()) {
    const auto& s = v->get_ref<const std::string&>();
    char* end = nullptr;
    long long n = std::strtoll(s.c_str(), &end, 10);
    if (end && *end == '\0' && !s.empty()) return n;
  }
  return 0;
}

std::string refNumber(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_object()) return "";
  const json* n = findKey(v, "FNumber");
  return n && n->is_string() ? n->get<std::string>() : (n ? scalarText(*n) : "");
}

json errorJson(const K3Error& e) {
  return {{"FieldName", e.field.empty() ? json(nullptr) : json(e.field)},
          {"Message", e.message},
          {"DIndex", e.dindex}};
}

json responseStatus(bool ok, int msg_code, const std::vector<K3Error>& errors,
                    json success_entitys) {
  json errs = json::array();
  for (const auto& e : errors) errs.push_back(errorJson(e));
  json status{{"IsSuccess", ok},
              {"Errors", std::move(errs)},
              {"SuccessEntitys", std::move(success_entitys)},
              {"SuccessMessages", json::array()},
              {"MsgCode", msg_code}};
  if (ok)
    status["ErrorCode"] = 0;
  else
    status["ErrorCode"] = 500;
  return status;
}

json failure(int msg_code, const std::vector<K3Error>& errors) {
  return {{"Result", {{"ResponseStatus", responseStatus(false, msg_code, errors)}}}};
}

json failure(int msg_code, const std::string& message, const std::string& field) {
  return failure(msg_code, std::vector<K3Error>{{field, message, 0}});
}

json sessionLost() { return failure(kMsgContextLost, kSessionLostMessage); }

}  // namespace qiao::sim::k3
