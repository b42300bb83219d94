#include "oa_states.h"

#include <cstdio>
#include <ctime>

#include "qiao/oa/oa_client.h"

namespace qiao::oa {

bool isNormalisedState(const std::string& s) {
  return s == kDraft || s == kInApproval || s == kApproved || s == kRejected || s == kWithdrawn ||
         s == kTerminated;
}

bool isFinalState(const std::string& s) {
  return s == kApproved || s == kRejected || s == kWithdrawn || s == kTerminated;
}

}  // namespace qiao::oa

namespace qiao::connectors::oa {
namespace {

int64_t utcMs(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

std::string normalisedList() {
  return "draft, in_approval, approved, rejected, withdrawn, terminated";
}

std::map<std::string, std::string> defaultWeaverStatusMap() {
  return {{"退回", "rejected"}, {"撤回", "withdrawn"}, {"强制收回", "withdrawn"},
          {"强制归档", "terminated"}, {"删除", "terminated"}};
}

std::string stateFromNodeType(int t) {
  switch (t) {
    case 0: return qiao::oa::kDraft;
    case 1:
    case 2: return qiao::oa::kInApproval;
    case 3: return qiao::oa::kApproved;
    default: return "";
  }
}

int64_t parseOaLocalTime(const std::string& text) {
  int y, mo, d, h, mi, s;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) return 0;
  return utcMs(y, mo, d, h, mi, s) - 8LL * 3600 * 1000;
}

int64_t parseIsoTime(const std::string& text) {
  int y, mo, d, h, mi, s, n = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &n) != 6) return 0;
  int64_t ms = utcMs(y, mo, d, h, mi, s);
  size_t at = static_cast<size_t>(n);
  if (at < text.size() && text[at] == '.') {  // fraction: milliseconds, rest ignored
    int64_t frac = 0, digits = 0;
    for (++at; at < text.size() && std::isdigit(static_cast<unsigned char>(text[at])); ++at)
      if (digits++ < 3) frac = frac * 10 + (text[at] - '0');
    while (digits++ < 3) frac *= 10;
    ms += frac;
  }
  if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(text.c_str() + at + 1, "%2d:%2d", &oh, &om) >= 1)
      ms -= (text[at] == '+' ? 1 : -1) * (oh * 3600LL + om * 60LL) * 1000;
  }
  return ms;
}

}  // namespace qiao::connectors::oa
