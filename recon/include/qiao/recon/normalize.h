// Text normalisation for matching: order references in remarks and payer names.
//
// Both fold full-width ASCII (Ａ-Ｚ ０-９ －／． …) and the ideographic space to ASCII first,
// so text typed in a Chinese input method compares equal to its half-width form.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace qiao::recon {

// Full-width ASCII (U+FF01..U+FF5E) and U+3000 to ASCII; other text unchanged; invalid
// UTF-8 bytes are kept as they are.
std::string foldWidth(std::string_view utf8);

// The comparable form of an order or bill number: ASCII letters (upper-cased) and digits only.
// "so-2026/0000001" -> "SO20260000001".
std::string canonicalReference(std::string_view text);

// The canonical reference with its leading letters removed ("SO20260000001" ->
// "20260000001"): how a remark reads when the payer dropped the prefix. Empty when the
// reference has no leading letters or nothing but letters.
std::string_view digitsPart(std::string_view canonical);

// Calls emit(candidate, whole) for every reference-like piece of a remark, in text order:
// runs of letters/digits joined by '-', '_', '.', '/', '\\' (separators dropped, letters
// upper-cased) form a token; emit sees the whole token (whole = true) and each piece that
// starts at a letter or a letter->digit boundary and ends at the token end or a
// digit->letter boundary (whole = false), if at least min_length long. So "付款NO.SO-2026-1
// 货款" offers "NOSO20261" (whole), "OSO20261", "SO20261", "O20261", "20261".
void forEachReferenceCandidate(std::string_view remark, std::size_t min_length,
                               const std::function<void(std::string_view, bool whole)>& emit);

// A payer or customer name reduced for comparison: width folded, brackets （）()【】[] and
// spaces and ASCII punctuation removed, ASCII upper-cased, and one trailing legal form
// removed (股份有限公司, 有限责任公司, 有限公司, 股份公司, 公司, CO LTD, LIMITED, LTD, INC ...).
// "苏州华东精密机械（集团）有限责任公司" == "苏州华东精密机械(集团)有限公司" after this.
std::string normalizeCompanyName(std::string_view name);

}  // namespace qiao::recon
