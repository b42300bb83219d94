#include "k3_sim.h"

#include <Poco/URI.h>

#include <algorithm>

#include "k3_auth.h"
#include "k3_forms.h"
#include "k3_query.h"

namespace qiao::sim {
namespace {

using k3::findKey;
using k3::iequals;
using nlohmann::json;

enum class Kind {
  kLogin, kLogout, kDataCenters, kSave, kOperate, kExecOp, kView, kQuery, kMeta, kOther
};

struct ServiceDef {
  const char* ns;  // lower-case namespace before the method name
  const char* method;
  Kind kind;
};

constexpr const char* kAuthNs = "kingdee.bos.webapi.servicesstub.authservice";
constexpr const char* kFormNs = "kingdee.bos.webapi.servicesstub.dynamicformservice";
constexpr const char* kAcctNs = "kingdee.bos.servicefacade.servicesstub.account.accountservice";

const std::vector<ServiceDef>& services() {
  static const std::vector<ServiceDef> v{
      {kAuthNs, "ValidateUser", Kind::kLogin},       {kAuthNs, "LoginByAppSecret", Kind::kLogin},
      {kAuthNs, "LoginByAppSecret2", Kind::kLogin},  {kAuthNs, "LoginBySign", Kind::kLogin},
      {kAuthNs, "LoginBySign2", Kind::kLogin},       {kAuthNs, "Logout", Kind::kLogout},
      {kAuthNs, "ValidateUserEnDeCode", Kind::kOther}, {kAuthNs, "LoginBySimplePassport", Kind::kOther},
      {kAcctNs, "GetDataCenterList", Kind::kDataCenters},
      {kFormNs, "Save", Kind::kSave},                {kFormNs, "BatchSave", Kind::kSave},
      {kFormNs, "Draft", Kind::kSave},               {kFormNs, "Submit", Kind::kOperate},
      {kFormNs, "Audit", Kind::kOperate},            {kFormNs, "UnAudit", Kind::kOperate},
      {kFormNs, "Delete", Kind::kOperate},           {kFormNs, "View", Kind::kView},
      {kFormNs, "ExecuteBillQuery", Kind::kQuery},   {kFormNs, "BillQuery", Kind::kQuery},
      {kFormNs, "QueryBusinessInfo", Kind::kMeta},   {kFormNs, "Push", Kind::kOther},
      {kFormNs, "Allocate", Kind::kOther},           {kFormNs, "CancelAllocate", Kind::kOther},
      {kFormNs, "ExcuteOperation", Kind::kExecOp},    {kFormNs, "WorkflowAudit", Kind::kOther},
      {kFormNs, "GetSysReportData", Kind::kOther},   {kFormNs, "SwitchOrg", Kind::kOther}};
  return v;
}

const ServiceDef* findService(const std::string& full) {
  auto dot = full.rfind('.');
  if (dot == std::string::npos) return nullptr;
  std::string ns = k3::lower(full.substr(0, dot)), method = full.substr(dot + 1);
  for (const auto& s : services())
    if (ns == s.ns && iequals(method, s.method)) return &s;
  return nullptr;
}

std::string htmlPage(int status, const std::string& reason) {
  std::string title = std::to_string(status) + " " + reason;
  return "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
         "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
}

void successToString(json& j) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "IsSuccess" && it.value().is_boolean())
        it.value() = it.value().get<bool>() ? "true" : "false";
      else
        successToString(it.value());
    }
  } else if (j.is_array()) {
    for (auto& x : j) successToString(x);
  }
}

// The body as JSON: application/json (any spelling), or form fields whose values are JSON text.
json parseBody(const Exchange& ex) {
  json body = json::parse(ex.body(), nullptr, false);
  if (!body.is_discarded()) return body;
  if (ex.header("Content-Type").find("x-www-form-urlencoded") == std::string::npos) return body;
  json out = json::object();
  std::string text = ex.body();
  std::replace(text.begin(), text.end(), '+', ' ');
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t amp = text.find('&', pos);
    std::string pair = text.substr(pos, amp == std::string::npos ? amp : amp - pos);
    auto eq = pair.find('=');
    std::string k, v;
    Poco::URI::decode(pair.substr(0, eq), k);
    if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), v);
    if (!k.empty()) out[k] = v;
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

