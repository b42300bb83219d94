// qiao::sync::Service — the two-way customer sync behind a SQLite file, for the gateway.
//
// The gateway's built-in sink `sync` feeds canonical customers (docs/crm-model.md "Customer")
// tagged with the side they come from ("crm", "k3cloud", later "wecom"); the service decides
// (planner.h) and hands back the writes to make on the other sides. The gateway ingests each
// write into that side's route and, once the target took it (on_delivered), confirms it with
// the id the target gave. The service owns its own connection to the gateway's SQLite file
// (WAL, busy_timeout, BEGIN IMMEDIATE) and only its own tables, all named sync_*
// (docs/sync.md "The service"); it never touches another table.
//
//   ServiceOptions o;
//   o.sqlite_path = "data/qiao.db";
//   o.config = syncConfig;                  // sides, fields, owner, lifecycle policies
//   o.id_fields = {{"k3cloud", "k3Id"}};    // where each side's own id is in the JSON
//   auto svc = Service::open(o);            // loads what was committed before
//   auto r = (*svc)->ingestChange("crm", R"({"customerId":"C1","name":"苏州华东精密机械有限公司"})");
//   for (const SyncWrite& w : r->writes) enqueue(w);     // create on k3cloud, write id "w1"
//   ...on_delivered:  (*svc)->confirmWrite("w1", "100501");   // the new FCUSTID
//   ...dead letter:   (*svc)->failWrite("w1", "K/3 MsgCode 11: ...");
//
// Durability: every mutating call commits its rows in one SQLite transaction before it returns
// OK; when the commit fails, the in-memory state is reloaded from the file, so memory never
// runs ahead of what was committed. A process killed at any point reopens to exactly the last
// committed state: links, writes (pending, deferred, failed), conflicts, review list.
//
// Thread-safe: every call takes one mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/clock.h"
#include "qiao/core/result.h"
#include "qiao/sync/match.h"
#include "qiao/sync/model.h"

