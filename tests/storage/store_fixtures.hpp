#pragma once
// Shared by the storage tests: a unique temp directory per test (tests/support) and a realistic submission.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "storage/digest.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/temp_dir.hpp"

namespace desk::storage::testing {

using namespace std::chrono_literals;

inline core::TimePoint at(std::int64_t s) { return core::TimePoint{core::Seconds{s}}; }
inline const core::TimePoint kT0 = at(1'717'236'000);  // 2024-06-01 10:00:00 UTC

using desk::testing::TempDir;

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// A second, raw connection to the file with the audit table's guards dropped: what an intruder with
/// write access to the file can do.
inline SQLite::Database raw_without_audit_guards(const std::string& path) {
  SQLite::Database raw(path, SQLite::OPEN_READWRITE);
  raw.exec("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete");
  return raw;
}

/// Runs `sql` with one text parameter on `db`.
inline void exec_with(SQLite::Database& db, const std::string& sql, const std::string& value) {
  SQLite::Statement q(db, sql);
  q.bind(1, value);
  q.exec();
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

inline core::Submission sample_draft() {
  core::Submission s;
  s.workflow = "community_replies";
  s.channel = "linkedin";
  s.agent = "social-agent-3";
  s.confidence = 0.62;
  s.prompt = "Write a LinkedIn post announcing our launch";
  s.output = "We are proud to be the first licensed desk. Prices start at €10. Call Jo on +44 20 7946 0958";
  s.citations = {{"https://example.com/report", std::chrono::year{2022} / 6 / 1},
                 {"https://example.com/undated", std::nullopt}};
  s.permalink = "https://www.linkedin.com/feed/update/example";
  s.suggested_fix = "Replace the licence claim with a general statement";
  s.metadata_json = R"({"campaign":"launch-week"})";
  s.callback_url = "https://agents.example.com/desk-callback";
  s.submitted_at = kT0;
  return s;
}

inline core::TriggerHit hit(core::TriggerKind kind, std::string rule_id, std::string category, std::string route,
                            std::string explanation) {
  core::TriggerHit h;
  h.kind = kind;
  h.rule_id = std::move(rule_id);
  h.category = std::move(category);
  h.route = std::move(route);
  h.explanation = std::move(explanation);
  return h;
}

inline std::vector<core::TriggerHit> sample_hits() {
  core::TriggerHit confidence = hit(core::TriggerKind::low_confidence, "confidence/community_replies", "", "",
                                    "confidence 0.62 is below the workflow's threshold 0.80");
  confidence.threshold = 0.80;
  confidence.value = 0.62;
  core::TriggerHit lexicon =
      hit(core::TriggerKind::lexicon, "lexicon/pricing/prices", "pricing", "legal_oncall", "mentions pricing");
  lexicon.begin = 44;
  lexicon.end = 50;
  lexicon.matched = "Prices";
  core::TriggerHit phone =
      hit(core::TriggerKind::personal_data, "personal_data/phone", "phone", "legal_oncall", "contains a phone number");
  phone.begin = 73;
  phone.end = 89;
  phone.matched = "+44 ** **** **58";
  core::TriggerHit stale = hit(core::TriggerKind::stale_citation, "stale_citation/community_replies", "", "",
                               "citation is older than 12 months");
  stale.citation_url = "https://example.com/report";
  stale.citation_date = std::chrono::year{2022} / 6 / 1;
  stale.oldest_allowed = std::chrono::year{2023} / 6 / 1;
  return {confidence, lexicon, phone, stale};
}

inline core::Escalation sample_escalation() {
  core::Escalation e;
  e.workflow = "community_replies";
  e.channel = "linkedin";
  e.agent = "social-agent-3";
  e.policy_digest = sha256_hex("policy text");
  e.owner_role = "legal_oncall";
  e.owner_person = "lee";
  e.opened_at = kT0;
  e.owned_since = kT0;
  e.deadlines = {{core::DeadlineKind::backup_ping, kT0 + 3min, std::nullopt},
                 {core::DeadlineKind::triage, kT0 + 5min, std::nullopt},
                 {core::DeadlineKind::decision, kT0 + 30min, std::nullopt}};
  return e;
}

/// An escalated draft with four hits, its escalation (three deadlines) and an "escalation.opened" event.
inline NewSubmission escalated_submission(std::string idempotency_key = "") {
  NewSubmission s;
  s.submission = sample_draft();
  s.verdict = core::Verdict::escalated;
  s.hits = sample_hits();
  s.escalation = sample_escalation();
  s.audit = {{"escalation.opened", "", "desk", kT0, {{"owner", "lee"}, {"route", "legal_oncall"}}}};
  s.idempotency_key = std::move(idempotency_key);
  s.idempotency_scope = sha256_hex("agent token 1");
  return s;
}

inline NewSubmission approved_submission() {
  NewSubmission s;
  s.submission = sample_draft();
  s.submission.confidence = 0.97;
  s.submission.output = "Our launch is next week.";
  s.verdict = core::Verdict::approved;
  s.audit = {{"submission.approved", "", "social-agent-3", kT0, {}}};
  return s;
}

/// Runs `f` and returns the StorageError code it threw; fails the test if it threw nothing else.
template <typename F>
std::optional<StorageError::Code> storage_error_code(F&& f, std::string* message = nullptr) {
  try {
    f();
  } catch (const StorageError& e) {
    if (message) *message = e.what();
    return e.code();
  }
  return std::nullopt;
}

}  // namespace desk::storage::testing
