#include "bot/slack/slash_commands.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "bot/slack/slack_messages.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot::slack::slash_commands_test {

using json = nlohmann::json;
using namespace desk::handlers;  // the use cases these Slack views and payloads drive
using namespace std::chrono_literals;
using std::chrono::sys_days;
using std::chrono::year;

constexpr const char* kChannel = "C0DESK";

core::TimePoint utc(int month, int day, int hour, int minute = 0) {
  return core::TimePoint{sys_days(year{2026} / month / day) + std::chrono::hours(hour) + std::chrono::minutes(minute)};
}

/// How Slack shows `t` in each reader's own time zone, written out by hand.
std::string date_of(core::TimePoint t, const std::string& fallback) {
  return "<!date^" + std::to_string(t.time_since_epoch().count()) + "^{date_short_pretty} {time}|" + fallback + " UTC>";
}

class SlashCommandsTest : public ::testing::Test {
 protected:
  SlashCommandsTest() { sqlite_->save_policy_snapshot("testdigest", "seed policy"); }

  SlashCommand command(const std::string& name, const std::string& text, const std::string& user = "U0D") {
    return SlashCommand{name, text, user, kChannel, "trigger.1", "T1", ""};
  }

  InteractionResult run(const std::string& name, const std::string& text, const std::string& user = "U0D") {
    return commands_.on_command(command(name, text, user), now_);
  }

  /// The ephemeral reply's blocks as one text, checked against Block Kit's limits on the way.
  static std::string reply_text(const InteractionResult& r) {
    EXPECT_TRUE(r.ack_payload != nullptr);
    if (!r.ack_payload) return {};
    const json& p = *r.ack_payload;
    EXPECT_EQ(p.value("response_type", ""), "ephemeral");
    EXPECT_FALSE(p.value("text", "").empty());
    EXPECT_TRUE(block_kit_problems(p).empty()) << p.dump();
    std::string out;
    for (const auto& b : p.at("blocks")) {
      if (b.contains("text")) out += b["text"].value("text", "") + "\n";
      if (b.contains("elements"))
        for (const auto& el : b["elements"]) out += el.value("text", "") + "\n";
    }
    return out;
  }

  /// The /escalate modal's submission with these inputs.
  ViewSubmission escalate_form(const std::string& what, const std::string& where, const std::string& workflow,
                               const std::string& why) {
    ViewSubmission v;
    v.user_id = "U0E";
    v.view_id = "VESC";
    v.callback_id = kEscalateCallbackId;
    v.private_metadata = json{{"channel_id", kChannel}}.dump();
    if (!what.empty()) v.text_values[kWhatBlock][kWhatAction] = what;
    if (!where.empty()) v.text_values[kWhereBlock][kWhereAction] = where;
    if (!workflow.empty()) v.selected_values[kWorkflowBlock][kWorkflowAction] = workflow;
    if (!why.empty()) v.text_values[kWhyBlock][kWhyAction] = why;
    return v;
  }

  std::size_t audit_rows() { return sqlite_->audit_trail("").size(); }

  std::unique_ptr<storage::SqliteStore> sqlite_ = storage::SqliteStore::open(":memory:");
  std::shared_ptr<const PolicySet> policy_ = std::make_shared<const PolicySet>(testing::seed_policy());
  core::Metrics metrics_;
  SlackDependencies deps_{*sqlite_,
                          [this](const std::string& d) { return d == "testdigest" ? policy_ : nullptr; },
                          [this] { return policy_; },
                          &metrics_,
                          {},
                          {"slack"}};
  SlashCommands commands_{deps_};
  InteractionHandler interactions_{deps_};
  core::TimePoint now_ = testing::tuesday_noon();
};