// Positional argument i: from "parameters" (an array or its JSON text), else the first named
// key present among the alternatives.
const json* argument(const json& body, const json* params, size_t i,
                     std::initializer_list<const char*> names) {
  if (params) return i < params->size() ? &(*params)[i] : nullptr;
  for (const char* n : names)
    if (const json* v = findKey(body, n)) return v;
  return nullptr;
}

std::string argText(const json* v) { return v ? k3::scalarText(*v) : ""; }

class InFlight {
 public:
  InFlight(std::atomic<int64_t>& now, std::atomic<int64_t>& max) : now_(now) {
    int64_t n = ++now_;
    int64_t m = max.load();
    while (n > m && !max.compare_exchange_weak(m, n)) {
    }
  }
  ~InFlight() { --now_; }
 private:
  std::atomic<int64_t>& now_;
};

}  // namespace

struct K3Sim::Call {
  const ServiceDef* svc = nullptr;
  std::string service_path;  // "/k3cloud/<service>.common.kdsvc" as the client sees it
  int status = 200;
  HeaderList headers;
  std::string raw;  // non-JSON reply text
  bool query_shape = false;
};

K3Sim::K3Sim() : forms_(std::make_unique<k3::Forms>()), auth_(std::make_unique<k3::Auth>()) {}
K3Sim::~K3Sim() = default;

void K3Sim::handle(Exchange& ex) {
  const std::string& sub = ex.subpath();
  if (!sub.empty() && sub.front() == '_') return admin(ex, sub);
  auto slash = sub.find('/');
  if (slash != std::string::npos && iequals(sub.substr(0, slash), "k3cloud"))
    return service(ex, sub.substr(slash + 1));
  ex.replyJson(404, {{"error", "K/3 services live under /sim/k3cloud/k3cloud/<Service>.common.kdsvc; "
                               "admin under /sim/k3cloud/_stats, _config, _faults, _bills, "
                               "_basedata, _receipts, _sessions, _clock, _reset"}});
}

void K3Sim::countCall(const std::string& method) {
  std::lock_guard lock(stats_mu_);
  ++calls_[method];
}

