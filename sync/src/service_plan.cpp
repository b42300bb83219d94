// Service: ingest (echoes, in-flight writes, planning, pending writes), first sync and review
// decisions; see service.h and docs/sync.md "The service".
#include <algorithm>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "qiao/sync/match.h"
#include "qiao/sync/normalize.h"
#include "service_impl.h"

namespace qiao::sync {
namespace {

using json = nlohmann::json;

// The raw JSON of a record in Parsed::raw / the raw maps: id + this separator.
constexpr char kRawJson = '\x1e';

std::string dumpJson(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Error invalid(std::string msg) {
  return Error::permanent(ErrorCode::kInvalidArgument, std::move(msg));
}

// Identity keys of a record for adopting a customer our own pending create made.
std::vector<std::string> adoptKeys(const FieldMap& fields, const MatchKeys& keys) {
  std::vector<std::string> out;
  std::string tax = taxCodeKey(fieldValue(fields, keys.tax_field));
  if (!tax.empty()) out.push_back("t:" + tax);
  std::string name = nameKey(fieldValue(fields, keys.name_field));
  if (!name.empty()) out.push_back("n:" + name + "|" + normalizePhone(fieldValue(fields, keys.phone_field)));
  return out;
}

}  // namespace

// ---- ingest -----------------------------------------------------------------------------

Result<IngestResult> Service::Impl::ingest(
    std::vector<ChangeBatch> batches,
    const std::map<std::string, std::map<std::string, std::string>>& raw, bool first_sync,
    IngestResult out) {
  const SyncConfig& cfg = opts.config;
  // 0. No first sync yet: a customer without a cross-reference may exist on the other side
  //    under another id. It waits on the review list; the first sync matches it.
  if (!first_sync && opts.wait_for_first_sync && !first_sync_done) {
    for (ChangeBatch& b : batches) {
      auto rs = raw.find(b.side);
      std::erase_if(b.records, [&](const CustomerRecord& r) {
        if (state.find(b.side, r.id) != nullptr) return false;
        std::string rec;
        if (rs != raw.end()) {
          auto rj = rs->second.find(r.id + kRawJson);
          if (rj != rs->second.end()) rec = rj->second;
        }
        new_reviews.push_back({"change", "change:" + b.side + ":" + r.id, kWaitingForFirstSync,
                               {{b.side, r.id, std::move(rec)}}, false});
        ++out.reviews;
        return true;
      });
    }
  }
  // 1. A record our own pending create made, seen before the create was confirmed (a pull or
  //    webhook faster than on_delivered): adopt it as that create's result instead of creating
  //    it back. Keys: same content, else same tax code or name + phone; one candidate only.
  std::map<std::string, std::vector<int64_t>> create_keys;  // side \x1f key -> creates
  std::set<std::string> unlinked_sides;  // built only for sides with unlinked records
  // A first sync's unlinked records matched nothing (matchCustomers): none is adopted by the
  // creates its earlier chunks made.
  for (const ChangeBatch& b : first_sync ? std::vector<ChangeBatch>() : batches) {
    auto oc = open_creates.find(b.side);
    if (oc == open_creates.end() || oc->second.empty()) continue;
    for (const CustomerRecord& r : b.records) {
      if (!r.deleted && state.find(b.side, r.id) == nullptr) {
        unlinked_sides.insert(b.side);
        break;
      }
    }
  }
  for (const std::string& side : unlinked_sides) {
    for (int64_t seq : open_creates[side]) {
      const OpenWrite& w = open.at(seq);
      if (w.status == "deferred") continue;
      const Link* l = state.link(w.w.link_id);
      if (l == nullptr || !l->sides.at(side).id.empty()) continue;
      QIAO_RETURN_IF_ERROR(ensureBase(w.w.link_id));
      create_keys[side + '\x1f' + "h:" + hashText(l->sides.at(side).hash)].push_back(seq);
      for (const std::string& k : adoptKeys(l->base, opts.match_keys)) {
        create_keys[side + '\x1f' + k].push_back(seq);
      }
    }
  }
  for (ChangeBatch& b : batches) {
    for (CustomerRecord& r : b.records) {
      const Link* l = state.find(b.side, r.id);
      if (l != nullptr) QIAO_RETURN_IF_ERROR(ensureBase(l->link_id));  // planned below
      if (l == nullptr && !create_keys.empty() && !r.deleted) {
        std::vector<std::string> keys{"h:" + hashText(contentHash(r, cfg, b.side))};
        for (std::string& k : adoptKeys(r.fields, opts.match_keys)) keys.push_back(std::move(k));
        for (const std::string& k : keys) {
          auto hit = create_keys.find(b.side + '\x1f' + k);
          if (hit == create_keys.end() || hit->second.size() != 1) continue;
          const int64_t seq = hit->second.front();
          if (!open.count(seq)) continue;
          const std::string link_id = open.at(seq).w.link_id;
          if (!state.setSideId(link_id, b.side, r.id).ok()) continue;
          dirty_links.insert(link_id);
          closeWrite(seq, "confirmed", r.id);
          QIAO_RETURN_IF_ERROR(releaseDeferred(link_id, b.side, &out.writes));
          hit->second.clear();
          l = state.link(link_id);
          break;
        }
      }
      if (l == nullptr) continue;
      // 2. Writes to this side not confirmed yet: a value the side held before one of them, or
      //    an intermediate value, is a write not landed yet, not a user's edit — as long as
      //    the newest open write of that field still carries the synced value (else it is
      //    stale: the side's own later edit moved on, and what it shows is taken as it is).
      std::map<std::string, std::pair<std::string, std::set<std::string>>> in_flight;
      std::optional<bool> forbid_in_flight;
      bool forbid_prior = false;
      for (int64_t seq : openTo(l->link_id, b.side)) {  // oldest first
        QIAO_ASSIGN_OR_RETURN(const OpenWrite* loaded, ensureLoaded(seq));
        const OpenWrite& w = *loaded;
        if (w.w.kind == "update" || w.w.kind == "create") {
          for (const auto& [f, v] : w.fields) {
            auto& [latest, seen] = in_flight[f];
            latest = v;
            seen.insert(v);
            seen.insert(fieldValue(w.prior, f));
          }
        } else if (w.w.kind == "forbid" || w.w.kind == "enable") {
          if (!forbid_in_flight) forbid_prior = w.prior_forbidden;
          forbid_in_flight = w.w.kind == "forbid";
        }
      }
      for (const auto& [f, flight] : in_flight) {
        const std::string& want = fieldValue(l->base, f);
        const std::string& got = fieldValue(r.fields, f);
        if (got == want || flight.first != want || !flight.second.count(got)) continue;
        if (want.empty()) r.fields.erase(f);
        else r.fields[f] = want;
      }
      const SideLink& sl = l->sides.at(b.side);
      if (forbid_in_flight && *forbid_in_flight == sl.forbidden && r.forbidden != sl.forbidden &&
          r.forbidden == forbid_prior) {
        r.forbidden = sl.forbidden;
      }
    }
  }

  // 3. Plan against the links (each as it is once every write handed out has landed).
  QIAO_ASSIGN_OR_RETURN(Plan plan, sync::plan(cfg, state, batches));
  std::map<std::pair<std::string, std::string>, const CustomerRecord*> incoming;
  for (const ChangeBatch& b : batches) {
    for (const CustomerRecord& r : b.records) incoming[{b.side, r.id}] = &r;
  }
  auto rawValue = [&](const std::string& side, const std::string& id, const std::string& f,
                      const Link* old) -> std::string {
    auto rs = raw.find(side);
    if (rs != raw.end()) {
      auto rr = rs->second.find(id + '\x1f' + f);
      if (rr != rs->second.end()) return rr->second;
      if (rs->second.count(id + '\x1f')) return {};  // seen, field empty
    }
    return old != nullptr && old->base_known ? fieldValue(old->base, f) : std::string();
  };

  // Conflicts and overrides, with both times.
  for (const Conflict& c : plan.conflicts) {
    json values = json::array();
    for (const ConflictValue& v : c.values) {
      values.push_back({{"side", v.side}, {"id", v.id}, {"value", v.value},
                        {"modifiedAt", isoTime(v.modified_ms)}});
    }
    new_conflicts.push_back({c.link_id, c.field, "newest-wins", c.rule, dumpJson(values),
                             c.winner_side, c.winner_value});
  }
  for (const Override& o : plan.overrides) {
    json values = json::array();
    auto time = [&](const std::string& side, const std::string& id) -> json {
      auto it = incoming.find({side, id});
      return it == incoming.end() ? json() : json(isoTime(it->second->modified_ms));
    };
    const Link* l = state.link(o.link_id);
    std::string owner_id;
    if (l != nullptr && l->sides.count(o.owner)) owner_id = l->sides.at(o.owner).id;
    values.push_back({{"side", o.side}, {"id", o.id}, {"value", o.value},
                      {"modifiedAt", time(o.side, o.id)}});
    values.push_back({{"side", o.owner}, {"id", owner_id}, {"value", o.owner_value},
                      {"modifiedAt", time(o.owner, owner_id)}});
    new_conflicts.push_back({o.link_id, o.field, "ownership",
                             o.field + " is owned by " + o.owner + ": " + o.side +
                                 "'s edit written over",
                             dumpJson(values), o.owner, o.owner_value});
  }
  out.conflicts += plan.conflicts.size() + plan.overrides.size();
  out.echoes += plan.echoes.size();
  for (const PolicyApplication& p : plan.policies) {
    std::string note = p.event + " on " + p.side + " " + p.id + ": " +
                       std::string(toString(p.policy));
    for (const std::string& s : p.written_sides) note += " -> " + s;
    if (!p.note.empty()) note += " (" + p.note + ")";
    out.policy_notes.push_back(std::move(note));
  }
  for (const ReviewItem& ri : plan.review) {
    if (ri.reason.rfind("held:", 0) == 0) {  // its first-sync group is on the list already
      if (!first_sync) ++out.reviews;
      continue;
    }
    ReviewUpsert ru;
    ru.kind = "change";
    ru.key = "change:" + ri.side + ":" + ri.id;
    ru.reason = ri.reason;
    std::string rec;
    auto rs = raw.find(ri.side);
    if (rs != raw.end()) {
      auto rj = rs->second.find(ri.id + kRawJson);
      if (rj != rs->second.end()) rec = rj->second;
    }
    ru.members.push_back({ri.side, ri.id, rec});
    new_reviews.push_back(std::move(ru));
    ++out.reviews;
  }

  // 4. The writes, with what each target held before; then the links as planned.
  std::map<std::string, const Link*> planned;
  for (const Link& l : plan.links) planned[l.link_id] = &l;
  std::vector<OpenWrite> made;
  for (Write& pw : plan.writes) {
    const Link* old = state.link(pw.link_id);
    auto pl = planned.find(pw.link_id);
    const Link& after = pl != planned.end() ? *pl->second : *old;
    OpenWrite w;
    w.w.kind = std::string(toString(pw.kind));
    w.w.side = pw.side;
    w.w.link_id = pw.link_id;
    w.w.target_id = pw.target_id;
    w.w.reason = pw.reason;
    if (pw.kind == WriteKind::kUpdate) {
      // A failed write's fields are still owed to this side: carried again now.
      std::vector<int64_t> superseded;
      for (int64_t seq : openTo(pw.link_id, pw.side)) {
        if (open.at(seq).status != "failed" || open.at(seq).w.kind != "update") continue;
        QIAO_ASSIGN_OR_RETURN(const OpenWrite* loaded, ensureLoaded(seq));
        const OpenWrite& fw = *loaded;
        for (const auto& [f, v] : fw.fields) {
          if (!pw.fields.count(f)) pw.fields[f] = fieldValue(after.base, f);
        }
        for (const auto& [f, v] : fw.prior) {
          if (!w.prior.count(f)) w.prior[f] = v;
        }
        pw.reason += " (+ failed " + fw.w.write_id + ")";
        superseded.push_back(seq);
      }
      for (int64_t seq : superseded) closeWrite(seq, "superseded", "");
    }
    w.fields = pw.fields;
    for (const auto& [f, v] : pw.fields) {
      if (!w.prior.count(f) && !pw.target_id.empty()) {
        w.prior[f] = rawValue(pw.side, pw.target_id, f, old);
      }
    }
    if (old != nullptr && old->sides.count(pw.side)) w.prior_forbidden = old->sides.at(pw.side).forbidden;
    switch (pw.kind) {
      case WriteKind::kCreate:
      case WriteKind::kUpdate:
      case WriteKind::kFlag:
        for (const auto& [f, v] : pw.fields) w.w.changed_fields.push_back(f);
        break;
      default:
        w.w.changed_fields = {"status"};
    }
    w.status = pw.kind != WriteKind::kCreate && pw.target_id.empty() ? "deferred" : "pending";
    w.seq = next_seq++;
    w.w.write_id = "w" + std::to_string(w.seq);
    w.w.idempotency_key = "qiao-sync-" + w.w.write_id;
    w.w.record_json = recordJsonFor(after, pw.side, w.w.kind, pw.target_id, pw.fields);
    w.created_ms = w.updated_ms = nowMs();
    made.push_back(std::move(w));
  }
  Status applied = state.apply(plan.links);
  if (!applied.ok()) {
    return Error::permanent(ErrorCode::kInternal, "sync: plan links: " + applied.error().message);
  }
  for (const Link& l : plan.links) dirty_links.insert(l.link_id);
  for (OpenWrite& w : made) {
    // A first sync hands its writes out after their rows are written (firstSync): no second
    // copy of 150,000 records while they are committed.
    if (w.status == "pending" && !first_sync) out.writes.push_back(w.w);
    else ++out.deferred;
    dirty_writes.insert(w.seq);
    addOpen(std::move(w));
  }
  return out;
}

Result<Parsed> parseAll(const Service::Impl& m, std::string_view side,
                        const std::vector<std::string>& records, bool fail_on_bad) {
  if (m.opts.config.side(side) == nullptr) {
    return invalid("sync: unknown side '" + std::string(side) + "'");
  }
  Parsed p;
  p.batch.side = std::string(side);
  std::map<std::string, std::size_t> where;  // id -> index in batch (last occurrence wins)
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto r = m.parseCustomer(side, records[i]);
    if (!r.ok()) {
      if (fail_on_bad) return r.takeError();
      p.rejected.push_back({i, "record #" + std::to_string(i) + ": " + r.error().message});
      continue;
    }
    CustomerRecord rec = std::move(r.value());
    p.raw[rec.id + '\x1f'] = "";
    p.raw[rec.id + kRawJson] = records[i];
    for (const auto& [f, v] : rec.fields) p.raw[rec.id + '\x1f' + f] = v;
    auto w = where.find(rec.id);
    if (w != where.end()) {
      p.batch.records[w->second] = std::move(rec);
    } else {
      where[rec.id] = p.batch.records.size();
      p.batch.records.push_back(std::move(rec));
    }
  }
  return p;
}

Result<IngestResult> Service::ingestChange(std::string_view side,
                                           std::string_view canonical_customer_json) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  QIAO_ASSIGN_OR_RETURN(Parsed p, parseAll(m, side, {std::string(canonical_customer_json)}, true));
  std::map<std::string, std::map<std::string, std::string>> raw{{p.batch.side, std::move(p.raw)}};
  auto r = m.ingest({std::move(p.batch)}, raw, false, {});
  if (!r.ok()) return m.fail(r.takeError());
  QIAO_RETURN_IF_ERROR(m.persist());
  return r;
}

