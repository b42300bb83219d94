// OaClient::create and the submit protocol shared by both kinds.
#include "generic_client.h"
#include "oa_backend.h"
#include "oa_sink.h"
#include "weaver_client.h"

namespace qiao::connectors::oa {

Result<std::string> OaBackend::submit(const std::string& record_json, const std::string& key, int attempt) {
  QIAO_ASSIGN_OR_RETURN(Submitted s, submitFull(record_json, key, attempt));
  return s.request_id;
}

Result<Submitted> OaBackend::submitFull(const std::string& record_json, const std::string& key, int attempt) {
  if (key.empty())
    return Error::permanent(ErrorCode::kInvalidArgument, "oa submit: an idempotency key is required");
  {
    std::lock_guard lk(mu_);
    if (auto it = ids_.find(key); it != ids_.end()) return Submitted{it->second, initialState(), true};
  }
  // An earlier try may have created the request and lost the answer: find it first.
  if (attempt > 1) {
    {
      std::lock_guard lk(mu_);
      ++lookups_;
    }
    QIAO_ASSIGN_OR_RETURN(std::string found, lookup(key));
    if (!found.empty()) {
      remember(key, found);
      return Submitted{found, initialState(), true};
    }
  }
  QIAO_ASSIGN_OR_RETURN(Submitted created, create(record_json, key));
  remember(key, created.request_id);
  return created;
}

int64_t OaBackend::lookups() const {
  std::lock_guard lk(mu_);
  return lookups_;
}

void OaBackend::remember(const std::string& key, const std::string& id) {
  std::lock_guard lk(mu_);
  if (ids_.emplace(key, id).second) order_.push_back(key);
  while (order_.size() > kRemembered) {
    ids_.erase(order_.front());
    order_.pop_front();
  }
}

Result<std::unique_ptr<OaBackend>> makeBackend(const std::string& settings_json, const std::string& data_dir) {
  QIAO_ASSIGN_OR_RETURN(OaSettings s, parseOaSettings(settings_json));
  if (s.kind == Kind::kWeaver) {
    if (s.weaver.registration_file.empty() && !data_dir.empty())
      s.weaver.registration_file = data_dir + "/weaver-registration.json";
    return std::unique_ptr<OaBackend>(std::make_unique<WeaverClient>(std::move(s)));
  }
  return std::unique_ptr<OaBackend>(std::make_unique<GenericClient>(std::move(s)));
}

}  // namespace qiao::connectors::oa

namespace qiao::oa {

Result<std::unique_ptr<OaClient>> OaClient::create(const std::string& settings_json) {
  QIAO_ASSIGN_OR_RETURN(auto backend, connectors::oa::makeBackend(settings_json, ""));
  return std::unique_ptr<OaClient>(std::move(backend));
}

}  // namespace qiao::oa
