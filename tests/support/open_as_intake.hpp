#pragma once
// Opens an escalation for a submission the way intake does, for tests that need one in the store:
// evaluates it under the policy, opens its escalation under the overrides active at `now`, and
// commits submission, escalation, audit events and `outbox` in one store transaction.
#include <string>
#include <vector>

#include "core/lifecycle.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::testing {

struct OpenAsIntake {
  bool drill = false;
  std::vector<storage::OutboxMessage> outbox = {};
};

/// The escalation's id; empty when the policy lets the submission through (no escalation).
inline std::string open_as_intake(storage::Store& store, const handlers::PolicySet& set, const core::Submission& s,
                                  core::TimePoint now, OpenAsIntake options = {}) {
  const core::Evaluation ev = set.engine().evaluate(s);
  if (ev.verdict != core::Verdict::escalated) return {};
  const auto overrides = store.overrides_active_after(now);
  const core::LifecycleContext ctx{set.policy(), set.rota(), overrides};
  core::Opened opened = core::open_escalation(s, ev, ctx, now);
  opened.escalation.drill = options.drill;
  storage::NewSubmission ns;
  ns.submission = s;
  ns.verdict = ev.verdict;
  ns.hits = ev.hits;
  ns.escalation = std::move(opened.escalation);
  ns.audit = std::move(opened.audit);
  ns.outbox = std::move(options.outbox);
  return store.add_submission(ns).escalation_id;
}

}  // namespace desk::testing