void K3Sim::service(Exchange& ex, const std::string& rest) {
  std::string name = rest;
  static const std::string kSuffix = ".common.kdsvc";
  if (name.size() > kSuffix.size() &&
      iequals(name.substr(name.size() - kSuffix.size()), kSuffix))
    name.resize(name.size() - kSuffix.size());
  const ServiceDef* svc = findService(name);
  if (!svc) {
    ex.reply(404, htmlPage(404, "Not Found"), "text/html");
    return;
  }
  if (ex.method() != "POST") {
    ex.reply(405, htmlPage(405, "Method Not Allowed"), "text/html", {{"Allow", "POST"}});
    return;
  }
  InFlight counted(in_flight_, max_in_flight_);
  countCall(svc->method);
  Config cfg;
  FaultAction fault;
  MsgFault msg_fault;
  bool html502 = false;
  {
    std::lock_guard lock(cfg_mu_);
    cfg = cfg_;
    if (fault_services_.empty() ||
        std::any_of(fault_services_.begin(), fault_services_.end(),
                    [&](const std::string& s) { return iequals(s, svc->method); }))
      fault = faults_.next();
    if (cfg_.html_502_count > 0) {
      --cfg_.html_502_count;
      html502 = true;
    }
    const bool business = svc->kind != Kind::kLogin && svc->kind != Kind::kLogout &&
                          svc->kind != Kind::kDataCenters;
    if (business && msg_fault_.remaining > 0 && fault.mode == FaultMode::kNone &&
        (msg_fault_.services.empty() ||
         std::any_of(msg_fault_.services.begin(), msg_fault_.services.end(),
                     [&](const std::string& s) { return iequals(s, svc->method); }))) {
      --msg_fault_.remaining;
      msg_fault = msg_fault_;
    }
  }
  if (msg_fault.msg_code != 0) ++faults_injected_;
  if (fault.mode != FaultMode::kNone) ++faults_injected_;
  if (cfg.latency_ms > 0 && !ex.sleepMs(cfg.latency_ms)) return ex.abortConnection();
  if (html502) return ex.reply(502, htmlPage(502, "Bad Gateway"), "text/html");
  switch (fault.mode) {
    case FaultMode::kStatus: {
      HeaderList extra;
      if (!fault.retry_after.empty()) extra.emplace_back("Retry-After", fault.retry_after);
      if (fault.body.empty())
        return ex.reply(fault.status, htmlPage(fault.status, "Injected Fault"), "text/html", extra);
      bool html = fault.body.front() == '<';
      return ex.reply(fault.status, fault.body, html ? "text/html" : "application/json", extra);
    }
    case FaultMode::kTimeout:
      if (!ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
      return ex.reply(504, htmlPage(504, "Gateway Time-out"), "text/html");
    case FaultMode::kReset:
      return ex.abortConnection();
    case FaultMode::kSlow:
      if (!ex.sleepMs(fault.delay_ms)) return ex.abortConnection();
      break;
    default:
      break;
  }
  Call call;
  call.svc = svc;
  call.service_path = "/k3cloud/" + rest;
  call.query_shape = svc->kind == Kind::kQuery;
  if (msg_fault.msg_code != 0) {
    json f = k3::failure(msg_fault.msg_code, msg_fault.message);
    return reply(ex, call, call.query_shape ? json::array({json::array({f})}) : f, cfg);
  }
  json out = dispatch(call, ex);
  if (cfg.view_result_as_string && svc->kind == Kind::kView && out.is_object() &&
      out.contains("Result") && out["Result"].contains("Result"))
    out["Result"]["Result"] = out["Result"]["Result"].dump();
  // The effect is committed; the reply comes too late for the client.
  if (fault.mode == FaultMode::kTimeoutAfterCommit && !ex.sleepMs(fault.delay_ms))
    return ex.abortConnection();
  reply(ex, call, out, cfg);
}

void K3Sim::reply(Exchange& ex, const Call& call, const json& body, const Config& cfg) {
  if (!call.raw.empty()) return ex.reply(call.status, call.raw, "text/plain; charset=utf-8");
  std::string text;
  if (cfg.is_success_as_string) {
    json copy = body;
    successToString(copy);
    text = copy.dump(-1, ' ', cfg.unicode_escape, json::error_handler_t::replace);
  } else {
    text = body.dump(-1, ' ', cfg.unicode_escape, json::error_handler_t::replace);
  }
  ex.reply(call.status, text, "application/json; charset=utf-8", call.headers);
}

json K3Sim::dispatch(Call& call, Exchange& ex) {
  const Kind kind = call.svc->kind;
  auto fail = [&](int code, const std::string& msg) {
    json f = k3::failure(code, msg);
    return call.query_shape ? json::array({json::array({f})}) : f;
  };
  json body = parseBody(ex);
  if (body.is_discarded() || !body.is_object())
    return fail(k3::kMsgException, "请求内容不是有效的JSON对象。");
  json params_holder;
  const json* params = findKey(body, "parameters");
  if (params && params->is_string()) {
    params_holder = json::parse(params->get<std::string>(), nullptr, false);
    params = params_holder.is_array() ? &params_holder : nullptr;
    if (!params) return fail(k3::kMsgParameterError, "parameters不是有效的JSON数组。");
  } else if (params && !params->is_array()) {
    return fail(k3::kMsgParameterError, "parameters必须是数组。");
  }
  const std::string method = call.svc->method;

  if (kind == Kind::kLogin) {
    using L = k3::Auth::Login;
    std::vector<std::string> args{argText(argument(body, params, 0, {"acctid", "acctID"})),
                                  argText(argument(body, params, 1, {"username", "userName"}))};
    L login = L::kValidateUser;
    if (method == "ValidateUser") {
      args.push_back(argText(argument(body, params, 2, {"password"})));
    } else if (method.rfind("LoginByAppSecret", 0) == 0) {
      login = L::kAppSecret;
      args.push_back(argText(argument(body, params, 2, {"appid", "appId"})));
      args.push_back(argText(argument(body, params, 3, {"appsecret", "appSecret"})));
    } else {
      login = L::kSign;
      args.push_back(argText(argument(body, params, 2, {"appid", "appId"})));
      args.push_back(argText(argument(body, params, 3, {"timestamp"})));
      args.push_back(argText(argument(body, params, 4, {"sign", "signeddata", "signature"})));
    }
    auto r = auth_->login(login, args);
    (r.ok ? logins_ : login_failures_)++;
    call.headers = std::move(r.headers);
    return r.body;
  }
  if (kind == Kind::kLogout) {
    auth_->logout(ex);
    return true;
  }
  if (kind == Kind::kDataCenters) {
    const auto& t = auth_->tenant();
    return json::array({{{"Id", t.acct_id}, {"Number", "001"}, {"Name", t.acct_name},
                         {"DatabaseType", 3}, {"Version", "8.2.0.202411"}}});
  }

  switch (auth_->authorize(ex, call.service_path)) {
    case k3::Auth::Access::kSession:
    case k3::Auth::Access::kSigned:
      break;
    case k3::Auth::Access::kBadPassport:
      call.status = 500;
      call.raw = "Fail to verify thirty passport";
      return nullptr;
    case k3::Auth::Access::kLost:
      ++session_lost_;
      return fail(k3::kMsgContextLost, k3::kSessionLostMessage);
  }
  if (kind == Kind::kOther) return fail(k3::kMsgException, "模拟器未实现服务" + method + "。");

  const bool has_form = kind == Kind::kSave || kind == Kind::kOperate || kind == Kind::kView ||
                        kind == Kind::kExecOp;
  // ExcuteOperation: [formid, opNumber, data] (reference 1.3).
  const json* data_v =
      argument(body, params, kind == Kind::kExecOp ? 2 : (has_form ? 1 : 0), {"data"});
  json data = data_v ? *data_v : json(nullptr);
  if (!data_v && !params && findKey(body, "FormId")) data = body;  // query fields at the top
  if (data.is_string()) {
    data = json::parse(data.get<std::string>(), nullptr, false);
    if (data.is_discarded()) return fail(k3::kMsgParameterError, "参数data不是有效的JSON。");
  }
  if (kind == Kind::kQuery) return k3::executeBillQuery(*forms_, data, method == "BillQuery");

  std::string form_id = has_form ? argText(argument(body, params, 0, {"formid", "FormId"}))
                                 : argText(data.is_object() ? findKey(data, "FormId") : nullptr);
  if (form_id.empty()) return fail(k3::kMsgFormIdEmpty, "FormId不能为空。");
  const k3::FormDef* def = k3::findForm(form_id);
  if (!def) return fail(k3::kMsgException, "业务对象“" + form_id + "”不存在。");
  if (kind == Kind::kView) return forms_->view(*def, data);
  if (kind == Kind::kMeta) {
    json entities = json::array();
    for (const auto& e : def->entities) {
      json fields = json::array();
      for (const auto& f : e.fields)
        fields.push_back({{"Key", f.key}, {"Name", f.label}, {"MustInput", f.required}});
      entities.push_back({{"Key", e.key.empty() ? "FBillHead" : e.key},
                          {"EntryType", e.key.empty() ? 0 : (e.is_entry ? 2 : 1)},
                          {"Fields", std::move(fields)}});
    }
    return {{"Result",
             {{"ResponseStatus", k3::responseStatus(true, 0, {})},
              {"NeedReturnData",
               {{"Id", def->id},
                {"Name", json::array({{{"Key", k3::kLcid}, {"Value", def->label}}})},
                {"PkFieldName", def->key_field},
                {"Entrys", std::move(entities)}}}}}};
  }
  dirty_ = true;
  if (kind == Kind::kSave)
    return forms_->save(*def, data, method == "BatchSave", method == "Draft");
  if (kind == Kind::kExecOp) {
    std::string op = argText(argument(body, params, 1, {"opNumber", "opnumber", "OpNumber"}));
    if (!iequals(op, "Forbid") && !iequals(op, "Enable"))
      return fail(k3::kMsgException, "模拟器未实现操作“" + op + "”（支持 Forbid、Enable）。");
    return forms_->operate(iequals(op, "Forbid") ? "Forbid" : "Enable", *def, data);
  }
  return forms_->operate(method, *def, data);
}

}  // namespace qiao::sim
