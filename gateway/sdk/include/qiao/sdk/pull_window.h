// The (id, modified time) pairs a polling source already emitted inside its overlap window.
// Each poll re-reads the window (clock skew, late commits) and skips what is in here; pairs
// older than the window are forgotten, and a cap bounds the rest. Shared by the sources that
// poll (k3cloud, http); each keeps its own watermark text around it.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace qiao::sdk {

// Time: whatever orders the source's modified values (unix ms; canonical fixed-width text).
// IdLess: the order of ids within one time (the order the cap forgets them in).
template <class Time, class IdLess = std::less<std::string>>
class SeenWindow {
 public:
  using Ids = std::set<std::string, IdLess>;
  using ByTime = std::map<Time, Ids>;

  void add(const std::string& id, const Time& t) { by_time_[t].insert(id); }
  bool contains(const std::string& id, const Time& t) const {
    auto it = by_time_.find(t);
    return it != by_time_.end() && it->second.count(id) > 0;
  }
  size_t count() const {
    size_t n = 0;
    for (const auto& [_, ids] : by_time_) n += ids.size();
    return n;
  }
  bool empty() const { return by_time_.empty(); }
  // Forgets every pair modified before `bound`: a query from `bound` cannot return them.
  void forgetBefore(const Time& bound) {
    by_time_.erase(by_time_.begin(), by_time_.lower_bound(bound));
  }

  // Cap by whole instants: while more than `cap` pairs remain, forgets the oldest time with all
  // its ids, always keeping the newest one. *last_forgotten = the newest time it forgot (left
  // unchanged when none). Returns how many pairs it forgot.
  size_t capByInstant(size_t cap, std::optional<Time>* last_forgotten) {
    size_t n = count(), forgotten = 0;
    while (n > cap && by_time_.size() > 1) {
      auto oldest = by_time_.begin();
      n -= oldest->second.size();
      forgotten += oldest->second.size();
      *last_forgotten = oldest->first;
      by_time_.erase(oldest);
    }
    return forgotten;
  }
  // Cap by pairs: while more than `cap` pairs remain, forgets the oldest pair in (time, IdLess)
  // order. *last_time / *last_id = the last pair it forgot (left unchanged when none).
  size_t capByPair(size_t cap, Time* last_time, std::string* last_id) {
    size_t n = count(), forgotten = 0;
    while (n > cap && !by_time_.empty()) {
      auto& [t, ids] = *by_time_.begin();
      while (n > cap && !ids.empty()) {
        *last_time = t;
        *last_id = *ids.begin();
        ids.erase(ids.begin());
        --n;
        ++forgotten;
      }
      if (ids.empty()) by_time_.erase(by_time_.begin());
    }
    return forgotten;
  }

  typename ByTime::const_iterator begin() const { return by_time_.begin(); }
  typename ByTime::const_iterator end() const { return by_time_.end(); }
  bool operator==(const SeenWindow& other) const { return by_time_ == other.by_time_; }

 private:
  ByTime by_time_;
};

}  // namespace qiao::sdk
