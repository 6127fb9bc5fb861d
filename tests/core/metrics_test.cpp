#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace desk::core {
namespace {

using Type = CounterFamily::Type;

std::string rendered(const CounterFamily& f) {
  std::string out;
  f.render(out);
  return out;
}

std::string rendered(const Histogram& h) {
  std::string out;
  h.render(out);
  return out;
}

TEST(Metrics, NumbersUseThePlainestExactForm) {
  EXPECT_EQ(prometheus_number(0), "0");
  EXPECT_EQ(prometheus_number(-0.0), "0");
  EXPECT_EQ(prometheus_number(42), "42");
  EXPECT_EQ(prometheus_number(-3), "-3");
  EXPECT_EQ(prometheus_number(1000000), "1000000");
  EXPECT_EQ(prometheus_number(0.25), "0.25");
  EXPECT_EQ(prometheus_number(0.0001), "0.0001");
  EXPECT_EQ(prometheus_number(1.5e-7), "1.5e-07");
  EXPECT_EQ(prometheus_number(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(prometheus_number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(prometheus_number(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(prometheus_number(std::nan("")), "NaN");
}

TEST(Metrics, CounterFamilyRendersByteForByte) {
  CounterFamily f("desk_things_total", "Things seen, by colour.", Type::counter, {"colour", "size"});
  f.add({"red", "small"});
  f.add({"blue", "large"}, 2);
  f.add({"red", "small"}, 3);
  EXPECT_EQ(rendered(f),
            "# HELP desk_things_total Things seen, by colour.\n"
            "# TYPE desk_things_total counter\n"
            "desk_things_total{colour=\"blue\",size=\"large\"} 2\n"
            "desk_things_total{colour=\"red\",size=\"small\"} 4\n");
}

TEST(Metrics, UnlabelledGaugeRendersWithoutBraces) {
  CounterFamily g("desk_queue", "Messages waiting.", Type::gauge, {});
  g.set({}, 7);
  g.set({}, 5);
  EXPECT_EQ(rendered(g), "# HELP desk_queue Messages waiting.\n# TYPE desk_queue gauge\ndesk_queue 5\n");
}

TEST(Metrics, FamilyWithNoSeriesStillDeclaresItself) {
  CounterFamily f("desk_none_total", "Nothing yet.", Type::counter, {"x"});
  EXPECT_EQ(rendered(f), "# HELP desk_none_total Nothing yet.\n# TYPE desk_none_total counter\n");
}

TEST(Metrics, HostileLabelValuesAreEscaped) {
  CounterFamily f("desk_errors_total", "Errors.", Type::counter, {"error"});
  f.add({"a\\b\"c\nd} x=\"1\""});
  EXPECT_EQ(rendered(f),
            "# HELP desk_errors_total Errors.\n"
            "# TYPE desk_errors_total counter\n"
            "desk_errors_total{error=\"a\\\\b\\\"c\\nd} x=\\\"1\\\"\"} 1\n");
}

TEST(Metrics, InvalidUtf8InLabelValuesBecomesQuestionMarks) {
  EXPECT_EQ(escape_label_value("ok\xff\xfe!"),
            "ok?"
            "?!");                                              // split: "??!" is a trigraph
  EXPECT_EQ(escape_label_value("caf\xc3\xa9"), "caf\xc3\xa9");  // well-formed UTF-8 passes untouched
  EXPECT_EQ(escape_label_value(""), "");
}

TEST(Metrics, HelpEscapesBackslashAndNewlineButNotQuotes) {
  EXPECT_EQ(escape_help("say \"hi\"\\\nbye"), "say \"hi\"\\\\\\nbye");
  CounterFamily f("desk_x_total", "line one\nline two", Type::counter, {});
  EXPECT_EQ(rendered(f), "# HELP desk_x_total line one\\nline two\n# TYPE desk_x_total counter\n");
}

TEST(Metrics, HistogramRendersCumulativeBucketsSumAndCount) {
  Histogram h("desk_wait_seconds", "Wait.", {0.5, 1, 2.5});
  h.observe(0.5);  // le is inclusive: lands in 0.5
  h.observe(0.75);
  h.observe(3);
  h.observe(std::nan(""));  // ignored
  EXPECT_EQ(rendered(h),
            "# HELP desk_wait_seconds Wait.\n"
            "# TYPE desk_wait_seconds histogram\n"
            "desk_wait_seconds_bucket{le=\"0.5\"} 1\n"
            "desk_wait_seconds_bucket{le=\"1\"} 2\n"
            "desk_wait_seconds_bucket{le=\"2.5\"} 2\n"
            "desk_wait_seconds_bucket{le=\"+Inf\"} 3\n"
            "desk_wait_seconds_sum 4.25\n"
            "desk_wait_seconds_count 3\n");
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.cumulative(1), 2u);
}

TEST(Metrics, EmptyHistogramRendersZeros) {
  Histogram h("desk_h", "H.", {0.001});
  EXPECT_EQ(rendered(h),
            "# HELP desk_h H.\n# TYPE desk_h histogram\n"
            "desk_h_bucket{le=\"0.001\"} 0\ndesk_h_bucket{le=\"+Inf\"} 0\ndesk_h_sum 0\ndesk_h_count 0\n");
}

TEST(Metrics, BadDefinitionsAreRefused) {
  EXPECT_THROW(CounterFamily("9lives", "", Type::counter, {}), std::invalid_argument);
  EXPECT_THROW(CounterFamily("has space", "", Type::counter, {}), std::invalid_argument);
  EXPECT_THROW(CounterFamily("", "", Type::counter, {}), std::invalid_argument);
  EXPECT_THROW(CounterFamily("ok", "", Type::counter, {"bad:label"}), std::invalid_argument);
  EXPECT_THROW(CounterFamily("ok", "", Type::counter, {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(CounterFamily("ok", "", Type::counter, {"le"}), std::invalid_argument);
  EXPECT_NO_THROW(CounterFamily("ns:ok_total", "", Type::counter, {"a_1"}));
  EXPECT_THROW(Histogram("h", "", {}), std::invalid_argument);
  EXPECT_THROW(Histogram("h", "", {1, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram("h", "", {2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram("h", "", {1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
}

TEST(Metrics, MisuseOfAFamilyThrowsInsteadOfCorruptingIt) {
  CounterFamily c("c_total", "", Type::counter, {"a"});
  EXPECT_THROW(c.add({"x", "y"}), std::invalid_argument);
  EXPECT_THROW(c.add({}), std::invalid_argument);
  EXPECT_THROW(c.add({"x"}, -1), std::invalid_argument);
  EXPECT_THROW(c.set({"x"}, 3), std::logic_error);
  EXPECT_EQ(c.value({"x"}), 0);
}

TEST(Metrics, TooManySeriesFoldIntoOther) {
  CounterFamily f("desk_e_total", "E.", Type::counter, {"method", "error"}, 2);
  f.add({"a", "1"});
  f.add({"b", "2"});
  f.add({"c", "3"});
  f.add({"d", "4"});
  f.add({"a", "1"});  // an existing series still counts as itself
  EXPECT_EQ(f.value({"a", "1"}), 2);
  EXPECT_EQ(f.value({kOverflowLabel, kOverflowLabel}), 2);
  EXPECT_EQ(f.value({"c", "3"}), 0);
}

TEST(Metrics, FreshRegistryShowsKnownSeriesAtZero) {
  Metrics m;
  const std::string text = m.prometheus_text();
  EXPECT_EQ(text.rfind("# HELP desk_submissions_total Submissions received from agents, by verdict.\n"
                       "# TYPE desk_submissions_total counter\n"
                       "desk_submissions_total{verdict=\"approved\"} 0\n"
                       "desk_submissions_total{verdict=\"escalated\"} 0\n"
                       "# HELP desk_escalations_opened_total",
                       0),
            0u);
  for (const char* line :
       {"desk_escalations{state=\"open\"} 0\n", "desk_escalations{state=\"rejected\"} 0\n", "desk_pings_total 0\n",
        "desk_breaches_total{kind=\"decision\"} 0\n", "# TYPE desk_escalations gauge\n",
        "# TYPE desk_ack_latency_seconds histogram\n", "desk_ack_latency_seconds_bucket{le=\"0.0001\"} 0\n",
        "desk_time_to_respond_seconds_bucket{le=\"+Inf\"} 0\n", "desk_intake_latency_seconds_count 0\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line;
  EXPECT_EQ(text.back(), '\n');
}

TEST(Metrics, RegistryCountsWhatTheDeskReports) {
  Metrics m;
  m.count_submission(Verdict::escalated);
  m.count_submission(Verdict::escalated);
  m.count_submission(Verdict::approved);
  m.count_escalation_opened("legal_oncall");
  for (int i = 0; i < 4; ++i) m.count_escalation_moved(std::nullopt, EscalationState::open);
  m.count_escalation_moved(EscalationState::open, EscalationState::triaged);
  m.count_ping();
  m.count_breach(DeadlineKind::decision);
  m.count_hit("lexicon/pricing/price");
  m.count_slack_api_error("chat.postMessage", "channel_not_found");
  m.count_slack_rate_limited("chat.update");
  m.count_intake_request(201);
  m.count_intake_request(201);
  m.observe_ack_latency(0.0003);
  m.observe_time_to_respond(200);

  EXPECT_EQ(m.value("desk_submissions_total", {"escalated"}), 2);
  EXPECT_EQ(m.value("desk_submissions_total", {"approved"}), 1);
  EXPECT_EQ(m.value("desk_escalations", {"open"}), 3);
  EXPECT_EQ(m.value("desk_escalations", {"triaged"}), 1);
  EXPECT_EQ(m.value("desk_pings_total"), 1);
  EXPECT_EQ(m.value("desk_intake_requests_total", {"201"}), 2);
  EXPECT_EQ(m.value("desk_no_such_family"), 0);
  ASSERT_NE(m.histogram("desk_ack_latency_seconds"), nullptr);
  EXPECT_EQ(m.histogram("desk_ack_latency_seconds")->count(), 1u);
  EXPECT_EQ(m.histogram("nope"), nullptr);

  const std::string text = m.prometheus_text();
  for (const char* line :
       {"desk_escalations_opened_total{owner_role=\"legal_oncall\"} 1\n",
        "desk_hits_total{rule_id=\"lexicon/pricing/price\"} 1\n",
        "desk_slack_api_errors_total{method=\"chat.postMessage\",error=\"channel_not_found\"} 1\n",
        "desk_slack_rate_limited_total{method=\"chat.update\"} 1\n", "desk_breaches_total{kind=\"decision\"} 1\n",
        "desk_intake_requests_total{status=\"201\"} 2\n", "desk_ack_latency_seconds_bucket{le=\"0.00025\"} 0\n",
        "desk_ack_latency_seconds_bucket{le=\"0.0005\"} 1\n", "desk_time_to_respond_seconds_bucket{le=\"180\"} 0\n",
        "desk_time_to_respond_seconds_bucket{le=\"300\"} 1\n", "desk_time_to_respond_seconds_sum 200\n"})
    EXPECT_NE(text.find(line), std::string::npos) << line;
}

TEST(Metrics, ACommittedSubmissionCountsItsVerdictHitsAndOpening) {
  Metrics m;
  std::vector<TriggerHit> hits(2);
  hits[0].rule_id = "lexicon/pricing/price";
  hits[1].rule_id = "confidence/paid_ads";
  m.count_committed(Verdict::escalated, hits, "legal_oncall");
  m.count_committed(Verdict::approved, {}, "");
  EXPECT_EQ(m.value("desk_submissions_total", {"escalated"}), 1);
  EXPECT_EQ(m.value("desk_submissions_total", {"approved"}), 1);
  EXPECT_EQ(m.value("desk_hits_total", {"lexicon/pricing/price"}), 1);
  EXPECT_EQ(m.value("desk_hits_total", {"confidence/paid_ads"}), 1);
  EXPECT_EQ(m.value("desk_escalations_opened_total", {"legal_oncall"}), 1);
  EXPECT_EQ(m.value("desk_escalations_opened_total", {""}), 0) << "an approved draft opens nothing";
  EXPECT_EQ(m.value("desk_escalations", {"open"}), 1);
}

TEST(Metrics, AChangeMovesTheStateGaugeAndTheFirstResponseIsTimedFromOpening) {
  Metrics m;
  Escalation open;
  open.opened_at = TimePoint{Seconds{1000}};
  open.owned_since = TimePoint{Seconds{1100}};  // re-owned since: the response is still timed from opening
  m.count_escalation_moved(std::nullopt, EscalationState::open);
  Escalation triaged = open;
  triaged.state = EscalationState::triaged;
  triaged.triaged_at = TimePoint{Seconds{1240}};
  m.count_change(open, triaged);
  Escalation decided = triaged;
  decided.state = EscalationState::accepted;
  decided.decision = Decision{Macro::accept, "erin", TimePoint{Seconds{1500}}, "Fine as it is."};
  m.count_change(triaged, decided);  // not a first response: timed once
  EXPECT_EQ(m.value("desk_escalations", {"open"}), 0);
  EXPECT_EQ(m.value("desk_escalations", {"triaged"}), 0);
  EXPECT_EQ(m.value("desk_escalations", {"accepted"}), 1);
  ASSERT_EQ(m.histogram("desk_time_to_respond_seconds")->count(), 1u);
  EXPECT_EQ(m.histogram("desk_time_to_respond_seconds")->sum(), 240);

  // Decided without a triage first: the decision is the first response.
  Escalation direct = open;
  direct.state = EscalationState::rejected;
  direct.decision = Decision{Macro::reject, "erin", TimePoint{Seconds{1060}}, "Not this one."};
  m.count_escalation_moved(std::nullopt, EscalationState::open);
  m.count_change(open, direct);
  EXPECT_EQ(m.histogram("desk_time_to_respond_seconds")->sum(), 300);
  EXPECT_EQ(m.value("desk_escalations", {"rejected"}), 1);

  // A fire drill counts nowhere.
  Escalation drill = open;
  drill.drill = true;
  Escalation drill_triaged = triaged;
  drill_triaged.drill = true;
  m.count_change(drill, drill_triaged);
  EXPECT_EQ(m.value("desk_escalations", {"triaged"}), 0);
  EXPECT_EQ(m.histogram("desk_time_to_respond_seconds")->count(), 2u);
}

TEST(Metrics, RestoredTotalsAreWhereCountingGoesOnFrom) {
  Metrics m;
  MetricTotals t;
  t.submissions = {{"escalated", 7}, {"approved", 30}};
  t.escalations_opened = {{"legal_oncall", 3}, {"duty_lead", 4}};
  t.escalations = {{"open", 2}, {"accepted", 5}};
  t.pings = 2;
  t.breaches = {{"triage", 1}};
  t.hits = {{"lexicon/pricing/price", 9}};
  t.times_to_respond = {120, 400};
  m.restore(t);
  m.count_committed(Verdict::escalated, {}, "legal_oncall");
  m.count_ping();
  EXPECT_EQ(m.value("desk_submissions_total", {"escalated"}), 8);
  EXPECT_EQ(m.value("desk_submissions_total", {"approved"}), 30);
  EXPECT_EQ(m.value("desk_escalations_opened_total", {"legal_oncall"}), 4);
  EXPECT_EQ(m.value("desk_escalations_opened_total", {"duty_lead"}), 4);
  EXPECT_EQ(m.value("desk_escalations", {"open"}), 3);
  EXPECT_EQ(m.value("desk_escalations", {"accepted"}), 5);
  EXPECT_EQ(m.value("desk_pings_total"), 3);
  EXPECT_EQ(m.value("desk_breaches_total", {"triage"}), 1);
  EXPECT_EQ(m.value("desk_hits_total", {"lexicon/pricing/price"}), 9);
  EXPECT_EQ(m.histogram("desk_time_to_respond_seconds")->count(), 2u);
  EXPECT_EQ(m.histogram("desk_time_to_respond_seconds")->sum(), 520);
}

TEST(Metrics, ConcurrentCountsAreNotLost) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.count_hit("lexicon/pricing/price");
        m.observe_intake_latency(0.002);
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.value("desk_hits_total", {"lexicon/pricing/price"}), 4000);
  EXPECT_EQ(m.histogram("desk_intake_latency_seconds")->count(), 4000u);
}

}  // namespace
}  // namespace desk::core