TEST_F(SlashCommandsTest, RotaShowsEveryRoleWithMentionsSourcesAndSlackDates) {
  const auto r = run("/rota", "");
  EXPECT_TRUE(r.calls.empty());
  EXPECT_FALSE(r.changed);
  const std::string text = reply_text(r);
  EXPECT_NE(
      text.find("*duty_lead*: Alice (<@U0A>) · rotation · next handoff " + date_of(utc(12, 7, 9), "2026-12-07 09:00")),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("*backup*: Bob (<@U0B>) · next_in_rotation · next handoff"), std::string::npos) << text;
  // New York's Monday 09:00 is 14:00 UTC in December.
  EXPECT_NE(text.find("*legal_oncall*: Hana (<@U0H>) · rotation · next handoff " +
                      date_of(utc(12, 7, 14), "2026-12-07 14:00")),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("*marketing_director*: Dana (<@U0D>) · fixed\n"), std::string::npos) << text;
  EXPECT_NE(text.find("*sales*: Jo (<@U0J>) · fixed"), std::string::npos) << text;
}

TEST_F(SlashCommandsTest, RotaShowsTheComingFourWeeksOfTheDutyLead) {
  const std::string text = reply_text(run("/rota", ""));
  const std::string expected =
      "*duty_lead, the coming 4 weeks*\n"
      "• " +
      date_of(utc(11, 30, 9), "2026-11-30 09:00") + " → " + date_of(utc(12, 7, 9), "2026-12-07 09:00") +
      ": Alice (<@U0A>)\n"
      "• " +
      date_of(utc(12, 7, 9), "2026-12-07 09:00") + " → " + date_of(utc(12, 14, 9), "2026-12-14 09:00") +
      ": Bob (<@U0B>)\n"
      "• " +
      date_of(utc(12, 14, 9), "2026-12-14 09:00") + " → " + date_of(utc(12, 21, 9), "2026-12-21 09:00") +
      ": Chen (<@U0C>)\n"
      "• " +
      date_of(utc(12, 21, 9), "2026-12-21 09:00") + " → " + date_of(utc(12, 28, 9), "2026-12-28 09:00") +
      ": Alice (<@U0A>)\n";
  EXPECT_NE(text.find(expected), std::string::npos) << text;
}

TEST_F(SlashCommandsTest, RotaForOneRoleShowsOnlyThatRoleAndItsSchedule) {
  const std::string text = reply_text(run("/rota", "  legal_oncall "));
  EXPECT_NE(text.find("*legal_oncall*: Hana"), std::string::npos) << text;
  EXPECT_NE(text.find("*legal_oncall, the coming 4 weeks*"), std::string::npos) << text;
  EXPECT_NE(text.find("Ivan (<@U0I>)"), std::string::npos) << text;
  EXPECT_EQ(text.find("duty_lead"), std::string::npos) << text;

  const std::string fixed = reply_text(run("/rota", "sales"));
  EXPECT_NE(fixed.find("*sales*: Jo (<@U0J>) · fixed"), std::string::npos) << fixed;
  EXPECT_EQ(fixed.find("coming 4 weeks"), std::string::npos) << fixed;
}

TEST_F(SlashCommandsTest, RotaForAnUnknownRoleListsTheRoles) {
  const std::string text = reply_text(run("/rota", "janitor"));
  EXPECT_NE(text.find("There is no role `janitor`. Roles: `backup`, `community_lead`, `duty_lead`"), std::string::npos)
      << text;
  const std::string hostile = reply_text(run("/rota", "<!channel>"));
  EXPECT_EQ(hostile.find("<!channel>"), std::string::npos) << hostile;
  EXPECT_NE(hostile.find("&lt;!channel&gt;"), std::string::npos) << hostile;
}

