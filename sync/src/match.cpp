// First-sync matching by natural keys; see match.h.
#include "qiao/sync/match.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "qiao/sync/normalize.h"

namespace qiao::sync {

std::string_view toString(MatchBasis b) {
  switch (b) {
    case MatchBasis::kTaxCode: return "tax_code";
    case MatchBasis::kNamePhone: return "name_phone";
    case MatchBasis::kNameOnly: return "name_only";
  }
  return "?";
}

namespace {

struct Keys {
  std::string tax, name, phone;
  bool used = false;   // paired, or put on the review list
  bool active = false; // not deleted
};

using Index = std::unordered_map<std::string, std::vector<std::size_t>>;

Status checkIds(const std::vector<CustomerRecord>& records, const std::string& side) {
  std::unordered_set<std::string_view> seen;
  seen.reserve(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::string& id = records[i].id;
    if (id.empty()) {
      return Error::permanent(ErrorCode::kInvalidArgument,
                              side + " record #" + std::to_string(i) + ": empty id");
    }
    if (!seen.insert(id).second) {
      return Error::permanent(ErrorCode::kInvalidArgument,
                              side + " record #" + std::to_string(i) + ": id '" + id +
                                  "' appears twice");
    }
  }
  return Status::okStatus();
}

std::vector<Keys> computeKeys(const std::vector<CustomerRecord>& records, const MatchKeys& mk,
                              const std::string& side, std::vector<TaxCodeProblem>* problems) {
  std::vector<Keys> keys(records.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    const CustomerRecord& r = records[i];
    Keys& k = keys[i];
    k.active = !r.deleted;
    if (!k.active) continue;
    const std::string& tax = fieldValue(r.fields, mk.tax_field);
    if (!tax.empty()) {
      std::string code = normalizeTaxCode(tax);
      TaxCodeKind kind = classifyTaxCode(code);
      if (kind == TaxCodeKind::kUnifiedCode || kind == TaxCodeKind::kLegacy) {
        k.tax = std::move(code);
      } else if (kind != TaxCodeKind::kEmpty) {
        problems->push_back({side, r.id, tax, kind});
      }
    }
    k.name = nameKey(fieldValue(r.fields, mk.name_field));
    k.phone = normalizePhone(fieldValue(r.fields, mk.phone_field));
  }
  return keys;
}

template <typename KeyFn>
Index buildIndex(const std::vector<Keys>& keys, KeyFn key_of) {
  Index index;
  index.reserve(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (!keys[i].active || keys[i].used) continue;
    std::string key = key_of(keys[i]);
    if (!key.empty()) index[std::move(key)].push_back(i);
  }
  return index;
}

std::vector<std::string> idsOf(const std::vector<CustomerRecord>& records,
                               const std::vector<std::size_t>& idx) {
  std::vector<std::string> ids;
  ids.reserve(idx.size());
  for (std::size_t i : idx) ids.push_back(records[i].id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace

Result<MatchResult> matchCustomers(const MatchInput& in, const MatchKeys& mk) {
  if (in.a == nullptr || in.b == nullptr) {
    return Error::permanent(ErrorCode::kInvalidArgument, "matchCustomers: missing record list");
  }
  const auto& ra = *in.a;
  const auto& rb = *in.b;
  QIAO_RETURN_IF_ERROR(checkIds(ra, in.a_side));
  QIAO_RETURN_IF_ERROR(checkIds(rb, in.b_side));

  MatchResult out;
  std::vector<Keys> ka = computeKeys(ra, mk, in.a_side, &out.tax_code_problems);
  std::vector<Keys> kb = computeKeys(rb, mk, in.b_side, &out.tax_code_problems);

  auto describe = [&](std::size_t na, std::size_t nb, std::string_view what) {
    return std::to_string(na) + " candidate(s) on " + in.a_side + ", " + std::to_string(nb) +
           " on " + in.b_side + " share " + std::string(what);
  };

  // One stage: index side b by key, probe with side a's keys. `pair_ok` may veto a 1:1 pair.
  auto stage = [&](MatchBasis basis, auto key_of, auto pair_ok, bool pairs_allowed) {
    Index ia = buildIndex(ka, key_of);
    Index ib = buildIndex(kb, key_of);
    for (auto& [key, a_idx] : ia) {
      auto it = ib.find(key);
      if (it == ib.end()) continue;
      const std::vector<std::size_t>& b_idx = it->second;
      std::string veto;
      if (pairs_allowed && a_idx.size() == 1 && b_idx.size() == 1 &&
          (veto = pair_ok(ka[a_idx[0]], kb[b_idx[0]])).empty()) {
        out.pairs.push_back({ra[a_idx[0]].id, rb[b_idx[0]].id, basis});
      } else {
        std::string reason = veto.empty() ? describe(a_idx.size(), b_idx.size(),
                                                     basis == MatchBasis::kTaxCode ? "a tax code"
                                                     : basis == MatchBasis::kNamePhone
                                                         ? "name and phone"
                                                         : "a name (phones differ or missing)")
                                          : veto;
        out.review.push_back({basis, std::move(reason), key, idsOf(ra, a_idx), idsOf(rb, b_idx)});
      }
      for (std::size_t i : a_idx) ka[i].used = true;
      for (std::size_t i : b_idx) kb[i].used = true;
    }
  };

  auto no_veto = [](const Keys&, const Keys&) { return std::string(); };
  stage(MatchBasis::kTaxCode, [](const Keys& k) { return k.tax; }, no_veto, true);
  stage(
      MatchBasis::kNamePhone,
      [](const Keys& k) {
        return (k.name.empty() || k.phone.empty()) ? std::string() : k.name + '\x1f' + k.phone;
      },
      [](const Keys& a, const Keys& b) {
        return (!a.tax.empty() && !b.tax.empty() && a.tax != b.tax)
                   ? "same name and phone but different tax codes " + a.tax + " / " + b.tax
                   : std::string();
      },
      true);
  if (mk.review_name_only) {
    stage(MatchBasis::kNameOnly, [](const Keys& k) { return k.name; }, no_veto, false);
  }

  for (std::size_t i = 0; i < ra.size(); ++i) {
    if (ka[i].active && !ka[i].used) out.unmatched_a.push_back(ra[i].id);
  }
  for (std::size_t i = 0; i < rb.size(); ++i) {
    if (kb[i].active && !kb[i].used) out.unmatched_b.push_back(rb[i].id);
  }
  std::sort(out.pairs.begin(), out.pairs.end(),
            [](const MatchedPair& x, const MatchedPair& y) { return x.a_id < y.a_id; });
  std::sort(out.review.begin(), out.review.end(), [](const ReviewGroup& x, const ReviewGroup& y) {
    return x.basis != y.basis ? x.basis < y.basis : x.key < y.key;
  });
  std::sort(out.unmatched_a.begin(), out.unmatched_a.end());
  std::sort(out.unmatched_b.begin(), out.unmatched_b.end());
  return out;
}

}  // namespace qiao::sync
