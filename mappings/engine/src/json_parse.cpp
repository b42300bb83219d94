// simdjson on-demand reader into the arena model. Numbers are taken as their raw token text
// (validated here against the JSON grammar) so no number ever passes through double.
#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "qiao/mapping/json.h"

namespace qiao::mapping {

namespace od = simdjson::ondemand;
using detail::Member;
using detail::Node;

namespace {

bool validNumber(std::string_view t) {
  size_t i = 0, n = t.size();
  if (i < n && t[i] == '-') ++i;
  if (i >= n) return false;
  if (t[i] == '0') {
    ++i;
  } else if (t[i] >= '1' && t[i] <= '9') {
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i;
  } else {
    return false;
  }
  if (i < n && t[i] == '.') {
    ++i;
    size_t s = i;
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == s) return false;
  }
  if (i < n && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < n && (t[i] == '+' || t[i] == '-')) ++i;
    size_t s = i;
    while (i < n && t[i] >= '0' && t[i] <= '9') ++i;
    if (i == s) return false;
  }
  return i == n;
}

std::string_view trimRight(std::string_view t) {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\n' || t.back() == '\r'))
    t.remove_suffix(1);
  return t;
}

// Offset of the first byte that is not valid UTF-8 (text.size() if none).
size_t firstInvalidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) { ++i; continue; }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; }
    else return i;
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return n;
}

}  // namespace

struct JsonParser::Impl {
  ParseOptions options;
  od::parser parser;
  std::string padded;               // '[' + text + ']' + padding, reused
  const char* base = nullptr;       // padded.data() + 1: where text starts
  size_t text_size = 0;
  std::vector<std::vector<Node>> node_stack;     // per depth, reused
  std::vector<std::vector<Member>> member_stack; // per depth, reused
  // Duplicate check of big objects, one index per depth: an object nested in a big object is
  // big too, sometimes, and must not wipe its parent's index (a fuzzer found that).
  std::vector<std::unordered_map<std::string_view, uint32_t>> big_keys;
  ParseError error;
  Document* doc = nullptr;
  od::document* odoc = nullptr;

  const char* docLocation() {
    const char* p = nullptr;
    if (odoc && !odoc->current_location().get(p)) return p;
    return nullptr;
  }

  bool fail(const char* at, std::string reason) {
    size_t off = at ? static_cast<size_t>(at - base) : text_size;
    if (at && at < base) off = 0;
    if (off > text_size) off = text_size;
    error.offset = off;
    error.reason = std::move(reason);
    return false;
  }
  bool failCode(const char* at, simdjson::error_code ec) {
    return fail(at, simdjson::error_message(ec));
  }

  const char* locate(od::value& v) {
    auto tok = v.raw_json_token();
    return tok.data();
  }

  bool parseValue(od::value v, Node& out, uint32_t depth);
  bool parseArray(od::value& v, Node& out, uint32_t depth);
  bool parseObject(od::value& v, Node& out, uint32_t depth);
};

bool JsonParser::Impl::parseValue(od::value v, Node& out, uint32_t depth) {
  const char* at = locate(v);
  od::json_type t;
  if (auto ec = v.type().get(t)) return failCode(at, ec);
  out = Node{};
  switch (t) {
    case od::json_type::null: {
      bool is_null = false;
      if (v.is_null().get(is_null) || !is_null) return fail(at, "invalid literal");
      return true;
    }
    case od::json_type::boolean: {
      bool b = false;
      if (v.get_bool().get(b)) return fail(at, "invalid literal");
      out.kind = Kind::kBool;
      out.flag = b;
      return true;
    }
    case od::json_type::number: {
      std::string_view tok = trimRight(v.raw_json_token());
      if (!validNumber(tok)) return fail(at, "invalid number");
      std::string_view t2 = doc->arena().copy(tok);
      out.kind = Kind::kNumber;
      out.size = static_cast<uint32_t>(t2.size());
      out.u.text = t2.data();
      return true;
    }
    case od::json_type::string: {
      std::string_view s;
      if (auto ec = v.get_string().get(s)) return failCode(at, ec);
      std::string_view s2 = doc->arena().copy(s);
      out.kind = Kind::kString;
      out.size = static_cast<uint32_t>(s2.size());
      out.u.text = s2.data();
      return true;
    }
    case od::json_type::array:
      if (depth >= options.max_depth) return fail(at, "nesting deeper than " + std::to_string(options.max_depth));
      return parseArray(v, out, depth + 1);
    case od::json_type::object:
      if (depth >= options.max_depth) return fail(at, "nesting deeper than " + std::to_string(options.max_depth));
      return parseObject(v, out, depth + 1);
  }
  return fail(at, "unexpected character");
}

