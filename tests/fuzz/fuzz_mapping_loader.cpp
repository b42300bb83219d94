// libFuzzer target: the mapping loader on arbitrary bytes (YAML, rules, value maps, expressions,
// date patterns). Loading must return a value or a diagnostic, never crash or leak. Loaded plans
// are also applied to a small order so compiled rules run at least once.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"

using namespace qiao::mapping;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  LoadOptions options;
  options.mappings_dir = "/nonexistent-qiao-fuzz";  // include: must not reach real files
  auto plan = loadMappingText(text, "fuzz.yaml", options);
  if (!plan.ok()) return 0;
  static const char kOrder[] =
      R"({"orderId":"SO-1","orderDate":"2026-04-22","createdAt":"2026-04-22T05:18:22+08:00",)"
      R"("currency":"CNY","status":"approved","isUrgent":"N","totalAmount":"1,234.50","a":1,)"
      R"("lines":[{"lineNo":1,"qty":"3","price":"9.99","unit":"PCS"},{"qty":2.5,"price":"x"}]})";
  Document in, out, back;
  if (!parseJson(kOrder, in).ok()) __builtin_trap();
  (void)apply(**plan, in.root(), out, Direction::kForward);
  (void)apply(**plan, out.root(), back, Direction::kReverse);
  return 0;
}
