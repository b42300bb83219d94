#include "qiao/config/suggest.h"

#include <algorithm>
#include <cctype>

namespace qiao::config {

int editDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      int cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);  // transposition
    }
  }
  return d[n][m];
}

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
  const int limit = std::max<int>(2, static_cast<int>(word.size()) / 3);
  std::string best;
  int best_distance = limit + 1;
  for (const auto& c : candidates) {
    int dist = editDistance(word, c);
    // More than half the longer name changed is a different word, not a typo.
    if (dist * 2 > static_cast<int>(std::max(word.size(), c.size()))) continue;
    if (dist < best_distance || (dist == best_distance && c < best)) {
      best = c;
      best_distance = dist;
    }
  }
  return best_distance <= limit ? best : std::string();
}

}  // namespace qiao::config
