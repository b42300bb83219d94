// Natural keys for first-time matching; see normalize.h.
#include "qiao/sync/normalize.h"

#include "qiao/recon/normalize.h"

namespace qiao::sync {
namespace {

// GB 32100-2015: the code alphabet (no I, O, S, V, Z) and the weights 3^i mod 31.
constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
constexpr int kWeights[17] = {1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28};

int alphabetIndex(char c) {
  std::size_t pos = kAlphabet.find(c);
  return pos == std::string_view::npos ? -1 : static_cast<int>(pos);
}

bool isAlnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

}  // namespace

std::string normalizeTaxCode(std::string_view text) {
  std::string folded = recon::foldWidth(text);
  std::string out;
  out.reserve(folded.size());
  for (char c : folded) {
    if (c == ' ' || c == '-' || c == '\t' || c == '\r' || c == '\n') continue;
    out.push_back((c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c);
  }
  return out;
}

std::string_view toString(TaxCodeKind k) {
  switch (k) {
    case TaxCodeKind::kEmpty: return "empty";
    case TaxCodeKind::kUnifiedCode: return "unified_code";
    case TaxCodeKind::kBadCheck: return "bad_check_character";
    case TaxCodeKind::kLegacy: return "legacy";
    case TaxCodeKind::kMalformed: return "malformed";
  }
  return "?";
}

char unifiedCodeCheckChar(std::string_view first17) {
  if (first17.size() != 17) return '\0';
  int sum = 0;
  for (std::size_t i = 0; i < 17; ++i) {
    int v = alphabetIndex(first17[i]);
    if (v < 0) return '\0';
    sum += v * kWeights[i];
  }
  return kAlphabet[static_cast<std::size_t>((31 - sum % 31) % 31)];
}

TaxCodeKind classifyTaxCode(std::string_view code) {
  if (code.empty()) return TaxCodeKind::kEmpty;
  bool alnum = true;
  for (char c : code) alnum = alnum && isAlnum(c);
  if (!alnum) return TaxCodeKind::kMalformed;
  if (code.size() == 18) {
    char check = unifiedCodeCheckChar(code.substr(0, 17));
    if (check == '\0' || alphabetIndex(code[17]) < 0) return TaxCodeKind::kMalformed;
    return check == code[17] ? TaxCodeKind::kUnifiedCode : TaxCodeKind::kBadCheck;
  }
  if (code.size() == 15 || code.size() == 20) return TaxCodeKind::kLegacy;
  return TaxCodeKind::kMalformed;
}

std::string taxCodeKey(std::string_view text) {
  std::string code = normalizeTaxCode(text);
  TaxCodeKind kind = classifyTaxCode(code);
  if (kind == TaxCodeKind::kUnifiedCode || kind == TaxCodeKind::kLegacy) return code;
  return {};
}

std::string normalizePhone(std::string_view text) {
  std::string folded = recon::foldWidth(text);
  std::string digits;
  bool plus86 = false;
  std::size_t first = folded.find_first_not_of(" \t");
  if (first != std::string::npos && folded.compare(first, 3, "+86") == 0) plus86 = true;
  for (char c : folded) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  if (plus86) {
    digits.erase(0, 2);  // an explicit "+86" is always the country code
  } else if (digits.rfind("0086", 0) == 0 && digits.size() >= 11) {
    digits.erase(0, 4);
  } else if (digits.size() == 13 && digits.rfind("861", 0) == 0) {
    digits.erase(0, 2);  // a mobile written 86138...
  }
  // The domestic trunk prefix: "0512-62588888" and "+86 512 6258 8888" (or "+86 (0)512 ...")
  // are one number. Mobiles start with 1, so only a landline's area code loses its 0.
  if (digits.size() >= 10 && digits[0] == '0' && digits[1] != '0') digits.erase(0, 1);
  return digits;
}

std::string nameKey(std::string_view name) { return recon::normalizeCompanyName(name); }

}  // namespace qiao::sync
