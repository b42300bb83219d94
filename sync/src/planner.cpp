// The sync planner: echo suppression, lifecycle policies, ownership, newest-wins; see planner.h.
#include "qiao/sync/planner.h"

#include <algorithm>
#include <set>

namespace qiao::sync {

std::string_view toString(WriteKind k) {
  switch (k) {
    case WriteKind::kCreate: return "create";
    case WriteKind::kUpdate: return "update";
    case WriteKind::kDelete: return "delete";
    case WriteKind::kForbid: return "forbid";
    case WriteKind::kEnable: return "enable";
    case WriteKind::kFlag: return "flag";
  }
  return "?";
}

namespace {

// Incoming records of one link, by side index (config order) so iteration is deterministic.
using Incoming = std::map<int, const CustomerRecord*>;

struct Planner {
  const SyncConfig& config;
  const SyncState& state;
  Plan& out;
  std::vector<std::vector<std::string>> side_fields;  // fieldsOf, by side index
  std::vector<std::string> all_fields;                // sorted

  const std::string& sideName(int i) const { return config.sides[static_cast<std::size_t>(i)].name; }
  bool carries(int side, const std::string& f) const {
    const auto& fs = side_fields[static_cast<std::size_t>(side)];
    return std::binary_search(fs.begin(), fs.end(), f);
  }

  // Side indices of the link that can receive writes (not deleted), in config order.
  std::vector<int> activeSides(const Link& link) const {
    std::vector<int> out_sides;
    for (std::size_t i = 0; i < config.sides.size(); ++i) {
      auto it = link.sides.find(config.sides[i].name);
      if (it != link.sides.end() && !it->second.deleted) out_sides.push_back(static_cast<int>(i));
    }
    return out_sides;
  }

