// Service::firstSync: natural keys of every record, matching, then the plan chunk by chunk in
// one transaction, the writes handed out after the commit; see service.h and docs/sync.md
// "First sync and the review list".
#include <algorithm>
#include <functional>
#include <string_view>
#include <unordered_map>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "qiao/sync/match.h"
#include "service_impl.h"

namespace qiao::sync {
namespace {

Error invalid(std::string msg) {
  return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg));
}

// The parsed input, match indexes and plan of a first sync are freed by now: their pages go
// back to the system instead of staying in the heap (RSS) for the life of the gateway.
void releaseFreedMemory() {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

// Two lists of canonical JSON as a FirstSyncInput.
class ListInput final : public FirstSyncInput {
 public:
  ListInput(const std::vector<std::string>& a, const std::vector<std::string>& b) : lists_{&a, &b} {}
  std::size_t size(std::size_t side) const override { return lists_[side]->size(); }
  Result<std::string> record(std::size_t side, std::size_t index) const override {
    return (*lists_[side])[index];
  }

 private:
  const std::vector<std::string>* lists_[2];
};

// Write ids are "w<seq>" (ingest).
int64_t seqOf(const std::string& write_id) {
  return write_id.size() > 1 ? std::stoll(write_id.substr(1)) : 0;
}

}  // namespace

Result<FirstSyncResult> Service::firstSync(const std::vector<std::string>& crm_records,
                                           const std::vector<std::string>& k3_records) {
  return firstSync(ListInput(crm_records, k3_records));
}

Result<FirstSyncResult> Service::firstSync(const FirstSyncInput& input,
                                           const FirstSyncOptions& options) {
  const WritePages& pages = options.pages;
  FirstSyncResult out;
  int64_t last_seq = 0;
  {
    std::lock_guard lock(impl_->mu);
    Impl& m = *impl_;
    if (m.broken) return *m.broken;
    if (m.state.size() != 0 || !m.open.empty()) {
      return Error::permanent(ErrorCode::kAlreadyExists,
                              "sync: first sync needs an empty cross-reference (" +
                                  std::to_string(m.state.size()) + " links exist)");
    }
    QIAO_RETURN_IF_ERROR(m.planFirstSync(input, options, &out));
    for (const auto& [seq, w] : m.open) {
      if (w.status == "pending") ++out.write_count;
    }
    last_seq = m.next_seq - 1;
  }
  releaseFreedMemory();
  // Handed out after the commit and outside the lock: whoever takes a page may call the
  // service (a write its side cannot express is failed at once).
  std::string after;
  std::size_t handed = 0;
  for (;;) {
    std::vector<SyncWrite> page = pendingWrites(after, kFirstSyncChunk);
    while (!page.empty() && seqOf(page.back().write_id) > last_seq) page.pop_back();
    if (page.empty()) break;
    after = page.back().write_id;
    if (!pages) {
      for (SyncWrite& w : page) out.writes.push_back(std::move(w));
      continue;
    }
    handed += page.size();
    Status st = pages(std::move(page));
    if (options.progress) options.progress("handout", handed, out.write_count);
    if (!st.ok()) {
      out.handout_error = st.error().message;
      break;
    }
  }
  return out;
}

