// Service internals shared by service.cpp (open, load, persist, confirm, fail), service_plan.cpp
// (ingest, first sync, review decisions) and service_json.cpp (JSON in and out).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "qiao/sync/planner.h"
#include "qiao/sync/service.h"
#include "sqlite_sync_store.h"

namespace qiao::sync {

// A write not confirmed yet: pending (handed out), deferred (waits for the create of its side)
// or failed (dead letter). Confirmed and superseded writes live only in the table. Between
// calls only the index part is in memory (seq, ids, side, kind, status, times; loaded =
// false); the rest (record, fields, prior, reason...) is read from sync_writes by seq when a
// call needs it (ensureLoaded) and dropped again once the call committed.
struct OpenWrite {
  int64_t seq = 0;
  SyncWrite w;
  std::string status;        // pending | deferred | failed
  FieldMap fields;           // the values written (create / update / flag)
  FieldMap prior;            // the target side's values of those fields before the write
  bool prior_forbidden = false;
  std::string fail_reason;
  int64_t created_ms = 0, updated_ms = 0;
  bool loaded = true;  // false: record_json, changed_fields, idempotency_key, reason, fields,
                       // prior, prior_forbidden and fail_reason are only in the table
};

struct ConflictRow {
  std::string link_id, field, rule, detail, values_json, winner_side, winner_value;
};

struct ReviewMember {
  std::string side, id, record_json;  // record_json: the canonical customer as last seen
};

struct ReviewUpsert {
  std::string kind;  // first_sync | change
  std::string key;   // "change:<side>:<id>" (one open item per customer) or "first_sync:<key>"
  std::string reason;
  std::vector<ReviewMember> members;
  bool hold = false;  // first sync: every member is held while the item is open
};

struct Service::Impl {
  ServiceOptions opts;
  const Clock* clock = nullptr;
  mutable std::mutex mu;
  std::unique_ptr<detail::SyncDb> db;
  std::set<std::string> json_fields;

  SyncState state;                          // links as they are once every write landed
  std::map<int64_t, OpenWrite> open;        // by seq (oldest first)
  std::unordered_map<std::string, int64_t> seq_of;  // write id -> seq, open writes only
  // (link id, side) -> its open writes, oldest first; kept with `open` by addOpen / closeWrite.
  std::map<std::pair<std::string, std::string>, std::set<int64_t>> by_target;
  // Open creates whose target id is still unknown, by side.
  std::map<std::string, std::set<int64_t>> open_creates;
  std::vector<int64_t> loaded_now;         // open writes loaded by the running call
  std::vector<std::string> bases_loaded_now;  // links whose base the running call read
  int64_t next_seq = 1;
  std::optional<Error> broken;              // memory could not be reloaded: every call fails
  bool first_sync_done = false;             // ServiceOptions::wait_for_first_sync

  // What the running call changed, written by persist().
  std::set<std::string> dirty_links;
  // (link id, side) whose side id alone changed (a confirmed create): that side's row only,
  // unless the whole link is dirty too.
  std::vector<std::pair<std::string, std::string>> dirty_side_ids;
  std::set<int64_t> dirty_writes;           // open writes to upsert
  std::vector<OpenWrite> closed;            // left memory: confirmed / superseded
  std::vector<std::string> closed_status;   // parallel to closed
  std::vector<ConflictRow> new_conflicts;
  std::vector<ReviewUpsert> new_reviews;
  std::vector<std::pair<std::string, std::string>> released;  // holds dropped (side, id)

  int64_t nowMs() const { return clock->nowMs(); }
  std::string idField(std::string_view side) const;

