#include "bot/slack/slack_messages.hpp"

#include <gtest/gtest.h>

#include "core/policy_engine.hpp"
#include "core/text_scan.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot::slack::slack_messages_test {

using namespace std::chrono_literals;
using json = nlohmann::json;
using namespace desk::handlers;  // the use cases these Slack views and payloads drive

constexpr const char* kEllipsis = "\xE2\x80\xA6";

/// Every block of `body` (message or view) whose "type" is `type`.
std::vector<json> blocks_of(const json& body, const std::string& type) {
  std::vector<json> out;
  for (const auto& b : body.at("blocks"))
    if (b.at("type") == type) out.push_back(b);
  return out;
}

std::vector<std::string> button_labels(const json& body) {
  std::vector<std::string> out;
  for (const auto& a : blocks_of(body, "actions"))
    for (const auto& el : a.at("elements")) out.push_back(el.at("text").at("text"));
  return out;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

class SlackMessagesTest : public ::testing::Test {
 protected:
  core::Escalation open(const std::string& workflow, double confidence, const std::string& output) {
    core::Submission s;
    s.workflow = workflow;
    s.channel = "linkedin";
    s.agent = "social-agent-3";
    s.confidence = confidence;
    s.output = output;
    s.submitted_at = now_;
    evaluation_ = engine_.evaluate(s);
    auto e = core::open_escalation(s, evaluation_, ctx(), now_).escalation;
    e.id = "ESC-000042";
    e.submission_id = "SUB-000123";
    return e;
  }
  core::Escalation open_paid_ad(const std::string& output = "Our new plan is here.") {
    return open("paid_ads", 0.62, output);
  }
  EscalationView view_of(const core::Escalation& e) {
    EscalationView v;
    v.masked_excerpt = evaluation_.masked_output;
    v.permalink = "https://www.linkedin.com/feed/update/example?a=1&b=2";
    v.suggested_fix = "Replace the licence claim with a general statement";
    v.owner = person_ref(rota_, e.owner_person);
    if (auto b = rota_.holder(core::kBackupRole, now_)) v.backup = person_ref(rota_, b->person);
    v.usergroup_id = "S0DESK";
    return v;
  }
  core::LifecycleContext ctx() { return {policy_, rota_, overrides_}; }
  void apply(core::Escalation& e, core::Macro m, const std::string& actor, const std::string& rationale) {
    auto out = macros::apply(e, {m, actor, rationale, ""}, ctx(), now_);
    ASSERT_TRUE(out.ok()) << out.message;
  }

  core::Policy policy_ = testing::seed_policy();
  core::PolicyEngine engine_{policy_};
  core::Rota rota_{policy_.roles, policy_.people};
  std::vector<core::RotaOverride> overrides_;
  core::TimePoint now_ = testing::tuesday_noon();
  core::Evaluation evaluation_;
};

// ---- the escalation message ----

TEST_F(SlackMessagesTest, PostHasExactlyTheThreeButtonsWithTheirActionIdsAndStyles) {
  const auto e = open_paid_ad();
  const json post = escalation_post(e, view_of(e));
  ASSERT_EQ(button_labels(post), (std::vector<std::string>{"Accept", "Reject", "Escalate to legal"}));
  const json actions = blocks_of(post, "actions").at(0);
  EXPECT_EQ(actions.at("block_id"), "esc:ESC-000042:g0:actions");
  const json& els = actions.at("elements");
  EXPECT_EQ(els[0].at("action_id"), "desk.accept");
  EXPECT_EQ(els[1].at("action_id"), "desk.reject");
  EXPECT_EQ(els[2].at("action_id"), "desk.escalate_to_legal");
  for (const auto& el : els) EXPECT_EQ(el.at("value"), "ESC-000042");
  EXPECT_EQ(els[0].at("style"), "primary");
  EXPECT_EQ(els[1].at("style"), "danger");
  EXPECT_FALSE(els[2].contains("style"));
}

TEST_F(SlackMessagesTest, PostCarriesFallbackTextMetadataAndHeader) {
  const auto e = open_paid_ad();
  const json post = escalation_post(e, view_of(e));
  EXPECT_FALSE(post.contains("channel"));
  EXPECT_EQ(post.at("unfurl_links"), false);
  EXPECT_EQ(post.at("metadata"),
            (json{{"event_type", "escalation_posted"}, {"event_payload", {{"escalation_id", "ESC-000042"}}}}));
  const std::string text = post.at("text");
  EXPECT_NE(text.find("ESC-000042"), std::string::npos);
  EXPECT_NE(text.find("<@U0A>"), std::string::npos);  // the owner is notified
  EXPECT_EQ(blocks_of(post, "header").at(0).at("text").at("text"), "Escalation ESC-000042 · paid_ads");
  EXPECT_TRUE(block_kit_problems(post).empty());
}

TEST_F(SlackMessagesTest, PostShowsTriggersEvidenceOwnerAndDeadlines) {
  const auto e = open_paid_ad();
  const std::string dump = escalation_post(e, view_of(e)).dump();
  EXPECT_NE(dump.find("Confidence 0.62 is below the paid_ads threshold of 0.90."), std::string::npos);
  EXPECT_NE(dump.find("Our new plan is here."), std::string::npos);
  EXPECT_NE(dump.find("<https://www.linkedin.com/feed/update/example?a=1&amp;b=2|"), std::string::npos);
  EXPECT_NE(dump.find("Replace the licence claim"), std::string::npos);
  EXPECT_NE(dump.find("<@U0A> (duty_lead)"), std::string::npos);
  EXPECT_NE(dump.find("<@U0B>"), std::string::npos);  // backup
  EXPECT_NE(dump.find("<!subteam^S0DESK>"), std::string::npos);
  EXPECT_NE(dump.find("triage due <!date^1796126700^{date_short_pretty} {time}|2026-12-01 12:05 UTC>"),
            std::string::npos);
  EXPECT_NE(dump.find("decision due <!date^1796128200^{date_short_pretty} {time}|2026-12-01 12:30 UTC>"),
            std::string::npos);
}

TEST_F(SlackMessagesTest, SlackDateGivesEpochForTheReaderAndUtcFallback) {
  const auto t = core::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / 30} + 9h + 5min};
  EXPECT_EQ(slack_date(t), "<!date^1796029500^{date_short_pretty} {time}|2026-11-30 09:05 UTC>");
}