Result<IngestResult> Service::ingestBatch(std::string_view side,
                                          const std::vector<std::string>& records) {
  return ingestCycle({{std::string(side), records}});
}

Result<IngestResult> Service::ingestCycle(
    const std::map<std::string, std::vector<std::string>>& records) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  std::vector<ChangeBatch> batches;
  std::map<std::string, std::map<std::string, std::string>> raw;
  IngestResult out;
  for (const auto& [side, recs] : records) {
    QIAO_ASSIGN_OR_RETURN(Parsed p, parseAll(m, side, recs, false));
    for (RejectedRecord& rr : p.rejected) {
      rr.message = side + " " + rr.message;
      out.rejected.push_back(std::move(rr));
    }
    raw[side] = std::move(p.raw);
    batches.push_back(std::move(p.batch));
  }
  auto r = m.ingest(std::move(batches), raw, false, std::move(out));
  if (!r.ok()) return m.fail(r.takeError());
  QIAO_RETURN_IF_ERROR(m.persist());
  return r;
}

// ---- review decisions -------------------------------------------------------------------

Result<ResolveResult> Service::resolveReview(int64_t review_id,
                                             const std::map<std::string, std::string>& chosen_pair,
                                             std::string_view user) {
  std::lock_guard lock(impl_->mu);
  Impl& m = *impl_;
  if (m.broken) return *m.broken;
  if (user.empty()) return invalid("resolveReview: user is required");
  if (!chosen_pair.empty() && m.opts.wait_for_first_sync && !m.first_sync_done) {
    return invalid("no first sync has run yet: run it (POST /api/v1/sync/first-sync) before "
                   "pairing customers by hand");
  }
  std::string kind, status, members_text;
  {
    detail::Query q = m.db->prepare("SELECT kind, status, members_json FROM sync_review WHERE id = ?");
    q.bind(review_id);
    if (!q.step()) {
      QIAO_RETURN_IF_ERROR(q.status());
      return Error::permanent(ErrorCode::kNotFound, "no review item " + std::to_string(review_id));
    }
    kind = q.text(0);
    status = q.text(1);
    members_text = q.text(2);
  }
  if (status != "open") {
    return invalid("review item " + std::to_string(review_id) + " is already resolved");
  }
  std::vector<ReviewMember> members = membersFromJson(members_text);
  if (!chosen_pair.empty() && chosen_pair.size() != 2) {
    return invalid("chosen_pair: name one customer on each of two sides, or none");
  }
  for (const auto& [side, id] : chosen_pair) {
    if (m.opts.config.side(side) == nullptr) return invalid("chosen_pair: unknown side '" + side + "'");
    bool member = std::any_of(members.begin(), members.end(),
                              [&](const ReviewMember& x) { return x.side == side && x.id == id; });
    // A single-customer item may be paired with any customer of the other side not linked yet.
    if (!member && (members.size() != 1 || members[0].side == side)) {
      return invalid("chosen_pair: " + side + " " + id + " is not in review item " +
                     std::to_string(review_id));
    }
    if (m.state.find(side, id) != nullptr) {
      return Error::permanent(ErrorCode::kAlreadyExists,
                              "chosen_pair: " + side + " " + id + " is already linked");
    }
  }
  ResolveResult out;
  for (const ReviewMember& x : members) {
    if (m.state.heldReason(x.side, x.id) != nullptr) {
      m.state.release(x.side, x.id);
      m.released.emplace_back(x.side, x.id);
    }
  }
  if (!chosen_pair.empty()) {
    auto first = chosen_pair.begin(), second = std::next(first);
    Status s = m.state.add(linkFromMatch(first->first, first->second, second->first, second->second));
    if (!s.ok()) return m.fail(s.error());
    out.link_id = first->first + ":" + first->second;
    m.dirty_links.insert(out.link_id);
  }
  // Plan the members again: the pair merges, the released others are created elsewhere. A
  // change item resolved with no pair is dismissed (planning it again would list it again).
  std::map<std::string, std::vector<std::string>> by_side;
  for (const ReviewMember& x : members) {
    if (x.record_json.empty()) continue;
    if (kind == "change" && chosen_pair.empty()) continue;
    by_side[x.side].push_back(x.record_json);
  }
  std::vector<ChangeBatch> batches;
  std::map<std::string, std::map<std::string, std::string>> raw;
  for (const auto& [side, recs] : by_side) {
    auto p = parseAll(m, side, recs, true);
    if (!p.ok()) return m.fail(p.takeError());
    raw[side] = std::move(p->raw);
    batches.push_back(std::move(p->batch));
  }
  auto r = m.ingest(std::move(batches), raw, false, {});
  if (!r.ok()) return m.fail(r.takeError());
  out.writes = std::move(r->writes);
  json decision = json::object();
  for (const auto& [side, id] : chosen_pair) decision[side] = id;
  const std::string decision_text = dumpJson(decision);
  const int64_t now = m.nowMs();
  const std::string who(user);
  QIAO_RETURN_IF_ERROR(m.persist([&]() -> Status {
    return m.db
        ->prepare("UPDATE sync_review SET status = 'resolved', resolved_by = ?, "
                  "resolved_at_ms = ?, decision_json = ? WHERE id = ?")
        .bind(who)
        .bind(now)
        .bind(decision_text)
        .bind(review_id)
        .run();
  }));
  return out;
}

}  // namespace qiao::sync
