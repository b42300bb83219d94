// Private to qiao_config: the diagnostic collector and typed readers over yaml-cpp nodes.
// Every reader reports problems as Diagnostics and returns nullopt; none throws.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "qiao/config/config.h"

namespace qiao::config::detail {

// A spot in a config file.
struct Where {
  std::string file;
  int line = 0;
  int column = 0;
  std::string text() const;  // "file:line:column"
};

class Ctx {
 public:
  Ctx(std::string dir, std::vector<Diagnostic>* diags, std::vector<std::string>* secrets)
      : dir_(std::move(dir)), diags_(diags), secrets_(secrets) {}

  std::string file;  // the file being read, as reported in diagnostics

  const std::string& dir() const { return dir_; }
  Where where(const YAML::Node& node) const;
  void error(const YAML::Node& at, const std::string& path, std::string message);
  void errorAt(const Where& at, const std::string& path, std::string message);

  // The scalar's text with ${env:NAME} / ${file:PATH} references replaced. *had_ref says
  // whether any reference was present. Resolved values are recorded as secrets.
  std::optional<std::string> resolve(const YAML::Node& node, const std::string& path,
                                     bool* had_ref = nullptr);

 private:
  std::string dir_;
  std::vector<Diagnostic>* diags_;
  std::vector<std::string>* secrets_;
};

// Pure text parsers (shared by the readers and by schema defaults).
std::optional<int64_t> parseIntText(const std::string& s);
std::optional<double> parseNumberText(const std::string& s);
std::optional<int64_t> parseDurationText(const std::string& s);  // "500ms", "1h30m", "250"

std::optional<std::string> readString(Ctx& c, const YAML::Node& n, const std::string& path);
std::optional<int64_t> readInt(Ctx& c, const YAML::Node& n, const std::string& path,
                               int64_t min, int64_t max);
std::optional<double> readNumber(Ctx& c, const YAML::Node& n, const std::string& path,
                                 double min);
std::optional<bool> readBool(Ctx& c, const YAML::Node& n, const std::string& path);
std::optional<int64_t> readDurationMs(Ctx& c, const YAML::Node& n, const std::string& path,
                                      int64_t max = INT64_MAX);
std::optional<std::string> readEnum(Ctx& c, const YAML::Node& n, const std::string& path,
                                    const std::vector<std::string>& allowed);
// A value that must come from a ${env:} or ${file:} reference.
std::optional<std::string> readSecret(Ctx& c, const YAML::Node& n, const std::string& path);
std::optional<std::string> readTimezone(Ctx& c, const YAML::Node& n, const std::string& path);

using Handler = std::function<void(const YAML::Node& value, const std::string& path)>;
struct Key {
  std::string name;
  Handler handle;
};

// Walks a map node: reports unknown keys (did-you-mean or the allowed list) and duplicate
// keys, and calls each known key's handler. Returns the keys seen, or nullopt if the node
// is not a map (reported). A null node counts as an empty map.
std::optional<std::set<std::string>> readMap(Ctx& c, const YAML::Node& node,
                                             const std::string& path,
                                             const std::vector<Key>& keys);

// "unknown <kind> 'word'; did you mean 'x'?" or "...; allowed: a, b, c".
std::string unknownMessage(const std::string& kind, const std::string& word,
                           std::vector<std::string> allowed,
                           const std::string& allowed_label = "allowed");
std::string join(const std::vector<std::string>& items, const std::string& sep);
std::string joinPath(const std::string& path, const std::string& key);
// Letters, digits, '_', '-', '.'.
bool validName(const std::string& name);

}  // namespace qiao::config::detail
