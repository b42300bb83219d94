// libFuzzer target: the simdjson-backed JSON reader on arbitrary bytes. A parse either fails with
// an in-range position or yields a document whose written text parses again to an equal document.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "qiao/mapping/json.h"

using namespace qiao::mapping;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static JsonParser parser;
  static Document doc, again;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!parser.parse(text, doc).ok()) {
    if (parser.lastError().offset > size) __builtin_trap();
    return 0;
  }
  std::string out;
  writeJson(doc.root(), out);
  if (!parser.parse(out, again).ok()) __builtin_trap();  // our own output must read back
  if (!equal(doc.root(), again.root())) __builtin_trap();
  return 0;
}