TEST_F(SlackMessagesTest, UpdateHasOnlyThePostMortemButtonOnceAcceptedAndQuotesTheRationale) {
  auto e = open_paid_ad();
  apply(e, core::Macro::accept, "alice", "Claim verified with legal memo 12");
  const json update = escalation_update(e, view_of(e), rota_);
  EXPECT_EQ(button_labels(update), std::vector<std::string>{"Post-mortem"});
  const std::string dump = update.dump();
  EXPECT_NE(dump.find("*Accepted* by <@U0A> at <!date^"), std::string::npos);
  EXPECT_NE(dump.find(">Claim verified with legal memo 12"), std::string::npos);
  EXPECT_NE(std::string(update.at("text")).find("accepted by <@U0A>"), std::string::npos);
  EXPECT_FALSE(update.contains("ts"));
  EXPECT_TRUE(block_kit_problems(update).empty());
}

TEST_F(SlackMessagesTest, UpdateHasOnlyThePostMortemButtonOnceRejected) {
  auto e = open_paid_ad();
  apply(e, core::Macro::reject, "alice", "Misleading claim about the plan");
  const json update = escalation_update(e, view_of(e), rota_);
  EXPECT_EQ(button_labels(update), std::vector<std::string>{"Post-mortem"});
  EXPECT_NE(update.dump().find("*Rejected* by <@U0A>"), std::string::npos);
}

TEST_F(SlackMessagesTest, EscalateToLegalShowsLegalOwnerLegalButtonsAndFreshDeadlines) {
  auto e = open_paid_ad();
  now_ += 2min;
  apply(e, core::Macro::escalate_to_legal, "alice", "Pricing claim needs a legal read");
  const json update = escalation_update(e, EscalationView{}, rota_);
  EXPECT_EQ(button_labels(update), (std::vector<std::string>{"Accept", "Reject"}));
  EXPECT_EQ(blocks_of(update, "actions").at(0).at("block_id"), "esc:ESC-000042:g1:actions");
  const std::string dump = update.dump();
  EXPECT_NE(dump.find("*With legal:* <@U0H>"), std::string::npos);  // hana is legal on-call
  EXPECT_NE(dump.find("triage due " + slack_date(now_ + 5min)), std::string::npos);
  EXPECT_NE(dump.find("decision due " + slack_date(now_ + 30min)), std::string::npos);
  EXPECT_TRUE(block_kit_problems(update).empty());

  const json thread = legal_escalated_reply(e, rota_, "alice", "Pricing claim needs a legal read");
  const std::string reply = thread.at("text");
  EXPECT_NE(reply.find("<@U0H> (legal on-call)"), std::string::npos);
  EXPECT_NE(reply.find("escalated to legal by <@U0A>"), std::string::npos);
  EXPECT_EQ(escalation_update(e, view_of(e), rota_).dump().find("<!subteam^"), std::string::npos);  // not legal's group
  EXPECT_NE(thread.dump().find(">Pricing claim needs a legal read"), std::string::npos);
  EXPECT_TRUE(block_kit_problems(thread).empty());
}

