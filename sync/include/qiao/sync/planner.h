// The sync planner: given the cross-reference and last-synced state, and the changes read from
// one or more sides, decides the writes for the other sides. Pure and deterministic: the same
// inputs give the same plan, byte for byte; nothing is read or written here.
//
// Per linked customer (a Link: the ids it has on each side plus the last synced content):
//  1. echo: an incoming record whose content hash equals the side's stored hash is what the
//     gateway wrote (or already saw) there: dropped, counted in Plan::echoes;
//  2. lifecycle: a delete / forbid / re-enable on a side applies that side's policy
//     (mirror | flag | ignore) to the other sides; every application is a PolicyApplication;
//  3. fields: an owned field comes from its owner (a non-owner's edit is written back over);
//     a shared field changed on one side takes that value; changed on several sides to
//     different values -> newest modified time wins, an exact tie goes to the side listed first
//     in SyncConfig::sides, and a Conflict is recorded;
//  4. writes: each other side gets an update carrying only the fields whose value differs
//     from what it holds (K/3 NeedUpDateFields), or nothing at all.
// Plan::links holds the new state of every touched link; commit it (SyncState::apply) once the
// writes have succeeded, then the gateway's own writes come back as echoes and stop there.
#pragma once

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "qiao/sync/model.h"

namespace qiao::sync {

struct SideLink {
  std::string id;          // the customer's id on that side; "" while its create is pending
  uint64_t hash = 0;       // content hash of the last synced state of that side (0 = unknown)
  bool forbidden = false;
  bool deleted = false;
  bool operator==(const SideLink&) const = default;
};

struct Link {
  std::string link_id;                    // stable, e.g. "crm:C100001"
  std::map<std::string, SideLink> sides;  // side name -> its state
  FieldMap base;                          // the last synced (merged) content
  bool base_known = false;                // false right after first-sync matching
  // The service's: false while `base` is only in its file (read when a change needs it).
  // The planner is always given links whose base is loaded.
  bool base_loaded = true;
  bool operator==(const Link&) const = default;
};

// A first-sync link for a matched pair: both ids, base unknown. Plan it with both records in
// the batches: fields only one side fills are copied, differing values are conflicts.
Link linkFromMatch(std::string_view a_side, std::string_view a_id, std::string_view b_side,
                   std::string_view b_id);

// The cross-reference plus last-synced state, indexed by (side, id).
class SyncState {
 public:
  // kAlreadyExists when the link id or one of its (side, id) is taken.
  Status add(Link link);
  const Link* find(std::string_view side, std::string_view id) const;
  const Link* link(std::string_view link_id) const;
  Link* mutableLink(std::string_view link_id);
  // Records the id a confirmed create got on `side`. kNotFound / kAlreadyExists.
  Status setSideId(std::string_view link_id, std::string_view side, std::string_view id);
  // Replaces (or adds) the links of a plan: call after its writes succeeded.
  Status apply(const std::vector<Link>& links);
  std::size_t size() const { return links_.size(); }
  const std::map<std::string, Link>& links() const { return links_; }

  // A customer held for review (an ambiguous first-sync match): while held, the planner puts
  // its changes on the review list instead of creating it elsewhere.
  void hold(std::string_view side, std::string_view id, std::string reason);
  void release(std::string_view side, std::string_view id);
  const std::string* heldReason(std::string_view side, std::string_view id) const;
  std::size_t heldCount() const { return held_.size(); }

 private:
  static std::string key(std::string_view side, std::string_view id);
  std::map<std::string, Link> links_;
  std::unordered_map<std::string, std::string> by_side_id_;  // side\x1fid -> link id
  std::unordered_map<std::string, std::string> held_;        // side\x1fid -> reason
};

struct MatchResult;
// The first-sync result into the state: a link (linkFromMatch) per pair, every id of every
// review group held. Unmatched ids are left alone: the first plan creates them elsewhere.
Status addFirstSync(SyncState& state, const MatchResult& result, std::string_view a_side,
                    std::string_view b_side);

struct ChangeBatch {
  std::string side;
  std::vector<CustomerRecord> records;  // as read from the side (full synced fields)
};

enum class WriteKind : uint8_t { kCreate, kUpdate, kDelete, kForbid, kEnable, kFlag };
std::string_view toString(WriteKind k);

struct Write {
  WriteKind kind = WriteKind::kUpdate;
  std::string side;       // where to write
  std::string target_id;  // the customer on that side; "" for kCreate (and a pending create)
  std::string link_id;
  FieldMap fields;        // create: all values; update: ONLY the changed fields; flag: the flag
  std::string reason;     // "crm changed name, phone", "delete on crm (mirror)"
  bool operator==(const Write&) const = default;
};

struct ConflictValue {
  std::string side, id, value;
  int64_t modified_ms = 0;
  bool operator==(const ConflictValue&) const = default;
};

struct Conflict {
  std::string link_id, field;
  std::vector<ConflictValue> values;  // every side that changed the field, in side order
  std::string winner_side, winner_value;
  std::string rule;                   // "newest", "tie: first side", "first sync: newest"
  bool operator==(const Conflict&) const = default;
};

// A non-owner's edit of an owned field, written back over with the owner's value.
struct Override {
  std::string link_id, field, side, id, value;  // the overruled edit
  std::string owner, owner_value;
  bool operator==(const Override&) const = default;
};

struct PolicyApplication {
  std::string link_id, side, id;  // where the event happened
  std::string event;              // "delete", "forbid", "enable"
  LifecyclePolicy policy = LifecyclePolicy::kIgnore;
  std::vector<std::string> written_sides;  // sides that got a write for it
  std::string note;               // e.g. "k3 has no flag_field: not flagged"
  bool operator==(const PolicyApplication&) const = default;
};

struct ReviewItem {
  std::string side, id, reason;
  bool operator==(const ReviewItem&) const = default;
};

struct Echo {
  std::string side, id;
  bool operator==(const Echo&) const = default;
};

struct Plan {
  std::vector<Write> writes;                 // by link id, then side order
  std::vector<Conflict> conflicts;
  std::vector<Override> overrides;
  std::vector<PolicyApplication> policies;
  std::vector<ReviewItem> review;
  std::vector<Echo> echoes;
  std::vector<Link> links;                   // new state of every touched link
};

// kInvalidArgument for an unknown side, an empty id or an id twice in one side's batches
// (the message names side, batch position and id); the config must validate.
Result<Plan> plan(const SyncConfig& config, const SyncState& state,
                  const std::vector<ChangeBatch>& batches);

}  // namespace qiao::sync