  void applyLifecycle(Link& nl, Incoming& incoming);
  void mergeFields(const Link& old, Link& nl, const Incoming& incoming);
  void planLink(const Link& old, Incoming incoming);
  void planUnlinked(int side, const CustomerRecord& r);
};

void Planner::applyLifecycle(Link& nl, Incoming& incoming) {
  for (auto it = incoming.begin(); it != incoming.end();) {
    int s = it->first;
    const CustomerRecord& r = *it->second;
    const SideConfig& sc = config.sides[static_cast<std::size_t>(s)];
    SideLink& sl = nl.sides[sc.name];
    std::string event;
    LifecyclePolicy policy = LifecyclePolicy::kIgnore;
    if (r.deleted) {
      event = "delete";
      policy = sc.on_delete;
    } else if (r.forbidden != sl.forbidden) {
      event = r.forbidden ? "forbid" : "enable";
      policy = sc.on_forbid;
    }
    if (event.empty()) {
      ++it;
      continue;
    }
    PolicyApplication pa{nl.link_id, sc.name, r.id, event, policy, {}, {}};
    sl.forbidden = r.forbidden;
    if (r.deleted) sl.deleted = true;
    for (int t : activeSides(nl)) {
      if (t == s) continue;
      const SideConfig& tc = config.sides[static_cast<std::size_t>(t)];
      SideLink& tl = nl.sides[tc.name];
      if (policy == LifecyclePolicy::kMirror) {
        WriteKind kind = WriteKind::kDelete;
        if (event != "delete") {
          auto in_t = incoming.find(t);
          bool t_forbidden = in_t != incoming.end() ? in_t->second->forbidden : tl.forbidden;
          if (t_forbidden == r.forbidden) continue;  // already in that state
          kind = r.forbidden ? WriteKind::kForbid : WriteKind::kEnable;
          tl.forbidden = r.forbidden;
        } else if (tc.delete_as_forbid) {
          auto in_t = incoming.find(t);
          bool t_forbidden = in_t != incoming.end() ? in_t->second->forbidden : tl.forbidden;
          tl.forbidden = true;
          pa.note += (pa.note.empty() ? "" : "; ") + tc.name + " cannot delete: forbidden instead";
          if (t_forbidden) continue;  // already forbidden there
          kind = WriteKind::kForbid;
        } else {
          tl.deleted = true;
          incoming.erase(t);  // a side being deleted takes no part in the field merge
        }
        out.writes.push_back({kind, tc.name, tl.id, nl.link_id, {},
                              event + " on " + sc.name + " (mirror)"});
        pa.written_sides.push_back(tc.name);
      } else if (policy == LifecyclePolicy::kFlag) {
        if (tc.flag_field.empty()) {
          pa.note += (pa.note.empty() ? "" : "; ") + tc.name + " has no flag_field: not flagged";
          continue;
        }
        std::string text = event == "enable" ? "" : event + " on " + sc.name;
        out.writes.push_back({WriteKind::kFlag, tc.name, tl.id, nl.link_id,
                              {{tc.flag_field, text}}, event + " on " + sc.name + " (flag)"});
        pa.written_sides.push_back(tc.name);
      }
    }
    if (policy == LifecyclePolicy::kIgnore) pa.note = "ignored by policy";
    out.policies.push_back(std::move(pa));
    if (r.deleted) {
      it = incoming.erase(it);
    } else {
      ++it;
    }
  }
}

void Planner::mergeFields(const Link& old, Link& nl, const Incoming& incoming) {
  FieldMap merged = old.base_known ? old.base : FieldMap{};
  std::vector<int> active = activeSides(nl);
  auto isActive = [&](int s) { return std::find(active.begin(), active.end(), s) != active.end(); };
  for (const std::string& f : all_fields) {
    static const std::string kNone;
    const std::string& base_v = old.base_known ? fieldValue(old.base, f) : kNone;
    std::vector<std::pair<int, const CustomerRecord*>> changed;
    for (const auto& [s, r] : incoming) {
      if (isActive(s) && carries(s, f) && fieldValue(r->fields, f) != base_v) {
        changed.emplace_back(s, r);
      }
    }
    std::string value = base_v;
    auto own = config.owner.find(f);
    int owner = own == config.owner.end() ? -1 : config.sideIndex(own->second);
    bool owner_rules = owner >= 0 && isActive(owner) && carries(owner, f) &&
                       (incoming.count(owner) || old.base_known);
    if (owner_rules) {
      auto in_owner = incoming.find(owner);
      if (in_owner != incoming.end()) value = fieldValue(in_owner->second->fields, f);
      for (const auto& [s, r] : changed) {
        if (s == owner || fieldValue(r->fields, f) == value) continue;
        out.overrides.push_back({nl.link_id, f, sideName(s), r->id, fieldValue(r->fields, f),
                                 sideName(owner), value});
      }
    } else if (!changed.empty()) {
      std::set<std::string> distinct;
      for (const auto& [s, r] : changed) distinct.insert(fieldValue(r->fields, f));
      value = fieldValue(changed.front().second->fields, f);
      if (distinct.size() > 1) {
        Conflict c;
        c.link_id = nl.link_id;
        c.field = f;
        // Newest wins; among equally new values the side listed first (changed is in side order).
        std::size_t win = 0;
        for (std::size_t k = 0; k < changed.size(); ++k) {
          const CustomerRecord& r = *changed[k].second;
          c.values.push_back({sideName(changed[k].first), r.id, fieldValue(r.fields, f),
                              r.modified_ms});
          if (r.modified_ms > changed[win].second->modified_ms) win = k;
        }
        const CustomerRecord& best = *changed[win].second;
        bool tie = std::any_of(changed.begin(), changed.end(), [&](const auto& p) {
          return p.second->modified_ms == best.modified_ms &&
                 fieldValue(p.second->fields, f) != fieldValue(best.fields, f);
        });
        value = fieldValue(changed[win].second->fields, f);
        c.winner_side = sideName(changed[win].first);
        c.winner_value = value;
        c.rule = std::string(old.base_known ? "" : "first sync: ") +
                 (tie ? "tie: first side" : "newest");
        out.conflicts.push_back(std::move(c));
      }
    }
    if (value.empty()) merged.erase(f);
    else merged[f] = value;
  }

  // Writes: every active side gets exactly the fields that differ from what it holds.
  for (int t : active) {
    const std::string& name = sideName(t);
    SideLink& tl = nl.sides[name];
    auto in_t = incoming.find(t);
    const FieldMap* current = in_t != incoming.end() ? &in_t->second->fields
                              : old.base_known        ? &old.base
                                                      : nullptr;
    FieldMap delta;
    for (const std::string& f : side_fields[static_cast<std::size_t>(t)]) {
      const std::string& want = fieldValue(merged, f);
      if (current == nullptr ? !want.empty() : fieldValue(*current, f) != want) delta[f] = want;
    }
    if (!delta.empty()) {
      std::string reason = "sync:";
      for (const auto& [f, v] : delta) reason += " " + f;
      out.writes.push_back({WriteKind::kUpdate, name, tl.id, nl.link_id, std::move(delta),
                            std::move(reason)});
    }
    tl.hash = contentHash(merged, side_fields[static_cast<std::size_t>(t)], tl.forbidden, false);
  }
  nl.base = std::move(merged);
  nl.base_known = true;
}

void Planner::planLink(const Link& old, Incoming incoming) {
  Link nl = old;
  applyLifecycle(nl, incoming);
  mergeFields(old, nl, incoming);
  if (!(nl == old)) out.links.push_back(std::move(nl));
}

void Planner::planUnlinked(int s, const CustomerRecord& r) {
  const std::string& name = sideName(s);
  if (r.deleted) {
    out.review.push_back({name, r.id, "deleted on " + name + " before it was ever synced"});
    return;
  }
  if (r.forbidden) {
    out.review.push_back({name, r.id, "forbidden on " + name + " and never synced: not created"});
    return;
  }
  if (const std::string* held = state.heldReason(name, r.id)) {
    out.review.push_back({name, r.id, "held: " + *held});
    return;
  }
  if (!config.create_unlinked) {
    out.review.push_back({name, r.id, "no cross-reference and create_unlinked is off"});
    return;
  }
  Link nl;
  nl.link_id = name + ":" + r.id;
  if (state.link(nl.link_id) != nullptr) {
    out.review.push_back({name, r.id, "link id " + nl.link_id + " exists for another customer"});
    return;
  }
  for (const std::string& f : side_fields[static_cast<std::size_t>(s)]) {
    const std::string& v = fieldValue(r.fields, f);
    if (!v.empty()) nl.base[f] = v;
  }
  nl.base_known = true;
  nl.sides[name] = {r.id, contentHash(nl.base, side_fields[static_cast<std::size_t>(s)], false,
                                      false),
                    false, false};
  for (std::size_t t = 0; t < config.sides.size(); ++t) {
    if (static_cast<int>(t) == s) continue;
    FieldMap fields;
    for (const std::string& f : side_fields[t]) {
      const std::string& v = fieldValue(nl.base, f);
      if (!v.empty()) fields[f] = v;
    }
    const std::string& tn = config.sides[t].name;
    nl.sides[tn] = {"", contentHash(nl.base, side_fields[t], false, false), false, false};
    out.writes.push_back({WriteKind::kCreate, tn, "", nl.link_id, std::move(fields),
                          "new on " + name});
  }
  out.links.push_back(std::move(nl));
}

}  // namespace

Result<Plan> plan(const SyncConfig& config, const SyncState& state,
                  const std::vector<ChangeBatch>& batches) {
  Plan out;
  Planner p{config, state, out, {}, config.fields};
  std::sort(p.all_fields.begin(), p.all_fields.end());
  for (const SideConfig& s : config.sides) p.side_fields.push_back(config.fieldsOf(s.name));

  std::map<std::string, Incoming> touched;  // link id -> incoming records
  std::vector<std::pair<int, const CustomerRecord*>> unlinked;
  std::set<std::pair<int, std::string>> seen;
  for (std::size_t b = 0; b < batches.size(); ++b) {
    const ChangeBatch& batch = batches[b];
    int s = config.sideIndex(batch.side);
    if (s < 0) {
      return Error::permanent(ErrorCode::kInvalidArgument,
                              "batch #" + std::to_string(b) + ": unknown side '" + batch.side + "'");
    }
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
      const CustomerRecord& r = batch.records[i];
      std::string at = "batch #" + std::to_string(b) + " (" + batch.side + ") record #" +
                       std::to_string(i);
      if (r.id.empty()) return Error::permanent(ErrorCode::kInvalidArgument, at + ": empty id");
      if (!seen.insert({s, r.id}).second) {
        return Error::permanent(ErrorCode::kInvalidArgument,
                                at + ": id '" + r.id + "' appears twice for " + batch.side);
      }
      const Link* link = state.find(batch.side, r.id);
      if (link == nullptr) {
        unlinked.emplace_back(s, &r);
        continue;
      }
      const SideLink& sl = link->sides.at(batch.side);
      if (sl.deleted) {
        out.review.push_back({batch.side, r.id, "changed on " + batch.side +
                                                    " after it was deleted there: not synced"});
        continue;
      }
      if (link->base_known && sl.hash != 0 &&
          contentHash(r.fields, p.side_fields[static_cast<std::size_t>(s)], r.forbidden,
                      r.deleted) == sl.hash) {
        out.echoes.push_back({batch.side, r.id});
        continue;
      }
      touched[link->link_id][s] = &r;
    }
  }
  for (auto& [link_id, incoming] : touched) p.planLink(*state.link(link_id), std::move(incoming));
  std::sort(unlinked.begin(), unlinked.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first < y.first : x.second->id < y.second->id;
  });
  for (const auto& [s, r] : unlinked) p.planUnlinked(s, *r);
  return out;
}

}  // namespace qiao::sync