TEST_F(SlackMessagesTest, StaleButtonsAreRecognisedByTheirBlockId) {
  auto e = open_paid_ad();
  e.generation = 3;
  const auto ref = parse_actions_block_id(actions_block_id(e));
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->escalation_id, "ESC-000042");
  EXPECT_EQ(ref->generation, 3);
  for (const char* bad : {"", "esc:", "esc::g1:actions", "esc:ESC-1:g:actions", "esc:ESC-1:gx:actions",
                          "ESC-1:g1:actions", "esc:ESC-1:g1", "esc:ESC-1:g99999999999:actions"})
    EXPECT_FALSE(parse_actions_block_id(bad)) << bad;
  EXPECT_EQ(macro_from_action_id("desk.escalate_to_legal"), core::Macro::escalate_to_legal);
  EXPECT_FALSE(macro_from_action_id("desk.delete"));
  EXPECT_FALSE(macro_from_action_id("accept"));
}

// ---- escaping and truncation ----

TEST_F(SlackMessagesTest, AgentTextCannotMentionAnyone) {
  const std::string evil = "Hi <!channel> and <@U123> & <!subteam^S1> <https://evil.example|click>";
  auto e = open_paid_ad(evil);
  e.agent = "<!here>";
  e.hits.front().explanation = "Looks like <!everyone>";
  EscalationView v = view_of(e);
  v.suggested_fix = "<@U999>";
  v.permalink = "https://x.example/<!channel>";
  for (const json& body : {escalation_post(e, v), escalation_update(e, v, rota_)}) {
    const std::string dump = body.dump();
    for (const char* raw :
         {"<!channel>", "<@U123>", "<!subteam^S1>", "<!here>", "<!everyone>", "<@U999>", "<https://evil"})
      EXPECT_EQ(dump.find(raw), std::string::npos) << raw;
    EXPECT_NE(dump.find("Hi &lt;!channel&gt; and &lt;@U123&gt; &amp; &lt;!subteam^S1&gt;"), std::string::npos);
  }
}

TEST_F(SlackMessagesTest, MalformedSlackIdsInTheConfigAreNotMentions) {
  EXPECT_EQ(mention({"U0A", "Alice"}), "<@U0A>");
  EXPECT_EQ(mention({"<!channel>", "Al <b>"}), "Al &lt;b&gt;");
  EXPECT_EQ(mention({"", ""}), "nobody");
  EXPECT_EQ(escape_mrkdwn("a&b<c>d"), "a&amp;b&lt;c&gt;d");
  EXPECT_EQ(escape_mrkdwn(std::string("ok\xFF", 3)), "ok\xEF\xBF\xBD");  // invalid UTF-8 made valid
}

class FitTextLimits : public ::testing::TestWithParam<std::size_t> {};

TEST_P(FitTextLimits, NeverSplitsACharacterAndStaysWithinTheLimit) {
  const std::size_t limit = GetParam();
  const std::string text = "añ日😀é\xCC\x81&<x>👩\xE2\x80\x8D👩\xE2\x80\x8D👧 Zürich 🇬🇧 done";
  for (TextMode mode : {TextMode::plain, TextMode::mrkdwn, TextMode::quoted}) {
    const std::string out = fit_text(text, limit, mode);
    EXPECT_TRUE(core::is_valid_utf8(out)) << limit;
    EXPECT_LE(slack_length(out), limit);
    EXPECT_EQ(out.find("&am;"), std::string::npos);
    if (mode != TextMode::plain && out.find('&') != std::string::npos) {
      const std::string tail = out.substr(out.rfind('&'));
      EXPECT_TRUE(tail.rfind("&amp;", 0) == 0 || tail.rfind("&lt;", 0) == 0 || tail.rfind("&gt;", 0) == 0) << out;
    }
  }
}
INSTANTIATE_TEST_SUITE_P(SlackText, FitTextLimits, ::testing::Range<std::size_t>(2, 60));

