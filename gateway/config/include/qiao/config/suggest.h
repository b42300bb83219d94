// "Did you mean" hints for unknown names (config keys, connector types, CLI commands).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qiao::config {

// Optimal-string-alignment (Damerau-Levenshtein) distance, case-insensitive.
int editDistance(std::string_view a, std::string_view b);

// The candidate nearest to word when its distance is at most max(2, len(word)/3) and at
// most half the longer of the two names; "" when none is close. Ties go to the alphabetically first.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace qiao::config
