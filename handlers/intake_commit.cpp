// IntakeHandler: committing evaluated submissions, alone or many in one transaction, and answering
// each only after its own commit. Routing and validation are in intake_handler.cpp.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

#include "core/lifecycle.hpp"
#include "handlers/drills.hpp"
#include "handlers/intake_handler.hpp"
#include "handlers/intake_responses.hpp"
#include "handlers/verdict_json.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;

// What a retry with the same Idempotency-Key must repeat. The stored submission's own fields serve as
// the body's digest: they are committed with the key in one transaction, so no crash or race can
// leave a key without them. Compared after parsing, so re-serialised JSON (other key order or
// spacing) still counts as the same; what the desk does not keep (a citation's title) cannot tell
// two bodies apart.
bool same_request(const core::Submission& a, const core::Submission& b) {
  auto citations_equal = [](const core::Citation& x, const core::Citation& y) {
    return x.url == y.url && x.published_at == y.published_at;
  };
  return a.workflow == b.workflow && a.channel == b.channel && a.agent == b.agent && a.confidence == b.confidence &&
         a.prompt == b.prompt && a.output == b.output && a.permalink == b.permalink &&
         a.suggested_fix == b.suggested_fix && a.metadata_json == b.metadata_json && a.callback_url == b.callback_url &&
         std::equal(a.citations.begin(), a.citations.end(), b.citations.begin(), b.citations.end(), citations_equal);
}

HttpResponse created_or_ok(const storage::SubmissionIds& ids, std::string body) {
  const bool escalated = !ids.escalation_id.empty();
  HttpResponse r{escalated ? 201 : 200, intake::kJson, std::move(body), {}};
  if (escalated) r.headers.emplace_back("Location", "/v1/escalations/" + ids.escalation_id);
  return r;
}

}  // namespace

std::vector<HttpResponse> IntakeHandler::commit(std::vector<PendingSubmission> batch) {
  const std::size_t n = batch.size();
  std::vector<HttpResponse> out(n);
  std::vector<std::string> answers(n);  // built inside the transaction, once the ids are known
  std::vector<storage::SubmissionOutcome> outcomes(n);
  try {
    std::vector<core::RotaOverride> overrides;
    auto escalated = [](const PendingSubmission& p) { return p.evaluation.verdict == core::Verdict::escalated; };
    if (std::any_of(batch.begin(), batch.end(), escalated)) {
      // One read for the batch, from its earliest instant: the rota picks what covers each one's `now`.
      core::TimePoint earliest = batch.front().now;
      for (const auto& p : batch) earliest = std::min(earliest, p.now);
      overrides = store_.overrides_active_after(earliest);
      // Saved before the submissions, in its own transaction: if they then fail, an unused
      // content-addressed snapshot is all that is left, never an escalation without its snapshot.
      if (!policy_.source_digest.empty() && !snapshot_saved_.load()) {
        store_.save_policy_snapshot(policy_.source_digest, policy_.source_text);
        snapshot_saved_.store(true);
      }
    }
    const std::vector<bool> over_quota = over_open_quota(batch);
    std::vector<storage::NewSubmission> rows;
    std::vector<std::size_t> row_of;  // rows[k] is batch[row_of[k]]; a submission that cannot be built is left out
    rows.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      if (over_quota[i]) {
        out[i] = quota_refusal();
        continue;
      }
      try {
        rows.push_back(to_new_submission(batch[i], overrides, &answers[i]));
        row_of.push_back(i);
      } catch (...) { outcomes[i].error = std::current_exception(); }
    }
    auto stored = store_.add_submissions(rows);
    for (std::size_t k = 0; k < row_of.size() && k < stored.size(); ++k) outcomes[row_of[k]] = std::move(stored[k]);
  } catch (...) {
    // Nothing was committed (the reads before the transaction failed, or the store threw as a whole).
    for (auto& o : outcomes) o = {std::nullopt, std::current_exception()};
  }
  for (std::size_t i = 0; i < n; ++i) {
    HttpResponse r;
    if (out[i].status == 429) {
      r = std::move(out[i]);
    } else {
      try {
        r = committed(batch[i], outcomes[i], std::move(answers[i]));
      } catch (...) { r = intake::failure_answer(); }
    }
    out[i] = counted(std::move(r), true, batch[i].started);
  }
  return out;
}

std::vector<bool> IntakeHandler::over_open_quota(const std::vector<PendingSubmission>& batch) {
  std::vector<bool> over(batch.size(), false);
  const auto cap = static_cast<std::size_t>(std::max(0, limits_.open_escalations_per_token));
  if (cap == 0) return over;
  // Counted on the committer's thread, where every submission is committed: nothing can open an
  // escalation between this count and the commit. A retried key opens nothing, so it is never refused.
  std::map<std::string, std::size_t> open;  // token digest: undecided now, plus this batch's so far
  std::set<std::pair<std::string, std::string>> keys;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const PendingSubmission& p = batch[i];
    if (p.evaluation.verdict != core::Verdict::escalated) continue;
    if (!p.key.empty() && (!keys.emplace(p.scope, p.key).second || store_.find_by_idempotency_key(p.scope, p.key)))
      continue;
    auto it = open.find(p.scope);
    if (it == open.end()) it = open.emplace(p.scope, store_.open_escalations(p.scope)).first;
    if (it->second >= cap)
      over[i] = true;
    else
      ++it->second;
  }
  return over;
}

HttpResponse IntakeHandler::quota_refusal() const {
  HttpResponse r = intake::error(
      429, "too_many_open_escalations",
      "this token already has " + std::to_string(limits_.open_escalations_per_token) +
          " undecided escalations (limits.open_escalations_per_token); nothing was stored: retry once people have "
          "decided some");
  r.headers.emplace_back("Retry-After", "60");
  return r;
}

