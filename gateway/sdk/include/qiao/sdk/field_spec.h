// A connector's configuration schema, declared as data. One table drives parsing,
// validation (unknown keys, types, required, allowed values), `qiao connectors list`
// and the generated reference docs.
#pragma once

#include <string>
#include <vector>

namespace qiao::sdk {

enum class FieldType { kString, kInt, kBool, kDuration, kUrl, kEnum, kSecret, kStringList, kObject };

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  bool required = false;
  std::string default_value;          // as written in YAML; empty = none
  std::vector<std::string> allowed;   // for kEnum
  std::string description;
  std::string example;
  std::vector<FieldSpec> children;    // for kObject
};

const char* toString(FieldType t);

}  // namespace qiao::sdk
