#include "k3_sink.h"

#include <cctype>

#include "qiao/core/log.h"

namespace qiao::connectors::k3cloud {
namespace {

using nlohmann::json;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Member by case-insensitive name (K/3 accepts formid/FormId, data/Data).
json* findKey(json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  std::string want = lower(key);
  for (auto it = obj.begin(); it != obj.end(); ++it)
    if (lower(it.key()) == want) return &it.value();
  return nullptr;
}

bool truthy(const json* v) {
  if (!v) return false;
  if (v->is_boolean()) return v->get<bool>();
  if (v->is_string()) return lower(v->get<std::string>()) == "true";
  return false;
}

Error payloadError(const std::string& msg) {
  return Error::permanent(ErrorCode::kInvalidArgument, "k3cloud: payload " + msg);
}

// Keeps the class of an error, prefixing what had already happened.
Error withContext(Error e, const std::string& prefix) {
  e.message = prefix + e.message;
  return e;
}

// The Model's value of `key` (case-insensitive) as text; "" when absent.
std::string modelText(const json& model, const std::string& key) {
  for (auto it = model.begin(); it != model.end(); ++it)
    if (lower(it.key()) == lower(key)) return idText(it.value());
  return "";
}

// forbid_operation: FForbidStatus leaves the Save. An update (key field set) applies it only
// when NeedUpDateFields names it or is absent (the whole record); a create only a "B".
Status takeForbidStatus(SaveRequest& req, json& model) {
  std::string key;
  for (auto it = model.begin(); it != model.end(); ++it)
    if (lower(it.key()) == "fforbidstatus") key = it.key();
  if (key.empty()) return {};
  const json value = model[key];
  model.erase(key);
  std::string status = value.is_string() ? value.get<std::string>() : "";
  if (status != "A" && status != "B")
    return payloadError("'" + key + "' must be \"A\" (enabled) or \"B\" (forbidden), got " + excerpt(value.dump(), 40));
  std::string id = modelText(model, lookupFieldsFor(req.form_id).id);
  const bool update = !id.empty() && id != "0";
  json* need = findKey(req.data, "NeedUpDateFields");
  bool named = !need || !need->is_array();
  if (need && need->is_array()) {
    json rest = json::array();
    for (const json& f : *need) {
      if (f.is_string() && lower(f.get<std::string>()) == "fforbidstatus") named = true;
      else rest.push_back(f);
    }
    // Only FForbidStatus was to change: nothing left to save.
    if (update && named && rest.empty()) req.save = false;
    *need = std::move(rest);
  }
  if (update ? named : status == "B") req.forbid_status = status;
  return {};
}

}  // namespace

LookupFields lookupFieldsFor(const std::string& form_id) {
  // Base data has its own key field and no bill number (reference §3.2).
  if (lower(form_id) == "bd_customer") return {"FCUSTID", "FNumber", "FDocumentStatus"};
  if (lower(form_id) == "bd_material") return {"FMATERIALID", "FNumber", "FDocumentStatus"};
  return {"FID", "FBillNo", "FDocumentStatus"};
}

Result<SaveRequest> buildSaveRequest(const K3Config& cfg, const Record& record) {
  json payload = json::parse(record.payload, nullptr, false);
  if (payload.is_discarded()) return payloadError("is not valid JSON");
  if (!payload.is_object()) return payloadError("must be a JSON object (a K/3 Save body)");
  SaveRequest req;
  req.form_id = cfg.form_id;
  if (json* form = findKey(payload, "formid")) {
    if (!form->is_string() || form->get<std::string>().empty())
      return payloadError("'formid' must be a non-empty string");
    req.form_id = form->get<std::string>();
    json* data = findKey(payload, "data");
    if (!data) return payloadError("has 'formid' but no 'data' object");
    if (data->is_string()) {
      req.data = json::parse(data->get<std::string>(), nullptr, false);
      if (req.data.is_discarded()) return payloadError("'data' is a string but not JSON");
    } else {
      req.data = *data;
    }
  } else {
    req.data = std::move(payload);
  }
  if (!req.data.is_object()) return payloadError("'data' must be an object");
  json* model = findKey(req.data, "Model");
  if (!model) {
    return payloadError("has no 'Model' (expected {\"Model\":{...}} or "
                        "{\"formid\":\"SAL_SaleOrder\",\"data\":{\"Model\":{...}}})");
  }
  if (!model->is_object())
    return payloadError("'Model' must be one object (a list of bills goes through BatchSave)");

  auto setDefault = [&req](const char* key, json value) {
    if (!findKey(req.data, key)) req.data[key] = std::move(value);
  };
  if (!cfg.need_update_fields.empty()) setDefault("NeedUpDateFields", cfg.need_update_fields);
  if (!cfg.need_return_fields.empty()) setDefault("NeedReturnFields", cfg.need_return_fields);
  setDefault("IsVerifyBaseDataField", cfg.is_verify_base_data_field);
  setDefault("IsDeleteEntry", cfg.is_delete_entry);
  if (cfg.auto_submit_audit) {
    // Configured: wins over a mapping that merely states the K/3 default (false).
    if (json* given = findKey(req.data, "IsAutoSubmitAndAudit")) *given = true;
    else req.data["IsAutoSubmitAndAudit"] = true;
  }
  req.auto_submit_audit = truthy(findKey(req.data, "IsAutoSubmitAndAudit"));

  model = findKey(req.data, "Model");  // data may have gained keys: find it again
  if (cfg.forbid_operation && lower(req.form_id).rfind("bd_", 0) == 0) {
    if (Status st = takeForbidStatus(req, *model); !st.ok()) return st.error();
  }
  if (!cfg.external_ref_field.empty()) {
    req.ref_field = cfg.external_ref_field;
    json* given = findKey(*model, cfg.external_ref_field.c_str());
    if (given && given->is_string() && !given->get<std::string>().empty()) {
      req.ref_value = given->get<std::string>();  // the mapping set it: that is the reference
    } else {
      req.ref_value = !record.idempotency_key.empty() ? record.idempotency_key : record.business_key;
      if (!req.ref_value.empty()) (*model)[cfg.external_ref_field] = req.ref_value;
    }
  }
  if (req.ref_value.empty()) {
    // No configured reference: a bill number set by the mapping is the next best key.
    json* no = findKey(*model, lookupFieldsFor(req.form_id).number.c_str());
    if (no && no->is_string() && !no->get<std::string>().empty()) {
      req.ref_field = lookupFieldsFor(req.form_id).number;
      req.ref_value = no->get<std::string>();
    } else {
      req.ref_field.clear();
    }
  }
  return req;
}

K3Sink::K3Sink(K3Config cfg, std::string instance_name)
    : instance_name_(std::move(instance_name)),
      client_(std::make_unique<K3Client>(std::move(cfg), instance_name_)) {}

Result<bool> K3Sink::lookup(const SaveRequest& req, Bill* out) {
  auto f = lookupFieldsFor(req.form_id);
  BillQuery q;
  q.form_id = req.form_id;
  q.field_keys = f.id + "," + f.number + "," + f.status;
  // No status filter: drafts count too (reference §7.3).
  q.filter_string = req.ref_field + "=" + sqlQuote(req.ref_value);
  q.order_string = f.id + " ASC";
  q.limit = 10;
  auto rows = client_->executeBillQuery(q);
  if (!rows.ok()) return withContext(rows.takeError(), "looking the bill up before Save: ");
  if (rows->empty()) return false;
  const json& row = rows->front();
  if (!row.is_array() || row.size() < 3)
    return Error::permanent(ErrorCode::kRemotePermanent,
                            "K/3 ExecuteBillQuery " + req.form_id + ": unexpected row " +
                                excerpt(row.dump(), 200));
  out->id = idText(row[0]);
  out->number = row[1].is_string() ? row[1].get<std::string>() : idText(row[1]);
  out->status = row[2].is_string() ? row[2].get<std::string>() : "";
  if (rows->size() > 1) {
    log::warn("k3cloud.duplicate_reference",
              {{"connector", instance_name_}, {"form", req.form_id}, {"field", req.ref_field},
               {"value", req.ref_value}, {"bills", static_cast<unsigned long>(rows->size())}});
  }
  return true;
}

Result<K3Sink::Bill> K3Sink::save(const SaveRequest& req) {
  auto r = client_->save(req.form_id, req.data);
  if (!r.ok() && r.error().code == ErrorCode::kRemoteAuthExpired) {
    // The session was lost before Save ran and the client logged in again. MsgCode 1 means
    // nothing was saved, but the reference asks for a lookup before any write is repeated.
    if (!req.ref_field.empty()) {
      Bill found;
      auto hit = lookup(req, &found);
      if (!hit.ok()) return hit.takeError();
      if (*hit) return found;
    }
    r = client_->save(req.form_id, req.data);
  }
  if (!r.ok()) {
    Error e = r.takeError();
    bool unknown_outcome = e.klass == ErrorClass::kTransient &&
                           (e.code == ErrorCode::kTimeout || e.code == ErrorCode::kRemoteTransient);
    if (unknown_outcome) {
      e.message += req.ref_field.empty()
                       ? " (outcome unknown; no external reference to look the bill up by)"
                       : " (outcome unknown; the next try looks the bill up by " + req.ref_field +
                             "=" + sqlQuote(req.ref_value) + " before saving)";
    }
    return e;
  }
  Bill bill;
  bill.id = r->id;
  bill.number = r->number;
  bill.status = req.auto_submit_audit ? "C" : "A";
  return bill;
}

Status K3Sink::advance(const std::string& form_id, Bill* bill) {
  const auto& cfg = client_->config();
  BillRef ref;
  if (!bill->id.empty()) ref.ids = bill->id;
  else ref.numbers = {bill->number};
  std::string saved = "saved as " + bill->number + " (Id " + bill->id + ", status " +
                      bill->status + ") but ";
  if (cfg.submit && (bill->status == "A" || bill->status == "D" || bill->status == "Z")) {
    auto r = client_->submit(form_id, ref);
    if (!r.ok()) return withContext(r.takeError(), saved);
    bill->status = "B";
  }
  if (cfg.audit && bill->status == "B") {
    auto r = client_->audit(form_id, ref);
    if (!r.ok()) return withContext(r.takeError(), saved);
    bill->status = "C";
  }
  return {};
}

sdk::Delivery K3Sink::delivery(const std::string& form_id, const Bill& bill) const {
  sdk::Delivery d;
  d.remote_id = !bill.number.empty() ? bill.number : bill.id;
  d.result_json = json{{"Id", bill.id}, {"Number", bill.number}, {"Status", bill.status},
                       {"FormId", form_id}}
                      .dump();
  return d;
}

Result<sdk::Delivery> K3Sink::deliver(const Record& record) {
  auto req = buildSaveRequest(client_->config(), record);
  if (!req.ok()) return req.takeError();
  const bool want_lookup =
      client_->config().lookup_before_save == LookupMode::kAlways || record.attempt > 1;
  Bill bill;
  bool found = false;
  if (want_lookup && !req->ref_field.empty()) {
    auto hit = lookup(*req, &bill);
    if (!hit.ok()) return hit.takeError();
    found = *hit;
    if (found) {
      log::info("k3cloud.found_existing",
                {{"connector", instance_name_}, {"form", req->form_id}, {"number", bill.number},
                 {"status", bill.status}, {"attempt", record.attempt}});
    }
  } else if (want_lookup) {
    log::warn("k3cloud.retry_without_reference",
              {{"connector", instance_name_}, {"form", req->form_id},
               {"key", record.business_key}, {"attempt", record.attempt}});
  }
  if (!req->save) {
    // Forbid / Enable only: no Save, no UnAudit, no re-audit (the document status stays).
    QIAO_RETURN_IF_ERROR(applyForbidStatus(*req, &bill));
    return delivery(req->form_id, bill);
  }
  if (!found && client_->config().unaudit_to_update) QIAO_RETURN_IF_ERROR(unauditForUpdate(*req));
  if (!found) {
    auto saved = save(*req);
    if (!saved.ok()) return saved.takeError();
    bill = std::move(saved).value();
  }
  QIAO_RETURN_IF_ERROR(advance(req->form_id, &bill));
  if (!req->forbid_status.empty()) QIAO_RETURN_IF_ERROR(applyForbidStatus(*req, &bill));
  return delivery(req->form_id, bill);
}

Status K3Sink::applyForbidStatus(const SaveRequest& req, Bill* bill) {
  auto f = lookupFieldsFor(req.form_id);
  std::string id = bill->id;
  if (id.empty()) {
    for (auto it = req.data.begin(); it != req.data.end(); ++it)
      if (lower(it.key()) == "model" && it->is_object()) id = modelText(*it, f.id);
  }
  if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
    return payloadError("'" + f.id + "' must be a numeric id to forbid / enable, got '" + excerpt(id, 40) + "'");
  // The current state first: the operation is refused (MsgCode 12) on a record already in the
  // asked state, and a retried delivery may find its own earlier try done.
  BillQuery q;
  q.form_id = req.form_id;
  q.field_keys = f.id + "," + f.number + "," + f.status + ",FForbidStatus";
  q.filter_string = f.id + "=" + id;
  q.limit = 1;
  auto rows = client_->executeBillQuery(q);
  if (!rows.ok()) return withContext(rows.takeError(), "reading FForbidStatus of " + f.id + " " + id + ": ");
  if (rows->empty() || !rows->front().is_array() || rows->front().size() < 4)
    return Error::permanent(ErrorCode::kRemotePermanent, "K/3 " + req.form_id + ": no record with " + f.id + " " + id +
                                                             " to " + (req.forbid_status == "B" ? "forbid" : "enable"));
  const json& row = rows->front();
  bill->id = id;
  bill->number = row[1].is_string() ? row[1].get<std::string>() : idText(row[1]);
  if (bill->status.empty()) bill->status = row[2].is_string() ? row[2].get<std::string>() : "";
  std::string current = row[3].is_string() ? row[3].get<std::string>() : "A";
  const std::string op = req.forbid_status == "B" ? "Forbid" : "Enable";
  if (current == req.forbid_status) {
    log::info("k3cloud.forbid_status_unchanged", {{"connector", instance_name_}, {"form", req.form_id},
                                                  {"id", id}, {"forbid_status", current}});
    return {};
  }
  BillRef ref;
  ref.ids = id;
  auto r = client_->excuteOperation(req.form_id, op, ref);
  if (!r.ok()) return withContext(r.takeError(), op + " of " + f.id + " " + id + ": ");
  log::info("k3cloud.forbid_status", {{"connector", instance_name_}, {"form", req.form_id}, {"id", id}, {"operation", op}});
  return {};
}

Status K3Sink::unauditForUpdate(const SaveRequest& req) {
  auto f = lookupFieldsFor(req.form_id);
  const json* model = nullptr;
  for (auto it = req.data.begin(); it != req.data.end(); ++it)
    if (lower(it.key()) == "model") model = &it.value();
  if (!model || !model->is_object()) return {};
  std::string id;
  for (auto it = model->begin(); it != model->end(); ++it)
    if (lower(it.key()) == lower(f.id)) id = idText(it.value());
  if (id.empty() || id == "0") return {};  // a create
  if (id.find_first_not_of("0123456789") != std::string::npos)
    return payloadError("'" + f.id + "' must be a numeric id, got '" + excerpt(id, 40) + "'");
  BillQuery q;
  q.form_id = req.form_id;
  q.field_keys = f.id + "," + f.number + "," + f.status;
  q.filter_string = f.id + "=" + id;
  q.limit = 1;
  auto rows = client_->executeBillQuery(q);
  if (!rows.ok()) return withContext(rows.takeError(), "reading the status before the update: ");
  if (rows->empty() || !rows->front().is_array() || rows->front().size() < 3) return {};  // Save says why
  const json& st = rows->front()[2];
  if (!st.is_string() || st.get<std::string>() != "C") return {};
  BillRef ref;
  ref.ids = id;
  auto r = client_->unAudit(req.form_id, ref);
  if (!r.ok()) return withContext(r.takeError(), "UnAudit before the update of " + f.id + " " + id + ": ");
  log::info("k3cloud.unaudited_for_update", {{"connector", instance_name_}, {"form", req.form_id}, {"id", id}});
  return {};
}

sdk::Health K3Sink::health() {
  auto s = client_->health();
  if (!s.ok()) return {false, s.error().message};
  return {true, "K/3 reachable at " + displayUrl(client_->config().base_url) + " (auth " +
                    toString(client_->config().auth) + ")"};
}

}  // namespace qiao::connectors::k3cloud
