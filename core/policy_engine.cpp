#include "core/policy_engine.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <string_view>

namespace desk::core {
namespace {

const char* describe(PersonalDataKind kind) {
  switch (kind) {
    case PersonalDataKind::email:
      return "an e-mail address";
    case PersonalDataKind::phone:
      return "a phone number";
    case PersonalDataKind::iban:
      return "an IBAN";
    case PersonalDataKind::payment_card:
      return "a payment card number";
    case PersonalDataKind::uk_nino:
      return "a UK National Insurance number";
    case PersonalDataKind::us_ssn:
      return "a US Social Security number";
  }
  return "personal data";
}

}  // namespace

std::string format_fraction(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", value);
  return buf;
}

std::chrono::year_month_day oldest_allowed_citation(std::chrono::year_month_day day, std::chrono::months max_age) {
  auto shifted = day - max_age;
  if (!shifted.ok()) shifted = shifted.year() / shifted.month() / std::chrono::last;
  return shifted;
}

PolicyEngine::PolicyEngine(const Policy& policy)
    : PolicyEngine(policy, std::make_shared<const LexiconMatcher>(policy.lexicon)) {}

PolicyEngine::PolicyEngine(const Policy& policy, std::shared_ptr<const LexiconMatcher> lexicon)
    : policy_(policy), lexicon_(std::move(lexicon)), personal_data_(policy.personal_data.detectors) {}

/// Hits as they are found: each counted, and built only while its rule has fewer than
/// kHitsKeptPerRule, so a flood of one kind costs a count per match and no strings.
class PolicyEngine::Hits {
 public:
  explicit Hits(std::vector<TriggerHit>& kept) : kept_(kept) {}
  /// Counts one hit of `rule_id` (in `field`, for text hits); true when it is to be built and added.
  /// Each field counts apart, so a flood in the output never hides the one address in the prompt.
  bool admit(const std::string& rule_id, std::string_view field = {}) {
    ++total_;
    return ++per_rule_[group(rule_id, field)] <= kHitsKeptPerRule;
  }
  static std::string group(std::string_view rule_id, std::string_view field) {
    return std::string(rule_id) + '\n' + std::string(field);
  }
  void add(TriggerHit hit) { kept_.push_back(std::move(hit)); }
  std::size_t total() const { return total_; }

 private:
  std::vector<TriggerHit>& kept_;
  std::map<std::string, std::size_t> per_rule_;
  std::size_t total_ = 0;
};

Evaluation PolicyEngine::evaluate(const Submission& s) const {
  auto wf_it = policy_.workflows.find(s.workflow);
  if (wf_it == policy_.workflows.end()) throw UnknownWorkflow("unknown workflow '" + s.workflow + "'");
  Evaluation ev = find_hits(wf_it->second, s);
  settle(wf_it->second, ev);
  return ev;
}

Evaluation PolicyEngine::find_hits(const Workflow& wf, const Submission& s) const {
  Evaluation ev;
  Hits hits(ev.hits);
  Hits shadow_hits(ev.shadow_hits);
  add_confidence_hit(wf, s, hits);
  add_lexicon_hits(wf, s, hits, shadow_hits);
  add_personal_data_hits(wf, s, hits, ev.masked_output);
  add_citation_hits(wf, s, hits);
  ev.hits_total = hits.total();
  return ev;
}

/// Keeps at most kHitsKeptPerEvaluation: every rule's first hit (in each field) first, in the order
/// found, then the others in order, up to the limit.
void PolicyEngine::bound(std::vector<TriggerHit>& hits) {
  if (hits.size() <= kHitsKeptPerEvaluation) return;
  std::vector<bool> keep(hits.size(), false);
  std::set<std::string> groups;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < hits.size() && kept < kHitsKeptPerEvaluation; ++i)
    if (groups.insert(Hits::group(hits[i].rule_id, hits[i].field)).second) keep[i] = true, ++kept;
  for (std::size_t i = 0; i < hits.size() && kept < kHitsKeptPerEvaluation; ++i)
    if (!keep[i]) keep[i] = true, ++kept;
  std::vector<TriggerHit> bounded;
  bounded.reserve(kept);
  for (std::size_t i = 0; i < hits.size(); ++i)
    if (keep[i]) bounded.push_back(std::move(hits[i]));
  hits = std::move(bounded);
}

void PolicyEngine::settle(const Workflow& wf, Evaluation& ev) const {
  bound(ev.shadow_hits);
  if (ev.hits.empty()) return;
  ev.verdict = Verdict::escalated;
  ev.owner_role = choose_owner(wf, ev.hits);
  bound(ev.hits);
}

Evaluation PolicyEngine::evaluate_manual(const Submission& s, const std::string& reason) const {
  auto wf_it = policy_.workflows.find(s.workflow);
  if (wf_it == policy_.workflows.end()) throw UnknownWorkflow("unknown workflow '" + s.workflow + "'");
  Evaluation ev = find_hits(wf_it->second, s);
  TriggerHit hit;
  hit.kind = TriggerKind::manual;
  hit.rule_id = "manual";
  hit.explanation = reason.empty() ? "Escalated by hand." : "Escalated by hand: " + reason;
  ev.hits.insert(ev.hits.begin(), std::move(hit));
  ++ev.hits_total;
  settle(wf_it->second, ev);
  return ev;
}

