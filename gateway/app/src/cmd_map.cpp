// `qiao map`: runs a mapping file over records from a file or stdin, for writing and checking
// mappings without a gateway. NDJSON is streamed (one record in memory at a time).
//
// stdout: one mapped document per record (compact, one per line; --pretty indents). With
// --explain each record's document is followed by lines starting with '#':
//   # <where>: <business key>
//   #   <target> = <value written>  <- <source>=<value>, ... | <how>  @ <file:line:col rules[i]>
// so `grep -v '^#'` leaves the plain output. A field whose source is absent shows "(absent)";
// a field not written shows "(not written)"; a failed field shows "!! <error>".
// stderr: one line per field error, "<where>: <key>: <source> -> <target> (<rule>): value <v>:
// <message>"; malformed NDJSON lines as "<where>: <reason>". <where> is "file:line" for NDJSON,
// "file" or "file[i]" (array element) for .json.
//
// --xref FILE.json feeds `lookup:` rules offline: a JSON array of
// {"entity": "customer", "system": "k3cloud", "local": "C-001", "remote": "CUST0042"}.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>

#include "cli.h"
#include "qiao/mapping/json.h"
#include "qiao/mapping/mapping.h"
#include "qiao/mapping/ndjson.h"

namespace qiao::app {
namespace {

namespace m = qiao::mapping;

constexpr const char* kMapUsage =
    "usage: qiao map --mapping FILE --input FILE.json|FILE.ndjson|- [--reverse] [--explain] "
    "[--pretty] [--xref FILE.json]\n"
    "--xref: ID cross-reference for lookup rules, a JSON array of\n"
    "        {\"entity\": \"customer\", \"system\": \"k3cloud\", \"local\": \"C-001\", \"remote\": \"CUST0042\"}\n"
    "exit codes: 0 all records mapped, 1 mapping file invalid or input unreadable,\n"
    "            2 usage, 5 some records not mapped (field errors or malformed lines)\n";

bool endsWith(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The cross-reference from --xref: an in-memory table, both ways.
class FileXref : public m::XrefResolver {
 public:
  // Reads the file; "" or why it cannot be used ("<file>[2]: ...").
  std::string load(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return "cannot open " + path;
    std::stringstream text;
    text << f.rdbuf();
    m::Document doc;
    Status st = m::parseJson(text.str(), doc);
    if (!st.ok()) return path + ": " + st.error().message;
    m::Value root = doc.root();
    if (!root.isArray())
      return path + ": expected a JSON array of {\"entity\", \"system\", \"local\", \"remote\"}";
    for (size_t i = 0; i < root.size(); ++i) {
      m::Value e = root.at(i);
      std::string v[4];
      const char* keys[4] = {"entity", "system", "local", "remote"};
      for (int k = 0; k < 4; ++k) {
        m::Value x = e.find(keys[k]);
        if (!x.isString() || x.asString().empty())
          return path + "[" + std::to_string(i) + "]: \"" + keys[k] + "\" must be a non-empty text";
        v[k] = std::string(x.asString());
      }
      to_remote_[{v[0], v[1], v[2]}] = v[3];
      to_local_[{v[0], v[1], v[3]}] = v[2];
    }
    return "";
  }
  Result<std::optional<std::string>> toRemote(std::string_view entity, std::string_view system,
                                              std::string_view id) const override {
    return find(to_remote_, entity, system, id);
  }
  Result<std::optional<std::string>> toLocal(std::string_view entity, std::string_view system,
                                             std::string_view id) const override {
    return find(to_local_, entity, system, id);
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  static std::optional<std::string> find(const std::map<Key, std::string>& table,
                                         std::string_view entity, std::string_view system,
                                         std::string_view id) {
    auto it = table.find(Key{entity, system, id});
    if (it == table.end()) return std::nullopt;
    return it->second;
  }
  std::map<Key, std::string> to_remote_, to_local_;
};

class Mapper {
 public:
  Mapper(const m::MappingPlan& plan, m::Direction dir, bool explain, bool pretty,
         const m::XrefResolver* xref)
      : plan_(plan), dir_(dir), explain_(explain) {
    write_.pretty = pretty;
    options_.xref = xref;
    options_.errors = &errors_;
    options_.trace = explain ? &trace_ : nullptr;
  }

  void record(const std::string& where, const m::Value& in) {
    // On field errors the status repeats errors_, which says everything per field.
    Status st = m::apply(plan_, in, result_, dir_, options_);
    out_.clear();
    if (!st.ok() && errors_.empty()) {  // not the record's fault (the cross-reference failed)
      ++failed_;
      std::fflush(stdout);
      std::fprintf(stderr, "%s: %s\n", where.c_str(), st.error().message.c_str());
    } else if (errors_.empty()) {
      m::writeJson(result_.root(), out_, write_);
      out_ += '\n';
      ++mapped_;
    } else {
      ++failed_;
      std::string err;
      for (const auto& e : errors_) err += errorLine(where, e);
      std::fflush(stdout);  // keep stdout and stderr in record order on a terminal
      std::fputs(err.c_str(), stderr);
    }
    if (explain_) explain(where, in);
    std::fwrite(out_.data(), 1, out_.size(), stdout);
  }

  void malformed(const std::string& where, const std::string& reason) {
    ++failed_;
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s\n", where.c_str(), reason.c_str());
  }

  size_t failed() const { return failed_; }

 private:
  static std::string errorLine(const std::string& where, const m::FieldError& e) {
    std::string s = where + ": ";
    if (!e.business_key.empty()) s += e.business_key + ": ";
    if (!e.source.empty()) s += e.source + " -> ";
    s += e.target + " (" + e.rule + "): ";
    if (!e.value.empty()) s += "value " + e.value + ": ";
    return s + e.message + "\n";
  }

  void explain(const std::string& where, const m::Value& in) {
    std::string key = m::businessKey(plan_, in);
    out_ += "# " + where + (key.empty() ? "" : ": " + key) + "\n";
    for (const auto& t : trace_) {
      out_ += "#   " + t.target;
      if (!t.error.empty())
        out_ += " !! " + t.error;
      else if (t.value.empty())
        out_ += " (not written)";
      else
        out_ += " = " + t.value;
      std::string from;
      for (const auto& s : t.sources)
        from +=
            (from.empty() ? "" : ", ") + s.path + "=" + (s.value.empty() ? "(absent)" : s.value);
      if (!t.how.empty()) from += (from.empty() ? "" : " | ") + t.how;
      if (!from.empty()) out_ += "  <- " + from;
      out_ += "  @ " + t.rule + "\n";
    }
  }

  const m::MappingPlan& plan_;
  m::Direction dir_;
  bool explain_;
  m::WriteOptions write_;
  m::ApplyOptions options_;
  m::Document result_;
  m::FieldErrors errors_;
  m::Trace trace_;
  std::string out_;
  size_t mapped_ = 0, failed_ = 0;
};

int streamNdjson(Mapper& mapper, m::NdjsonReader& reader, const std::string& name) {
  m::Document doc;
  Status st = Status::okStatus();
  while (reader.next(doc, st)) {
    std::string where = name + ":" + std::to_string(reader.lineNumber());
    if (!st.ok())
      mapper.malformed(where, st.error().message);
    else
      mapper.record(where, doc.root());
  }
  return kExitOk;
}

int mapJsonFile(Mapper& mapper, const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    std::fprintf(stderr, "qiao map: cannot open %s\n", path.c_str());
    return kExitInvalid;
  }
  std::stringstream text;
  text << f.rdbuf();
  m::Document doc;
  Status st = m::parseJson(text.str(), doc);
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), st.error().message.c_str());
    return kExitInvalid;
  }
  m::Value root = doc.root();
  if (!root.isArray()) {
    mapper.record(path, root);
    return kExitOk;
  }
  for (size_t i = 0; i < root.size(); ++i)
    mapper.record(path + "[" + std::to_string(i) + "]", root.at(i));
  return kExitOk;
}

}  // namespace

