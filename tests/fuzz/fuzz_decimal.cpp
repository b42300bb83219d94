// libFuzzer target: Decimal::parse (separators, currency, full-width) and Decimal::fromText on
// arbitrary bytes. A parsed value must format to text that fromText reads back to the same value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "qiao/core/decimal.h"

using qiao::Decimal;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Decimal::ParseOptions paren;
  paren.allow_parentheses = true;
  for (auto r : {Decimal::parse(text), Decimal::parse(text, paren), Decimal::fromText(text)}) {
    if (!r.ok()) continue;
    std::string s = r->toString();
    auto back = Decimal::fromText(s);
    if (!back.ok() || Decimal::compare(*back, *r) != 0) __builtin_trap();
  }
  return 0;
}
