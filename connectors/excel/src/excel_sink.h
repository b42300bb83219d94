// The `excel` sink: appends each record as one row of a CSV export file (UTF-8 with BOM) named
// by file_pattern ({date}, {entity}). Idempotent through a hidden ".<file>.keys" list beside
// the export: a record whose idempotency key is listed is not written again.
#pragma once

#include <map>
#include <mutex>
#include <set>

#include "excel_config.h"
#include "qiao/sdk/connector.h"

namespace qiao::connectors::excel {

class ExcelSink final : public sdk::Sink {
 public:
  explicit ExcelSink(ExcelConfig cfg) : cfg_(std::move(cfg)) {}
  Result<sdk::Delivery> deliver(const Record& record) override;
  sdk::Health health() override;

 private:
  struct FileState {
    std::vector<std::string> columns;
    std::set<std::string> keys;
    int64_t rows = 0;
  };
  Result<FileState*> stateFor(const std::string& path, const std::vector<std::string>& first_keys);

  ExcelConfig cfg_;
  std::mutex mu_;
  std::map<std::string, FileState> files_;
};

}  // namespace qiao::connectors::excel
