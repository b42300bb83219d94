// Internal: file-system and time helpers shared by the import and export jobs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "qiao/core/result.h"
#include "qiao/core/timezone.h"

namespace qiao::jobs::detail {

int64_t systemNowMs();
// "20261127-094500": the wall clock of utc_ms in zone.
std::string stamp(int64_t utc_ms, const TimeZone& zone);
// "2026-11-27T01:45:00Z".
std::string utcText(int64_t utc_ms);
// "a/b/orders.xlsx" -> "orders.xlsx".
std::string baseName(const std::string& path);
// "orders.xlsx" -> {"orders", ".xlsx"}; "orders" -> {"orders", ""}.
std::pair<std::string, std::string> splitExtension(const std::string& name);
// dir/name, or dir/<stem>-1<ext>, -2, ... when that is taken.
std::string uniquePath(const std::string& dir, const std::string& name);
Status ensureDirectory(const std::string& dir);
// rename(2); across file systems: copy beside the target, fsync, rename, then remove `from`.
Status moveFile(const std::string& from, const std::string& to);
Result<int64_t> fileSize(const std::string& path);
// Modification time in ms since the epoch.
Result<int64_t> fileMtimeMs(const std::string& path);

}  // namespace qiao::jobs::detail