void PolicyEngine::add_confidence_hit(const Workflow& wf, const Submission& s, Hits& hits) const {
  const std::string rule_id = "confidence/" + wf.id;
  if (!wf.confidence_threshold || !(s.confidence < *wf.confidence_threshold) || !hits.admit(rule_id)) return;
  TriggerHit hit;
  hit.kind = TriggerKind::low_confidence;
  hit.rule_id = rule_id;
  hit.threshold = *wf.confidence_threshold;
  hit.value = s.confidence;
  hit.explanation = "Confidence " + format_fraction(s.confidence) + " is below the " + wf.id + " threshold of " +
                    format_fraction(*wf.confidence_threshold) + ".";
  hits.add(std::move(hit));
}

void PolicyEngine::add_lexicon_hits(const Workflow& wf, const Submission& s, Hits& hits, Hits& shadow_hits) const {
  std::vector<std::string> only = wf.lexicon;
  for (auto& lh : lexicon_->scan(s.output, only)) {
    auto cat = std::find_if(policy_.lexicon.begin(), policy_.lexicon.end(),
                            [&](const LexiconCategory& c) { return c.id == lh.category; });
    // A shadow category's hits go apart: counted in neither hits_total nor the verdict.
    Hits& into = cat != policy_.lexicon.end() && cat->shadow ? shadow_hits : hits;
    if (!into.admit(lh.rule_id, "output")) continue;
    TriggerHit hit;
    hit.kind = TriggerKind::lexicon;
    hit.rule_id = std::move(lh.rule_id);
    hit.category = lh.category;
    hit.route = cat != policy_.lexicon.end() ? cat->route : std::string{};
    hit.field = "output";
    hit.begin = lh.begin;
    hit.end = lh.end;
    hit.matched = lh.matched;
    hit.explanation = "\"" + lh.matched + "\" matches the " + lh.category + " term \"" + lh.term + "\" at bytes " +
                      std::to_string(lh.begin) + "–" + std::to_string(lh.end) + ".";
    into.add(std::move(hit));
  }
}

void PolicyEngine::add_personal_data_hits(const Workflow& wf, const Submission& s, Hits& hits,
                                          std::string& masked_output) const {
  // Every free-text field, not only the output: each is shown or posted somewhere, so personal data
  // in any of them routes as it would in the output.
  const std::string& pd_route = wf.personal_data_route ? *wf.personal_data_route : policy_.personal_data.route;
  masked_output = s.output;
  for (const TextField& field : free_text_fields(s)) {
    const auto pd_hits = personal_data_.scan(field.text);
    const std::string where = field.name == "output" ? "The output" : "The field '" + field.name + "'";
    for (const auto& h : pd_hits) {
      const std::string rule_id = std::string("personal_data/") + to_string(h.kind);
      if (!hits.admit(rule_id, field.name)) continue;
      TriggerHit hit;
      hit.kind = TriggerKind::personal_data;
      hit.rule_id = rule_id;
      hit.category = to_string(h.kind);
      hit.route = pd_route;
      hit.field = field.name;
      hit.begin = h.begin;
      hit.end = h.end;
      hit.matched = h.masked;  // never the raw value: the hit is shown and audited
      hit.explanation = where + " contains " + describe(h.kind) + " (" + h.masked + ") at bytes " +
                        std::to_string(h.begin) + "–" + std::to_string(h.end) + ".";
      hits.add(std::move(hit));
    }
    if (field.name == "output") masked_output = mask_personal_data(s.output, pd_hits);
  }
}

void PolicyEngine::add_citation_hits(const Workflow& wf, const Submission& s, Hits& hits) const {
  const std::chrono::year_month_day submitted{std::chrono::floor<std::chrono::days>(s.submitted_at)};
  const auto oldest = oldest_allowed_citation(submitted, wf.citation_max_age);
  for (const auto& c : s.citations) {
    if (!c.published_at || std::chrono::sys_days(*c.published_at) >= std::chrono::sys_days(oldest)) continue;
    const std::string rule_id = "stale_citation/" + wf.id;
    if (!hits.admit(rule_id)) continue;
    TriggerHit hit;
    hit.kind = TriggerKind::stale_citation;
    hit.rule_id = rule_id;
    hit.route = wf.stale_citation_route.value_or(std::string{});
    hit.citation_url = mask_personal_data(c.url, personal_data_.scan(c.url));  // shown, like any hit
    hit.citation_date = c.published_at;
    hit.oldest_allowed = oldest;
    hit.explanation = "Citation " + hit.citation_url + " was published " + format_date(*c.published_at) +
                      ", older than the " + std::to_string(wf.citation_max_age.count()) + "-month limit (" +
                      format_date(oldest) + ").";
    hits.add(std::move(hit));
  }
}

std::string PolicyEngine::choose_owner(const Workflow& wf, const std::vector<TriggerHit>& hits) const {
  // Hits may pull towards different roles (legal, sales, …); the configured precedence settles it,
  // then the order in which the hits were found.
  for (const auto& role : policy_.desk.route_precedence)
    for (const auto& h : hits)
      if (h.route == role) return role;
  for (const auto& h : hits)
    if (!h.route.empty()) return h.route;
  return wf.owner;
}

}  // namespace desk::core