TEST(SlackText, CutKeepsCombiningMarksAndZwjSequencesWhole) {
  const std::string accent = "e\xCC\x81";  // e + combining acute
  std::string text;
  for (int i = 0; i < 50; ++i) text += accent;
  for (std::size_t limit = 3; limit < 40; ++limit) {
    const std::string out = fit_text(text, limit, TextMode::plain);
    ASSERT_TRUE(ends_with(out, kEllipsis));
    EXPECT_EQ((out.size() - 3) % accent.size(), 0u) << limit;
  }
  const std::string family = "👩\xE2\x80\x8D👩\xE2\x80\x8D👧";
  std::string families;
  for (int i = 0; i < 20; ++i) families += family;
  for (std::size_t limit = 9; limit < 60; ++limit) {
    const std::string out = fit_text(families, limit, TextMode::plain);
    EXPECT_EQ((out.size() - 3) % family.size(), 0u) << limit;
  }
}

TEST(SlackText, SplitKeepsEveryCharacterAcrossChunks) {
  std::string text;
  for (int i = 0; i < 400; ++i) text += "ü&😀";
  const auto chunks = split_text(text, 100, 1000, TextMode::mrkdwn);
  std::string joined;
  for (const auto& c : chunks) {
    EXPECT_LE(slack_length(c), 100u);
    EXPECT_TRUE(core::is_valid_utf8(c));
    joined += c;
  }
  EXPECT_EQ(joined, escape_mrkdwn(text));
  EXPECT_EQ(split_text("short", 100, 3).size(), 1u);
  EXPECT_EQ(split_text(text, 100, 2).size(), 2u);
  EXPECT_TRUE(ends_with(split_text(text, 100, 2).back(), kEllipsis));
}

TEST_F(SlackMessagesTest, LongExcerptIsCutAtACharacterBoundaryWithEllipsis) {
  std::string output;
  while (output.size() < 100 * 1024) output += "Grüße 😀 naïve ";
  const auto e = open_paid_ad(output);
  const json post = escalation_post(e, view_of(e));
  bool found = false;
  for (const auto& s : blocks_of(post, "section")) {
    if (!s.contains("text")) continue;
    const std::string t = s.at("text").at("text");
    if (t.rfind("*Output*", 0) != 0) continue;
    found = true;
    EXPECT_LE(slack_length(t), 3000u);
    EXPECT_TRUE(core::is_valid_utf8(t));
    EXPECT_TRUE(ends_with(t, kEllipsis));
  }
  EXPECT_TRUE(found);
  EXPECT_TRUE(block_kit_problems(post).empty());
}

// ---- personal data ----

TEST_F(SlackMessagesTest, AnErasedSubmissionsMessageSaysWhatWasErasedInsteadOfTheText) {
  auto e = open_paid_ad("Call Jo on +44 20 7946 0958 about the plan.");
  apply(e, core::Macro::accept, "hana", "(erased on request)");  // personal data: legal decides
  EscalationView v = view_of(e);
  v.masked_excerpt.clear();
  v.suggested_fix.clear();
  v.erased_at = now_ + 24h;
  const json update = escalation_update(e, v, rota_);
  const std::string dump = update.dump();
  EXPECT_NE(dump.find("*Output:* _erased on request <!date^"), std::string::npos) << dump;
  EXPECT_NE(dump.find("the draft, its prompt, metadata and suggested fix"), std::string::npos) << dump;
  EXPECT_NE(dump.find("*Suggested fix:* _erased_"), std::string::npos) << dump;
  EXPECT_EQ(dump.find("_(empty)_"), std::string::npos) << "not shown as an empty draft";
  EXPECT_EQ(dump.find("_none given_"), std::string::npos) << "nor as a fix never given";
  EXPECT_TRUE(block_kit_problems(update).empty());
}

TEST_F(SlackMessagesTest, RawPersonalDataNeverAppears) {
  const std::vector<std::string> raw = {"john.doe@example.com", "GB82 WEST 1234 5698 7654 32", "4242 4242 4242 4242"};
  auto e = open("paid_ads", 0.95, "Mail " + raw[0] + ", IBAN " + raw[1] + ", card " + raw[2] + ".");
  ASSERT_GE(e.hits.size(), 3u);
  ASSERT_TRUE(e.with_legal());
  // A hit that (wrongly) carried the raw value must not leak it either: only explanations are shown.
  for (auto& h : e.hits)
    if (h.kind == core::TriggerKind::personal_data) h.matched = raw[0];
  const EscalationView v = view_of(e);
  apply(e, core::Macro::accept, "hana", "Consent on file for this customer");
  std::vector<json> bodies = {escalation_post(e, v), escalation_update(e, v, rota_), decision_reply(e, rota_)};
  for (const auto& body : bodies) {
    const std::string dump = body.dump();
    for (const auto& r : raw) EXPECT_EQ(dump.find(r), std::string::npos) << r;
    EXPECT_EQ(dump.find("john.doe"), std::string::npos);
  }
  EXPECT_NE(bodies[0].dump().find("4242"), std::string::npos);  // the masked form shows the last digits
}

