#include "excel_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "qiao/excel/sheet.h"
#include "qiao/excel/writer.h"

namespace qiao::connectors::excel {
namespace {

using ojson = nlohmann::ordered_json;

std::string csvField(const std::string& v, char delim) {
  if (v.find_first_of(std::string("\"\r\n") + delim) == std::string::npos) return v;
  std::string s = "\"";
  for (char ch : v) {
    if (ch == '"') s += '"';
    s += ch;
  }
  return s + "\"";
}

std::string cellText(const ojson& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return qiao::excel::escapeFormula(v.get<std::string>());
  if (v.is_boolean()) return v.get<bool>() ? "TRUE" : "FALSE";
  if (v.is_number()) return v.dump();
  return qiao::excel::escapeFormula(v.dump());
}

Status appendDurably(const std::string& path, const std::string& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error::transient(ErrorCode::kConnectorError, "excel: cannot open the export file for appending");
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      ::close(fd);
      return Error::transient(ErrorCode::kConnectorError, "excel: write to the export file failed (disk full?)");
    }
    done += static_cast<size_t>(n);
  }
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Error::transient(ErrorCode::kConnectorError, "excel: fsync of the export file failed");
  return Status();
}

}  // namespace

Result<ExcelSink::FileState*> ExcelSink::stateFor(const std::string& path, const std::vector<std::string>& first_keys) {
  auto it = files_.find(path);
  if (it != files_.end()) return &it->second;
  FileState st;
  const std::string name = path.substr(path.find_last_of('/') + 1);
  const std::string keys_path = cfg_.folder + "/." + name + ".keys";
  struct stat sb{};
  if (::stat(path.c_str(), &sb) == 0) {
    // An existing export: its header decides the columns, its key list the duplicates.
    qiao::excel::ReadOptions ro;
    ro.delimiter = cfg_.csv_delimiter;
    auto t = qiao::excel::openTable(path, ro);
    if (!t.ok()) return t.takeError();
    st.columns = (*t)->header();
    std::ifstream keys(keys_path);
    for (std::string line; std::getline(keys, line);) {
      if (!line.empty()) st.keys.insert(line);
    }
  } else {
    st.columns = cfg_.columns.empty() ? first_keys : cfg_.columns;
    std::string header = "\xEF\xBB\xBF";
    for (size_t i = 0; i < st.columns.size(); ++i) {
      header += (i ? std::string(1, cfg_.csv_delimiter) : "") + csvField(st.columns[i], cfg_.csv_delimiter);
    }
    header += "\r\n";
    QIAO_RETURN_IF_ERROR(qiao::excel::writeFileAtomically(path, header));
  }
  return &files_.emplace(path, std::move(st)).first->second;
}

Result<sdk::Delivery> ExcelSink::deliver(const Record& record) {
  ojson doc = ojson::parse(record.payload, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Error::permanent(ErrorCode::kMalformedJson, "excel: the record is not a JSON object");
  }
  int64_t when = record.created_at_ms > 0 ? record.created_at_ms
                                          : std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch()).count();
  QIAO_ASSIGN_OR_RETURN(std::string name, exportFileName(cfg_.file_pattern, when, record.entity));
  const std::string path = cfg_.folder + "/" + name;
  std::vector<std::string> keys;
  for (auto& [k, v] : doc.items()) keys.push_back(k);

  std::lock_guard<std::mutex> lock(mu_);
  QIAO_ASSIGN_OR_RETURN(FileState* st, stateFor(path, keys));
  if (!record.idempotency_key.empty() && st->keys.count(record.idempotency_key) != 0) {
    return sdk::Delivery{name, ""};  // written before: one effect only
  }
  std::string unknown;
  for (const auto& k : keys) {
    if (std::find(st->columns.begin(), st->columns.end(), k) == st->columns.end() && !doc[k].is_null()) {
      unknown += (unknown.empty() ? "" : ", ") + k;
    }
  }
  if (!unknown.empty()) {
    return Error::permanent(ErrorCode::kInvalidArgument, "excel: fields not among the export's columns of " +
                            name + ": " + unknown + " (list them under columns:)");
  }
  std::string line;
  for (size_t i = 0; i < st->columns.size(); ++i) {
    if (i) line += cfg_.csv_delimiter;
    auto it = doc.find(st->columns[i]);
    if (it != doc.end()) line += csvField(cellText(*it), cfg_.csv_delimiter);
  }
  line += "\r\n";
  // Row first, key second: a crash in between repeats a row rather than losing one.
  QIAO_RETURN_IF_ERROR(appendDurably(path, line));
  if (!record.idempotency_key.empty()) {
    QIAO_RETURN_IF_ERROR(appendDurably(cfg_.folder + "/." + name + ".keys", record.idempotency_key + "\n"));
    st->keys.insert(record.idempotency_key);
  }
  ++st->rows;
  return sdk::Delivery{name, ""};
}

sdk::Health ExcelSink::health() {
  if (::access(cfg_.folder.c_str(), W_OK) != 0) return {false, "outbox " + cfg_.folder + " is not writable"};
  return {true, ""};
}

}  // namespace qiao::connectors::excel