TEST_F(SlashCommandsTest, DirectorSetsAnOverrideThatRotaThenShows) {
  const std::size_t audit_before = audit_rows();
  const auto r = run("/rota", "override <@U0B|bob> duty_lead 4h");
  EXPECT_TRUE(r.changed);
  const std::string text = reply_text(r);
  EXPECT_NE(text.find("Bob (<@U0B>) covers *duty_lead* from now until " + date_of(now_ + 4h, "2026-12-01 16:00")),
            std::string::npos)
      << text;

  const auto overrides = sqlite_->overrides_active_after(now_);
  ASSERT_EQ(overrides.size(), 1u);
  EXPECT_EQ(overrides[0].role, "duty_lead");
  EXPECT_EQ(overrides[0].person, "bob");
  EXPECT_EQ(overrides[0].from, now_);
  EXPECT_EQ(overrides[0].until, now_ + 4h);
  EXPECT_EQ(overrides[0].created_by, "dana");
  const auto trail = sqlite_->audit_trail("");
  ASSERT_EQ(trail.size(), audit_before + 1);
  const auto& ev = trail.back().event;
  EXPECT_EQ(ev.kind, "rota.override");
  EXPECT_EQ(ev.actor, "dana");
  auto field = [&](const std::string& k) {
    for (const auto& [name, value] : ev.fields)
      if (name == k) return value;
    return std::string("<missing>");
  };
  EXPECT_EQ(field("role"), "duty_lead");
  EXPECT_EQ(field("person"), "bob");
  EXPECT_EQ(field("from"), "2026-12-01T12:00:00Z");
  EXPECT_EQ(field("until"), "2026-12-01T16:00:00Z");
  EXPECT_EQ(field("by"), "dana");

  const std::string rota = reply_text(run("/rota", "duty_lead", "U0E"));
  EXPECT_NE(rota.find("*duty_lead*: Bob (<@U0B>) · override until " + date_of(now_ + 4h, "2026-12-01 16:00")),
            std::string::npos)
      << rota;
}

TEST_F(SlashCommandsTest, RotaAskedAgainInTheSameSecondIsTheSameAnswerUntilAnOverrideChangesIt) {
  const std::string first = reply_text(run("/rota", "duty_lead", "U0E"));
  EXPECT_EQ(reply_text(run("/rota", "duty_lead", "U0C")), first);
  EXPECT_NE(first.find("*duty_lead*: Alice"), std::string::npos) << first;
  run("/rota", "override <@U0B|bob> duty_lead 4h");
  const std::string after = reply_text(run("/rota", "duty_lead", "U0E"));
  EXPECT_NE(after, first) << "the override is in the very same second's answer";
  EXPECT_NE(after.find("*duty_lead*: Bob (<@U0B>) · override"), std::string::npos) << after;
  const auto later = reply_text(commands_.on_command(command("/rota", "duty_lead", "U0E"), now_ + 5h));
  EXPECT_EQ(later.find("override until"), std::string::npos) << "expired: " << later;
}

TEST_F(SlashCommandsTest, RotaWarnsWhenTheOnDutyUserGroupIsNotKeptUpToDate) {
  std::optional<std::string> notice = "Slack refused (`permission_denied`): only admins may change user groups.";
  SlackDependencies deps = deps_;
  deps.usergroup_notice = [&notice] { return notice; };
  SlashCommands commands{deps};
  auto rota = [&](const std::string& text) { return reply_text(commands.on_command(command("/rota", text), now_)); };
  const std::string heads_up =
      ":warning: Heads-up: `@ai-escalation` is not updated automatically: "
      "Slack refused (`permission_denied`): only admins may change user groups.";

  EXPECT_NE(rota("").find(heads_up), std::string::npos) << rota("");
  EXPECT_NE(rota("duty_lead").find(heads_up), std::string::npos);
  EXPECT_EQ(rota("legal_oncall").find("Heads-up"), std::string::npos);  // the group follows the duty lead only
  const std::string set = reply_text(commands.on_command(command("/rota", "override <@U0B> duty_lead 4h"), now_));
  EXPECT_NE(set.find(heads_up), std::string::npos) << set;
  EXPECT_EQ(set.find("user group follows"), std::string::npos) << set;

  notice.reset();  // in sync again
  EXPECT_EQ(rota("").find("Heads-up"), std::string::npos);
  EXPECT_NE(reply_text(commands.on_command(command("/rota", "override <@U0C> duty_lead 4h"), now_))
                .find("The on-duty user group follows."),
            std::string::npos);

  notice = "something";
  core::Policy off = testing::seed_policy();
  off.desk.oncall_usergroup.clear();  // the feature is off: nothing to warn about, nothing follows
  policy_ = std::make_shared<const PolicySet>(std::move(off));
  EXPECT_EQ(rota("").find("Heads-up"), std::string::npos);
  EXPECT_EQ(reply_text(commands.on_command(command("/rota", "override <@U0A> duty_lead 4h"), now_)).find("user group"),
            std::string::npos);
}

