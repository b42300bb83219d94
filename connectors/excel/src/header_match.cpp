// Header matching: normalised texts, aliases, every missing required column at once.
#include <map>

#include "qiao/excel/header_match.h"
#include "qiao/excel/sheet.h"

namespace qiao::excel {

namespace {

// Decodes one UTF-8 code point at s[i]; invalid bytes come back as themselves.
uint32_t decodeAt(std::string_view s, size_t& i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (i + len > s.size() || len == 1) { ++i; return c; }
  uint32_t cp = c & (0x3Fu >> (len - 1));
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
  i += len;
  return cp;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool isSpace(uint32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == 0xA0 || cp == 0x3000 ||
         cp == 0xFEFF || (cp >= 0x2000 && cp <= 0x200B);
}

std::string describe(const ExpectedColumn& c) {
  if (c.aliases.empty()) return c.name;
  std::string s = c.name + " (or ";
  for (size_t i = 0; i < c.aliases.size(); ++i) s += (i ? ", " : "") + c.aliases[i];
  return s + ")";
}

}  // namespace

std::string normalizeHeader(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = decodeAt(text, i);
    if (isSpace(cp)) continue;
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width ASCII
    if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
    appendUtf8(out, cp);
  }
  size_t b = 0;
  while (b < out.size() && out[b] == '*') ++b;
  out.erase(0, b);
  while (!out.empty() && (out.back() == ':' || out.back() == '*')) out.pop_back();
  return out;
}

Result<HeaderMatch> matchHeader(const std::vector<std::string>& header,
                                const std::vector<ExpectedColumn>& expected) {
  std::map<std::string, int> wanted;  // normalised name or alias -> expected index
  std::vector<std::string> problems;
  for (size_t e = 0; e < expected.size(); ++e) {
    auto add = [&](const std::string& n) {
      auto [it, fresh] = wanted.emplace(normalizeHeader(n), static_cast<int>(e));
      if (!fresh && it->second != static_cast<int>(e)) {
        problems.push_back("'" + n + "' names both " + expected[static_cast<size_t>(it->second)].name +
                           " and " + expected[e].name);
      }
    };
    add(expected[e].name);
    for (const auto& a : expected[e].aliases) add(a);
  }
  HeaderMatch m;
  m.file_column.assign(expected.size(), -1);
  m.expected_of_file.assign(header.size(), -1);
  for (size_t f = 0; f < header.size(); ++f) {
    std::string n = normalizeHeader(header[f]);
    if (n.empty()) continue;
    auto it = wanted.find(n);
    if (it == wanted.end()) {
      m.unknown.push_back("column " + columnLetter(f) + " '" + header[f] + "' is not expected; it is ignored");
      continue;
    }
    auto e = static_cast<size_t>(it->second);
    if (m.file_column[e] >= 0) {
      problems.push_back("columns " + columnLetter(static_cast<size_t>(m.file_column[e])) + " and " +
                         columnLetter(f) + " both mean " + expected[e].name);
      continue;
    }
    m.file_column[e] = static_cast<int>(f);
    m.expected_of_file[f] = static_cast<int>(e);
  }
  std::string missing;
  for (size_t e = 0; e < expected.size(); ++e) {
    if (m.file_column[e] >= 0) continue;
    if (expected[e].required) missing += (missing.empty() ? "" : ", ") + describe(expected[e]);
    else m.missing_optional.push_back(expected[e].name);
  }
  if (!missing.empty()) problems.insert(problems.begin(), "missing required columns: " + missing);
  if (!problems.empty()) {
    std::string msg;
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    return Error::permanent(ErrorCode::kInvalidArgument, msg);
  }
  return m;
}

}  // namespace qiao::excel
