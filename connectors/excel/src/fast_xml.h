// A fast tokenizer for the plain subset of XML that spreadsheet writers produce (elements,
// attributes, text, the five entities and character references, an XML declaration). It feeds
// the same SAX handler as expat, several times faster on sheets whose text is all character
// references (openpyxl writes 订 as &#35746;). Anything outside that subset — comments, CDATA,
// DOCTYPE, CR, non-ASCII names, invalid UTF-8, any malformation — makes it give up (kBail);
// XmlStream then parses the entry again from its start with expat, which decides (and words
// the error) exactly as it always did. So the subset needs to be right, never complete.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "xlsx_zip.h"

namespace qiao::excel::detail {

class FastXml {
 public:
  enum class Outcome { kNeedMore, kDone, kBail };
  explicit FastXml(const XmlHandler& handler) : handler_(handler) {}
  // Appends a chunk (final: no more follow) and delivers every complete token. `failed` is
  // checked after each event: a handler's fail() makes it bail too.
  Outcome feed(std::string_view chunk, bool final, const std::string& failed);

 private:
  enum class Step { kOk, kIncomplete, kBail };
  Step tag(size_t* pos, const std::string& failed);
  Step text(size_t* pos, bool final, const std::string& failed);
  bool decode(std::string_view in, std::string* out, bool attribute) const;

  const XmlHandler& handler_;
  std::string pending_;               // bytes not consumed yet
  std::vector<std::string> open_;     // qualified names of the open elements
  std::string attr_text_, text_;
  std::vector<size_t> attr_offsets_;
  std::vector<const char*> attrs_;
  bool started_ = false;              // anything consumed (the declaration must come first)
  bool root_seen_ = false;
};

}  // namespace qiao::excel::detail
