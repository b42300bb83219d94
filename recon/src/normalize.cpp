// Text normalisation for matching; see normalize.h.
#include "qiao/recon/normalize.h"

#include <array>
#include <cstdint>

namespace qiao::recon {
namespace {

// Decodes one UTF-8 code point at s[i]; returns its length (1 for an invalid byte, cp = byte).
std::size_t decode(std::string_view s, std::size_t i, uint32_t* cp) {
  auto b0 = static_cast<unsigned char>(s[i]);
  auto cont = [&](std::size_t k) {
    return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
  };
  if (b0 < 0x80) { *cp = b0; return 1; }
  if ((b0 & 0xE0) == 0xC0 && cont(1)) {
    *cp = ((b0 & 0x1Fu) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3Fu);
    return 2;
  }
  if ((b0 & 0xF0) == 0xE0 && cont(1) && cont(2)) {
    *cp = ((b0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 6) |
          (static_cast<unsigned char>(s[i + 2]) & 0x3Fu);
    return 3;
  }
  if ((b0 & 0xF8) == 0xF0 && cont(1) && cont(2) && cont(3)) {
    *cp = ((b0 & 0x07u) << 18) | ((static_cast<unsigned char>(s[i + 1]) & 0x3Fu) << 12) |
          ((static_cast<unsigned char>(s[i + 2]) & 0x3Fu) << 6) |
          (static_cast<unsigned char>(s[i + 3]) & 0x3Fu);
    return 4;
  }
  *cp = b0;
  return 1;
}

bool isAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }
bool isJoiner(char c) { return c == '-' || c == '_' || c == '.' || c == '/' || c == '\\'; }

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string foldWidth(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    uint32_t cp = 0;
    std::size_t n = decode(s, i, &cp);
    if (n == 3 && cp >= 0xFF01 && cp <= 0xFF5E) {
      out.push_back(static_cast<char>(cp - 0xFF01 + 0x21));
    } else if (n == 3 && cp == 0x3000) {
      out.push_back(' ');
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string canonicalReference(std::string_view text) {
  std::string folded = foldWidth(text);
  std::string out;
  out.reserve(folded.size());
  for (char c : folded) {
    if (isAlpha(c) || isDigit(c)) out.push_back(upper(c));
  }
  return out;
}

std::string_view digitsPart(std::string_view canonical) {
  std::size_t i = 0;
  while (i < canonical.size() && isAlpha(canonical[i])) ++i;
  if (i == 0 || i == canonical.size()) return {};
  return canonical.substr(i);
}

void forEachReferenceCandidate(std::string_view remark, std::size_t min_length,
                               const std::function<void(std::string_view, bool)>& emit) {
  std::string folded = foldWidth(remark);
  std::string token;
  auto flush = [&] {
    if (token.size() >= min_length) {
      emit(token, true);
      // Piece starts: a letter, or a digit right after a letter. Ends: the token end or a
      // digit followed by a letter. Bounded: tokens longer than 64 only offer themselves.
      if (token.size() <= 64) {
        std::array<std::size_t, 65> ends{};
        std::size_t n_ends = 0;
        for (std::size_t j = 1; j < token.size(); ++j) {
          if (isDigit(token[j - 1]) && isAlpha(token[j])) ends[n_ends++] = j;
        }
        ends[n_ends++] = token.size();
        for (std::size_t i = 0; i < token.size(); ++i) {
          bool start = isAlpha(token[i]) || (i > 0 && isDigit(token[i]) && isAlpha(token[i - 1]));
          if (!start) continue;
          for (std::size_t k = 0; k < n_ends; ++k) {
            std::size_t j = ends[k];
            if (j <= i || j - i < min_length || (i == 0 && j == token.size())) continue;
            emit(std::string_view(token).substr(i, j - i), false);
          }
        }
      }
    }
    token.clear();
  };
  for (std::size_t i = 0; i < folded.size(); ++i) {
    char c = folded[i];
    if (isAlpha(c) || isDigit(c)) {
      token.push_back(upper(c));
    } else if (isJoiner(c) && !token.empty() && i + 1 < folded.size() &&
               (isAlpha(folded[i + 1]) || isDigit(folded[i + 1]))) {
      // a separator inside a number: dropped
    } else {
      flush();
    }
  }
  flush();
}

std::string normalizeCompanyName(std::string_view name) {
  std::string folded = foldWidth(name);
  std::string out;
  out.reserve(folded.size());
  std::size_t i = 0;
  while (i < folded.size()) {
    uint32_t cp = 0;
    std::size_t n = decode(folded, i, &cp);
    bool drop = false;
    if (n == 1) {
      char c = folded[i];
      drop = !(isAlpha(c) || isDigit(c) || static_cast<unsigned char>(c) >= 0x80);
    } else {
      // （ ） 【 】 〔 〕 《 》 、 · and the ideographic full stop / comma
      drop = cp == 0xFF08 || cp == 0xFF09 || cp == 0x3010 || cp == 0x3011 || cp == 0x3014 ||
             cp == 0x3015 || cp == 0x300A || cp == 0x300B || cp == 0x3001 || cp == 0x00B7 ||
             cp == 0x3002 || cp == 0xFF0C;
    }
    if (!drop) {
      if (n == 1) out.push_back(upper(folded[i]));
      else out.append(folded.substr(i, n));
    }
    i += n;
  }
  static constexpr std::array<std::string_view, 11> kLegalForms = {
      "股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司",
      "COLTD", "CORPORATION", "LIMITED", "LTD", "INC", "CORP"};
  for (std::string_view form : kLegalForms) {
    if (endsWith(out, form)) {
      if (out.size() > form.size()) out.resize(out.size() - form.size());  // else keep it whole
      break;
    }
  }
  return out;
}

}  // namespace qiao::recon