TEST_F(SlashCommandsTest, PeopleInMayOverrideMaySetOverridesOnThatRoleOnly) {
  core::Policy p = testing::seed_policy();
  p.roles.at("duty_lead").may_override = {"alice"};
  policy_ = std::make_shared<const PolicySet>(std::move(p));
  auto r = run("/rota", "override <@U0C> duty_lead 2026-12-03T18:00Z", "U0A");
  EXPECT_TRUE(r.changed) << reply_text(r);
  ASSERT_EQ(sqlite_->overrides_active_after(now_).size(), 1u);
  EXPECT_EQ(sqlite_->overrides_active_after(now_)[0].until, utc(12, 3, 18));

  r = run("/rota", "override <@U0C> legal_oncall 4h", "U0A");
  EXPECT_FALSE(r.changed);
  EXPECT_NE(reply_text(r).find("Only Dana (marketing director) may override legal_oncall."), std::string::npos);
}

TEST_F(SlashCommandsTest, AnExplicitMayOverrideBindsTheDirectorToo) {
  // Found reading the code: the director could appoint themself legal on-call and then decide
  // legal's escalations, whatever legal_oncall's may_override said.
  core::Policy p = testing::seed_policy();
  p.roles.at("legal_oncall").may_override = {"hana", "ivan"};
  policy_ = std::make_shared<const PolicySet>(std::move(p));
  auto r = run("/rota", "override <@U0D> legal_oncall 4h", "U0D");
  EXPECT_FALSE(r.changed);
  EXPECT_NE(reply_text(r).find("Only Hana, Ivan may override legal_oncall"), std::string::npos) << reply_text(r);
  EXPECT_TRUE(sqlite_->overrides_active_after(now_).empty());
  r = run("/rota", "override <@U0I> legal_oncall 4h", "U0H");
  EXPECT_TRUE(r.changed) << reply_text(r);
}

TEST_F(SlashCommandsTest, OverrideByAnyoneElseIsRefusedAndAudited) {
  for (const char* user : {"U0E", "U0NOBODY"}) {
    const std::size_t audit_before = audit_rows();
    const auto r = run("/rota", "override <@U0E> duty_lead 4h", user);
    EXPECT_FALSE(r.changed);
    const std::string text = reply_text(r);
    EXPECT_NE(text.find(":no_entry: Only Dana (marketing director) may override duty_lead. The attempt was logged."),
              std::string::npos)
        << text;
    const auto trail = sqlite_->audit_trail("");
    ASSERT_EQ(trail.size(), audit_before + 1);
    EXPECT_EQ(trail.back().event.kind, "rights.denied");
    EXPECT_EQ(trail.back().event.actor, std::string(user) == "U0E" ? "erin" : "U0NOBODY");
  }
  EXPECT_TRUE(sqlite_->overrides_active_after(now_).empty());
}

struct BadOverride {
  const char* text;
  const char* says;
};

class OverrideInput : public SlashCommandsTest, public ::testing::WithParamInterface<BadOverride> {};

TEST_P(OverrideInput, IsRefusedClearlyAndChangesNothing) {
  const std::size_t audit_before = audit_rows();
  const auto r = run("/rota", GetParam().text);
  EXPECT_FALSE(r.changed);
  const std::string text = reply_text(r);
  EXPECT_NE(text.find(GetParam().says), std::string::npos) << text;
  EXPECT_TRUE(sqlite_->overrides_active_after(now_).empty());
  EXPECT_EQ(audit_rows(), audit_before);
}

