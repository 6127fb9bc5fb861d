#pragma once
/// A policy together with what is built from it (rota, compiled engine). Escalations keep the policy
/// they were opened under by digest; a PolicyResolver gives back its PolicySet (the desk parses the
/// stored snapshot once and caches it), so later config edits apply to new escalations only.
#include <functional>
#include <future>
#include <memory>
#include <string>

#include "core/policy.hpp"
#include "core/policy_engine.hpp"
#include "core/rota.hpp"

namespace desk::handlers {

class PolicySet {
 public:
  /// Builds the rota and compiles the engine; throws what they throw (RotaError, LexiconError).
  /// `lexicon`, when given, was compiled from `policy.lexicon` already (parse_config hands it out).
  explicit PolicySet(core::Policy policy, std::shared_ptr<const core::LexiconMatcher> lexicon = nullptr)
      : policy_(std::make_unique<core::Policy>(std::move(policy))),
        rota_(std::make_unique<core::Rota>(policy_->roles, policy_->people)) {
    std::promise<std::unique_ptr<const core::PolicyEngine>> built;
    built.set_value(make_engine(*policy_, std::move(lexicon)));
    engine_ = built.get_future().share();
  }

  /// Builds the rota now (throwing RotaError) and compiles the engine on a thread of its own: RE2's
  /// compiling was most of the desk's start-up, and only evaluating a draft needs the engine, not a
  /// /rota answer or a surface's connection. For a policy whose lexicon was checked already (by
  /// parse_config): engine() waits for the compiler, and would throw its LexiconError.
  static std::shared_ptr<const PolicySet> compiling_in_background(
      core::Policy policy, std::shared_ptr<const core::LexiconMatcher> lexicon = nullptr) {
    return std::shared_ptr<const PolicySet>(new PolicySet(std::move(policy), std::move(lexicon), std::launch::async));
  }

  const core::Policy& policy() const { return *policy_; }
  const core::Rota& rota() const { return *rota_; }
  const core::PolicyEngine& engine() const { return *engine_.get(); }
  const std::string& digest() const { return policy_->source_digest; }

 private:
  PolicySet(core::Policy policy, std::shared_ptr<const core::LexiconMatcher> lexicon, std::launch)
      : policy_(std::make_unique<core::Policy>(std::move(policy))),
        rota_(std::make_unique<core::Rota>(policy_->roles, policy_->people)),
        engine_(std::async(std::launch::async, [p = policy_.get(), lexicon = std::move(lexicon)]() mutable {
                  auto engine = make_engine(*p, std::move(lexicon));
                  return_freed_memory();
                  return engine;
                }).share()) {}

  /// RE2 frees most of what compiling allocates, but in this thread's own malloc arena, which nothing
  /// else allocates from: handed back to the system, it does not stay in the desk's resident memory.
  static void return_freed_memory();

  static std::unique_ptr<const core::PolicyEngine> make_engine(const core::Policy& policy,
                                                               std::shared_ptr<const core::LexiconMatcher> lexicon) {
    if (lexicon) return std::make_unique<const core::PolicyEngine>(policy, std::move(lexicon));
    return std::make_unique<const core::PolicyEngine>(policy);
  }

  // Heap-held so the engine's reference to the policy stays valid; the engine is declared last, so
  // that destroying a set waits for a compiler still running before the policy it reads goes.
  std::unique_ptr<core::Policy> policy_;
  std::unique_ptr<core::Rota> rota_;
  std::shared_future<std::unique_ptr<const core::PolicyEngine>> engine_;
};

/// The engine a handler evaluates drafts with: one built already, or a PolicySet's, which may still be
/// compiling (compiling_in_background) until the first draft needs it.
class EngineSource {
 public:
  EngineSource(const core::PolicyEngine& built) : built_(&built) {}  // NOLINT: a built engine converts
  EngineSource(const PolicySet& set) : set_(&set) {}                 // NOLINT: so does a set
  const core::PolicyEngine& get() const { return built_ != nullptr ? *built_ : set_->engine(); }

 private:
  const core::PolicyEngine* built_ = nullptr;
  const PolicySet* set_ = nullptr;
};

/// The PolicySet for a policy digest; nullptr when the snapshot is unknown or no longer parses.
using PolicyResolver = std::function<std::shared_ptr<const PolicySet>(const std::string& digest)>;

}  // namespace desk::handlers
