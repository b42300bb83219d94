// Engine internals shared by the engine_*.cpp files. Not installed.
//
// Amounts are held as Int128 "units" at Config::scale (the coefficient of a Decimal at that
// scale), so comparisons and sums are plain integer operations. Inputs are limited to 10^17
// units, so no sum the engine forms can come near the Int128 range.
#pragma once

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "qiao/recon/engine.h"
#include "qiao/recon/rows.h"

namespace qiao::recon {

using Units = Int128;
inline constexpr uint32_t kNone = 0xFFFFFFFFu;

struct OrderRec {
  std::string order_no;
  std::string erp_bill_no;
  uint32_t cust = 0, cur = 0, group = 0;
  Date order_date = 0;
  Date planned = 0;
  bool has_planned = false;
  bool changed = false;  // queued for takeChangedOrders
  Units amount = 0, paid_before = 0, allocated = 0, written_off = 0;
  std::vector<uint32_t> allocs;  // allocation indexes (live and dead)
  Units open() const {
    Units v = amount - paid_before - allocated - written_off;
    return v > 0 ? v : 0;
  }
};

enum class CustSource : uint8_t { kNone, kGiven, kResolver, kPayerName, kReference, kManual };

struct PaymentRec {
  Payment p;
  uint32_t cur = 0;
  uint32_t cust = kNone;
  CustSource cust_source = CustSource::kNone;
  Units amount = 0, allocated = 0;
  Units cancelled = 0;       // original: unallocated part cancelled by reversals
  Units reversed_total = 0;  // original: total cancelled or unwound by reversals
  bool processed = false, held = false;
  uint32_t notes = 0;
  uint32_t reversal_of = kNone;
  uint32_t avail_group = kNone;  // member of that group's avail set
  bool in_unknown_open = false;
  uint64_t last_try_epoch = 0;
  bool unsaved = false;  // queued in Impl::unsaved_pays
  std::vector<uint32_t> allocs;
  // Positive payment: what is still free to allocate.
  Units available() const { return amount - allocated - cancelled; }
};

struct AllocRec {
  uint32_t pay = 0, ord = 0;
  Units amount = 0, difference = 0, unwound = 0;
  uint8_t rule = 0;  // index into kRuleNames
  bool manual = false, overpayment = false, live = true;
  bool saved = false, unsaved = false;  // written by writeChanges / queued in unsaved_allocs
  double confidence = 0;
  int64_t seq = 0, unwinds_seq = 0, at_ms = 0;
  uint32_t unwinds = kNone;  // reversal: index of the allocation it unwinds
  std::string user, reason;
};

enum RuleId : uint8_t { kIdReference, kIdExact, kIdTolerance, kIdOldest, kIdReversal, kIdManual };
std::string_view ruleName(uint8_t id);
Result<uint8_t> ruleIdFromName(std::string_view name);



// Ordering of a group's open orders: oldest first, then by order_no (input-order independent).
struct AgeLess {
  const std::deque<OrderRec>* orders = nullptr;
  bool operator()(uint32_t a, uint32_t b) const {
    const OrderRec& x = (*orders)[a];
    const OrderRec& y = (*orders)[b];
    if (x.order_date != y.order_date) return x.order_date < y.order_date;
    return x.order_no < y.order_no;
  }
};
// Set keys carry the first sort field inline, so most comparisons touch no order record.
struct AgeKey {
  Date date;
  uint32_t ord;
};
struct AgeKeyLess {
  AgeLess age;
  bool operator()(const AgeKey& a, const AgeKey& b) const {
    if (a.date != b.date) return a.date < b.date;
    if (a.ord == b.ord) return false;
    return (*age.orders)[a.ord].order_no < (*age.orders)[b.ord].order_no;
  }
};
struct AmountKey {
  Units open;
  uint32_t ord;
};
struct AmountLess {
  AgeLess age;
  bool operator()(const AmountKey& a, const AmountKey& b) const {
    if (a.open != b.open) return a.open < b.open;
    if (a.ord == b.ord) return false;
    if (a.ord == kNone || b.ord == kNone) return a.ord == kNone;
    return age(a.ord, b.ord);
  }
};
struct PayLess {
  const std::deque<PaymentRec>* pays = nullptr;
  bool operator()(uint32_t a, uint32_t b) const {
    const PaymentRec& x = (*pays)[a];
    const PaymentRec& y = (*pays)[b];
    if (x.p.date != y.p.date) return x.p.date < y.p.date;
    return x.p.payment_id < y.p.payment_id;
  }
};

// One customer in one currency: its open orders and its payments with money left.
struct Group {
  uint32_t cust = 0, cur = 0;
  std::set<AgeKey, AgeKeyLess> by_age;
  std::set<AmountKey, AmountLess> by_amount;
  std::set<uint32_t, PayLess> avail;
  uint64_t dirty_epoch = 0;  // last time an order was added or reopened
  std::vector<uint32_t> pending;  // open orders added since the sets were last filled
  Group(uint32_t c, uint32_t k, AgeLess a, PayLess p)
      : cust(c), cur(k), by_age(AgeKeyLess{a}), by_amount(AmountLess{a}), avail(p) {}
};

// Open-addressing multi-map from a 64-bit key hash to (order, key kind). Hits are verified
// against the order's own key text, so hash collisions cost a comparison, never a wrong match.
class RefIndex {
 public:
  enum Kind : uint8_t { kOrderNo, kOrderDigits, kErpNo, kErpDigits };
  void insert(uint64_t hash, uint32_t ord, Kind kind);
  template <typename F>
  void find(uint64_t hash, F&& f) const {
    if (slots_.empty()) return;
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.ord == kNone) return;
      if (s.hash == hash) f(s.ord, static_cast<Kind>(s.kind));
    }
  }
  void reserve(std::size_t keys) {
    while (slots_.size() * 6 < keys * 10) grow();
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t ord = kNone;
    uint8_t kind = 0;
  };
  void grow();
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};
uint64_t hashKey(std::string_view s);