INSTANTIATE_TEST_SUITE_P(
    SlashCommands, OverrideInput,
    ::testing::Values(BadOverride{"override", "Say who covers which role"},
                      BadOverride{"override <@U0B> duty_lead", "Say who covers which role"},
                      BadOverride{"override bob duty_lead 4h", "Mention the person with @"},
                      BadOverride{"override @bob duty_lead 4h", "Mention the person with @"},
                      BadOverride{"override <#C123|general> duty_lead 4h", "Mention the person with @"},
                      BadOverride{"override <@U0B> janitor 4h", "There is no role `janitor`"},
                      BadOverride{"override <@U0ZZZ> duty_lead 4h", "<@U0ZZZ> is not one of the desk's people"},
                      BadOverride{"override <@U0B> duty_lead tomorrow", "I could not read the end time `tomorrow`"},
                      BadOverride{"override <@U0B> duty_lead 25:00", "could not read the end time"},
                      BadOverride{"override <@U0B> duty_lead 2026-13-01 10:00", "could not read the end time"},
                      BadOverride{"override <@U0B> duty_lead 4x", "could not read the end time"},
                      BadOverride{"override <@U0B> duty_lead 0h", "could not read the end time"},
                      BadOverride{"override <@U0B> duty_lead -4h", "could not read the end time"},
                      BadOverride{"override <@U0B> duty_lead 2026-11-30T10:00Z", "has passed"},
                      BadOverride{"override <@U0B> duty_lead 2026-12-01 12:00", "has passed"},
                      BadOverride{"override <@U0B> duty_lead 32d", "at most 31 days"},
                      BadOverride{"override <@U0B> duty_lead 2027-01-05T00:00Z", "at most 31 days"}));

TEST(SlashCommandsParsing, ReadsEveryUntilForm) {
  const core::TimePoint noon = utc(12, 1, 12);
  EXPECT_EQ(parse_until("2026-12-03T18:00Z", noon), utc(12, 3, 18));
  EXPECT_EQ(parse_until("2026-12-03T18:00:30Z", noon), utc(12, 3, 18) + 30s);
  EXPECT_EQ(parse_until("2026-12-03T18:00", noon), utc(12, 3, 18));
  EXPECT_EQ(parse_until("2026-12-03 18:00", noon), utc(12, 3, 18));
  EXPECT_EQ(parse_until("2026-12-03 18:00 UTC", noon), utc(12, 3, 18));
  EXPECT_EQ(parse_until(" 18:00 ", noon), utc(12, 1, 18));  // later today
  EXPECT_EQ(parse_until("09:00", noon), utc(12, 2, 9));     // already past: tomorrow
  EXPECT_EQ(parse_until("12:00", noon), utc(12, 2, 12));    // now is not the future
  EXPECT_EQ(parse_until("8:30", noon), utc(12, 2, 8, 30));
  EXPECT_EQ(parse_until("4h", noon), noon + 4h);
  EXPECT_EQ(parse_until("2d", noon), noon + 48h);
  EXPECT_EQ(parse_until("90m", noon), noon + 90min);
  for (const char* bad :
       {"", "18", "18:60", "24:00", "1800", "2026-02-30 10:00", "2026-12-03T18:00+01:00", "2026-12-03", "4 h", "h",
        "4H", "99999999h", "0d", "4.5h", "18:00Z", "2026-12-03T18Z", "12/03/2026 18:00"})
    EXPECT_FALSE(parse_until(bad, noon)) << bad;
}

TEST_F(SlashCommandsTest, EscalateOpensAModalPrefilledFromTheText) {
  const auto r =
      run("/escalate", "pricing claim &amp; guarantee look wrong <https://example.slack.com/archives/C1/p123|msg>");
  // A mention stays as Slack sent it; a link becomes its URL.
  const auto mention = run("/escalate", "<@U0B> posted <http://a.example/x> &lt;b&gt;");
  ASSERT_EQ(mention.calls.size(), 1u);
  EXPECT_EQ(mention.calls[0].body["blocks"][0]["element"]["initial_value"], "<@U0B> posted http://a.example/x <b>");
  EXPECT_FALSE(r.ack_payload);
  EXPECT_FALSE(r.changed);
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].kind, SlackCall::Kind::views_open);
  EXPECT_EQ(r.calls[0].trigger_id, "trigger.1");
  const json& view = r.calls[0].body;
  EXPECT_TRUE(block_kit_problems(view).empty()) << view.dump();
  EXPECT_EQ(view.value("callback_id", ""), kEscalateCallbackId);
  std::map<std::string, json> blocks;
  for (const auto& b : view.at("blocks")) blocks[b.value("block_id", "")] = b;
  EXPECT_EQ(blocks.at(kWhatBlock)["element"]["initial_value"],
            "pricing claim & guarantee look wrong https://example.slack.com/archives/C1/p123");
  EXPECT_EQ(blocks.at(kWhatBlock)["element"]["multiline"], true);
  EXPECT_EQ(blocks.at(kWhereBlock)["element"]["initial_value"], "https://example.slack.com/archives/C1/p123");
  EXPECT_EQ(blocks.at(kWhereBlock)["optional"], true);
  std::vector<std::string> workflows;
  for (const auto& o : blocks.at(kWorkflowBlock)["element"]["options"]) workflows.push_back(o["value"]);
  EXPECT_EQ(workflows,
            (std::vector<std::string>{"community_replies", "email_nurture", "paid_ads", "thought_leadership"}));
  EXPECT_EQ(blocks.at(kWhyBlock)["element"]["multiline"], true);
  EXPECT_FALSE(blocks.at(kWhyBlock).contains("optional"));
}

