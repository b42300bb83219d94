#include "qiao/plugin/plugin_host.h"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <system_error>

#include <nlohmann/json.hpp>

#include "plugin_adapter.h"
#include "qiao/core/log.h"

namespace qiao::plugin {
namespace {

using nlohmann::json;
using detail::PluginLib;

// dlopen handles of loaded plugins. Never closed: adapters call through them until exit.
// Leaked on purpose so no static destructor races a late instance.
std::mutex& handlesMutex() {
  static auto* mu = new std::mutex;
  return *mu;
}
std::vector<void*>& handles() {
  static auto* list = new std::vector<void*>;
  return *list;
}

Error refused(const std::string& path, const std::string& why,
              ErrorCode code = ErrorCode::kPluginError) {
  return Error::permanent(code, path + ": " + why);
}

bool validName(const std::string& n) {
  if (n.empty() || n.size() > 64 || !(n[0] >= 'a' && n[0] <= 'z')) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool parseFieldType(const std::string& s, sdk::FieldType* out) {
  using sdk::FieldType;
  for (auto t : {FieldType::kString, FieldType::kInt, FieldType::kBool, FieldType::kDuration,
                 FieldType::kUrl, FieldType::kEnum, FieldType::kSecret, FieldType::kStringList,
                 FieldType::kObject}) {
    if (s == sdk::toString(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

// Reads an optional string member; a present member of another type is an error.
bool readString(const json& obj, const char* key, std::string* out, std::string* err,
                const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    *err = where + "\"" + key + "\" must be a string";
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

// One FieldSpec table entry (recursive for kObject children). `where` prefixes messages.
bool parseField(const json& j, const std::string& where, sdk::FieldSpec* f, std::string* err) {
  if (!j.is_object()) {
    *err = where + " must be an object";
    return false;
  }
  if (!j.contains("name") || !j["name"].is_string() || j["name"].get<std::string>().empty()) {
    *err = where + " has no \"name\"";
    return false;
  }
  f->name = j["name"].get<std::string>();
  std::string at = "config field '" + f->name + "': ";
  std::string type;
  if (!readString(j, "type", &type, err, at)) return false;
  if (type.empty()) type = "string";
  if (!parseFieldType(type, &f->type)) {
    *err = at + "unknown field type '" + type +
           "' (known: string, int, bool, duration, url, enum, secret, string_list, object)";
    return false;
  }
  if (auto it = j.find("required"); it != j.end()) {
    if (!it->is_boolean()) {
      *err = at + "\"required\" must be true or false";
      return false;
    }
    f->required = it->get<bool>();
  }
  // Defaults are kept as YAML would spell them: strings as-is, numbers and booleans as text.
  if (auto it = j.find("default"); it != j.end() && !it->is_null())
    f->default_value = it->is_string() ? it->get<std::string>() : it->dump();
  if (!readString(j, "description", &f->description, err, at)) return false;
  if (!readString(j, "example", &f->example, err, at)) return false;
  if (auto it = j.find("allowed"); it != j.end()) {
    if (!it->is_array()) {
      *err = at + "\"allowed\" must be an array of strings";
      return false;
    }
    for (const auto& v : *it) {
      if (!v.is_string()) {
        *err = at + "\"allowed\" must be an array of strings";
        return false;
      }
      f->allowed.push_back(v.get<std::string>());
    }
  }
  if (f->type == sdk::FieldType::kEnum && f->allowed.empty()) {
    *err = at + "type enum needs a non-empty \"allowed\" list";
    return false;
  }
  if (auto it = j.find("children"); it != j.end()) {
    if (!it->is_array()) {
      *err = at + "\"children\" must be an array";
      return false;
    }
    for (size_t i = 0; i < it->size(); ++i) {
      sdk::FieldSpec child;
      if (!parseField((*it)[i], at + "children[" + std::to_string(i) + "]", &child, err))
        return false;
      f->children.push_back(std::move(child));
    }
  }
  return true;
}

struct ParsedDescriptor {
  sdk::Descriptor desc;
  bool sink = false;
  bool source = false;
  bool thread_safe = true;
};

// descriptor_json → everything but the factories. Errors are reasons without the path.
Result<ParsedDescriptor> parseDescriptor(const char* text) {
  auto bad = [](const std::string& why) {
    return Error::permanent(ErrorCode::kPluginError, "invalid descriptor_json: " + why);
  };
  if (!text) return bad("descriptor_json is NULL");
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("not valid JSON");
  if (!j.is_object()) return bad("not a JSON object");

  ParsedDescriptor out;
  auto& d = out.desc;
  std::string err;
  if (!j.contains("name")) return bad("missing \"name\"");
  if (!readString(j, "name", &d.name, &err, "")) return bad(err);
  if (!validName(d.name))
    return bad("name '" + d.name + "' must be 1-64 of a-z, 0-9, _ and start with a letter");
  if (!readString(j, "summary", &d.summary, &err, "")) return bad(err);

  std::string maturity = "alpha";
  if (!readString(j, "maturity", &maturity, &err, "")) return bad(err);
  if (maturity == "stable") d.maturity = sdk::Maturity::kStable;
  else if (maturity == "beta") d.maturity = sdk::Maturity::kBeta;
  else if (maturity == "alpha") d.maturity = sdk::Maturity::kAlpha;
  else return bad("unknown maturity '" + maturity + "' (known: stable, beta, alpha)");

  auto kinds = j.find("kinds");
  if (kinds == j.end()) return bad("missing \"kinds\"");
  if (!kinds->is_array() || kinds->empty()) return bad("\"kinds\" must be a non-empty array");
  for (const auto& k : *kinds) {
    std::string kind = k.is_string() ? k.get<std::string>() : k.dump();
    if (kind == "sink") out.sink = true;
    else if (kind == "source") out.source = true;
    else return bad("unknown kind " + kind + " (known: sink, source)");
  }

  auto config = j.find("config");
  if (config == j.end()) return bad("missing \"config\"");
  if (!config->is_array()) return bad("\"config\" must be an array of fields");
  for (size_t i = 0; i < config->size(); ++i) {
    sdk::FieldSpec f;
    if (!parseField((*config)[i], "config[" + std::to_string(i) + "]", &f, &err)) return bad(err);
    d.config.push_back(std::move(f));
  }

  if (auto ts = j.find("thread_safe"); ts != j.end()) {
    if (!ts->is_boolean()) return bad("\"thread_safe\" must be true or false");
    out.thread_safe = ts->get<bool>();
  }
  return out;
}

// The function pointers every plugin needs, plus those its kinds need. "" = complete.
std::string missingFunction(const qiao_plugin_v1& api, const ParsedDescriptor& p) {
  if (!api.create) return "create";
  if (!api.destroy) return "destroy";
  if (!api.health) return "health";
  if (!api.free_string) return "free_string";
  if (p.sink && !api.deliver) return "deliver (required for kind sink)";
  if (p.source && !api.poll) return "poll (required for kind source)";
  return "";
}

// Validates the opened library and registers it. On failure the caller closes the handle.
Result<std::string> registerLoaded(const std::string& path, void* handle,
                                   sdk::Registry& registry, std::string* name_out) {
  dlerror();
  void* sym = dlsym(handle, QIAO_PLUGIN_ENTRY_SYMBOL);
  if (!sym) return refused(path, "not a qiao plugin: missing symbol " QIAO_PLUGIN_ENTRY_SYMBOL);
  auto entry = reinterpret_cast<qiao_plugin_entry_fn>(sym);
  const qiao_plugin_v1* api = entry(QIAO_PLUGIN_ABI_VERSION);
  if (!api)
    return refused(path, "plugin entry returned NULL (it does not support ABI version " +
                             std::to_string(QIAO_PLUGIN_ABI_VERSION) + ")");
  if (api->abi_version != QIAO_PLUGIN_ABI_VERSION)
    return refused(path, "ABI version " + std::to_string(api->abi_version) +
                             ", this gateway speaks " + std::to_string(QIAO_PLUGIN_ABI_VERSION));

  auto parsed = parseDescriptor(api->descriptor_json);
  if (!parsed) return refused(path, parsed.error().message);
  auto p = std::move(parsed).value();
  *name_out = p.desc.name;
  if (auto missing = missingFunction(*api, p); !missing.empty())
    return refused(path, "plugin '" + p.desc.name + "' lacks function " + missing);

  const std::string name = p.desc.name;
  if (const auto* taken = registry.find(name))
    return refused(path,
                   "plugin name '" + name + "' clashes with a connector already registered by " +
                       taken->origin,
                   ErrorCode::kAlreadyExists);

  auto lib = std::make_shared<PluginLib>();
  lib->name = name;
  lib->path = path;
  lib->api = api;
  lib->thread_safe = p.thread_safe;
  auto desc = std::move(p.desc);
  desc.origin = path;
  if (p.sink)
    desc.make_sink = [lib](const sdk::InstanceConfig& c, const sdk::Context&) {
      return detail::makeSink(lib, c);
    };
  if (p.source)
    desc.make_source = [lib](const sdk::InstanceConfig& c, const sdk::Context&) {
      return detail::makeSource(lib, c);
    };
  if (auto st = registry.add(std::move(desc)); !st.ok())
    return refused(path, st.error().message, st.error().code);
  return name;
}

// Loads one file; *name_out gets the plugin's name as soon as its descriptor parsed.
Result<std::string> loadOne(const std::string& path, sdk::Registry& registry,
                            std::string* name_out) {
  dlerror();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    return refused(path, std::string("cannot load shared library: ") + (why ? why : "unknown"));
  }
  auto result = registerLoaded(path, handle, registry, name_out);
  if (!result.ok()) {
    // Nothing from a refused library was registered, so nothing can call into it.
    dlclose(handle);
    return result;
  }
  std::lock_guard<std::mutex> lock(handlesMutex());
  handles().push_back(handle);
  return result;
}

}  // namespace

Result<std::string> loadPlugin(const std::string& path, sdk::Registry& registry) {
  std::string name;
  return loadOne(path, registry, &name);
}

std::vector<PluginLoadReport> loadPlugins(const std::string& dir, sdk::Registry& registry) {
  namespace fs = std::filesystem;
  std::vector<PluginLoadReport> reports;
  if (dir.empty()) return reports;

  std::error_code ec;
  std::vector<std::string> files;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    reports.push_back({dir, false, "", "plugins_dir '" + dir + "' cannot be read: " + ec.message()});
    log::warn("plugin_dir_unreadable", {{"dir", dir}, {"reason", ec.message()}});
    return reports;
  }
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const auto& p = it->path();
    std::error_code fec;
    if (p.extension() == ".so" && it->is_regular_file(fec)) files.push_back(p.string());
  }
  std::sort(files.begin(), files.end());

  for (const auto& file : files) {
    PluginLoadReport rep;
    rep.path = file;
    auto r = loadOne(file, registry, &rep.name);
    rep.loaded = r.ok();
    if (r.ok()) {
      rep.message = file + ": loaded plugin '" + rep.name + "'";
      log::info("plugin_loaded", {{"path", file}, {"name", rep.name}});
    } else {
      rep.message = r.error().message;
      log::warn("plugin_refused", {{"path", file}, {"reason", rep.message}});
    }
    reports.push_back(std::move(rep));
  }
  return reports;
}

}  // namespace qiao::plugin
