#include "plugin_adapter.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "qiao/core/log.h"

namespace qiao::plugin::detail {
namespace {

using nlohmann::json;

// Plugin text may echo config values back; scrub registered secrets before it reaches an Error.
std::string clean(std::string_view text) { return log::redact(text); }

Error malformed(const PluginLib& lib, std::string_view what, std::string_view why) {
  return Error::permanent(ErrorCode::kPluginError,
                          "plugin '" + lib.name + "' returned a malformed " + std::string(what) +
                              " result: " + std::string(why));
}

std::string optString(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// {"error":{"class":..,"message":..}} → Error with that class.
Error pluginError(const PluginLib& lib, std::string_view what, const json& err) {
  if (!err.is_object()) return malformed(lib, what, "\"error\" is not an object");
  auto klass = optString(err, "class");
  auto msg = "plugin '" + lib.name + "': " + clean(optString(err, "message"));
  if (klass == "transient") return Error::transient(ErrorCode::kRemoteTransient, msg);
  if (klass == "permanent") return Error::permanent(ErrorCode::kRemotePermanent, msg);
  if (klass == "auth_expired") return Error::authExpired(msg);
  return malformed(lib, what, "unknown error class '" + klass + "'");
}

json recordToJson(const Record& r) {
  json out = json::object();
  // The payload travels as JSON, not as a string holding JSON; text that does not parse is
  // still delivered, as a JSON string, so the plugin decides what to do with it.
  json payload = json::parse(r.payload, nullptr, /*allow_exceptions=*/false);
  out["payload"] = payload.is_discarded() ? json(r.payload) : std::move(payload);
  out["entity"] = r.entity;
  out["source_system"] = r.source_system;
  out["business_key"] = r.business_key;
  out["idempotency_key"] = r.idempotency_key;
  out["trace_id"] = r.trace_id;
  return out;
}

Result<Record> recordFromJson(const PluginLib& lib, const json& j) {
  if (!j.is_object()) return malformed(lib, "poll", "a record is not an object");
  auto it = j.find("payload");
  if (it == j.end()) return malformed(lib, "poll", "a record has no \"payload\"");
  Record r;
  r.payload = it->dump();
  r.entity = optString(j, "entity");
  r.source_system = optString(j, "source_system");
  r.business_key = optString(j, "business_key");
  r.idempotency_key = optString(j, "idempotency_key");
  r.trace_id = optString(j, "trace_id");
  return r;
}

// One plugin-side instance. Owns the handle create() returned and destroys it exactly once.
class Instance {
 public:
  Instance(std::shared_ptr<PluginLib> lib, void* handle) : lib_(std::move(lib)), handle_(handle) {}
  ~Instance() {
    auto lock = guard();
    lib_->api->destroy(handle_);
  }
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  static Result<std::unique_ptr<Instance>> create(const std::shared_ptr<PluginLib>& lib,
                                                  const sdk::InstanceConfig& config) {
    const auto* api = lib->api;
    std::string cfg = config.json.empty() ? "{}" : config.json;
    char* err = nullptr;
    void* handle = nullptr;
    {
      std::unique_lock<std::mutex> lock(lib->mu, std::defer_lock);
      if (!lib->thread_safe) lock.lock();
      handle = api->create(config.name.c_str(), cfg.c_str(), &err);
    }
    std::string reason = "no reason given";
    if (err) {
      reason = clean(err);
      api->free_string(err);
    }
    if (!handle)
      return Error::permanent(ErrorCode::kPluginError, "plugin '" + lib->name +
                                                           "' could not create instance '" +
                                                           config.name + "': " + reason);
    return std::make_unique<Instance>(lib, handle);
  }

  const PluginLib& lib() const { return *lib_; }

  // Runs one call into the plugin (serialised if the plugin is not thread-safe), copies the
  // returned string and releases it with the plugin's free_string.
  template <typename Fn>
  std::optional<std::string> call(Fn&& fn) {
    char* out = nullptr;
    {
      auto lock = guard();
      out = fn(lib_->api, handle_);
    }
    if (!out) return std::nullopt;
    std::string text(out);
    lib_->api->free_string(out);
    return text;
  }

  sdk::Health health() {
    auto text = call([](const qiao_plugin_v1* api, void* h) { return api->health(h); });
    if (!text) return {false, "plugin '" + lib_->name + "' returned NULL from health"};
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("healthy") || !j["healthy"].is_boolean())
      return {false, "plugin '" + lib_->name + "' returned a malformed health result"};
    return {j["healthy"].get<bool>(), clean(optString(j, "detail"))};
  }

 private:
  std::unique_lock<std::mutex> guard() {
    std::unique_lock<std::mutex> lock(lib_->mu, std::defer_lock);
    if (!lib_->thread_safe) lock.lock();
    return lock;
  }

  std::shared_ptr<PluginLib> lib_;
  void* handle_;
};

class PluginSink final : public sdk::Sink {
 public:
  explicit PluginSink(std::unique_ptr<Instance> inst) : inst_(std::move(inst)) {}

