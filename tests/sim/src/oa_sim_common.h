// Helpers shared by the OA simulators (weaver, oa): path splitting, form bodies, E9-style
// times, random ids, and acting out a FaultPlan's decision for one request.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "sim_faults.h"
#include "sim_server.h"

namespace qiao::sim::oa {

std::vector<std::string> splitPath(const std::string& path);
// application/x-www-form-urlencoded → map (later keys win).
std::map<std::string, std::string> parseForm(const std::string& body);
std::string percentDecode(const std::string& s);
int64_t nowMs();
// "2026-11-27 10:51:03" in UTC+8 (E9 servers run on China time).
std::string chinaTime(int64_t ms);
std::string isoTime(int64_t ms);  // "2026-11-27T02:51:03.123Z"
std::string randomHex(size_t n);

// Acts out the fault: true when the reply has been sent (or the connection dropped) and the
// caller must stop. kSlow sleeps and returns false; kTimeoutAfterCommit is left to the
// caller (it replies late, after the effect).
bool actOutFault(Exchange& ex, const FaultAction& fault, const std::string& default_body);

// The admin `_faults` endpoint: POST configures (with an optional "path" prefix), GET shows.
void faultsEndpoint(Exchange& ex, const nlohmann::json& body, std::mutex& mu, FaultPlan& plan,
                    std::string& path);

}  // namespace qiao::sim::oa
