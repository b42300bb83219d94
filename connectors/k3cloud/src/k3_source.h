// The `k3cloud` source: an incremental pull of one form (settings `pull:`), e.g. receipts
// (AR_RECEIVEBILL) for reconciliation or customers (BD_Customer) for the two-way sync.
//
// Each poll asks ExecuteBillQuery for "<key>,<modified>,<number>" with
// `<modified> >= '<watermark - overlap>'` (and the configured filter), ordered by modified time
// then key, page by page; skips the (id, modify time) pairs the watermark says were already
// emitted; and for shape model Views each new bill and turns it into the Save-Model shape.
// Errors (a 5xx, a K/3 MsgCode) fail the whole poll: nothing is returned and the watermark
// stays where it was, so the next fire reads the same bills again.
#pragma once

#include <memory>
#include <string>

#include "k3_client.h"
#include "k3_pull.h"
#include "qiao/sdk/connector.h"

namespace qiao::connectors::k3cloud {

class K3Source final : public sdk::Source {
 public:
  K3Source(K3Config cfg, PullConfig pull, std::string instance_name);

  Result<sdk::PollResult> poll(const std::string& watermark, size_t max_records) override;
  sdk::Health health() override;

  K3Client& client() { return *client_; }
  const PullConfig& pull() const { return pull_; }

 private:
  struct Candidate {
    std::string id;
    std::string mtime;   // canonical
    std::string number;
    nlohmann::json row;  // shape rows: the row keyed by field key
  };
  // The record for one new bill; found=false when the bill was deleted since the query.
  Result<bool> makeRecord(const Candidate& c, Record* out);

  PullConfig pull_;
  std::string instance_name_;
  std::unique_ptr<K3Client> client_;
};

}  // namespace qiao::connectors::k3cloud
