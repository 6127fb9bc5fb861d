#pragma once
/// Escalations keep the policy they were opened under (SPEC, flow step 5): each stored snapshot is
/// parsed once, on first use, and kept. Safe to use from several threads.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::bot {

class PolicyCache {
 public:
  /// `store` must outlive the cache.
  PolicyCache(storage::Store& store, std::shared_ptr<const handlers::PolicySet> current);

  /// The policy new escalations open under.
  std::shared_ptr<const handlers::PolicySet> current() const { return current_; }

  /// The policy with `digest`; null when no usable snapshot exists (reported once, in the log).
  std::shared_ptr<const handlers::PolicySet> resolve(const std::string& digest);

  /// resolve() as a handlers::PolicyResolver; the cache must outlive it.
  handlers::PolicyResolver resolver();

 private:
  storage::Store& store_;
  std::shared_ptr<const handlers::PolicySet> current_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<const handlers::PolicySet>> cache_;
};

}  // namespace desk::bot
