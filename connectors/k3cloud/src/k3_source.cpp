#include "k3_source.h"

#include <algorithm>
#include <set>
#include <utility>

#include "qiao/core/log.h"

namespace qiao::connectors::k3cloud {
namespace {

using nlohmann::json;

bool sameKey(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return idText(v).empty() && v.is_number() ? v.dump() : idText(v);
}

// One spelling per instant (K/3 may or may not send milliseconds); unreadable text as it is.
std::string canonicalTime(const json& v) {
  std::string raw = text(v);
  auto ms = parseK3Time(raw);
  return ms ? canonicalK3Time(*ms) : raw;
}

}  // namespace

K3Source::K3Source(K3Config cfg, PullConfig pull, std::string instance_name)
    : pull_(std::move(pull)),
      instance_name_(std::move(instance_name)),
      client_(std::make_unique<K3Client>(std::move(cfg), instance_name_)) {}

sdk::Health K3Source::health() {
  Status st = client_->health();
  if (!st.ok()) return {false, st.error().message};
  return {true, "pulling " + pull_.form_id};
}

Result<sdk::PollResult> K3Source::poll(const std::string& watermark, size_t max_records) {
  auto decoded = decodePullWatermark(watermark, pull_.form_id);
  if (!decoded.ok()) return decoded.takeError();
  PullWatermark wm = std::move(decoded).value();
  const size_t want = std::max<size_t>(1, max_records);
  const size_t page_size = static_cast<size_t>(pull_.page_size);

  // Columns: key, modified time, number, then (shape rows) the configured fields.
  std::vector<std::string> columns = {pull_.key_field, pull_.modified_field, pull_.number_field};
  std::vector<size_t> row_index;  // shape rows: column of each field key
  for (const auto& k : pull_.field_keys) {
    size_t at = columns.size();
    for (size_t i = 0; i < columns.size(); ++i)
      if (sameKey(columns[i], k)) at = i;
    if (at == columns.size()) columns.push_back(k);
    row_index.push_back(at);
  }
  BillQuery q;
  q.form_id = pull_.form_id;
  for (const auto& c : columns) q.field_keys += (q.field_keys.empty() ? "" : ",") + c;
  q.order_string = pull_.modified_field + " ASC, " + pull_.key_field + " ASC";
  q.limit = pull_.page_size;

  std::string cursor;  // lower bound literal of the next page ("" = none: first pull)
  if (auto lower = wm.lowerBoundMs(pull_.overlap_ms)) cursor = filterK3Time(*lower);
  // Below the floor (what the max_seen cap forgot) everything counts as emitted: skip it in
  // the query too, so a huge same-instant group is not re-read from its start every poll.
  std::string floor_cond;
  if (!wm.floor_time.empty()) {
    auto floor_ms = parseK3Time(wm.floor_time);
    std::string t = floor_ms ? filterK3Time(*floor_ms) + wm.floor_time.substr(19) : wm.floor_time;
    bool numeric = wm.floor_id.find_first_not_of("0123456789") == std::string::npos;
    floor_cond = "(" + pull_.modified_field + " > " + sqlQuote(t) + " OR (" + pull_.modified_field +
                 " >= " + sqlQuote(t) + " AND " + pull_.key_field + " > " +
                 (numeric ? wm.floor_id : sqlQuote(wm.floor_id)) + "))";
  }
  std::set<std::pair<std::string, std::string>> taken;  // (id, mtime) picked by this poll
  std::vector<Candidate> fresh;
  bool more = false;
  int offset = 0;
  // Pages hold new bills (at most want + 1) or ones the watermark lists (at most max_seen),
  // each read at most twice (the page boundary is re-read from its second): bounded.
  const size_t max_pages = 4 + 2 * (want + static_cast<size_t>(pull_.max_seen)) / page_size + 2;
  size_t pages = 0;
  for (;; ++pages) {
    if (pages >= max_pages)
      return Error::transient(ErrorCode::kRemoteTransient,
                              "k3cloud source: " + pull_.form_id + " paging made no progress after " +
                                  std::to_string(pages) + " pages (rows changing while read?)");
    std::string cond = cursor.empty() ? "" : pull_.modified_field + " >= " + sqlQuote(cursor);
    if (!floor_cond.empty()) cond += (cond.empty() ? "" : " AND ") + floor_cond;
    if (!pull_.filter.empty())
      cond = cond.empty() ? "(" + pull_.filter + ")" : cond + " AND (" + pull_.filter + ")";
    q.filter_string = cond;
    q.start_row = offset;
    auto rows = client_->executeBillQuery(q);
    if (!rows.ok()) return rows.takeError();
    std::set<std::pair<std::string, std::string>> in_page;
    for (const auto& row : *rows) {
      if (!row.is_array() || row.size() < columns.size())
        return Error::permanent(ErrorCode::kRemotePermanent,
                                "k3cloud source: ExecuteBillQuery " + pull_.form_id +
                                    " returned a row without the " + std::to_string(columns.size()) +
                                    " requested fields");
      Candidate c;
      c.id = text(row[0]);
      c.mtime = canonicalTime(row[1]);
      c.number = text(row[2]);
      if (c.id.empty())
        return Error::permanent(ErrorCode::kRemotePermanent,
                                "k3cloud source: ExecuteBillQuery " + pull_.form_id +
                                    " returned a row without " + pull_.key_field);
      if (!in_page.insert({c.id, c.mtime}).second)
        return Error::permanent(
            ErrorCode::kConfigInvalid,
            "k3cloud source: ExecuteBillQuery " + pull_.form_id + " returned " + pull_.key_field +
                " " + c.id + " twice in one page: pull.field_keys, modified_field or filter name "
                "entry fields (one row per entry line); use header fields, or shape: model for "
                "the entries");
      if (wm.contains(c.id, c.mtime) || taken.count({c.id, c.mtime})) continue;
      if (fresh.size() >= want) {
        more = true;
        break;
      }
      if (pull_.shape == PullShape::kRows) {
        c.row = json::object();
        for (size_t i = 0; i < pull_.field_keys.size(); ++i)
          c.row[pull_.field_keys[i]] = row[row_index[i]];
      }
      taken.insert({c.id, c.mtime});
      fresh.push_back(std::move(c));
    }
    if (more || rows->size() < page_size) break;
    // Next page: from the last row's second (keyset: rows changed meanwhile cannot shift a
    // bill past the page boundary); a page entirely inside one second moves by offset.
    auto last = parseK3Time(text(rows->back()[1]));
    std::string next = last ? filterK3Time(*last) : "";
    if (next.empty() || next == cursor) {
      offset += pull_.page_size;
    } else {
      cursor = next;
      offset = 0;
    }
  }

  sdk::PollResult out;
  out.more = more;
  if (fresh.empty()) {
    out.watermark = watermark;
    return out;
  }
  for (const auto& c : fresh) {
    Record r;
    auto found = makeRecord(c, &r);
    if (!found.ok()) return found.takeError();
    wm.add(c.id, c.mtime);  // a bill deleted since the query is not looked at again either
    if (*found) out.records.push_back(std::move(r));
  }
  size_t forgotten = wm.prune(pull_.overlap_ms, static_cast<size_t>(pull_.max_seen));
  if (forgotten > 0)
    log::warn("k3cloud.pull_seen_cap",
              {{"connector", instance_name_}, {"form", pull_.form_id},
               {"forgotten", static_cast<long long>(forgotten)},
               {"max_seen", static_cast<long long>(pull_.max_seen)},
               {"note", "the oldest pairs now lie under the watermark's floor: a late commit below it "
                        "is not read; raise pull.max_seen"}});
  out.watermark = encodePullWatermark(wm);
  log::info("k3cloud.pull", {{"connector", instance_name_}, {"form", pull_.form_id},
                             {"records", static_cast<long long>(out.records.size())},
                             {"pages", static_cast<long long>(pages + 1)},
                             {"newest", wm.newest}, {"more", more ? "true" : "false"}});
  return out;
}

Result<bool> K3Source::makeRecord(const Candidate& c, Record* out) {
  out->entity = pull_.entity;
  out->source_system = instance_name_;
  out->business_key = c.number;
  out->idempotency_key = "k3:" + pull_.form_id + ":" + c.id + ":" + c.mtime;
  if (pull_.shape == PullShape::kRows) {
    out->payload = c.row.dump(-1, ' ', false, json::error_handler_t::replace);
    return true;
  }
  const std::string what = "K/3 View " + pull_.form_id + " " + c.id;
  json data = {{"CreateOrgId", 0}, {"Number", ""}, {"Id", c.id}, {"IsSortBySeq", false}};
  auto body = client_->call(std::string(service::kForm) + "View",
                            json{{"formid", pull_.form_id}, {"data", data}},
                            json{{"parameters", {pull_.form_id, data.dump()}}}, Replay::kSafe, what);
  if (!body.ok()) return body.takeError();
  auto st = findResponseStatus(*body);
  if (st && !st->is_success && st->msg_code == static_cast<int>(MsgCode::kDataNotFound)) {
    log::warn("k3cloud.pull_bill_gone", {{"connector", instance_name_}, {"form", pull_.form_id},
                                         {"id", c.id}, {"error", describeErrors(*st)}});
    return false;
  }
  auto reply = parseOpReply(*body, what);
  if (!reply.ok()) return reply.takeError();
  if (!reply->result.is_object())
    return Error::permanent(ErrorCode::kRemotePermanent, what + ": View returned no object");
  json model = viewToModel(reply->result, pull_.key_field, client_->config().lcid);
  if (out->business_key.empty())
    if (auto it = model.find(pull_.number_field); it != model.end()) out->business_key = text(*it);
  json payload = pull_.save_envelope
                     ? json{{"formid", pull_.form_id}, {"data", {{"Model", std::move(model)}}}}
                     : std::move(model);
  out->payload = payload.dump(-1, ' ', false, json::error_handler_t::replace);
  return true;
}

}  // namespace qiao::connectors::k3cloud