  Status load();
  // After a call committed (or rolled back): the dirt forgotten, loaded parts dropped. Bases go
  // back to the file unless their link has open writes — or always, with evict_every_base (a
  // first sync, whose every link has an open write).
  void clearDirt(bool evict_every_base = false);
  // The rows of what the running call changed, inside the caller's transaction.
  Status writeDirt();
  // BEGIN; the dirt (plus `extra` in the same transaction); COMMIT. On failure: rollback,
  // reload, the error.
  Status persist(const std::function<Status()>& extra = {});
  // Pending writes with seq > after_seq, oldest first, read from sync_writes.
  Result<std::vector<SyncWrite>> pendingPage(int64_t after_seq, std::size_t limit) const;
  Error fail(Error e);

  // Planning (service_plan.cpp).
  // The first sync up to its commit: keys, matching, review items, the plan chunk by chunk in
  // one transaction. An error has rolled back and reloaded (fail) already.
  Status planFirstSync(const FirstSyncInput& input, const FirstSyncOptions& options,
                       FirstSyncResult* out);
  Result<IngestResult> ingest(std::vector<ChangeBatch> batches,
                              const std::map<std::string, std::map<std::string, std::string>>& raw,
                              bool first_sync, IngestResult out);
  // The writes waiting for (link, side)'s create, now pending with the id: appended to out.
  Status releaseDeferred(const std::string& link_id, const std::string& side,
                         std::vector<SyncWrite>* out);
  // The link's base read from sync_links when it is not in memory (Link::base_loaded). Bases
  // stay in memory only while the link has open writes; the others are dropped after each call.
  Status ensureBase(const std::string& link_id);
  // The open write with everything loaded (read from sync_writes when it is not).
  Result<OpenWrite*> ensureLoaded(int64_t seq);
  // A loaded copy of w, memory left as it is (for the read-only calls).
  Result<OpenWrite> loadedCopy(const OpenWrite& w) const;
  Result<std::vector<SyncWrite>> confirmOne(const std::string& write_id,
                                            const std::string& new_target_id);
  void addOpen(OpenWrite w);
  // The open writes to (link, side), oldest first (a copy: callers may close some).
  std::vector<int64_t> openTo(const std::string& link_id, const std::string& side) const;
  void closeWrite(int64_t seq, const std::string& status, const std::string& new_target_id);
  std::string recordJsonFor(const Link& link, const std::string& side, const std::string& kind,
                            const std::string& target_id, const FieldMap& changed) const;

  // JSON (service_json.cpp).
  // The canonical customer of `side` as a record; errors name the field.
  Result<CustomerRecord> parseCustomer(std::string_view side, std::string_view json) const;
};

// The review reason of a customer held back until the first sync (wait_for_first_sync).
inline constexpr const char* kWaitingForFirstSync =
    "waiting for the first sync: not created (POST /api/v1/sync/first-sync matches it first)";

// Parsed records of one side, with what ingest needs to know about their raw values.
struct Parsed {
  ChangeBatch batch;
  std::map<std::string, std::string> raw;  // id\x1f field -> value, id\x1f -> "", id\x1e -> JSON
  std::vector<RejectedRecord> rejected;
};
// Canonical JSON records of `side` parsed (service_plan.cpp); a customer id twice keeps its
// last occurrence. A bad record is an error with fail_on_bad, else listed in `rejected`.
Result<Parsed> parseAll(const Service::Impl& m, std::string_view side,
                        const std::vector<std::string>& records, bool fail_on_bad);

// service_json.cpp helpers.
std::string fieldsJson(const FieldMap& fields);
Result<FieldMap> fieldsFromJson(std::string_view json);
std::string stringsJson(const std::vector<std::string>& items);
std::vector<std::string> stringsFromJson(std::string_view json);
std::string hashText(uint64_t h);
uint64_t hashFromText(std::string_view text);
std::string priorJson(const OpenWrite& w);
void priorFromJson(std::string_view json, OpenWrite* w);
std::string membersJson(const std::vector<ReviewMember>& members);
std::vector<ReviewMember> membersFromJson(std::string_view json);
std::string isoTime(int64_t ms);

}  // namespace qiao::sync
