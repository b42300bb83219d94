// Shared by the sync service tests: a fake clock, the test config, and an in-memory side that
// takes the service's writes the way the CRM / K/3 would (new ids for creates, its own
// modification time on every change).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qiao/core/datetime.h"
#include "qiao/core/timezone.h"
#include "qiao/sync/service.h"

namespace qiao::sync::test {

class FakeClock final : public Clock {
 public:
  int64_t nowMs() const override { return now; }
  int64_t now = 1795996800000;  // 2026-11-30T00:00:00Z
};

inline SyncConfig serviceConfig(LifecyclePolicy crm_delete = LifecyclePolicy::kMirror,
                                LifecyclePolicy k3_forbid = LifecyclePolicy::kMirror) {
  SyncConfig c;
  c.sides = {{"crm", crm_delete, LifecyclePolicy::kMirror, "syncRemark", {}},
             {"k3cloud", LifecyclePolicy::kFlag, k3_forbid, "remark", {}}};
  c.fields = {"name", "shortName", "taxRegisterCode", "phone", "address", "grade", "creditLimit",
              "contacts"};
  c.owner = {{"grade", "crm"}, {"creditLimit", "k3cloud"}};
  return c;
}

inline ServiceOptions serviceOptions(const std::string& path, const FakeClock* clock,
                                     SyncConfig config = serviceConfig()) {
  ServiceOptions o;
  o.sqlite_path = path;
  o.synchronous_full = false;  // tests: the file is thrown away
  o.config = std::move(config);
  o.id_fields = {{"k3cloud", "k3Id"}};
  o.json_fields = {"contacts"};
  o.clock = clock;
  return o;
}

// One system holding customers as canonical JSON objects.
struct SideSim {
  std::string name, id_field, prefix;
  FakeClock* clock = nullptr;
  int next_id = 1;
  std::map<std::string, nlohmann::json> records;

  SideSim(std::string n, std::string idf, std::string pre, FakeClock* c)
      : name(std::move(n)), id_field(std::move(idf)), prefix(std::move(pre)), clock(c) {}

  std::string stamp() const { return formatIso8601(clock->now, *TimeZone::utc()); }

  // A user creates a customer here.
  std::string create(nlohmann::json rec) {
    std::string id = prefix + std::to_string(next_id++);
    rec[id_field] = id;
    if (!rec.contains("status")) rec["status"] = "active";
    rec["modifiedAt"] = stamp();
    records[id] = std::move(rec);
    return id;
  }
  // A user edits a field (null removes it).
  void edit(const std::string& id, const std::string& field, nlohmann::json value) {
    nlohmann::json& r = records.at(id);
    if (value.is_null()) r.erase(field);
    else r[field] = std::move(value);
    r["modifiedAt"] = stamp();
  }
  std::string json(const std::string& id) const { return records.at(id).dump(); }

  // The gateway's write arrives; returns the id the customer has here.
  std::string apply(const SyncWrite& w) {
    nlohmann::json body = nlohmann::json::parse(w.record_json);
    if (w.kind == "create") {
      EXPECT_TRUE(w.target_id.empty());
      EXPECT_FALSE(body.contains(id_field)) << w.record_json;
      return create(body);
    }
    EXPECT_FALSE(w.target_id.empty()) << w.write_id << " " << w.kind;
    EXPECT_EQ(body.value(id_field, ""), w.target_id);
    nlohmann::json& r = records.at(w.target_id);
    if (w.kind == "update" || w.kind == "flag") {
      for (const std::string& f : w.changed_fields) {
        if (!body.contains(f) || body[f].is_null()) r.erase(f);
        else r[f] = body[f];
      }
    } else if (w.kind == "forbid" || w.kind == "enable") {
      r["status"] = w.kind == "forbid" ? "forbidden" : "active";
    } else if (w.kind == "delete") {
      r["status"] = "deleted";
      r["deleted"] = true;
    }
    r["modifiedAt"] = stamp();
    return w.target_id;
  }
};

// Delivers writes to the sides and confirms them (plus whatever the confirmations release).
// Returns (side, id) of every record written, for the next cycle's echoes.
inline std::vector<std::pair<std::string, std::string>> deliver(
    Service& svc, std::map<std::string, SideSim*> sides, std::vector<SyncWrite> writes) {
  std::vector<std::pair<std::string, std::string>> touched;
  for (std::size_t i = 0; i < writes.size() && i < 1000000; ++i) {
    const SyncWrite w = writes[i];
    std::string id = sides.at(w.side)->apply(w);
    touched.emplace_back(w.side, id);
    auto released = svc.confirmWrite(w.write_id, w.kind == "create" ? id : "");
    EXPECT_TRUE(released.ok()) << released.error().message;
    if (released.ok()) writes.insert(writes.end(), released->begin(), released->end());
  }
  return touched;
}

inline nlohmann::json company(const std::string& name, const std::string& tax,
                              const std::string& phone) {
  return {{"name", name}, {"taxRegisterCode", tax}, {"phone", phone}};
}

}  // namespace qiao::sync::test
