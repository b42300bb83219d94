// The pieces of the `k3cloud` source that need no network: its `pull:` settings, K/3 modify
// times, the watermark (newest modify time + the (id, modify time) pairs already emitted inside
// the overlap window) and the View → Model conversion. Unit-testable on plain values.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/sdk/field_spec.h"
#include "qiao/sdk/pull_window.h"

namespace qiao::connectors::k3cloud {

enum class PullShape {
  kModel,  // one record per bill: View's object turned into the Save-Model shape
  kRows,   // one record per ExecuteBillQuery row: {"<field key>": value, ...}
};

struct PullConfig {
  std::string form_id;                         // required, e.g. AR_RECEIVEBILL
  std::string modified_field = "FModifyDate";  // the watermark field
  std::string key_field;     // "" = the form's key field (FID; FCUSTID for BD_Customer, ...)
  std::string number_field;  // "" = the form's number field (FBillNo; FNumber for base data)
  std::string filter;        // extra FilterString, AND-ed (in parentheses)
  int64_t overlap_ms = 300'000;
  int page_size = 2000;
  PullShape shape = PullShape::kModel;
  std::vector<std::string> field_keys;  // kRows: the columns (header fields)
  std::string entity;                   // "" = the form id
  bool save_envelope = false;  // envelope: save → {"formid":..,"data":{"Model":..}}
  int max_seen = 5000;         // cap on the (id, modify time) pairs the watermark keeps
};

// The children of the `pull:` settings block (config validation and docs).
std::vector<sdk::FieldSpec> pullFieldSpecs();

// The `pull` object of the connector's settings JSON. Missing → kConfigInvalid naming what a
// source needs; every problem is reported at once.
Result<PullConfig> parsePullConfig(const std::string& settings_json);

// K/3 datetimes ("yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss[.f..]", 'T' also accepted), read as a naive
// wall-clock instant in ms (K/3 sends server local time without a zone; only differences and
// order matter here). nullopt when the text is not such a time.
std::optional<int64_t> parseK3Time(std::string_view text);
// "yyyy-MM-ddTHH:mm:ss.fff": one spelling per instant, so pairs and keys compare as text.
std::string canonicalK3Time(int64_t ms);
// "yyyy-MM-dd HH:mm:ss", floored to the second: a FilterString literal.
std::string filterK3Time(int64_t ms);

// K/3 ids in the query's order: numbers numerically (shorter digit strings first), else text.
struct IdOrder {
  bool operator()(const std::string& a, const std::string& b) const;
};

// What the source remembers between polls. Text form (bounded by max_seen):
// {"v":1,"form":"AR_RECEIVEBILL","newest":"2026-11-27T10:00:00.123",
//  "seen":{"2026-11-27T09:58:00.000":["100231","100232"], ...},
//  "floor":{"t":"2026-11-27T09:57:00.000","id":"100230"}}   (only after the cap was hit)
struct PullWatermark {
  std::string form;
  std::string newest;  // canonical modify time of the newest emitted bill; "" = none yet
  sdk::SeenWindow<std::string, IdOrder> seen;  // canonical modify time → ids
  // Every pair at or below (floor_time, floor_id) in (modify time, id) order counts as emitted:
  // what the cap forgot. "" = no floor.
  std::string floor_time, floor_id;

  // floor_to_second(max(newest - overlap, floor_time)): the query's lower bound (nullopt: no
  // watermark yet).
  std::optional<int64_t> lowerBoundMs(int64_t overlap_ms) const;
  bool contains(const std::string& id, const std::string& mtime) const;
  void add(const std::string& id, const std::string& mtime);
  size_t seenCount() const;
  // Forgets pairs below lowerBoundMs (the next query cannot return them), then, while more
  // than cap remain, the oldest pairs in (modify time, id) order, raising the floor over them
  // so they are not emitted again. Returns how many the cap forgot.
  size_t prune(int64_t overlap_ms, size_t cap);
};

// "" → an empty watermark for the form. A watermark of another form, or text that is not one,
// is a permanent kInvalidArgument error that says how to start over.
Result<PullWatermark> decodePullWatermark(const std::string& text, const std::string& form);
std::string encodePullWatermark(const PullWatermark& wm);

// View's Result.Result (property names) → the Save-Model shape the mappings read (field keys):
// property P → "F"+P ("F_..." custom fields kept), "Id" → key_field on the header and FEntryID
// on entry rows, base-data references {"Id","Number","Name"} → {"FNumber": Number} (their
// "<P>_Id" twins dropped), multilingual [{"Key":lcid,"Value":..}] → the text for lcid (else the
// first), entity arrays → arrays of converted rows.
nlohmann::json viewToModel(const nlohmann::json& view, const std::string& key_field, int lcid);

}  // namespace qiao::connectors::k3cloud