storage::NewSubmission IntakeHandler::to_new_submission(const PendingSubmission& p,
                                                        std::span<const core::RotaOverride> overrides,
                                                        std::string* answer_out) {
  const core::Submission& s = p.submission;
  const core::Evaluation& ev = p.evaluation;
  storage::NewSubmission ns;
  ns.submission = s;
  ns.verdict = ev.verdict;
  ns.hits = ev.hits;
  ns.shadow_hits = ev.shadow_hits;
  ns.idempotency_key = p.key;
  ns.idempotency_scope = p.scope;
  ns.audit.push_back({"submission.received",
                      "",
                      s.agent.empty() ? "desk" : s.agent,
                      p.now,
                      {{"workflow", s.workflow}, {"verdict", core::to_string(ev.verdict)}}});
  if (ev.verdict == core::Verdict::escalated) {
    const core::LifecycleContext ctx{policy_, rota_, overrides};
    core::Opened opened = core::open_escalation(s, ev, ctx, p.now);
    ns.escalation = std::move(opened.escalation);
    ns.audit.insert(ns.audit.end(), opened.audit.begin(), opened.audit.end());
    // The escalation id is assigned inside the commit, so the store fills it into the row's
    // escalation_id; the payload cannot name it and carries nothing else the sender needs.
    for (auto& post : effect_rows(Effect::post_escalation, surfaces_, "", nlohmann::json::object(), p.now))
      ns.outbox.push_back(std::move(post));
    if (p.drill) {
      ns.escalation->drill = true;
      ns.drill = p.drill;
      ns.audit.push_back(drill_started_event(*p.drill));
    }
  }
  // `answer_out` and `ev` outlive the commit (commit() keeps them); the escalation is copied because
  // `ns` moves into the batch.
  ns.response = [this, answer_out, &ev, e = ns.escalation,
                 drill = ns.drill](const storage::SubmissionIds& ids) mutable {
    if (e) {
      e->id = ids.escalation_id;
      e->submission_id = ids.submission_id;
    }
    if (drill) drill->escalation_id = ids.escalation_id;
    *answer_out =
        answer(ids.submission_id, ev.verdict, ev.hits, ev.hits_total, e ? &*e : nullptr, drill ? &*drill : nullptr);
    return *answer_out;
  };
  return ns;
}

HttpResponse IntakeHandler::committed(const PendingSubmission& p, const storage::SubmissionOutcome& outcome,
                                      std::string answer_body) {
  if (outcome.error) std::rethrow_exception(outcome.error);
  if (!outcome.ids) return intake::internal_error();  // a store that gave no outcome: never answer as if committed
  const storage::SubmissionIds& ids = *outcome.ids;
  if (ids.replayed) return replay(ids, p.submission);
  if (!p.drill) count(p.evaluation);  // fire drills stay out of the real figures
  if (answer_body.empty()) {
    // A store that does not keep `response` inside its transaction: save the answer now, as replays
    // would rebuild it anyway if this failed.
    std::optional<core::Escalation> e;
    if (!ids.escalation_id.empty()) e = store_.escalation(ids.escalation_id);
    answer_body =
        answer(ids.submission_id, p.evaluation.verdict, p.evaluation.hits, p.evaluation.hits_total, e ? &*e : nullptr);
    try {
      store_.set_submission_response(ids.submission_id, answer_body);
    } catch (const storage::StorageError&) {
      // The submission is committed, so the agent gets its answer; a replay rebuilds it from the store.
    }
  }
  return created_or_ok(ids, std::move(answer_body));
}

HttpResponse IntakeHandler::replay(const storage::SubmissionIds& ids, const core::Submission& parsed) {
  auto stored = store_.submission(ids.submission_id);
  if (!stored) throw storage::StorageError(storage::StorageError::Code::not_found, "replayed submission missing");
  if (!same_request(stored->submission, parsed))
    return intake::error(422, "idempotency_key_reused",
                         "this Idempotency-Key was used for a different submission; use a new key for a new draft",
                         "Idempotency-Key");
  std::string body = stored->response_json;
  if (body.empty()) {
    // The first request committed but its answer was not saved (an older database, or a store that
    // keeps it separately): rebuild it from the store, as the first request built it, and keep it.
    std::optional<core::Escalation> e;
    if (!ids.escalation_id.empty() && !(e = store_.escalation(ids.escalation_id)))
      throw storage::StorageError(storage::StorageError::Code::not_found, "replayed escalation missing");
    body = answer(ids.submission_id, stored->verdict, stored->hits, stored->hits_total, e ? &*e : nullptr);
    store_.set_submission_response(ids.submission_id, body);
  }
  HttpResponse r = created_or_ok(ids, std::move(body));
  r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

std::string IntakeHandler::answer(const std::string& submission_id, core::Verdict verdict,
                                  const std::vector<core::TriggerHit>& hits, std::size_t hits_total,
                                  const core::Escalation* e, const storage::Drill* drill) const {
  json j = {{"submission_id", submission_id}, {"verdict", core::to_string(verdict)}};
  add_hits(j, hits, hits_total);
  if (e) {
    json full = to_json(*e, rota_);
    j["escalation"] = {
        {"id", full["id"]}, {"status", full["status"]}, {"owner", full["owner"]}, {"deadlines", full["deadlines"]}};
  }
  if (drill) j["drill"] = drill_json(*drill);
  return intake::dump(j);
}

void IntakeHandler::count(const core::Evaluation& ev) { metrics_.count_committed(ev.verdict, ev.hits, ev.owner_role); }

}  // namespace desk::handlers
