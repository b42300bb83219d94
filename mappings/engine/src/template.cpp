// `template:` texts (docs/mapping.md#template--text-with-fields): parsed once at load into
// literal pieces and placeholder sources; the applier (convert.cpp) fills them per record.
#include "plan.h"

namespace qiao::mapping::detail {
namespace {

// Where byte lies: "column C" (code points, 1-based: templates are mostly Chinese text, 3
// bytes a character), "line L, column C" inside a multi-line (block) template.
std::string where(std::string_view text, size_t byte) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < byte && i < text.size(); ++i) {
    if (text[i] == '\n') ++line, col = 1;
    else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) ++col;
  }
  return (line > 1 ? "line " + std::to_string(line) + ", " : std::string()) + "column " + std::to_string(col);
}

Error templateError(std::string_view text, size_t byte, const std::string& why) {
  return Error::permanent(ErrorCode::kInvalidArgument, "bad template at " + where(text, byte) + ": " + why);
}

}  // namespace

Result<std::vector<TemplatePart>> compileTemplate(std::string_view text) {
  if (text.size() > kTemplateMaxBytes)
    return templateError(text, 0, "longer than " + std::to_string(kTemplateMaxBytes) + " bytes");
  std::vector<TemplatePart> parts;
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    parts.push_back(TemplatePart{std::move(literal), std::nullopt});
    literal.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '}') {
      if (i + 1 < text.size() && text[i + 1] == '}') {
        literal += '}', ++i;
        continue;
      }
      return templateError(text, i, "unmatched '}' (write '}}' for a brace)");
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{', ++i;
      continue;
    }
    const size_t close = text.find('}', i + 1);
    if (close == std::string_view::npos)
      return templateError(text, i, "'{' without a closing '}' (write '{{' for a brace)");
    std::string_view inner = text.substr(i + 1, close - i - 1);
    const std::string shown = "{" + std::string(inner) + "}";
    if (inner.find('{') != std::string_view::npos)
      return templateError(text, i, "'{' inside the placeholder '" + shown + "'");
    if (inner.empty()) return templateError(text, i, "empty placeholder '{}'");
    Source s;
    s.text = std::string(inner);
    std::string_view p = inner;
    if (p[0] == '^') s.parent = true, p.remove_prefix(1);
    auto path = Path::compile(p);
    if (!path.ok())
      return templateError(text, i, "placeholder '" + shown + "': " + path.error().message);
    s.path = std::move(path).value();
    flush();
    parts.push_back(TemplatePart{"", std::move(s)});
    i = close;
  }
  flush();
  return parts;
}

}  // namespace qiao::mapping::detail