  Result<sdk::Delivery> deliver(const Record& record) override {
    const auto& lib = inst_->lib();
    std::string record_json;
    try {
      record_json = recordToJson(record).dump();
    } catch (const json::exception& e) {  // invalid UTF-8 in a field
      return Error::permanent(ErrorCode::kPluginError,
                              "cannot encode record for plugin '" + lib.name + "': " + e.what());
    }
    auto text = inst_->call([&](const qiao_plugin_v1* api, void* h) {
      return api->deliver(h, record_json.c_str());
    });
    if (!text) return malformed(lib, "deliver", "NULL");
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) return malformed(lib, "deliver", "not JSON");
    if (!j.is_object()) return malformed(lib, "deliver", "not a JSON object");
    if (auto err = j.find("error"); err != j.end()) return pluginError(lib, "deliver", *err);
    auto id = j.find("remote_id");
    if (id == j.end() || !id->is_string())
      return malformed(lib, "deliver", "neither \"remote_id\" (string) nor \"error\"");
    return sdk::Delivery{id->get<std::string>()};
  }

  sdk::Health health() override { return inst_->health(); }

 private:
  std::unique_ptr<Instance> inst_;
};

class PluginSource final : public sdk::Source {
 public:
  explicit PluginSource(std::unique_ptr<Instance> inst) : inst_(std::move(inst)) {}

  Result<sdk::PollResult> poll(const std::string& watermark, size_t max_records) override {
    const auto& lib = inst_->lib();
    auto max = static_cast<uint32_t>(
        std::min<size_t>(max_records, std::numeric_limits<uint32_t>::max()));
    auto text = inst_->call([&](const qiao_plugin_v1* api, void* h) {
      return api->poll(h, watermark.c_str(), max);
    });
    if (!text) return malformed(lib, "poll", "NULL");
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded()) return malformed(lib, "poll", "not JSON");
    if (!j.is_object()) return malformed(lib, "poll", "not a JSON object");
    if (auto err = j.find("error"); err != j.end()) return pluginError(lib, "poll", *err);
    auto recs = j.find("records");
    if (recs == j.end() || !recs->is_array())
      return malformed(lib, "poll", "\"records\" is missing or not an array");
    sdk::PollResult out;
    for (const auto& r : *recs) {
      QIAO_ASSIGN_OR_RETURN(auto rec, recordFromJson(lib, r));
      out.records.push_back(std::move(rec));
    }
    // A plugin that leaves the watermark out keeps the old one, so nothing is skipped.
    auto wm = j.find("watermark");
    if (wm != j.end() && !wm->is_string())
      return malformed(lib, "poll", "\"watermark\" is not a string");
    out.watermark = wm != j.end() ? wm->get<std::string>() : watermark;
    auto more = j.find("more");
    if (more != j.end() && !more->is_boolean())
      return malformed(lib, "poll", "\"more\" is not a boolean");
    out.more = more != j.end() && more->get<bool>();
    return out;
  }

  sdk::Health health() override { return inst_->health(); }

 private:
  std::unique_ptr<Instance> inst_;
};

}  // namespace

Result<std::unique_ptr<sdk::Sink>> makeSink(const std::shared_ptr<PluginLib>& lib,
                                            const sdk::InstanceConfig& config) {
  QIAO_ASSIGN_OR_RETURN(auto inst, Instance::create(lib, config));
  return std::unique_ptr<sdk::Sink>(std::make_unique<PluginSink>(std::move(inst)));
}

Result<std::unique_ptr<sdk::Source>> makeSource(const std::shared_ptr<PluginLib>& lib,
                                                const sdk::InstanceConfig& config) {
  QIAO_ASSIGN_OR_RETURN(auto inst, Instance::create(lib, config));
  return std::unique_ptr<sdk::Source>(std::make_unique<PluginSource>(std::move(inst)));
}

}  // namespace qiao::plugin::detail
