// Compiled paths into a document: `a.b`, `lines[0].qty`, `lines[*].qty`, `["odd.key"]`, or a
// JSON pointer `/a/b/0`. Compile once per mapping rule, look up per record without allocating.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qiao/core/result.h"
#include "qiao/mapping/document.h"

namespace qiao::mapping {

class Path {
 public:
  struct Step {
    enum Type : uint8_t {
      kKey,       // object member
      kIndex,     // array element
      kWildcard,  // every element of an array (or member value of an object)
      kPointer,   // JSON pointer segment: member key, or element index when numeric
    };
    Type type;
    std::string key;
    int64_t index = -1;
  };

  // Syntax errors are kInvalidArgument with the column of the offending character.
  static Result<Path> compile(std::string_view text);

  const std::string& text() const { return text_; }
  const std::vector<Step>& steps() const { return steps_; }
  bool empty() const { return steps_.empty(); }  // the root itself
  bool hasWildcard() const { return wildcard_; }

 private:
  std::string text_;
  std::vector<Step> steps_;
  bool wildcard_ = false;
};

// The value at path (the first match for a wildcard path); missing if absent.
Value get(Value root, const Path& path);
inline Value get(Document& doc, const Path& path) { return get(doc.root(), path); }

// Every value matched by path, appended to out (reuse out across records to avoid allocating).
void getAll(Value root, const Path& path, std::vector<Value>& out);

// The value at path, creating objects, arrays and null-padded elements as needed; the returned
// slot is then set by the caller. Errors: a wildcard step, or an existing scalar in the way.
Result<Value> setPath(Document& doc, const Path& path);
Result<Value> setPath(Document& doc, std::string_view path);  // compiles each call

}  // namespace qiao::mapping