TEST_F(SlashCommandsTest, EscalateWithoutTextOrWithHugeTextStillOpensAValidModal) {
  auto r = run("/escalate", "");
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_FALSE(r.calls[0].body["blocks"][0]["element"].contains("initial_value"));
  EXPECT_FALSE(r.calls[0].body["blocks"][1]["element"].contains("initial_value"));
  r = run("/escalate", std::string(5000, 'x'));
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_TRUE(block_kit_problems(r.calls[0].body).empty());
  EXPECT_LE(slack_length(r.calls[0].body["blocks"][0]["element"]["initial_value"].get<std::string>()), 3000u);
}

TEST_F(SlashCommandsTest, EscalateSubmissionOpensAManualEscalationWithItsPost) {
  const auto r = interactions_.on_view_submission(
      escalate_form("  Ad promises the lowest price in town  ", "https://example.slack.com/archives/C1/p123",
                    "paid_ads", "Price claims need legal review."),
      now_);
  EXPECT_FALSE(r.ack_payload);  // closes the form
  EXPECT_TRUE(r.changed);
  const auto e = sqlite_->escalation("ESC-000001");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->manual);
  EXPECT_EQ(e->workflow, "paid_ads");
  EXPECT_EQ(e->channel, "slack");
  EXPECT_EQ(e->agent, "manual:U0E");
  EXPECT_EQ(e->policy_digest, "testdigest");
  EXPECT_EQ(e->owner_role, core::kLegalRole);  // "lowest price" routes to legal
  EXPECT_TRUE(
      std::any_of(e->hits.begin(), e->hits.end(), [](const auto& h) { return h.kind == core::TriggerKind::manual; }));
  const auto s = sqlite_->submission(e->submission_id);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->submission.output, "Ad promises the lowest price in town");
  EXPECT_EQ(s->submission.permalink, "https://example.slack.com/archives/C1/p123");
  EXPECT_EQ(s->submission.confidence, 1.0);
  EXPECT_EQ(s->submission.submitted_at, now_);
  const auto post = sqlite_->outbox_message(1);
  ASSERT_TRUE(post);
  EXPECT_EQ(post->kind, "post_escalation");
  EXPECT_EQ(post->surface, "slack");
  EXPECT_EQ(post->escalation_id, "ESC-000001");
  EXPECT_EQ(post->ordering_key, "slack:ESC-000001");
  EXPECT_FALSE(sqlite_->outbox_message(2));
  std::vector<std::string> kinds;
  for (const auto& row : sqlite_->audit_trail("")) kinds.push_back(row.event.kind);
  EXPECT_EQ(kinds.front(), "submission.received");
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "escalation.opened"), kinds.end());
  EXPECT_TRUE(sqlite_->policy_snapshot("testdigest"));
  EXPECT_EQ(metrics_.value("desk_escalations_opened_total", {core::kLegalRole}), 1);
  // The person who escalated hears back privately where they typed /escalate.
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].kind, SlackCall::Kind::chat_post_ephemeral);
  EXPECT_EQ(r.calls[0].channel, kChannel);
  EXPECT_EQ(r.calls[0].user, "U0E");
  EXPECT_NE(r.calls[0].body.value("text", "").find("ESC-000001"), std::string::npos);
}

