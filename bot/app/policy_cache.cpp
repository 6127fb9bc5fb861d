#include "bot/app/policy_cache.hpp"

#include "bot/config/config_loader.hpp"
#include "bot/slack/log.hpp"

namespace desk::bot {

PolicyCache::PolicyCache(storage::Store& store, std::shared_ptr<const handlers::PolicySet> current)
    : store_(store), current_(std::move(current)) {}

std::shared_ptr<const handlers::PolicySet> PolicyCache::resolve(const std::string& digest) {
  if (digest == current_->digest()) return current_;
  std::lock_guard lock(mutex_);
  if (auto it = cache_.find(digest); it != cache_.end()) return it->second;
  std::shared_ptr<const handlers::PolicySet> set;
  try {
    if (auto text = store_.policy_snapshot(digest)) {
      std::shared_ptr<const core::LexiconMatcher> lexicon;  // compiled once, to check it and to use it
      auto policy = parse_config(*text, "policy snapshot " + digest.substr(0, 12), ".", &lexicon);
      set = std::make_shared<handlers::PolicySet>(std::move(policy), std::move(lexicon));
    }
  } catch (const std::exception& e) {
    slack::log_error("policy.snapshot_unusable", {{"digest", digest.substr(0, 12)}, {"error", e.what()}});
  }
  cache_[digest] = set;  // a bad snapshot is reported once, not on every click
  return set;
}

handlers::PolicyResolver PolicyCache::resolver() {
  return [this](const std::string& digest) { return resolve(digest); };
}

}  // namespace desk::bot