bool JsonParser::Impl::parseArray(od::value& v, Node& out, uint32_t depth) {
  const char* at = locate(v);
  od::array arr;
  if (auto ec = v.get_array().get(arr)) return failCode(at, ec);
  if (node_stack.size() <= depth) node_stack.resize(depth + 1);
  // Collect children in the per-depth scratch, then copy them to the arena exactly sized.
  size_t mark = node_stack[depth].size();
  for (auto el : arr) {
    od::value ev;
    if (auto ec = el.get(ev)) return failCode(docLocation(), ec);
    Node child;
    if (!parseValue(ev, child, depth)) return false;
    node_stack[depth].push_back(child);
  }
  auto& scratch = node_stack[depth];
  size_t n = scratch.size() - mark;
  out.kind = Kind::kArray;
  out.size = out.cap = static_cast<uint32_t>(n);
  if (n) {
    out.u.items = doc->arena().allocateArray<Node>(n);
    std::memcpy(static_cast<void*>(out.u.items), scratch.data() + mark, n * sizeof(Node));
  }
  scratch.resize(mark);
  return true;
}

bool JsonParser::Impl::parseObject(od::value& v, Node& out, uint32_t depth) {
  const char* at = locate(v);
  od::object obj;
  if (auto ec = v.get_object().get(obj)) return failCode(at, ec);
  if (member_stack.size() <= depth) member_stack.resize(depth + 1);
  if (big_keys.size() <= depth) big_keys.resize(depth + 1);
  size_t mark = member_stack[depth].size();
  bool indexed = false;
  // One bit per (length, last byte) seen in this object: a key whose bit is clear cannot be a
  // duplicate, which spares the scan for nearly every key of a well-formed record.
  uint64_t seen = 0;
  for (auto field : obj) {
    od::field f;
    if (auto ec = std::move(field).get(f)) return failCode(docLocation(), ec);
    std::string_view key;
    if (auto ec = f.unescaped_key().get(key)) return failCode(docLocation(), ec);
    Node child;
    if (!parseValue(f.value(), child, depth)) return false;
    auto& ms = member_stack[depth];
    size_t n = ms.size() - mark;
    // Duplicate keys: the last value wins, at the first one's position.
    Member* dup = nullptr;
    const uint64_t bit = uint64_t{1}
                         << ((key.size() * 7 + (key.empty() ? 0 : static_cast<unsigned char>(key.back()))) & 63);
    const bool maybe_dup = (seen & bit) != 0;
    seen |= bit;
    if (n < 32) {
      for (size_t i = mark; maybe_dup && i < ms.size(); ++i)
        if (ms[i].key_len == key.size() &&
            (key.empty() || std::memcmp(ms[i].key, key.data(), key.size()) == 0)) {
          dup = &ms[i];
          break;
        }
    } else {
      auto& index = big_keys[depth];
      if (!indexed) {  // big object: index what we have so far, then stay O(1) per key
        index.clear();
        for (size_t i = mark; i < ms.size(); ++i)
          index.emplace(std::string_view(ms[i].key, ms[i].key_len), static_cast<uint32_t>(i));
        indexed = true;
      }
      auto it = index.find(key);
      if (it != index.end()) dup = &ms[it->second];
    }
    if (dup) {
      dup->value = child;
      continue;
    }
    std::string_view k = doc->arena().copy(key);
    ms.push_back(Member{k.data(), static_cast<uint32_t>(k.size()), child});
    if (indexed) big_keys[depth].emplace(k, static_cast<uint32_t>(ms.size() - 1));
  }
  if (indexed) big_keys[depth].clear();
  auto& scratch = member_stack[depth];
  size_t n = scratch.size() - mark;
  out.kind = Kind::kObject;
  out.size = out.cap = static_cast<uint32_t>(n);
  if (n) {
    out.u.members = doc->arena().allocateArray<Member>(n);
    std::memcpy(static_cast<void*>(out.u.members), scratch.data() + mark, n * sizeof(Member));
  }
  scratch.resize(mark);
  return true;
}

