#pragma once
/// A policy together with what is built from it (rota, compiled engine). Escalations keep the policy
/// they were opened under by digest; a PolicyResolver gives back its PolicySet (the desk parses the
/// stored snapshot once and caches it), so later config edits apply to new escalations only.
#include <functional>
#include <memory>
#include <string>

#include "core/policy.hpp"
#include "core/policy_engine.hpp"
#include "core/rota.hpp"

namespace desk::handlers {

class PolicySet {
 public:
  /// Builds the rota and compiles the engine; throws what they throw (RotaError, LexiconError).
  explicit PolicySet(core::Policy policy)
      : policy_(std::make_unique<core::Policy>(std::move(policy))),
        rota_(std::make_unique<core::Rota>(policy_->roles, policy_->people)),
        engine_(std::make_unique<core::PolicyEngine>(*policy_)) {}

  const core::Policy& policy() const { return *policy_; }
  const core::Rota& rota() const { return *rota_; }
  const core::PolicyEngine& engine() const { return *engine_; }
  const std::string& digest() const { return policy_->source_digest; }

 private:
  // Heap-held so the engine's reference to the policy stays valid.
  std::unique_ptr<core::Policy> policy_;
  std::unique_ptr<core::Rota> rota_;
  std::unique_ptr<core::PolicyEngine> engine_;
};

/// The PolicySet for a policy digest; nullptr when the snapshot is unknown or no longer parses.
using PolicyResolver = std::function<std::shared_ptr<const PolicySet>(const std::string& digest)>;

}  // namespace desk::handlers
