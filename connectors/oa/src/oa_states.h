// The normalised approval states and the OA-specific rules that lead to them.
#pragma once

#include <map>
#include <string>

namespace qiao::connectors::oa {

// "draft, in_approval, approved, rejected, withdrawn, terminated" (for error messages).
std::string normalisedList();

// Weaver defaults, matched against the request's `status` text and then the last sign-off
// log's operateType (E9 has no single approved/rejected flag; docs/connectors/oa.md):
// 退回 → rejected, 撤回 / 强制收回 → withdrawn, 强制归档 / 删除 → terminated.
std::map<std::string, std::string> defaultWeaverStatusMap();

// E9 node types: 0 创建 → draft, 1 批准 / 2 提交 → in_approval, 3 归档 → approved.
// Returns "" for an unknown type.
std::string stateFromNodeType(int node_type);

// "2019-12-31 14:51:13" in China Standard Time (UTC+8, how E9 servers are run) → UTC ms;
// 0 when the text is not in that form.
int64_t parseOaLocalTime(const std::string& text);
// ISO 8601 ("2026-11-27T03:10:00Z", "+08:00" offsets) → UTC ms; 0 when unparsable.
int64_t parseIsoTime(const std::string& text);

}  // namespace qiao::connectors::oa