int cmdMap(const Args& args) {
  for (const auto& [flag, value] : args.flags) {
    if (flag != "--mapping" && flag != "--input" && flag != "--reverse" && flag != "--explain" &&
        flag != "--pretty" && flag != "--xref") {
      std::fprintf(stderr, "qiao map: unknown option %s\n%s", flag.c_str(), kMapUsage);
      return kExitUsage;
    }
  }
  std::string mapping_file = args.get("--mapping"), input = args.get("--input");
  if (mapping_file.empty() || mapping_file == "true" || input.empty() || input == "true" ||
      !args.positional.empty()) {
    std::fputs(kMapUsage, stderr);
    return kExitUsage;
  }
  auto plan = m::loadMapping(mapping_file);
  if (!plan.ok()) {
    // One diagnostic per line, each "file:line:column: where: message".
    std::fprintf(stderr, "%s\n", plan.error().message.c_str());
    return kExitInvalid;
  }
  bool reverse = args.has("--reverse");
  if (reverse) {
    for (const auto& w : (*plan)->warnings()) std::fprintf(stderr, "note: %s\n", w.c_str());
  }
  FileXref xref;
  const bool has_xref = args.has("--xref");
  if (has_xref) {
    std::string xref_file = args.get("--xref");
    if (xref_file.empty() || xref_file == "true") {
      std::fputs(kMapUsage, stderr);
      return kExitUsage;
    }
    std::string why = xref.load(xref_file);
    if (!why.empty()) {
      std::fprintf(stderr, "qiao map: --xref %s\n", why.c_str());
      return kExitInvalid;
    }
  }
  Mapper mapper(**plan, reverse ? m::Direction::kReverse : m::Direction::kForward,
                args.has("--explain"), args.has("--pretty"), has_xref ? &xref : nullptr);
  int rc;
  if (input == "-") {
    m::NdjsonReader reader(std::cin);
    rc = streamNdjson(mapper, reader, "<stdin>");
  } else if (endsWith(input, ".ndjson") || endsWith(input, ".jsonl")) {
    auto reader = m::NdjsonReader::openFile(input);
    if (!reader.ok()) {
      std::fprintf(stderr, "qiao map: %s\n", reader.error().message.c_str());
      return kExitInvalid;
    }
    rc = streamNdjson(mapper, **reader, input);
  } else {
    rc = mapJsonFile(mapper, input);
  }
  std::fflush(stdout);
  if (rc != kExitOk) return rc;
  return mapper.failed() ? kExitRecordsFailed : kExitOk;
}

}  // namespace qiao::app
