// Internal: text transforms and conversions (halfwidth, split, substring, regex); inline: the
// one user is apply.cpp.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace qiao::mapping::detail {

// Full-width ASCII (U+FF01..FF5E) to ASCII, ideographic space U+3000 to space.
inline void halfwidth(std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    if (i + 2 < s.size() && b(0) == 0xEF && (b(1) == 0xBC || b(1) == 0xBD)) {
      unsigned cp = ((0xF & b(0)) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F);
      if (cp >= 0xFF01 && cp <= 0xFF5E) {
        o += static_cast<char>(cp - 0xFF01 + 0x21);
        i += 2;
        continue;
      }
    }
    if (i + 2 < s.size() && b(0) == 0xE3 && b(1) == 0x80 && b(2) == 0x80) {
      o += ' ';
      i += 2;
      continue;
    }
    o += s[i];
  }
  s = std::move(o);
}

// Part `index` of s split on sep (negative: from the end); false when there is no such part.
inline bool splitPart(std::string_view s, std::string_view sep, int index, std::string& out) {
  std::vector<std::string_view> parts;
  for (size_t at = 0;;) {
    size_t hit = s.find(sep, at);
    parts.push_back(s.substr(at, hit == std::string_view::npos ? std::string_view::npos : hit - at));
    if (hit == std::string_view::npos) break;
    at = hit + sep.size();
  }
  long i = index < 0 ? static_cast<long>(parts.size()) + index : index;
  if (i < 0 || i >= static_cast<long>(parts.size())) return false;
  out = std::string(parts[static_cast<size_t>(i)]);
  return true;
}

// Code points [start, start + length) of UTF-8 text (length < 0: to the end); clipped to s.
inline std::string substringCodePoints(std::string_view s, int start, int length) {
  auto advance = [&](size_t from, long n) {
    size_t i = from;
    while (i < s.size() && n > 0) {
      ++i;
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
      --n;
    }
    return i;
  };
  size_t b = advance(0, start);
  size_t e = length < 0 ? s.size() : advance(b, length);
  return std::string(s.substr(b, e - b));
}

constexpr size_t kRegexMaxText = 4096;

// The first match's group; false when nothing matches or the group did not take part.
inline bool regexGroup(const std::regex& re, int group, const std::string& s, std::string& out) {
  std::smatch m;
  if (!std::regex_search(s, m, re) || !m[group].matched) return false;
  out = m[group].str();
  return true;
}

}  // namespace qiao::mapping::detail
