// Natural keys for first-time matching: tax register code, company name, phone.
//
// Company names reuse qiao::recon::normalizeCompanyName (width folding, brackets, spaces,
// case, one trailing legal form), so reconciliation and sync agree on what "the same name" is.
#pragma once

#include <string>
#include <cstdint>
#include <string_view>

namespace qiao::sync {

// Upper case, full-width folded, spaces and hyphens (ASCII and full-width) removed.
// " 9132 0500-mA1x..." -> "91320500MA1X...".
std::string normalizeTaxCode(std::string_view text);

enum class TaxCodeKind : uint8_t {
  kEmpty,        // nothing after normalising
  kUnifiedCode,  // 18-char 统一社会信用代码 (GB 32100-2015) with a correct check character
  kBadCheck,     // 18 characters from the code alphabet but the check character is wrong
  kLegacy,       // 15 or 20 letters/digits: an old 税务登记号, no check character to verify
  kMalformed,    // anything else
};
std::string_view toString(TaxCodeKind k);

// Classifies a NORMALISED code.
TaxCodeKind classifyTaxCode(std::string_view normalized);

// The check character GB 32100-2015 gives the first 17 characters, or '\0' when one of them
// is not in the code alphabet (0-9 and A-Z without I O S V Z).
char unifiedCodeCheckChar(std::string_view first17);

// The key a tax code matches by: the normalised code when kUnifiedCode or kLegacy, else "".
std::string taxCodeKey(std::string_view text);

// Digits only; the country code dropped when written "+86 ...", "0086 ..." (7+ digits after
// it) or as 86 before an 11-digit mobile, and a landline's trunk 0 before its area code.
// "+86 138-0013-8000" -> "13800138000"; "0512-62588888", "+86 512 6258 8888" -> "51262588888".
std::string normalizePhone(std::string_view text);

// The company-name key (recon::normalizeCompanyName).
std::string nameKey(std::string_view name);

}  // namespace qiao::sync
