// The `receiver` simulator: a generic target that records what it is sent, answers with an
// id, dedupes on an idempotency header and misbehaves on demand (see docs/simulators.md).
//   POST|PUT|PATCH /sim/receiver/<name>[/anything]   record the request (an "effect")
//   GET  /sim/receiver/<name>/_stats | _records | _config | _faults
//   POST /sim/receiver/<name>/_reset | _config | _faults
//   GET  /sim/receiver/                              stats of every receiver
#pragma once

#include <atomic>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "sim_server.h"

namespace qiao::sim {

class ReceiverSim : public Simulator {
 public:
  ReceiverSim();
  ~ReceiverSim() override;
  std::string name() const override { return "receiver"; }
  void handle(Exchange& ex) override;
  nlohmann::json saveState() override;
  void loadState(const nlohmann::json& state) override;
  bool dirty() const override { return dirty_.load(); }

  struct Receiver;  // one named receiver's state

 private:
  std::shared_ptr<Receiver> get(const std::string& name);  // created on first use
  void write(Receiver& r, Exchange& ex);
  void admin(Receiver& r, const std::string& op, Exchange& ex);

  mutable std::shared_mutex map_mu_;
  std::unordered_map<std::string, std::shared_ptr<Receiver>> receivers_;
  std::atomic<bool> dirty_{false};
};

}  // namespace qiao::sim
