// First-sync matching: pairs the customers two sides already hold before anything is created.
//
// Stage 1, tax register code: records whose valid code (taxCodeKey) appears on both sides.
// One record each side -> a pair; more on either side -> an ambiguous group.
// Stage 2, name + phone, over what stage 1 left: the same nameKey and the same phone.
// One each side -> a pair, unless both carry valid tax codes that differ (different legal
// entities: a review group). Stage 3, name only: records left whose names agree but whose
// phones differ or are missing -> a review group (a likely duplicate is reviewed, never created).
// Everything else is unmatched on its side. Hash maps only: O(n) in the record count.
#pragma once

#include <string>
#include <vector>

#include "qiao/sync/model.h"
#include "qiao/sync/normalize.h"

namespace qiao::sync {

struct MatchKeys {
  std::string tax_field = "taxRegisterCode";
  std::string name_field = "name";
  std::string phone_field = "phone";
  bool review_name_only = true;  // stage 3 on/off
};

enum class MatchBasis : uint8_t { kTaxCode, kNamePhone, kNameOnly };
std::string_view toString(MatchBasis b);

struct MatchedPair {
  std::string a_id, b_id;
  MatchBasis basis = MatchBasis::kTaxCode;
  bool operator==(const MatchedPair&) const = default;
};

struct ReviewGroup {
  MatchBasis basis = MatchBasis::kTaxCode;
  std::string reason;  // "2 candidates on crm, 1 on k3 share tax code 9132..."
  std::string key;     // the shared key (tax code, or name key [+ phone])
  std::vector<std::string> a_ids, b_ids;  // sorted
};

struct TaxCodeProblem {
  std::string side, id, value;
  TaxCodeKind kind = TaxCodeKind::kMalformed;  // kBadCheck or kMalformed
};

struct MatchResult {
  std::vector<MatchedPair> pairs;            // sorted by a_id
  std::vector<ReviewGroup> review;           // sorted by basis, then key
  std::vector<std::string> unmatched_a, unmatched_b;  // sorted ids
  // Codes that could not be used as a key (still matched by name + phone if possible).
  std::vector<TaxCodeProblem> tax_code_problems;
};

// Side names only label problems and reasons. Records with an empty id or an id repeated on
// the same side are reported in `errors` (file of origin is the caller's; we name side + id).
struct MatchInput {
  std::string a_side = "a", b_side = "b";
  const std::vector<CustomerRecord>* a = nullptr;
  const std::vector<CustomerRecord>* b = nullptr;
};

// Deleted records take no part. Duplicate or empty ids: kInvalidArgument naming side and index.
Result<MatchResult> matchCustomers(const MatchInput& input, const MatchKeys& keys = {});

}  // namespace qiao::sync
