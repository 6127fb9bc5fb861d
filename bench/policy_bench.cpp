// Policy evaluation throughput: a 2 KB draft against a 500-term lexicon with every personal-data
// detector on (the figure the README quotes). Run: ./build/bench/policy_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/policy_engine.hpp"

namespace {

using namespace desk::core;

/// 500 terms and phrases: the seed's categories plus synthetic product and claim vocabulary.
std::vector<LexiconCategory> lexicon_500() {
  static const char* const kStems[] = {"price",     "guarantee", "licensed", "refund",   "discount",
                                       "certified", "secure",    "instant",  "proven",   "exclusive",
                                       "unlimited", "approved",  "insured",  "fee",      "waiver",
                                       "bonus",     "rebate",    "cashback", "warranty", "premium"};
  static const char* const kMods[] = {"",        "best",     "lowest", "total", "free",       "official", "clinical",
                                      "tax",     "lifetime", "zero",   "no",    "full",       "extra",    "special",
                                      "limited", "risk",     "first",  "only",  "guaranteed", "real",     "new",
                                      "top",     "fast",     "true",   "pure"};
  std::vector<LexiconCategory> cats = {
      {"pricing", "legal_oncall", {}, {R"([$€£]\s?\d[\d,]*(\.\d+)?)", R"(\d+\s?% off)"}},
      {"guarantees", "legal_oncall", {}, {}},
      {"regulated_claims", "legal_oncall", {}, {}},
      {"fee_concessions", "sales", {}, {}}};
  int n = 2;  // the two patterns
  for (const char* mod : kMods)
    for (const char* stem : kStems) {
      if (n >= 500) break;
      std::string term = *mod ? std::string(mod) + (n % 3 ? " " : "-") + stem : stem;
      cats[static_cast<std::size_t>(n) % cats.size()].terms.push_back(std::move(term));
      ++n;
    }
  return cats;
}

Policy bench_policy() {
  Policy p;
  p.lexicon = lexicon_500();
  p.personal_data.detectors.assign(std::begin(kAllPersonalDataKinds), std::end(kAllPersonalDataKinds));
  p.workflows["community_replies"] =
      Workflow{"community_replies", "", "public", 0.80, "community_lead", {}, {}, std::chrono::months(12), {}};
  p.desk.route_precedence = {kLegalRole, "sales"};
  return p;
}

/// About 2 KB of ordinary marketing prose with two hits (a pricing claim and an e-mail address).
std::string draft_2kb() {
  const std::string para =
      "Our spring launch brings the new analytics workspace to every team. Customers told us they wanted "
      "dashboards that load quickly, share cleanly and explain themselves, so we rebuilt the query engine, "
      "added plain-language summaries and made every chart exportable. Early adopters in retail and travel "
      "report that weekly reporting now takes minutes instead of hours. ";
  std::string text;
  while (text.size() < 1900) text += para;
  text += "Plans start at $49 per seat. Questions? Write to launch.team@example.com before Friday.";
  return text;
}

/// A community reply of `output`, submitted on 30 November 2026.
Submission bench_draft(std::string output) {
  Submission s;
  s.workflow = "community_replies";
  s.channel = "linkedin";
  s.agent = "bench";
  s.confidence = 0.93;
  s.output = std::move(output);
  s.submitted_at = std::chrono::sys_days(std::chrono::year{2026} / 11 / 30);
  return s;
}

/// Evaluates `s` once per iteration; sets the hits counter (those kept) and the size counter.
void evaluate_loop(benchmark::State& state, const Submission& s) {
  const Policy policy = bench_policy();
  const PolicyEngine engine(policy);
  std::size_t hits = 0;
  for (auto _ : state) {
    auto ev = engine.evaluate(s);
    hits = ev.hits.size();
    benchmark::DoNotOptimize(ev);
  }
  state.counters["hits"] = static_cast<double>(hits);
  state.counters["bytes"] = static_cast<double>(s.output.size());
}

void BM_EvaluateDraft2KbLexicon500AllDetectors(benchmark::State& state) {
  Submission s = bench_draft(draft_2kb());
  s.citations = {{"https://example.com/report", std::chrono::year{2026} / 3 / 1}};
  evaluate_loop(state, s);
  state.counters["drafts/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * s.output.size()));
}
BENCHMARK(BM_EvaluateDraft2KbLexicon500AllDetectors);

/// A hostile draft: 37,000 e-mail addresses in 256 KB (the intake's largest output), every one a hit.
/// Evaluation must stay in milliseconds and keep a bounded number of hits (the rest are counted).
void BM_Evaluate37000EmailAddresses(benchmark::State& state) {
  std::string output;
  for (int i = 0; i < 37'000; ++i) output += "a@b.io ";
  evaluate_loop(state, bench_draft(std::move(output)));
}
BENCHMARK(BM_Evaluate37000EmailAddresses)->Unit(benchmark::kMillisecond);

void BM_CompileLexicon500(benchmark::State& state) {
  const Policy policy = bench_policy();
  for (auto _ : state) {
    PolicyEngine engine(policy);
    benchmark::DoNotOptimize(&engine);
  }
}
BENCHMARK(BM_CompileLexicon500)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
