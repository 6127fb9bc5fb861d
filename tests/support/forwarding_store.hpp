#pragma once
// A Store that passes every call to another one (usually a real SqliteStore). Tests derive from it and
// override only what they hook (a failure, a competing change), so a new Store method is added here
// once rather than in every test double.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "storage/store.hpp"

namespace desk::testing {

class ForwardingStore : public storage::Store {
 public:
  explicit ForwardingStore(storage::Store& inner) : inner_(inner) {}

  storage::SubmissionIds add_submission(const storage::NewSubmission& s) override { return inner_.add_submission(s); }
  std::vector<storage::SubmissionOutcome> add_submissions(const std::vector<storage::NewSubmission>& b) override {
    return inner_.add_submissions(b);
  }
  std::optional<storage::StoredSubmission> submission(const std::string& id) override { return inner_.submission(id); }
  std::optional<std::string> submission_scope(const std::string& id) override { return inner_.submission_scope(id); }
  std::size_t open_escalations(const std::string& scope) override { return inner_.open_escalations(scope); }
  void set_submission_response(const std::string& id, const std::string& j) override {
    inner_.set_submission_response(id, j);
  }
  std::optional<storage::SubmissionIds> find_by_idempotency_key(const std::string& s, const std::string& k) override {
    return inner_.find_by_idempotency_key(s, k);
  }
  using Store::escalation;
  using Store::escalations;
  using Store::undecided_escalations;
  std::optional<core::Escalation> escalation(const std::string& id, storage::Hits hits) override {
    return inner_.escalation(id, hits);
  }
  std::vector<core::Escalation> escalations(std::optional<core::EscalationState> s, int limit,
                                            storage::Hits hits) override {
    return inner_.escalations(s, limit, hits);
  }
  std::vector<core::Escalation> undecided_escalations(storage::Hits hits) override {
    return inner_.undecided_escalations(hits);
  }
  std::vector<core::Escalation> escalations_opened_since(core::TimePoint since) override {
    return inner_.escalations_opened_since(since);
  }
  core::MetricTotals metric_totals() override { return inner_.metric_totals(); }
  std::vector<core::ShadowFacts> shadow_facts_since(core::TimePoint since) override {
    return inner_.shadow_facts_since(since);
  }
  std::vector<std::string> replayable_submissions(core::TimePoint since) override {
    return inner_.replayable_submissions(since);
  }
  using Store::update_escalation;
  bool update_escalation(const core::Escalation& e, const std::vector<core::AuditEvent>& audit,
                         const std::vector<storage::OutboxMessage>& outbox,
                         const std::optional<storage::DrillScoring>& scoring) override {
    return inner_.update_escalation(e, audit, outbox, scoring);
  }
  std::optional<storage::EvidenceBundle> evidence(const std::string& id) override { return inner_.evidence(id); }
  storage::Erasure erase_submission(const std::string& id, const std::string& by, const std::string& why,
                                    core::TimePoint at, const std::vector<storage::OutboxMessage>& outbox) override {
    return inner_.erase_submission(id, by, why, at, outbox);
  }

  void append_audit(const std::vector<core::AuditEvent>& events) override { inner_.append_audit(events); }
  std::map<std::string, storage::BreachCounts> breach_counts(core::TimePoint since) override {
    return inner_.breach_counts(since);
  }
  std::vector<storage::AuditRow> audit_trail(const std::string& id) override { return inner_.audit_trail(id); }
  storage::AuditVerification verify_audit() override { return inner_.verify_audit(); }
  storage::AuditChain audit_chain() override { return inner_.audit_chain(); }

  void save_policy_snapshot(const std::string& d, const std::string& t) override { inner_.save_policy_snapshot(d, t); }
  std::optional<std::string> policy_snapshot(const std::string& d) override { return inner_.policy_snapshot(d); }
  std::int64_t add_override(const core::RotaOverride& o, const core::AuditEvent& a) override {
    return inner_.add_override(o, a);
  }
  std::vector<core::RotaOverride> overrides_active_after(core::TimePoint t) override {
    return inner_.overrides_active_after(t);
  }
  std::optional<core::TimePoint> first_recorded_at() override { return inner_.first_recorded_at(); }
  bool digest_posted(const std::string& week) override { return inner_.digest_posted(week); }
  bool record_digest(const std::string& week, core::TimePoint at, const std::vector<storage::OutboxMessage>& rows,
                     const std::vector<core::AuditEvent>& audit) override {
    return inner_.record_digest(week, at, rows, audit);
  }
  std::optional<std::string> last_sop_digest() override { return inner_.last_sop_digest(); }
  bool record_sop(const std::string& digest, core::TimePoint at, const std::vector<storage::OutboxMessage>& rows,
                  const std::vector<core::AuditEvent>& audit) override {
    return inner_.record_sop(digest, at, rows, audit);
  }
  std::optional<storage::AnnouncedHolder> announced_holder(const std::string& role) override {
    return inner_.announced_holder(role);
  }
  bool announce_holder(const storage::AnnouncedHolder& holder, const std::optional<std::string>& expected,
                       const std::vector<storage::OutboxMessage>& notice,
                       const std::vector<core::AuditEvent>& audit) override {
    return inner_.announce_holder(holder, expected, notice, audit);
  }
  using Store::add_postmortem;
  std::int64_t add_postmortem(const storage::PostMortem& p,
                              const std::vector<storage::OutboxMessage>& outbox) override {
    return inner_.add_postmortem(p, outbox);
  }
  void edit_postmortem(const storage::PostMortem& p, const std::vector<storage::OutboxMessage>& outbox) override {
    inner_.edit_postmortem(p, outbox);
  }
  std::vector<storage::PostMortem> postmortems(const std::string& id) override { return inner_.postmortems(id); }
  std::vector<storage::PostMortem> postmortems_filed_since(core::TimePoint since) override {
    return inner_.postmortems_filed_since(since);
  }
  using Store::add_drill;
  std::int64_t add_drill(const storage::Drill& d, const std::vector<core::AuditEvent>& audit) override {
    return inner_.add_drill(d, audit);
  }
  using Store::drills;
  std::vector<storage::Drill> drills(core::TimePoint since) override { return inner_.drills(since); }
  std::optional<storage::Drill> drill_of(const std::string& id) override { return inner_.drill_of(id); }

