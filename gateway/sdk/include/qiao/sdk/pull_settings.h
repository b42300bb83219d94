// Reading a polling source's `pull:` settings object: every bad key becomes one problem
// ("pull.page_size must be between 1 and 10000 (got 0)") so a config reports them all at once.
// Shared by the sources that poll (k3cloud, http).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>
#include <nlohmann/json_fwd.hpp>

namespace qiao::sdk {

// "250ms", "90s", "5m", "1h" or bare digits (milliseconds); spaces around the parts allowed.
bool parseDurationMs(const std::string& text, int64_t* out);

// Absent or null keys keep the caller's default; a key of the wrong kind leaves it too and
// adds a problem naming "pull.<key>".
class PullSettingsReader {
 public:
  explicit PullSettingsReader(const nlohmann::json& pull) : pull_(pull) {}

  void str(const char* key, std::string* out);
  // An integer (or its decimal text) within [lo, hi].
  void integer(const char* key, int64_t lo, int64_t hi, int* out);
  // A duration text or integer milliseconds, not negative; `example` goes into the problem.
  void duration(const char* key, const char* example, int64_t* out);
  // One problem per key of the object not in `known`.
  void rejectUnknown(std::initializer_list<const char*> known);

  std::vector<std::string>& problems() { return problems_; }

 private:
  const nlohmann::json& pull_;
  std::vector<std::string> problems_;
};

}  // namespace qiao::sdk
