#include "oa_sim_common.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace qiao::sim::oa {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> parseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  size_t at = 0;
  while (at < body.size()) {
    size_t amp = body.find('&', at);
    if (amp == std::string::npos) amp = body.size();
    const std::string kv = body.substr(at, amp - at);
    const size_t eq = kv.find('=');
    if (!kv.empty()) out[percentDecode(kv.substr(0, eq))] = eq == std::string::npos ? "" : percentDecode(kv.substr(eq + 1));
    at = amp + 1;
  }
  return out;
}

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string chinaTime(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000 + 8 * 3600);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string isoTime(int64_t ms) {
  std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

std::string randomHex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(kHex[rng() & 15]);
  return out;
}

bool actOutFault(Exchange& ex, const FaultAction& fault, const std::string& default_body) {
  switch (fault.mode) {
    case FaultMode::kStatus: {
      HeaderList extra;
      if (!fault.retry_after.empty()) extra.emplace_back("Retry-After", fault.retry_after);
      ex.reply(fault.status, fault.body.empty() ? default_body : fault.body, "application/json", extra);
      return true;
    }
    case FaultMode::kTimeout:
      if (!ex.sleepMs(fault.delay_ms)) ex.abortConnection();
      else ex.reply(504, default_body);
      return true;
    case FaultMode::kReset:
      ex.abortConnection();
      return true;
    case FaultMode::kSlow:
      if (!ex.sleepMs(fault.delay_ms)) {
        ex.abortConnection();
        return true;
      }
      return false;
    default:
      return false;
  }
}

void faultsEndpoint(Exchange& ex, const nlohmann::json& body, std::mutex& mu, FaultPlan& plan,
                    std::string& path) {
  std::lock_guard lock(mu);
  if (ex.method() == "POST") {
    std::string err;
    if (!plan.configure(body, &err)) return ex.replyJson(400, {{"error", err}});
    path = body.value("path", std::string());
  }
  nlohmann::json d = plan.describe();
  if (!path.empty()) d["path"] = path;
  ex.replyJson(200, {{"faults", d}});
}

}  // namespace qiao::sim::oa
