// Direct JSON writer: appends to a caller-owned buffer; numbers are emitted as their exact text.
#include <cstdint>
#include <cstring>

#include "qiao/mapping/json.h"

namespace qiao::mapping {

namespace {

// 1 for bytes that need escaping: ", \ and control characters.
struct EscapeTable {
  bool esc[256] = {};
  constexpr EscapeTable() {
    for (int i = 0; i < 0x20; ++i) esc[i] = true;
    esc[static_cast<unsigned char>('"')] = true;
    esc[static_cast<unsigned char>('\\')] = true;
  }
};
constexpr EscapeTable kEscape;

// Any byte of the 8 in w that is '"', '\\' or below 0x20? (bit tricks on one word; bytes of
// UTF-8 sequences, 0x80 and up, never match)
inline bool wordNeedsEscape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  auto zeroByte = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  uint64_t below20 = (w - kOnes * 0x20) & ~w & kHigh;
  return (below20 | zeroByte(w ^ (kOnes * '"')) | zeroByte(w ^ (kOnes * '\\'))) != 0;
}

void writeString(std::string_view s, std::string& out) {
  out.push_back('"');
  const char* p = s.data();
  const char* end = p + s.size();
  const char* run = p;
  while (p < end) {
    // Whole words without anything to escape are skipped at once (most texts, Chinese included).
    if (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (!wordNeedsEscape(w)) {
        p += 8;
        continue;
      }
    }
    unsigned char c = static_cast<unsigned char>(*p++);
    if (!kEscape.esc[c]) continue;
    out.append(run, p - 1 - run);
    run = p;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default: {
        static const char hex[] = "0123456789abcdef";
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        out.append(u, 6);
      }
    }
  }
  out.append(run, end - run);
  out.push_back('"');
}

void newline(std::string& out, const WriteOptions& o, int level) {
  out.push_back('\n');
  out.append(static_cast<size_t>(o.indent) * level, ' ');
}

void write(Value v, std::string& out, const WriteOptions& o, int level) {
  switch (v.kind()) {
    case Kind::kNull: out.append("null"); return;
    case Kind::kBool: out.append(v.asBool() ? "true" : "false"); return;
    case Kind::kNumber: out.append(v.numberText()); return;
    case Kind::kString: writeString(v.asString(), out); return;
    case Kind::kArray: {
      size_t n = v.size();
      out.push_back('[');
      for (size_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        if (o.pretty) newline(out, o, level + 1);
        write(v.at(i), out, o, level + 1);
      }
      if (o.pretty && n) newline(out, o, level);
      out.push_back(']');
      return;
    }
    case Kind::kObject: {
      size_t n = v.size();
      out.push_back('{');
      for (size_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        if (o.pretty) newline(out, o, level + 1);
        writeString(v.keyAt(i), out);
        out.append(o.pretty ? ": " : ":");
        write(v.valueAt(i), out, o, level + 1);
      }
      if (o.pretty && n) newline(out, o, level);
      out.push_back('}');
      return;
    }
  }
}

}  // namespace

void writeJson(Value v, std::string& out, const WriteOptions& options) {
  write(v, out, options, 0);
}

std::string toJson(Value v, const WriteOptions& options) {
  std::string out;
  writeJson(v, out, options);
  return out;
}

}  // namespace qiao::mapping