namespace qiao::sync {

struct ServiceOptions {
  std::string sqlite_path;       // the gateway's SQLite file (created if missing)
  int busy_timeout_ms = 5000;    // waits this long for another writer of the file
  bool synchronous_full = true;  // PRAGMA synchronous=FULL (NORMAL when false)
  SyncConfig config;             // sides (+ lifecycle policies, flag fields), fields, owner
  MatchKeys match_keys;          // natural keys for firstSync (and adopting created records)
  // Side -> the top-level JSON field holding that side's own id. Default "customerId" for
  // every side (a K/3 record must carry its FCUSTID there, or name another field here).
  std::map<std::string, std::string> id_fields;
  // The record's modification time (ISO-8601; "2026-11-27T02:00:00Z", "...+08:00", or a
  // wall clock read as UTC). Absent or empty: the time of ingest (clock).
  std::string modified_field = "modifiedAt";
  // Synced fields whose values are JSON (arrays, objects, numbers, booleans), e.g. contacts,
  // bankAccounts, creditLimit as a number: compared as canonical JSON text, written back as
  // JSON. Every other field is text (a number given there is kept as its text).
  std::vector<std::string> json_fields;
  // Until firstSync ran (recorded in the file), a customer with no cross-reference is put on
  // the review list ("waiting for the first sync") instead of planned: it may exist on the
  // other side under another id, and only the first sync's matching can tell. firstSync closes
  // those items. A file with links but no record of a first sync (an older one) counts as done.
  bool wait_for_first_sync = false;
  const Clock* clock = nullptr;  // nullptr = Clock::system()
};

// One write the gateway must make on a side. Stable: the same write id, idempotency key and
// content however often it is listed, also after a restart.
struct SyncWrite {
  std::string write_id;         // "w17": confirmWrite / failWrite take it
  std::string side;             // where to write ("crm", "k3cloud")
  std::string kind;             // create | update | delete | forbid | enable | flag
  std::string target_id;        // the customer on that side ("" for a create)
  std::string link_id;          // the cross-reference entry, e.g. "crm:C100001"
  // The canonical customer as it must be on that side after the write: every synced field the
  // side carries, its id field set to target_id (absent for a create), "status" (active |
  // forbidden | deleted, plus "deleted": true for a delete), and for a flag the side's
  // flag_field. Object keys sorted.
  std::string record_json;
  // The canonical fields this write changes (K/3 NeedUpDateFields, mapped to field keys by the
  // caller): update = only the changed fields; create = every field written; forbid / enable /
  // delete = {"status"}; flag = {flag_field}.
  std::vector<std::string> changed_fields;
  std::string idempotency_key;  // "qiao-sync-<write id>": send it to the target on every try
  std::string reason;           // "sync: phone", "new on crm", "delete on crm (mirror)"
};

// A record of a batch that could not be used (bad JSON, no id, unknown side...): never dropped
// silently, the rest of the batch goes on.
struct RejectedRecord {
  std::size_t index = 0;  // position in the batch
  std::string message;    // "record #3: name: expected a string, got an array"
};

struct IngestResult {
  std::vector<SyncWrite> writes;  // to make now (writes behind a pending create wait: below)
  std::size_t echoes = 0;         // records recognised as the gateway's own writes (or seen)
  std::size_t conflicts = 0;      // recorded in the conflicts log (newest-wins and ownership)
  std::size_t reviews = 0;        // records put on (or kept on) the review list
  std::size_t deferred = 0;       // writes held until a pending create on their side is confirmed
  std::vector<std::string> policy_notes;  // "delete on crm: flag -> k3cloud" (every lifecycle event)
  std::vector<RejectedRecord> rejected;   // ingestBatch only; ingestChange fails instead
};

struct FirstSyncResult {
  std::size_t pairs = 0;           // linked by natural key
  std::size_t review_groups = 0;   // ambiguous: on the review list, never created
  std::size_t unmatched_crm = 0, unmatched_k3 = 0;  // created on the other side
  std::size_t write_count = 0;     // pending writes made (creates and updates)
  // The writes themselves (creates for the unmatched, updates filling in pairs) — only when
  // firstSync was given no WritePages callback; with one, they went to it page by page.
  std::vector<SyncWrite> writes;
  std::size_t conflicts = 0;       // paired records whose values differ (newest wins)
  std::vector<RejectedRecord> rejected_crm, rejected_k3;
  std::vector<std::string> tax_code_problems;  // "k3cloud 100501: bad check character 9132..."
  // Why handing the writes to WritePages stopped ("" = all handed out). The first sync is
  // committed all the same; the rest are pending (pendingWrites).
  std::string handout_error;
  std::size_t waiting_resolved = 0;  // review items "waiting for the first sync" it closed
};

// The records of a first sync, read in two passes: each record once for its natural keys
// (only those stay in memory), then chunk by chunk in full while the plan is written. A caller
// with a big input (the gateway's request body) maps a record when it is asked for, so no list
// of every canonical customer is ever held.
class FirstSyncInput {
 public:
  virtual ~FirstSyncInput() = default;
  // Records of side 0 or 1 (the first two configured sides).
  virtual std::size_t size(std::size_t side) const = 0;
  // The canonical customer JSON of record `index`. An error rejects that record (listed in
  // FirstSyncResult::rejected_* with its index and the message); the others go on. Must give
  // the same answer on every call.
  virtual Result<std::string> record(std::size_t side, std::size_t index) const = 0;
};

// Receives the writes of a first sync after it committed, oldest first, a page at a time.
// An error stops the handing out; the writes not handed out stay pending (pendingWrites).
using WritePages = std::function<Status(std::vector<SyncWrite>&& page)>;

struct FirstSyncOptions {
  // Refuse the whole first sync (kInvalidArgument naming the first records as side[index])
  // when a record cannot be read, instead of leaving it out: a customer left out is created
  // on the other side by its next change — a duplicate when it is there already.
  bool refuse_bad_records = false;
  WritePages pages;  // empty: the writes are returned in FirstSyncResult::writes
  // Told how far a long first sync got: phase "keys" (records read for their keys), "plan"
  // (records planned and written), "handout" (writes handed out); done of total, after every
  // chunk. Called under the service's lock except for "handout": it must not call the service.
  std::function<void(std::string_view phase, std::size_t done, std::size_t total)> progress;
};

// What resolveReview decided.
struct ResolveResult {
  std::string link_id;             // the link made for the chosen pair ("" when none chosen)
  std::vector<SyncWrite> writes;   // merging the pair, creating the released members
};

// Counts for health pages and tests.
struct SyncCounts {
  std::size_t links = 0, pending = 0, deferred = 0, failed = 0, conflicts = 0,
              open_reviews = 0, held = 0;
};

class Service {
 public:
  // Opens (or creates) the sync_* tables in the file and loads the committed state. The config
  // must validate; every side in id_fields must be a configured side; a file written by a
  // newer format is refused.
  static Result<std::unique_ptr<Service>> open(const ServiceOptions& options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // One customer from `side` as canonical JSON. An echo (its content hash equals what the
  // gateway last wrote or saw there) gives nothing; otherwise it is planned against the links
  // and the returned writes are committed as pending in the same transaction. Errors:
  // kInvalidArgument for an unknown side or a bad record (the message names the field).
  Result<IngestResult> ingestChange(std::string_view side, std::string_view canonical_customer_json);
  // A pull page: every record of `side`, planned together, one commit. Bad records are listed
  // in IngestResult::rejected; a customer id twice in the page keeps its last occurrence.
  Result<IngestResult> ingestBatch(std::string_view side, const std::vector<std::string>& records);
  // Several sides at once (a cycle that read both): conflicts between them are found in
  // this call. side -> records.
  Result<IngestResult> ingestCycle(const std::map<std::string, std::vector<std::string>>& records);

  // The target took the write. A create records new_target_id as the customer's id on that
  // side (required for a create, ignored otherwise) and releases the writes that waited for
  // it, returned here with target_id filled. Confirming twice with the same id is OK;
  // kNotFound for an unknown write, kAlreadyExists when the id is linked to another customer.
  // A failed write may still be confirmed (a dead letter replayed).
  Result<std::vector<SyncWrite>> confirmWrite(const std::string& write_id,
                                              const std::string& new_target_id);
  // Several confirmations in one transaction (the gateway's confirmations that arrive
  // together): each decided as confirmWrite decides it, in order; one result per confirmation.
  // When the commit fails, every confirmation that had succeeded gets that error (and none of
  // them is kept).
  struct Confirmation {
    std::string write_id, new_target_id;
  };
  std::vector<Result<std::vector<SyncWrite>>> confirmWrites(const std::vector<Confirmation>& confirmations);
  // The write will not be made (dead letter): recorded with the reason and listed by
  // writesJson("failed"). Until it is confirmed after all, the side is known to still hold its
  // old values for the write's fields: seeing them there is not taken for a user's edit, and
  // the next write to that side carries them again.
  Status failWrite(const std::string& write_id, std::string_view reason);

  // First sync of existing data: matchCustomers over both lists (side names: the first two
  // configured sides), pairs linked and merged, ambiguous groups on the review list and held
  // (never created), the rest created on the other side. Run once, before the first ingest;
  // kAlreadyExists when links exist already. All of it is one transaction: a crash or an
  // error leaves nothing behind, and the first sync can simply run again.
  //
  // Memory: the natural keys of every record (the index), the links and the open writes' index
  // parts; records are planned and written kFirstSyncChunk at a time and dropped again. With
  // options.pages, the writes are handed to it after the commit, kFirstSyncChunk at a time,
  // instead of being returned.
  static constexpr std::size_t kFirstSyncChunk = 2000;
  Result<FirstSyncResult> firstSync(const FirstSyncInput& input, const FirstSyncOptions& options = {});
  Result<FirstSyncResult> firstSync(const std::vector<std::string>& crm_records,
                                    const std::vector<std::string>& k3_records);

  // Decides a review item. chosen_pair: side -> id of the customers that are the same (from the
  // item's members; empty = none of them are the same). The pair is linked and merged, the other
  // members are released and created elsewhere; the decision, user and time are kept.
  // kNotFound / kInvalidArgument (unknown member, already resolved, missing user).
  Result<ResolveResult> resolveReview(int64_t review_id,
                                      const std::map<std::string, std::string>& chosen_pair,
                                      std::string_view user);

  // JSON for the API (shapes in docs/sync.md "The service"); limit 1..10000.
  // GET /api/v1/sync/conflicts, newest first:
  // {"total":N,"items":[{"id","linkId","field","rule":"newest-wins"|"ownership","detail",
  //   "values":[{"side","id","value","modifiedAt"}],"winner":{"side","value"},"at"}]}
  Result<std::string> conflictsJson(std::size_t limit, std::size_t offset) const;
  // {"total":N,"items":[{"id","kind":"first_sync"|"change","status","reason",
  //   "members":[{"side","id","record"}],"createdAt","resolvedBy","resolvedAt","decision"}]},
  // oldest first; status "" or "open" = open only, "resolved", "all".
  Result<std::string> reviewJson(std::size_t limit, std::size_t offset,
                                 std::string_view status = "") const;
  // {"total":N,"items":[{"linkId","sides":{"crm":{"id","hash","forbidden","deleted"}},"base",
  //   "baseKnown"}]}
  // sorted by link id; side_filter/id_filter: only the link of that (side, id) when both given.
  Result<std::string> linksJson(std::size_t limit, std::size_t offset, std::string_view side_filter = "",
                                std::string_view id_filter = "") const;
  // {"total":N,"items":[{"writeId","side","kind","targetId","linkId","record","changedFields",
  //   "idempotencyKey","reason","status","failReason","createdAt","updatedAt"}]};
  // status: pending | deferred | failed | "" (all three), oldest first.
  Result<std::string> writesJson(std::string_view status, std::size_t limit, std::size_t offset) const;

  // Pending writes (handed out, not yet confirmed or failed), oldest first: what the gateway
  // must still make, e.g. to re-enqueue after a crash between ingest and enqueue.
  std::vector<SyncWrite> pendingWrites() const;
  // The same a page at a time: at most `limit`, after the write `after_write_id` ("" = from
  // the oldest). Pass the last write id of a page to get the next; an empty page is the end.
  std::vector<SyncWrite> pendingWrites(std::string_view after_write_id, std::size_t limit) const;
  SyncCounts counts() const;

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace qiao::sync