// Open-addressing map from an id (order_no, payment_id) to its record index. The id text
// lives in the record (KeyFn reads it back), so a slot is 8 bytes and lookups compare text
// only on a 32-bit hash hit. Map-like surface: find() / end() / ->second, emplace, at.
template <typename KeyFn>
class IdIndex {
 public:
  struct Slot {
    uint32_t hash = 0;
    uint32_t second = kNone;
  };
  explicit IdIndex(KeyFn key) : key_(key) {}
  const Slot* end() const { return nullptr; }
  const Slot* find(std::string_view id) const {
    if (slots_.empty()) return nullptr;
    uint32_t h = hash32(id);
    std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.second == kNone) return nullptr;
      if (s.hash == h && key_(s.second) == id) return &s;
    }
  }
  uint32_t at(std::string_view id) const { return find(id)->second; }
  // The id must not be present yet.
  void emplace(std::string_view id, uint32_t idx) {
    if ((size_ + 1) * 10 > slots_.size() * 7) rehash(slots_.empty() ? 1024 : slots_.size() * 2);
    place(Slot{hash32(id), idx});
    ++size_;
  }
  void reserve(std::size_t n) {
    std::size_t want = 1024;
    while (want * 7 < n * 10) want *= 2;
    if (want > slots_.size()) rehash(want);
  }

 private:
  static uint32_t hash32(std::string_view id) {
    auto h = static_cast<uint64_t>(std::hash<std::string_view>{}(id));
    return static_cast<uint32_t>(h ^ (h >> 32));
  }
  void place(Slot s) {
    std::size_t mask = slots_.size() - 1;
    std::size_t i = s.hash & mask;
    while (slots_[i].second != kNone) i = (i + 1) & mask;
    slots_[i] = s;
  }
  void rehash(std::size_t n) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(n, Slot{});
    for (const Slot& s : old) {
      if (s.second != kNone) place(s);
    }
  }
  KeyFn key_;
  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

struct StringHash {  // lets the maps be searched with a string_view, no temporary string
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Interner {
  std::vector<std::string> names;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> ids;
  uint32_t intern(std::string_view s);
  uint32_t find(std::string_view s) const;  // kNone if unknown
};

struct Engine::Impl {
  Config cfg;
  CustomerResolver resolver;
  Units tol_abs = 0;
  bool has_tol_abs = false;
  Units tol_pct_units = 0;  // percent * 10^scale (e.g. 0.5 % at scale 2 = 50)
  bool has_tol_pct = false;

