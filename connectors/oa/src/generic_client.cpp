#include "generic_client.h"

#include "oa_states.h"
#include "oa_template.h"
#include "qiao/core/log.h"

namespace qiao::connectors::oa {
namespace {

using nlohmann::json;

bool at(const json& doc, const std::string& pointer, json* out) {
  if (pointer.empty()) return false;
  try {
    const json::json_pointer p(pointer);
    if (!doc.contains(p)) return false;
    *out = doc.at(p);
    return !out->is_null();
  } catch (const json::exception&) {
    return false;
  }
}

std::string textAt(const json& doc, const std::string& pointer) {
  json v;
  std::string s;
  if (at(doc, pointer, &v)) scalarText(v, &s);
  return s;
}

}  // namespace

GenericClient::GenericClient(OaSettings settings)
    : s_(std::move(settings)), http_(HttpOptions{s_.timeout_ms, s_.connect_timeout_ms, s_.tls_verify}) {
  if (!s_.generic.auth_token.empty()) log::registerSecret(s_.generic.auth_token);
}

std::vector<std::string> GenericClient::headers(const std::string& key) const {
  const auto& g = s_.generic;
  std::vector<std::string> h{"Accept: application/json", "Content-Type: application/json; charset=utf-8"};
  for (const auto& [k, v] : g.headers) h.push_back(k + ": " + v);
  if (!g.auth_token.empty()) h.push_back("Authorization: Bearer " + g.auth_token);
  if (!key.empty() && !g.idempotency_header.empty()) {
    std::string safe;
    for (unsigned char c : key)
      if (c >= 32 && c != 127) safe.push_back(static_cast<char>(c));
    h.push_back(g.idempotency_header + ": " + safe);
  }
  return h;
}

Result<std::string> GenericClient::mapState(const json& value, const std::string& what) const {
  std::string raw;
  if (!scalarText(value, &raw))
    return Error::permanent(ErrorCode::kRemotePermanent, "oa " + what + ": the state is not a text or number");
  auto it = s_.generic.status_map.find(raw);
  if (it != s_.generic.status_map.end()) return it->second;
  std::string known;
  for (const auto& [k, v] : s_.generic.status_map) known += (known.empty() ? "" : ", ") + k;
  return Error::permanent(ErrorCode::kRemotePermanent,
                          "oa " + what + ": the OA state \"" + excerpt(raw, 64) +
                              "\" is not in status_map (known: " + known + ")");
}

Result<Submitted> GenericClient::create(const std::string& record_json, const std::string& key) {
  const auto& g = s_.generic;
  json record = json::parse(record_json, nullptr, false);
  if (record.is_discarded())
    return Error::permanent(ErrorCode::kInvalidArgument, "oa create: the record is not valid JSON");
  const std::map<std::string, std::string> vars{{"key", key}};
  QIAO_ASSIGN_OR_RETURN(auto url_t, Template::parse(g.create_url, "create_url"));
  QIAO_ASSIGN_OR_RETURN(std::string url, url_t.expand(record, vars, true));
  std::string body = record_json;
  if (!g.create_body.empty()) {
    QIAO_ASSIGN_OR_RETURN(json b, expandJson(json::parse(g.create_body), record, vars));
    body = b.dump();
  }
  QIAO_ASSIGN_OR_RETURN(auto reply, http_.send(g.create_method, url, headers(key), body, "oa create"));
  if (reply.status < 200 || reply.status > 299) return httpStatusError(reply, "oa create");
  json j = json::parse(reply.body, nullptr, false);
  std::string id = textAt(j, g.request_id_pointer);
  if (id.empty())
    return Error::permanent(ErrorCode::kRemotePermanent, "oa create: the answer has no request id at " +
                                                             g.request_id_pointer + ": " + excerpt(reply.body));
  Submitted out{id, qiao::oa::kInApproval, false};
  json state;
  if (at(j, g.create_state_pointer, &state)) {
    auto mapped = mapState(state, "create");
    if (mapped.ok()) out.state = *mapped;
  }
  return out;
}

Result<std::string> GenericClient::lookup(const std::string& key) {
  const auto& g = s_.generic;
  if (g.lookup_url.empty()) return std::string();
  QIAO_ASSIGN_OR_RETURN(auto t, Template::parse(g.lookup_url, "lookup_url"));
  QIAO_ASSIGN_OR_RETURN(std::string url, t.expand(json::object(), {{"key", key}}, true));
  QIAO_ASSIGN_OR_RETURN(auto reply, http_.send("GET", url, headers(""), "", "oa lookup"));
  if (reply.status == 404) return std::string();
  if (reply.status < 200 || reply.status > 299) return httpStatusError(reply, "oa lookup");
  json j = json::parse(reply.body, nullptr, false);
  return textAt(j, g.lookup_id_pointer.empty() ? g.request_id_pointer : g.lookup_id_pointer);
}

Result<qiao::oa::ApprovalStatus> GenericClient::status(const std::string& request_id) {
  const auto& g = s_.generic;
  if (request_id.empty()) return Error::permanent(ErrorCode::kInvalidArgument, "oa status: empty request id");
  QIAO_ASSIGN_OR_RETURN(auto t, Template::parse(g.status_url, "status_url"));
  QIAO_ASSIGN_OR_RETURN(std::string url, t.expand(json::object(), {{"id", request_id}}, true));
  QIAO_ASSIGN_OR_RETURN(auto reply, http_.send("GET", url, headers(""), "", "oa status"));
  if (reply.status < 200 || reply.status > 299) return httpStatusError(reply, "oa status");
  json j = json::parse(reply.body, nullptr, false);
  json state;
  if (!at(j, g.state_pointer, &state))
    return Error::permanent(ErrorCode::kRemotePermanent,
                            "oa status: no state at " + g.state_pointer + ": " + excerpt(reply.body));
  qiao::oa::ApprovalStatus out;
  scalarText(state, &out.raw_state);
  QIAO_ASSIGN_OR_RETURN(out.state, mapState(state, "status"));
  out.approver = textAt(j, g.approver_pointer);
  out.comment = textAt(j, g.comment_pointer);
  json updated;
  if (at(j, g.updated_pointer, &updated)) {
    if (updated.is_number()) {
      double v = updated.get<double>();
      out.updated_ms = static_cast<int64_t>(v > 1e11 ? v : v * 1000);  // ms or s since epoch
    } else if (updated.is_string()) {
      out.updated_ms = parseIsoTime(updated.get<std::string>());
    }
  }
  return out;
}

Status GenericClient::health() {
  std::string url = s_.generic.create_url.substr(0, s_.generic.create_url.find('{'));
  return http_.connectOnly(url);
}

}  // namespace qiao::connectors::oa