TEST_F(SlashCommandsTest, InvalidEscalateFormShowsEveryErrorAndWritesNothing) {
  const auto r = interactions_.on_view_submission(escalate_form("   ", "ftp://example.com/x", "nope", "short"), now_);
  ASSERT_TRUE(r.ack_payload);
  EXPECT_EQ(r.ack_payload->value("response_action", ""), "errors");
  const json& errors = r.ack_payload->at("errors");
  EXPECT_EQ(errors.size(), 4u) << errors.dump();
  for (const char* field : {kWhatBlock, kWhereBlock, kWorkflowBlock, kWhyBlock})
    EXPECT_TRUE(errors.contains(field)) << field;
  EXPECT_FALSE(r.changed);
  EXPECT_TRUE(sqlite_->escalations(std::nullopt, 0).empty());
  EXPECT_EQ(sqlite_->outbox_stats().pending, 0);
  EXPECT_EQ(audit_rows(), 0u);

  const auto missing = interactions_.on_view_submission(escalate_form("x", "", "", ""), now_);
  ASSERT_TRUE(missing.ack_payload);
  EXPECT_EQ(missing.ack_payload->at("errors").size(), 2u);  // workflow and why; where is optional
}

TEST_F(SlashCommandsTest, EscalateFormRefusesNulAndOversizedText) {
  const std::string why = "It needs a second pair of eyes.";
  auto r = interactions_.on_view_submission(escalate_form(std::string("a\0b", 3), "", "paid_ads", why), now_);
  ASSERT_TRUE(r.ack_payload);
  EXPECT_NE(r.ack_payload->at("errors").value(kWhatBlock, "").find("NUL"), std::string::npos);
  r = interactions_.on_view_submission(escalate_form(std::string(40'001, 'a'), "", "paid_ads", why), now_);
  ASSERT_TRUE(r.ack_payload);
  EXPECT_NE(r.ack_payload->at("errors").value(kWhatBlock, "").find("40,000"), std::string::npos);
  r = interactions_.on_view_submission(escalate_form(std::string(40'000, 'a'), "", "paid_ads", why), now_);
  EXPECT_FALSE(r.ack_payload);
  EXPECT_EQ(sqlite_->escalations(std::nullopt, 0).size(), 1u);
}

TEST_F(SlashCommandsTest, UnknownCommandsAndBadUsageGetTheUsage) {
  for (const auto& [name, text] : std::vector<std::pair<std::string, std::string>>{
           {"/frobnicate", ""}, {"/rota", "help"}, {"/rota", "duty_lead please"}}) {
    const auto r = run(name, text);
    EXPECT_FALSE(r.changed);
    EXPECT_NE(reply_text(r).find("*/rota override @person <role> <until>*"), std::string::npos) << name << " " << text;
  }
}

TEST_F(SlashCommandsTest, RawPayloadIsParsedThenHandled) {
  const json ok = {
      {"command", "/rota"}, {"text", "sales"}, {"user_id", "U0E"}, {"channel_id", kChannel}, {"trigger_id", "t.1"}};
  EXPECT_NE(reply_text(commands_.on_payload(ok, now_)).find("*sales*: Jo"), std::string::npos);
  const auto bad = commands_.on_payload(json{{"command", "/rota"}, {"user_id", 12}}, now_);
  EXPECT_NE(reply_text(bad).find("could not read this command"), std::string::npos);
  EXPECT_NE(bad.log.find("user_id"), std::string::npos);
}

TEST_F(SlashCommandsTest, WithoutAPolicyTheCommandsSaySo) {
  policy_ = nullptr;
  EXPECT_NE(reply_text(run("/rota", "")).find("no policy loaded"), std::string::npos);
  EXPECT_NE(reply_text(run("/rota", "override <@U0B> duty_lead 4h")).find("no policy loaded"), std::string::npos);
  EXPECT_NE(reply_text(run("/escalate", "x")).find("no workflows"), std::string::npos);
  const auto r = interactions_.on_view_submission(escalate_form("x", "", "paid_ads", "Needs a second look."), now_);
  ASSERT_TRUE(r.ack_payload);
  EXPECT_TRUE(r.ack_payload->at("errors").contains(kWhyBlock));
}

}  // namespace desk::bot::slack::slash_commands_test
