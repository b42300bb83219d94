// Private to qiao_config: handler factories binding a typed reader to a destination field,
// shared by the section readers.
#pragma once

#include <climits>

#include "reader.h"

namespace qiao::config::detail {

inline Handler str(Ctx& c, std::string* dst) {
  return [&c, dst](const YAML::Node& v, const std::string& p) {
    if (auto s = readString(c, v, p)) *dst = *s;
  };
}
inline Handler nonEmptyStr(Ctx& c, std::string* dst) {
  return [&c, dst](const YAML::Node& v, const std::string& p) {
    auto s = readString(c, v, p);
    if (!s) return;
    if (s->empty()) c.error(v, p, "must not be empty");
    else *dst = *s;
  };
}
template <typename T>
Handler integer(Ctx& c, T* dst, int64_t min, int64_t max) {
  return [&c, dst, min, max](const YAML::Node& v, const std::string& p) {
    if (auto i = readInt(c, v, p, min, max)) *dst = static_cast<T>(*i);
  };
}
template <typename T>
Handler millis(Ctx& c, T* dst, int64_t min) {
  return [&c, dst, min](const YAML::Node& v, const std::string& p) {
    auto ms = readDurationMs(c, v, p, sizeof(T) < 8 ? INT_MAX : INT64_MAX);
    if (!ms) return;
    if (*ms < min)
      c.error(v, p, "must be at least " + std::to_string(min) + "ms, got " + v.Scalar());
    else
      *dst = static_cast<T>(*ms);
  };
}
inline Handler boolean(Ctx& c, bool* dst) {
  return [&c, dst](const YAML::Node& v, const std::string& p) {
    if (auto b = readBool(c, v, p)) *dst = *b;
  };
}
inline Handler oneOf(Ctx& c, std::string* dst, std::vector<std::string> allowed) {
  return [&c, dst, allowed](const YAML::Node& v, const std::string& p) {
    if (auto s = readEnum(c, v, p, allowed)) *dst = *s;
  };
}

inline void missing(Ctx& c, const YAML::Node& key, const std::string& path,
                    const std::string& name, const std::string& hint) {
  c.error(key, joinPath(path, name), "required key '" + name + "' is missing (" + hint + ")");
}

}  // namespace qiao::config::detail