// ---- thread replies ----

TEST_F(SlackMessagesTest, LateBackupPingMentionsBackupAndDirectorAndSaysWhy) {
  auto e = open_paid_ad();
  now_ += 3min + 40s;
  const auto fired = core::fire_due(e, ctx(), now_);
  ASSERT_EQ(fired.reminders.size(), 1u);
  const json ping = reminder_reply(fired.reminders[0], e, rota_);
  const std::string text = ping.at("text");
  EXPECT_NE(text.find("<@U0B> <@U0D>"), std::string::npos);
  EXPECT_NE(text.find("within 3 min"), std::string::npos);
  EXPECT_NE(ping.dump().find("sent 40 s late: the desk was down"), std::string::npos);
  EXPECT_EQ(ping.at("metadata").at("event_payload").at("reply"), "backup_ping");
  EXPECT_TRUE(block_kit_problems(ping).empty());
}

TEST_F(SlackMessagesTest, OnTimeBackupPingSaysNothingAboutLateness) {
  auto e = open_paid_ad();
  now_ += 3min;
  const auto fired = core::fire_due(e, ctx(), now_);
  ASSERT_EQ(fired.reminders.size(), 1u);
  EXPECT_EQ(backup_ping_reply(fired.reminders[0], e, rota_).dump().find("late"), std::string::npos);
}

TEST_F(SlackMessagesTest, BreachRepliesSayTheDraftStaysHeld) {
  auto e = open_paid_ad();
  now_ += 31min;
  const auto fired = core::fire_due(e, ctx(), now_);
  ASSERT_EQ(fired.reminders.size(), 3u);
  const json triage = reminder_reply(fired.reminders[1], e, rota_);
  const json decision = reminder_reply(fired.reminders[2], e, rota_);
  EXPECT_NE(std::string(triage.at("text")).find("Triage deadline missed"), std::string::npos);
  EXPECT_NE(std::string(decision.at("text")).find("Decision deadline missed"), std::string::npos);
  for (const auto& r : {triage, decision}) {
    EXPECT_NE(std::string(r.at("text")).find("The draft stays held; nobody has decided yet."), std::string::npos);
    EXPECT_NE(r.dump().find("late: the desk was down"), std::string::npos);
    EXPECT_TRUE(block_kit_problems(r).empty());
  }
}

TEST_F(SlackMessagesTest, DecisionReplyNamesWhoAndWhen) {
  auto e = open_paid_ad();
  now_ += 12min;
  apply(e, core::Macro::reject, "alice", "Too risky for a paid ad");
  const json r = decision_reply(e, rota_);
  EXPECT_NE(std::string(r.at("text")).find("rejected by <@U0A>"), std::string::npos);
  EXPECT_NE(r.dump().find("(12 min after it opened)"), std::string::npos);
  EXPECT_NE(r.dump().find(">Too risky for a paid ad"), std::string::npos);
}

// ---- the rationale modal ----

TEST_F(SlackMessagesTest, ModalPrivateMetadataRoundTrips) {
  auto e = open_paid_ad();
  e.generation = 2;
  const json modal = rationale_modal(e, core::Macro::reject, "Alice");
  const auto meta = parse_rationale_metadata(modal.at("private_metadata").get<std::string>());
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->escalation_id, "ESC-000042");
  EXPECT_EQ(meta->macro, core::Macro::reject);
  EXPECT_EQ(meta->generation, 2);
  for (const char* bad : {"", "not json", "[]", R"({"macro":"accept","generation":1})",
                          R"({"escalation_id":"E","macro":"delete","generation":1})",
                          R"({"escalation_id":"E","macro":"accept","generation":"1"})",
                          R"({"escalation_id":"E","macro":"accept","generation":-1})",
                          R"({"escalation_id":"","macro":"accept","generation":1})"})
    EXPECT_FALSE(parse_rationale_metadata(bad)) << bad;
}

