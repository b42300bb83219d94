// Private to qiao_runtime (only files that already use nlohmann include it): reading one value
// of a record by JSON pointer as text.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace qiao::runtime {

// The text at pointer in doc: strings as they are, numbers as written; "" when absent, not a
// scalar, or the pointer is empty or malformed.
inline std::string textAt(const nlohmann::json& doc, const std::string& pointer) {
  if (pointer.empty()) return "";
  try {
    const nlohmann::json& v = doc.at(nlohmann::json::json_pointer(pointer));
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number()) return v.dump();
  } catch (const nlohmann::json::exception&) {
  }
  return "";
}

}  // namespace qiao::runtime