Status Service::Impl::planFirstSync(const FirstSyncInput& input, const FirstSyncOptions& options,
                                    FirstSyncResult* out) {
  auto progress = [&](std::string_view phase, std::size_t done, std::size_t total) {
    if (options.progress) options.progress(phase, done, total);
  };
  const std::size_t records = input.size(0) + input.size(1);
  const std::string names[2] = {opts.config.sides[0].name, opts.config.sides[1].name};
  const MatchKeys& mk = opts.match_keys;
  // 1. Every record once, for its natural keys only: the index the matching runs on.
  std::vector<CustomerRecord> keys[2];
  std::vector<std::size_t> input_index[2];  // keys[s][k] is input record input_index[s][k]
  std::vector<std::size_t> text_hash[2];    // and its text's hash: read again, it must agree
  std::unordered_map<std::string, std::size_t> where[2];  // id -> k (its last occurrence wins)
  for (std::size_t s = 0; s < 2; ++s) {
    std::vector<RejectedRecord>& rejected = s == 0 ? out->rejected_crm : out->rejected_k3;
    for (std::size_t i = 0; i < input.size(s); ++i) {
      const std::size_t read = s * input.size(0) + i + 1;
      if (read % Service::kFirstSyncChunk == 0 || read == records) progress("keys", read, records);
      Result<std::string> text = input.record(s, i);
      Result<CustomerRecord> r =
          text.ok() ? parseCustomer(names[s], *text) : Result<CustomerRecord>(text.error());
      if (!r.ok()) {
        rejected.push_back({i, "record #" + std::to_string(i) + ": " + r.error().message});
        continue;
      }
      CustomerRecord k;
      k.id = std::move(r->id);
      k.deleted = r->deleted;
      for (const std::string* f : {&mk.tax_field, &mk.name_field, &mk.phone_field}) {
        auto v = r->fields.find(*f);
        if (v != r->fields.end()) k.fields.insert(*v);
      }
      auto [at, fresh] = where[s].emplace(k.id, keys[s].size());
      const std::size_t hash = std::hash<std::string_view>()(*text);
      if (fresh) {
        keys[s].push_back(std::move(k));
        input_index[s].push_back(i);
        text_hash[s].push_back(hash);
      } else {
        keys[s][at->second] = std::move(k);
        input_index[s][at->second] = i;
        text_hash[s][at->second] = hash;
      }
    }
  }
  const std::size_t bad = out->rejected_crm.size() + out->rejected_k3.size();
  if (options.refuse_bad_records && bad > 0) {
    std::string msg = "first sync refused: " + std::to_string(bad) + " record" +
                      (bad == 1 ? "" : "s") + " cannot be read (nothing was linked or written)";
    std::size_t listed = 0;
    for (std::size_t s = 0; s < 2; ++s) {
      for (const RejectedRecord& rr : s == 0 ? out->rejected_crm : out->rejected_k3) {
        if (listed++ == 10) break;
        msg += "; " + names[s] + "[" + std::to_string(rr.index) + "]: " +
               rr.message.substr(rr.message.find(": ") + 2);
      }
    }
    if (bad > 10) msg += "; ...";
    return invalid(msg);
  }
  QIAO_ASSIGN_OR_RETURN(MatchResult match,
                        matchCustomers({names[0], names[1], &keys[0], &keys[1]}, mk));
  for (auto& k : keys) std::vector<CustomerRecord>().swap(k);
  for (const TaxCodeProblem& t : match.tax_code_problems) {
    out->tax_code_problems.push_back(t.side + " " + t.id + ": " + std::string(toString(t.kind)) +
                                     " tax code '" + t.value + "'");
  }
  auto recordOf = [&](std::size_t s, const std::string& id) -> Result<std::string> {
    return input.record(s, input_index[s][where[s].at(id)]);
  };
  Status added = addFirstSync(state, match, names[0], names[1]);
  if (!added.ok()) return fail(added.error());
  for (const ReviewGroup& g : match.review) {
    ReviewUpsert ru;
    ru.kind = "first_sync";
    ru.key = "first_sync:" + std::string(toString(g.basis)) + ":" + g.key;
    ru.reason = "first-sync review (" + std::string(toString(g.basis)) + "): " + g.reason;
    ru.hold = true;
    for (std::size_t s = 0; s < 2; ++s) {
      for (const std::string& id : s == 0 ? g.a_ids : g.b_ids) {
        auto text = recordOf(s, id);
        if (!text.ok()) return fail(text.error());
        ru.members.push_back({names[s], id, std::move(text).value()});
      }
    }
    new_reviews.push_back(std::move(ru));
  }
  out->pairs = match.pairs.size();
  out->review_groups = match.review.size();
  out->unmatched_crm = match.unmatched_a.size();
  out->unmatched_k3 = match.unmatched_b.size();

  // 2. The order records are planned in: each pair together (its merge needs both), then every
  //    other record (unmatched, held, deleted) of each side.
  std::vector<std::pair<uint8_t, uint32_t>> order;  // (side, k)
  order.reserve(input_index[0].size() + input_index[1].size());
  {
    std::vector<bool> paired[2] = {std::vector<bool>(input_index[0].size()),
                                   std::vector<bool>(input_index[1].size())};
    for (const MatchedPair& p : match.pairs) {
      const std::size_t ka = where[0].at(p.a_id), kb = where[1].at(p.b_id);
      paired[0][ka] = paired[1][kb] = true;
      order.emplace_back(0, static_cast<uint32_t>(ka));
      order.emplace_back(1, static_cast<uint32_t>(kb));
    }
    for (uint8_t s = 0; s < 2; ++s) {
      for (std::size_t k = 0; k < paired[s].size(); ++k) {
        if (!paired[s][k]) order.emplace_back(s, static_cast<uint32_t>(k));
      }
    }
  }
  match = MatchResult();
  for (auto& w : where) std::unordered_map<std::string, std::size_t>().swap(w);

  // 3. One transaction; each chunk planned, its rows written, its records and the loaded
  //    parts of its writes and links dropped before the next.
  if (Status st = db->begin(); !st.ok()) return fail(st.error());
  std::size_t conflicts = 0;
  for (std::size_t from = 0; from < order.size();) {
    std::size_t to = std::min(order.size(), from + Service::kFirstSyncChunk);
    if (to < order.size() && to > 0 && order[to].first == 1 && order[to - 1].first == 0) ++to;  // a pair whole
    std::vector<std::string> texts[2];
    for (std::size_t n = from; n < to; ++n) {
      const auto [s, k] = order[n];
      Result<std::string> text = input.record(s, input_index[s][k]);
      if (!text.ok() || std::hash<std::string_view>()(*text) != text_hash[s][k]) {
        return fail(Error::permanent(
            ErrorCode::kInvalidArgument,
            names[s] + " record #" + std::to_string(input_index[s][k]) + " " +
                (text.ok() ? "changed between reading its keys and planning it"
                           : "could not be read again: " + text.error().message)));
      }
      texts[s].push_back(std::move(text).value());
    }
    std::vector<ChangeBatch> batches;
    std::map<std::string, std::map<std::string, std::string>> raw;
    for (std::size_t s = 0; s < 2; ++s) {
      auto p = parseAll(*this, names[s], texts[s], true);
      if (!p.ok()) return fail(p.error());
      // A pair's link is written with its chunk (its row is new: whatever the plan says).
      for (const CustomerRecord& rec : p->batch.records) {
        if (const Link* l = state.find(names[s], rec.id)) dirty_links.insert(l->link_id);
      }
      raw[names[s]] = std::move(p->raw);
      batches.push_back(std::move(p->batch));
    }
    auto r = ingest(std::move(batches), raw, true, {});
    if (!r.ok()) return fail(r.error());
    conflicts += r->conflicts;
    if (Status st = writeDirt(); !st.ok()) return fail(st.error());
    clearDirt(true);
    from = to;
    progress("plan", from, order.size());
  }
  // Recorded with the rest; the customers that waited for it were in its lists.
  const int64_t now = nowMs();
  {
    detail::Query q = db->prepare("SELECT COUNT(*) FROM sync_review WHERE status = 'open' AND reason = ?");
    q.bind(std::string(kWaitingForFirstSync));
    if (q.step()) out->waiting_resolved = static_cast<std::size_t>(q.i64(0));
    if (!q.status().ok()) return fail(q.status().error());
  }
  Status st = db->prepare("INSERT OR REPLACE INTO sync_meta (key, value) VALUES ('first_sync_at', ?)")
                  .bind(isoTime(now))
                  .run();
  if (st.ok()) {
    st = db->prepare("UPDATE sync_review SET status = 'resolved', resolved_by = 'first sync', "
                     "resolved_at_ms = ?, decision_json = '{}' WHERE status = 'open' AND reason = ?")
             .bind(now)
             .bind(std::string(kWaitingForFirstSync))
             .run();
  }
  if (!st.ok()) return fail(st.error());
  if (Status st = db->commit(); !st.ok()) return fail(st.error());
  first_sync_done = true;
  out->conflicts = conflicts;
  return Status();
}

}  // namespace qiao::sync
