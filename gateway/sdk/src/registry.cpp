#include "qiao/sdk/connector.h"

namespace qiao::sdk {

const char* toString(FieldType t) {
  switch (t) {
    case FieldType::kString: return "string";
    case FieldType::kInt: return "int";
    case FieldType::kBool: return "bool";
    case FieldType::kDuration: return "duration";
    case FieldType::kUrl: return "url";
    case FieldType::kEnum: return "enum";
    case FieldType::kSecret: return "secret";
    case FieldType::kStringList: return "string_list";
    case FieldType::kObject: return "object";
  }
  return "string";
}

const char* toString(Maturity m) {
  switch (m) {
    case Maturity::kStable: return "stable";
    case Maturity::kBeta: return "beta";
    case Maturity::kAlpha: return "alpha";
  }
  return "alpha";
}

Status Registry::add(Descriptor descriptor) {
  if (descriptor.name.empty())
    return Error::permanent(ErrorCode::kInvalidArgument, "connector descriptor has no name");
  auto name = descriptor.name;
  auto [it, inserted] = by_name_.emplace(name, std::move(descriptor));
  if (!inserted)
    return Error::permanent(ErrorCode::kAlreadyExists,
                            "connector type '" + name + "' is already registered by " +
                                it->second.origin);
  return {};
}

const Descriptor* Registry::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &it->second;
}

std::vector<const Descriptor*> Registry::all() const {
  std::vector<const Descriptor*> out;
  for (const auto& [_, d] : by_name_) out.push_back(&d);
  return out;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> out;
  for (const auto& [n, _] : by_name_) out.push_back(n);
  return out;
}

}  // namespace qiao::sdk