TEST_F(SlackMessagesTest, ModalHasTheRationaleInputAndAMatchingSubmitLabel) {
  const auto e = open_paid_ad();
  const std::vector<std::pair<core::Macro, std::string>> cases = {
      {core::Macro::accept, "Accept"}, {core::Macro::reject, "Reject"}, {core::Macro::escalate_to_legal, "Escalate"}};
  for (const auto& [macro, submit] : cases) {
    const json modal = rationale_modal(e, macro, "Alice");
    EXPECT_EQ(modal.at("type"), "modal");
    EXPECT_EQ(modal.at("callback_id"), "desk.rationale");
    EXPECT_EQ(modal.at("submit").at("text"), submit);
    EXPECT_LE(slack_length(modal.at("title").at("text").get<std::string>()), 24u);
    const json input = blocks_of(modal, "input").back();
    EXPECT_EQ(input.at("block_id"), "rationale");
    EXPECT_EQ(input.at("element").at("action_id"), "rationale_input");
    EXPECT_EQ(input.at("element").at("multiline"), true);
    EXPECT_FALSE(input.at("element").contains("min_length"));  // our check, our message
    EXPECT_TRUE(block_kit_problems(modal).empty());
  }
}

TEST_F(SlackMessagesTest, RouteModalOffersOtherRoles) {
  const auto e = open_paid_ad();
  const json modal = rationale_modal(e, core::Macro::route, "Alice", route_options(rota_, e));
  const json select = blocks_of(modal, "input").at(0);
  EXPECT_EQ(select.at("block_id"), "route_to");
  EXPECT_EQ(select.at("element").at("type"), "static_select");
  std::vector<std::string> values;
  for (const auto& o : select.at("element").at("options")) values.push_back(o.at("value"));
  EXPECT_NE(std::find(values.begin(), values.end(), "sales"), values.end());
  EXPECT_EQ(std::find(values.begin(), values.end(), "duty_lead"), values.end());  // the current owner
  EXPECT_EQ(modal.at("submit").at("text"), "Route");
  EXPECT_TRUE(block_kit_problems(modal).empty());
}

TEST(SlackModals, RationaleErrorsAnswerTheField) {
  EXPECT_EQ(rationale_errors("rationale", "Too short"),
            (json{{"response_action", "errors"}, {"errors", {{"rationale", "Too short"}}}}));
}

TEST(SlackModals, RefusalIsExplainedPrivatelyAndEscaped) {
  macros::MacroOutcome out;
  out.status = macros::MacroOutcome::Status::already_decided;
  out.message = "Already decided by Alice <ops> at 2026-12-01T12:10:00Z (accepted).";
  const json body = refusal_ephemeral(out);
  EXPECT_EQ(body.at("text"), "Already decided by Alice &lt;ops&gt; at 2026-12-01T12:10:00Z (accepted).");
  EXPECT_TRUE(block_kit_problems(body).empty());
}

// ---- limits ----

TEST_F(SlackMessagesTest, HugeInputsStayWithinBlockKitLimits) {
  const std::string odd =
      "Zoë 👩\xE2\x80\x8D💻 Z\xCC\xA4\xCD\x94\xCD\xA7\xCC\x91"
      "a\xCC\x88lgo <&> ";
  for (auto& [id, p] : policy_.people) {
    p.slack_user.clear();  // names are shown instead of mentions
    for (int i = 0; i < 60; ++i) p.name += odd;
  }
  core::Rota rota{policy_.roles, policy_.people};
  std::string output;
  while (output.size() < 100 * 1024) output += odd + "\n";
  auto e = open_paid_ad(output);
  e.agent = e.channel = e.workflow = output.substr(0, 5000);
  const core::TriggerHit hit = e.hits.front();
  e.hits.assign(200, hit);
  for (auto& h : e.hits) h.explanation = output.substr(0, 4000);
  EscalationView v = view_of(e);
  v.owner = person_ref(rota, e.owner_person);
  v.permalink = "https://example.com/" + std::string(5000, 'a');
  v.suggested_fix = output;
  std::string rationale;
  while (slack_length(rationale) < 2990) rationale += "&<>😀é\xCC\x81";

  std::vector<json> bodies = {escalation_post(e, v), escalation_update(e, v, rota)};
  for (core::Macro m : {core::Macro::accept, core::Macro::reject, core::Macro::escalate_to_legal, core::Macro::route})
    bodies.push_back(rationale_modal(e, m, policy_.people.at("alice").name, route_options(rota, e)));
  now_ += 40min;
  for (const auto& r : core::fire_due(e, {policy_, rota, overrides_}, now_).reminders)
    bodies.push_back(reminder_reply(r, e, rota));
  auto legal = e;
  ASSERT_TRUE(
      macros::apply(legal, {core::Macro::escalate_to_legal, "alice", rationale, ""}, {policy_, rota, overrides_}, now_)
          .ok());
  bodies.push_back(escalation_update(legal, v, rota));
  bodies.push_back(legal_escalated_reply(legal, rota, "alice", rationale));
  ASSERT_TRUE(macros::apply(e, {core::Macro::accept, "alice", rationale, ""}, {policy_, rota, overrides_}, now_).ok());
  bodies.push_back(escalation_update(e, v, rota));
  bodies.push_back(decision_reply(e, rota));
  macros::MacroOutcome refused{macros::MacroOutcome::Status::refused, output, "", {}};
  bodies.push_back(refusal_ephemeral(refused));

  ASSERT_EQ(bodies.size(), 14u);
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    EXPECT_EQ(block_kit_problems(bodies[i]), std::vector<std::string>{}) << "body " << i;
    EXPECT_NO_THROW((void)bodies[i].dump()) << "body " << i;  // valid UTF-8 throughout
    if (bodies[i].contains("text") && bodies[i].at("text").is_string()) {
      EXPECT_LE(slack_length(bodies[i].at("text").get<std::string>()), 4000u) << "body " << i;
    }
  }
  EXPECT_NE(bodies[0].dump().find("more"), std::string::npos);  // "…and N more" hits
  // The whole rationale survives in the decided update, quoted over several sections.
  std::string quoted;
  for (const auto& s : blocks_of(bodies[11], "section")) {
    if (!s.contains("text")) continue;
    std::string t = s.at("text").at("text");
    if (t.rfind("*Rationale*\n", 0) == 0) t.erase(0, std::string("*Rationale*\n").size());
    if (t.rfind(">", 0) == 0) quoted += t.substr(1);
  }
  EXPECT_EQ(quoted, escape_mrkdwn(rationale));
}