JsonParser::JsonParser(ParseOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}
JsonParser::~JsonParser() = default;
JsonParser::JsonParser(JsonParser&&) noexcept = default;
JsonParser& JsonParser::operator=(JsonParser&&) noexcept = default;

const ParseError& JsonParser::lastError() const { return impl_->error; }

Status JsonParser::parse(std::string_view text, Document& out) {
  Impl& m = *impl_;
  out.clear();
  m.doc = &out;
  m.error = ParseError{};
  m.text_size = text.size();
  // Wrap the text in [ ] so that every document, scalars included, is an array of one value
  // for the on-demand API; also gives simdjson the padding it needs.
  size_t need = text.size() + 2 + simdjson::SIMDJSON_PADDING;
  if (m.padded.size() < need) m.padded.resize(need);
  char* buf = m.padded.data();
  buf[0] = '[';
  std::memcpy(buf + 1, text.data(), text.size());
  buf[text.size() + 1] = ']';
  std::memset(buf + text.size() + 2, 0, simdjson::SIMDJSON_PADDING);
  m.base = buf + 1;

  bool ok = [&]() -> bool {
    // simdjson's vectorized check first; the byte loop only to say where a bad byte is.
    if (!simdjson::validate_utf8(text.data(), text.size())) {
      size_t bad = firstInvalidUtf8(text);
      return m.fail(m.base + std::min(bad, text.size()), "invalid UTF-8");
    }
    od::document odoc;
    auto ec = m.parser.iterate(buf, text.size() + 2, m.padded.size()).get(odoc);
    if (ec) return m.failCode(nullptr, ec);
    m.odoc = &odoc;
    od::array arr;
    if (auto e2 = odoc.get_array().get(arr)) return m.failCode(m.docLocation(), e2);
    size_t count = 0;
    for (auto el : arr) {
      od::value v;
      if (auto e3 = el.get(v)) return m.failCode(m.docLocation(), e3);
      if (count == 1) return m.fail(m.locate(v), "trailing content after the document");
      if (!m.parseValue(v, *out.root().node(), 0)) return false;
      ++count;
    }
    if (count == 0) return m.fail(m.base, "empty document");
    // Anything left after the closing ']' we added is trailing content.
    const char* rest = m.docLocation();
    if (rest)
      return m.fail(rest, "trailing content after the document");
    return true;
  }();
  m.odoc = nullptr;
  for (auto& s : m.node_stack) s.clear();
  for (auto& s : m.member_stack) s.clear();
  if (ok) return Status::okStatus();

  out.clear();
  // Line and column (in characters) of the offset.
  size_t line = 1, col = 1;
  for (size_t i = 0; i < m.error.offset && i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++line;
      col = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++col;
    }
  }
  m.error.line = line;
  m.error.column = col;
  return Error::permanent(ErrorCode::kMalformedJson,
                          "malformed JSON at line " + std::to_string(line) + ", column " +
                              std::to_string(col) + " (byte " + std::to_string(m.error.offset) +
                              "): " + m.error.reason);
}

Status parseJson(std::string_view text, Document& out) {
  thread_local JsonParser parser;
  return parser.parse(text, out);
}

}  // namespace qiao::mapping
