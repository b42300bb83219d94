// The `excel` source: each poll reads rows of the files in a drop folder (oldest name first)
// and hands them out as records; the watermark remembers the file (by content hash) and the
// last row delivered, so a restart resumes where the committed records end. A file is moved
// to archive/ on the poll after its last row was committed; an unreadable file to rejected/
// with a .error.txt beside it. Files younger than min_file_age are left for a later poll.
#pragma once

#include <memory>

#include "excel_config.h"
#include "qiao/excel/row_json.h"
#include "qiao/sdk/connector.h"

namespace qiao::connectors::excel {

class ExcelSource final : public sdk::Source {
 public:
  explicit ExcelSource(ExcelConfig cfg);
  Result<sdk::PollResult> poll(const std::string& watermark, size_t max_records) override;
  sdk::Health health() override;

 private:
  struct Open {
    std::string path, sha;
    std::unique_ptr<qiao::excel::TableReader> table;
    std::unique_ptr<qiao::excel::RowConverter> converter;
    int key_index = -1;
    int64_t last_row = 0;
  };
  std::vector<std::string> listFiles() const;
  Status moveTo(const std::string& path, const std::string& folder) const;
  Error reject(const std::string& path, const Error& why) const;

  ExcelConfig cfg_;
  std::unique_ptr<Open> open_;
};

}  // namespace qiao::connectors::excel