TEST_F(SlackMessagesTest, APermalinkOfAmpersandsCannotPushTheSuggestedFixPastTheSection) {
  // Each "&" is 5 characters once escaped: 900 of them overflow the section on their own, and an
  // unsigned "limit - used" would then let the whole suggested fix through.
  auto e = open_paid_ad();
  EscalationView v = view_of(e);
  v.permalink = "https://example.com/?" + std::string(900, '&');
  v.suggested_fix = std::string(2500, 'f');
  for (const json& body : {escalation_post(e, v), escalation_update(e, v, rota_)}) {
    EXPECT_EQ(block_kit_problems(body), std::vector<std::string>{});
    EXPECT_EQ(body.dump().find(std::string(2500, 'f')), std::string::npos) << "the fix is cut, not appended whole";
  }
}

TEST(BlockKitFit, ABodySlackWouldRefuseIsShortenedWithLinksAsPlainText) {
  const std::string url = "https://example.com/" + std::string(3200, 'u');
  json buttons = {{"type", "actions"},
                  {"elements", json::array({{{"type", "button"},
                                             {"action_id", "desk.accept"},
                                             {"text", {{"type", "plain_text"}, {"text", "Accept"}}},
                                             {"value", "ESC-1"}}})}};
  json body = {
      {"text", "fallback"},
      {"blocks",
       json::array(
           {{{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", std::string(200, 'h')}}}},
            {{"type", "section"},
             {"text",
              {{"type", "mrkdwn"}, {"text", "see <" + url + "|the post> " + std::string(2990, 'a') + " &amp; more"}}}},
            {{"type", "context"},
             {"elements", json::array({{{"type", "mrkdwn"}, {"text", "<@U0A> " + std::string(4000, 'c')}}})}}})}};
  for (int i = 0; i < 55; ++i) body["blocks"].push_back({{"type", "divider"}});
  body["blocks"].push_back(buttons);
  ASSERT_FALSE(block_kit_problems(body).empty());

  std::vector<std::string> problems;
  const json fitted = fit_block_kit(body, &problems);
  EXPECT_GE(problems.size(), 4u) << ::testing::PrintToString(problems);
  EXPECT_EQ(block_kit_problems(fitted), std::vector<std::string>{});
  EXPECT_EQ(fitted["blocks"].back(), buttons) << "the buttons survive, last";
  const std::string section = fitted["blocks"][1]["text"]["text"];
  EXPECT_EQ(section.rfind("see the post (https://example.com/", 0), 0u) << "the link is plain text";
  EXPECT_TRUE(ends_with(section, kEllipsis));
  EXPECT_EQ(fitted["blocks"][2]["elements"][0]["text"].get<std::string>().rfind("<@U0A> ", 0), 0u) << "mentions stay";
  EXPECT_EQ(fit_block_kit(fitted), fitted) << "a body Slack takes is left alone";
}

TEST(BlockKitFit, CutsNeverSplitAnEntityOrAMention) {
  for (std::size_t pad = 2990; pad < 3000; ++pad) {
    json body = {
        {"text", "t"},
        {"blocks",
         json::array({{{"type", "section"},
                       {"text", {{"type", "mrkdwn"}, {"text", std::string(pad, 'a') + "&amp;&lt;<@U0ABC> tail"}}}}})}};
    const std::string cut = fit_block_kit(body)["blocks"][0]["text"]["text"];
    ASSERT_TRUE(ends_with(cut, kEllipsis)) << pad;
    const std::string kept = cut.substr(pad, cut.size() - pad - std::string(kEllipsis).size());
    EXPECT_TRUE(std::string("&amp;&lt;<@U0ABC>").rfind(kept, 0) == 0) << pad << ": " << kept;
    const auto amp = kept.rfind('&');
    EXPECT_TRUE(amp == std::string::npos || kept.find(';', amp) != std::string::npos) << pad << ": " << kept;
    const auto open = kept.rfind('<');
    EXPECT_TRUE(open == std::string::npos || kept.find('>', open) != std::string::npos) << pad << ": " << kept;
  }
}

TEST(BlockKitFit, WhatCannotBeShortenedFallsBackToTheTextAndTheButtons) {
  json buttons = {{"type", "actions"},
                  {"elements", json::array({{{"type", "button"},
                                             {"action_id", "desk.reject"},
                                             {"text", {{"type", "plain_text"}, {"text", "Reject"}}}}})}};
  json body = {{"text", "ESC-1 needs a decision"},
               {"blocks", json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", "ok"}}}},
                                       {{"type", "carousel"}},
                                       buttons})}};
  const json fitted = fit_block_kit(body);
  EXPECT_EQ(block_kit_problems(fitted), std::vector<std::string>{});
  ASSERT_EQ(fitted["blocks"].size(), 2u);
  EXPECT_EQ(fitted["blocks"][0]["text"]["text"], "ESC-1 needs a decision");
  EXPECT_EQ(fitted["blocks"][1], buttons);

  json broken = {{"text", "only words"}, {"blocks", json::array({{{"type", "actions"}, {"elements", json::array()}}})}};
  const json words = fit_block_kit(broken);
  EXPECT_EQ(block_kit_problems(words), std::vector<std::string>{});
  ASSERT_EQ(words["blocks"].size(), 1u) << "no buttons to keep: the text is what is shown";
  EXPECT_EQ(words["blocks"][0]["text"]["text"], "only words");
}