  std::deque<OrderRec> orders;
  std::deque<PaymentRec> pays;
  std::vector<AllocRec> allocs;
  struct OrderNoOf {
    const std::deque<OrderRec>* orders;
    std::string_view operator()(uint32_t i) const { return (*orders)[i].order_no; }
  };
  struct PaymentIdOf {
    const std::deque<PaymentRec>* pays;
    std::string_view operator()(uint32_t i) const { return (*pays)[i].p.payment_id; }
  };
  IdIndex<OrderNoOf> order_by_no{OrderNoOf{&orders}};
  IdIndex<PaymentIdOf> pay_by_id{PaymentIdOf{&pays}};
  RefIndex refs;
  Interner customers, currencies;
  std::vector<std::vector<uint32_t>> cust_groups;  // customer -> groups
  std::vector<Group> groups;
  std::unordered_map<uint64_t, uint32_t> group_by_key;
  std::unordered_map<std::string, uint32_t> name_to_cust;  // kNone-1 = ambiguous
  std::vector<CustomerName> customer_names;
  std::unordered_map<uint64_t, std::vector<uint32_t>> positive_by_amount;  // reversal lookup
  std::set<uint32_t, PayLess> unknown_open;  // unknown customer, money left, not held
  std::vector<uint32_t> pending;             // not yet processed
  std::vector<uint32_t> changed_orders;
  std::vector<ManualAction> manual_log;
  int64_t next_seq = 1;
  uint64_t epoch = 1;
  uint64_t orders_added_epoch = 0;
  uint64_t last_run_epoch = 0;
  // What writeChanges still has to write.
  std::vector<uint32_t> unsaved_orders, unsaved_pays, unsaved_allocs;
  std::vector<int64_t> removed_saved_seqs;
  std::size_t saved_names = 0, saved_log = 0;
  bool full_write = false;

  Impl(Config c, CustomerResolver r);

  // conversions
  Result<Units> toUnits(const Decimal& d, std::string_view field) const;
  Decimal fromUnits(Units u) const;

  // ingest
  Result<IngestOutcome> addOrder(Order o);
  Result<IngestOutcome> addPayment(Payment p);
  Result<IngestOutcome> updateOrder(uint32_t ord, Order o);
  void indexReferences(uint32_t ord);
  Order orderOf(const OrderRec& r) const;
  uint32_t groupFor(uint32_t cust, uint32_t cur);

  // New orders wait in Group::pending and enter the ordered sets in bulk (sorted, hinted
  // inserts) before anything reads or changes the sets.
  std::vector<uint32_t> groups_with_pending;
  void flushPending();

  // index maintenance around a change of an order's open amount
  void beforeOrderChange(uint32_t ord);
  void afterOrderChange(uint32_t ord, bool reopened);
  void refreshAvail(uint32_t pay);

  // matching (engine_match.cpp)
  RunStats run();
  void processPayment(uint32_t pay, RunStats& stats, bool retry);
  void resolveCustomer(PaymentRec& p);
  void ruleReference(uint32_t pay, RunStats& stats);
  void ruleExact(uint32_t pay, RunStats& stats);
  void ruleTolerance(uint32_t pay, RunStats& stats);
  bool withinTolerance(Units open, Units diff) const;
  void ruleOldest(uint32_t pay, RunStats& stats);
  bool processReversal(uint32_t pay, RunStats& stats);
  uint32_t allocate(uint32_t pay, uint32_t ord, Units amount, Units difference, uint8_t rule,
                    double confidence);
  void removeAllocation(uint32_t a);
  // Lowers an automatic allocation by `by` (< its amount); its fee write-off is dropped.
  void shrinkAllocation(uint32_t a, Units by);
  double customerFactor(const PaymentRec& p) const;

  Status checkInvariants() const;
  State exportState() const;
  PaymentState paymentState(uint32_t pay) const;
  Allocation allocation(uint32_t a) const;
  void touchPayment(uint32_t pay) {
    if (!pays[pay].unsaved) {
      pays[pay].unsaved = true;
      unsaved_pays.push_back(pay);
    }
  }
  void markAllSaved();
  Status writeRows(const RowWriter& w, bool all) const;
};

}  // namespace qiao::recon