  std::int64_t enqueue(const std::vector<storage::OutboxMessage>& m, const std::vector<core::AuditEvent>& a) override {
    return inner_.enqueue(m, a);
  }
  using Store::outbox_due;
  std::vector<storage::OutboxMessage> outbox_due(core::TimePoint now, int limit,
                                                 const std::optional<std::vector<std::string>>& surfaces) override {
    return inner_.outbox_due(now, limit, surfaces);
  }
  std::vector<storage::OutboxMessage> outbox_in_doubt() override { return inner_.outbox_in_doubt(); }
  std::optional<storage::OutboxMessage> outbox_message(std::int64_t id) override { return inner_.outbox_message(id); }
  std::vector<storage::OutboxMessage> outbox_history(const std::string& surface, int limit) override {
    return inner_.outbox_history(surface, limit);
  }
  std::vector<storage::OutboxMessage> outbox_of_escalation(const std::string& escalation_id, int limit) override {
    return inner_.outbox_of_escalation(escalation_id, limit);
  }
  std::vector<storage::OutboxMessage> outbox_claim(core::TimePoint now, int limit,
                                                   const std::optional<std::vector<std::string>>& surfaces) override {
    return inner_.outbox_claim(now, limit, surfaces);
  }
  std::vector<std::string> outbox_settle(const std::vector<storage::OutboxSettlement>& settlements) override {
    return inner_.outbox_settle(settlements);
  }
  void outbox_mark_sending(std::int64_t id, core::TimePoint at) override { inner_.outbox_mark_sending(id, at); }
  void outbox_mark_sent(std::int64_t id, const std::string& r, core::TimePoint at) override {
    inner_.outbox_mark_sent(id, r, at);
  }
  void outbox_retry(std::int64_t id, core::TimePoint next, const std::string& e) override {
    inner_.outbox_retry(id, next, e);
  }
  void outbox_fail(std::int64_t id, const std::string& e) override { inner_.outbox_fail(id, e); }
  using Store::outbox_next_attempt;
  std::optional<core::TimePoint> outbox_next_attempt(const std::optional<std::vector<std::string>>& surfaces) override {
    return inner_.outbox_next_attempt(surfaces);
  }
  storage::OutboxStats outbox_stats() override { return inner_.outbox_stats(); }
  storage::OutboxFailures outbox_failures(int latest) override { return inner_.outbox_failures(latest); }

  void record_message(const storage::MessageRef& ref) override { inner_.record_message(ref); }
  std::optional<storage::MessageRef> message(const std::string& id, const std::string& surface) override {
    return inner_.message(id, surface);
  }
  std::vector<storage::MessageRef> messages(const std::string& id) override { return inner_.messages(id); }
  std::optional<std::string> escalation_of_message(const std::string& surface, const std::string& channel,
                                                   const std::string& message_id) override {
    return inner_.escalation_of_message(surface, channel, message_id);
  }

  int mark_processed_batch(const std::vector<std::string>& ids, core::TimePoint at) override {
    return inner_.mark_processed_batch(ids, at);
  }
  std::vector<storage::ProcessedId> processed_since(core::TimePoint at) override { return inner_.processed_since(at); }
  int prune_processed(core::TimePoint before) override { return inner_.prune_processed(before); }

  bool record_hotline_message(const storage::HotlineMessage& message) override {
    return inner_.record_hotline_message(message);
  }
  std::vector<storage::HotlineMessage> pending_hotline_messages(const std::string& surface) override {
    return inner_.pending_hotline_messages(surface);
  }
  std::optional<storage::HotlineMessage> hotline_message(const storage::MessageKey& key) override {
    return inner_.hotline_message(key);
  }

 protected:
  storage::Store& inner_;
};

}  // namespace desk::testing