TEST(BlockKitProblems, FindsBrokenLimitsWithAPointer) {
  json button = {
      {"type", "button"}, {"action_id", "a"}, {"text", {{"type", "plain_text"}, {"text", std::string(76, 'x')}}}};
  json message = {
      {"text", "t"},
      {"blocks", json::array({{{"type", "header"}, {"text", {{"type", "plain_text"}, {"text", std::string(151, 'h')}}}},
                              {{"type", "actions"}, {"elements", json::array({button, button})}},
                              {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", ""}}}}})}};
  const auto problems = block_kit_problems(message);
  const auto has = [&](const std::string& prefix) {
    return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return p.rfind(prefix, 0) == 0; });
  };
  EXPECT_TRUE(has("/blocks/0/text/text: must be at most 150"));
  EXPECT_TRUE(has("/blocks/1/elements/0/text/text: must be at most 75"));
  EXPECT_TRUE(has("/blocks/1/elements/1/action_id: must be unique"));
  EXPECT_TRUE(has("/blocks/2/text/text: must be at least 1"));

  json many = {{"text", "t"}, {"blocks", json::array()}};
  for (int i = 0; i < 51; ++i) many["blocks"].push_back({{"type", "divider"}});
  EXPECT_EQ(block_kit_problems(many).size(), 1u);
  EXPECT_FALSE(block_kit_problems(json{{"blocks", json::array({{{"type", 5}}})}}).empty());  // no throw on odd types
  EXPECT_FALSE(block_kit_problems(json::array()).empty());

  json view = {
      {"type", "modal"},
      {"title", {{"type", "plain_text"}, {"text", std::string(25, 't')}}},
      {"private_metadata", std::string(3001, 'm')},
      {"blocks", json::array({{{"type", "input"},
                               {"label", {{"type", "plain_text"}, {"text", "L"}}},
                               {"element", {{"type", "plain_text_input"}, {"min_length", 10}, {"max_length", 5}}}}})}};
  const auto vp = block_kit_problems(view);
  EXPECT_EQ(vp.size(), 4u) << ::testing::PrintToString(vp);  // title, metadata, min > max, no submit
}

}  // namespace desk::bot::slack::slack_messages_test
