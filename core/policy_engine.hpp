#pragma once
/// Decides whether a submission may pass or must be escalated, and explains every hit.
/// Built once per policy (it compiles the lexicon); evaluate() is const, pure and thread-safe.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/escalation.hpp"
#include "core/policy.hpp"
#include "core/submission.hpp"
#include "core/text_scan.hpp"

namespace desk::core {

/// How many hits an evaluation keeps: a draft of 37,000 e-mail addresses is one finding, not 37,000.
/// Hits past these limits are counted (Evaluation::hits_total) but not built, stored or shown. Routing
/// sees every rule that fired: each rule keeps at least its first hit until the routing is settled.
inline constexpr std::size_t kHitsKeptPerRule = 20;
inline constexpr std::size_t kHitsKeptPerEvaluation = 100;

struct Evaluation {
  Verdict verdict = Verdict::approved;
  std::vector<TriggerHit> hits;  ///< in a stable order: confidence, lexicon, personal data, citations
  std::size_t hits_total = 0;    ///< every hit found, kept in `hits` or not
  std::string owner_role;        ///< who takes the escalation; empty when approved
  std::string masked_output;     ///< the output with personal data masked, for display
  /// Hits of lexicon categories in `mode: shadow`: recorded and reported, never part of the verdict,
  /// the owner or `hits`. Bounded like `hits`.
  std::vector<TriggerHit> shadow_hits;
};

/// The submission names a workflow the policy does not have. The edge validates this first, so here
/// it means a caller skipped validation.
class UnknownWorkflow : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class PolicyEngine {
 public:
  /// Compiles the lexicon and the detectors; throws LexiconError for a term or pattern that cannot work.
  explicit PolicyEngine(const Policy& policy);
  /// With the lexicon compiled already, from `policy.lexicon` (the config loader compiles it to check it):
  /// only the detectors are compiled here.
  PolicyEngine(const Policy& policy, std::shared_ptr<const LexiconMatcher> lexicon);

  Evaluation evaluate(const Submission& submission) const;

  /// A person escalated this by hand (/escalate): one manual hit, plus whatever the policy finds.
  Evaluation evaluate_manual(const Submission& submission, const std::string& reason) const;

  const Policy& policy() const { return policy_; }

 private:
  class Hits;  // what is found, counted, and kept up to kHitsKeptPerRule
  /// Every rule's hits (up to kHitsKeptPerRule each), their total, the masked output, not yet the verdict.
  Evaluation find_hits(const Workflow& wf, const Submission& s) const;
  void add_confidence_hit(const Workflow& wf, const Submission& s, Hits& hits) const;
  void add_lexicon_hits(const Workflow& wf, const Submission& s, Hits& hits, Hits& shadow_hits) const;
  void add_personal_data_hits(const Workflow& wf, const Submission& s, Hits& hits, std::string& masked_output) const;
  void add_citation_hits(const Workflow& wf, const Submission& s, Hits& hits) const;
  /// Verdict and owner from every rule's hits, then at most kHitsKeptPerEvaluation of them kept.
  void settle(const Workflow& wf, Evaluation& ev) const;
  static void bound(std::vector<TriggerHit>& hits);
  std::string choose_owner(const Workflow& wf, const std::vector<TriggerHit>& hits) const;

  const Policy& policy_;
  std::shared_ptr<const LexiconMatcher> lexicon_;
  PersonalDataScanner personal_data_;
};

/// The oldest publication date a citation may have when submitted on `day`, for a limit in months.
/// Clamps to the month's last day (29 Feb minus 12 months is 28 Feb).
std::chrono::year_month_day oldest_allowed_citation(std::chrono::year_month_day day, std::chrono::months max_age);

/// "0.62"-style rendering with two decimals, for explanations.
std::string format_fraction(double value);

}  // namespace desk::core
