// The cross-reference and last-synced state; see planner.h.
#include <string>

#include "qiao/sync/match.h"
#include "qiao/sync/planner.h"

namespace qiao::sync {

Link linkFromMatch(std::string_view a_side, std::string_view a_id, std::string_view b_side,
                   std::string_view b_id) {
  Link link;
  link.link_id = std::string(a_side) + ":" + std::string(a_id);
  link.sides[std::string(a_side)].id = std::string(a_id);
  link.sides[std::string(b_side)].id = std::string(b_id);
  link.base_known = false;
  return link;
}

std::string SyncState::key(std::string_view side, std::string_view id) {
  std::string k;
  k.reserve(side.size() + id.size() + 1);
  k.append(side).push_back('\x1f');
  k.append(id);
  return k;
}

Status SyncState::add(Link link) {
  if (link.link_id.empty()) {
    return Error::permanent(ErrorCode::kInvalidArgument, "link without a link id");
  }
  if (links_.count(link.link_id)) {
    return Error::permanent(ErrorCode::kAlreadyExists, "link '" + link.link_id + "' exists");
  }
  for (const auto& [side, s] : link.sides) {
    if (s.id.empty()) continue;
    if (by_side_id_.count(key(side, s.id))) {
      return Error::permanent(ErrorCode::kAlreadyExists,
                              side + " customer '" + s.id + "' is already linked");
    }
  }
  for (const auto& [side, s] : link.sides) {
    if (!s.id.empty()) by_side_id_[key(side, s.id)] = link.link_id;
  }
  std::string id = link.link_id;
  links_.emplace(std::move(id), std::move(link));
  return Status::okStatus();
}

const Link* SyncState::find(std::string_view side, std::string_view id) const {
  auto it = by_side_id_.find(key(side, id));
  return it == by_side_id_.end() ? nullptr : link(it->second);
}

const Link* SyncState::link(std::string_view link_id) const {
  auto it = links_.find(std::string(link_id));
  return it == links_.end() ? nullptr : &it->second;
}

Link* SyncState::mutableLink(std::string_view link_id) {
  auto it = links_.find(std::string(link_id));
  return it == links_.end() ? nullptr : &it->second;
}

Status SyncState::setSideId(std::string_view link_id, std::string_view side, std::string_view id) {
  auto it = links_.find(std::string(link_id));
  if (it == links_.end()) {
    return Error::permanent(ErrorCode::kNotFound, "no link '" + std::string(link_id) + "'");
  }
  if (id.empty()) return Error::permanent(ErrorCode::kInvalidArgument, "empty id");
  std::string k = key(side, id);
  auto taken = by_side_id_.find(k);
  if (taken != by_side_id_.end() && taken->second != it->first) {
    return Error::permanent(ErrorCode::kAlreadyExists, std::string(side) + " customer '" +
                                                           std::string(id) + "' is linked to " +
                                                           taken->second);
  }
  SideLink& s = it->second.sides[std::string(side)];
  if (!s.id.empty() && s.id != id) by_side_id_.erase(key(side, s.id));
  s.id = std::string(id);
  by_side_id_[k] = it->first;
  return Status::okStatus();
}

Status SyncState::apply(const std::vector<Link>& links) {
  // Check every (side, id) first so a failing apply changes nothing.
  for (const Link& l : links) {
    for (const auto& [side, s] : l.sides) {
      if (s.id.empty()) continue;
      auto taken = by_side_id_.find(key(side, s.id));
      if (taken != by_side_id_.end() && taken->second != l.link_id) {
        return Error::permanent(ErrorCode::kAlreadyExists, side + " customer '" + s.id +
                                                               "' is linked to " + taken->second);
      }
    }
  }
  for (const Link& l : links) {
    auto old = links_.find(l.link_id);
    if (old != links_.end()) {
      for (const auto& [side, s] : old->second.sides) {
        if (!s.id.empty()) by_side_id_.erase(key(side, s.id));
      }
    }
    for (const auto& [side, s] : l.sides) {
      if (!s.id.empty()) by_side_id_[key(side, s.id)] = l.link_id;
    }
    links_[l.link_id] = l;
  }
  return Status::okStatus();
}

void SyncState::hold(std::string_view side, std::string_view id, std::string reason) {
  held_[key(side, id)] = std::move(reason);
}

void SyncState::release(std::string_view side, std::string_view id) { held_.erase(key(side, id)); }

const std::string* SyncState::heldReason(std::string_view side, std::string_view id) const {
  auto it = held_.find(key(side, id));
  return it == held_.end() ? nullptr : &it->second;
}

Status addFirstSync(SyncState& state, const MatchResult& result, std::string_view a_side,
                    std::string_view b_side) {
  for (const MatchedPair& p : result.pairs) {
    QIAO_RETURN_IF_ERROR(state.add(linkFromMatch(a_side, p.a_id, b_side, p.b_id)));
  }
  for (const ReviewGroup& g : result.review) {
    std::string reason = "first-sync review (" + std::string(toString(g.basis)) + "): " + g.reason;
    for (const std::string& id : g.a_ids) state.hold(a_side, id, reason);
    for (const std::string& id : g.b_ids) state.hold(b_side, id, reason);
  }
  return Status::okStatus();
}

}  // namespace qiao::sync
