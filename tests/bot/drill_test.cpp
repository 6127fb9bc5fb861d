// Fire drills through the handlers: POST /v1/drills (admins only, validated, through the real intake
// commit), /drill in Slack (who may), the decision that scores a drill in its own commit (stored,
// audited, announced in the thread, no agent callback), and what people see (FIRE DRILL).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "bot/slack/slack_messages.hpp"
#include "bot/slack/slash_commands.hpp"
#include "handlers/desk_actions.hpp"
#include "handlers/drills.hpp"
#include "handlers/intake_handler.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot::slack::drill_test {

using json = nlohmann::json;
using namespace desk::handlers;  // the use cases these Slack views and payloads drive
using namespace std::chrono_literals;

constexpr const char* kAgentToken = "agt_live_drill_7f3a9c1e5b2d";
constexpr const char* kAdminToken = "adm_live_drill_9e8d7c6b5a4f";
constexpr const char* kRationale = "Invented price and a guarantee nobody signed off: rejected, rewrite it.";

/// The intake API and the desk's actions over one real store and one policy, as the desk wires them.
class DrillTest : public ::testing::Test {
 protected:
  explicit DrillTest(core::Policy p = testing::seed_policy())
      : policy_(std::make_shared<const PolicySet>(std::move(p))),
        intake_(IntakeDependencies{policy_->policy(),
                                   policy_->engine(),
                                   policy_->rota(),
                                   *store_,
                                   metrics_,
                                   {kAgentToken},
                                   {},
                                   {"slack", "console"},
                                   {},
                                   {kAdminToken}}) {
    store_->save_policy_snapshot("testdigest", "seed policy");
  }

  HttpResponse start(const json& body, const std::string& token = kAdminToken,
                     const std::string& content_type = "application/json") {
    HttpRequest r{"POST",
                  "/v1/drills",
                  {{"content-type", content_type}},
                  body.is_string() ? body.get<std::string>() : body.dump()};
    r.headers["authorization"] = "Bearer " + token;
    return intake_.handle(r, now_);
  }

  static json error_of(const HttpResponse& r) { return json::parse(r.body); }

  std::vector<std::string> audit_kinds(const std::string& escalation_id) {
    std::vector<std::string> out;
    for (const auto& row : store_->audit_trail(escalation_id)) out.push_back(row.event.kind);
    return out;
  }

  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  std::shared_ptr<const PolicySet> policy_;
  core::Metrics metrics_;
  IntakeHandler intake_;
  DeskActions actions_{{*store_,
                        [this](const std::string& d) { return d == "testdigest" ? policy_ : nullptr; },
                        [this] { return policy_; },
                        &metrics_,
                        {"slack", "console"}}};
  core::TimePoint now_ = testing::tuesday_noon();
};

TEST_F(DrillTest, AnAdminStartsADrillThroughTheIntakeAndItIsLabelledAndCountedNowhere) {
  const auto r = start({{"scenario", "pricing_claim"}, {"started_by", "cli:ops"}});
  ASSERT_EQ(r.status, 201) << r.body;
  const json answer = json::parse(r.body);
  const std::string id = answer["escalation"]["id"];
  EXPECT_EQ(*r.header("Location"), "/v1/escalations/" + id);
  EXPECT_EQ(answer["drill"]["scenario"], "pricing_claim");
  EXPECT_EQ(answer["drill"]["workflow"], "community_replies");
  EXPECT_EQ(answer["drill"]["escalation_id"], id);
  EXPECT_EQ(answer["drill"]["outcome"], "open");

  const auto e = store_->escalation(id);
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->drill);
  EXPECT_EQ(e->owner_role, core::kLegalRole) << "the invented price routes to legal, as an agent's would";
  EXPECT_EQ(e->owner_person, "hana");
  EXPECT_EQ(e->agent, core::kDrillAgent);
  const auto drill = store_->drill_of(id);
  ASSERT_TRUE(drill);
  EXPECT_EQ(drill->started_by, "cli:ops");
  EXPECT_EQ(drill->started_at, now_);
  const auto kinds = audit_kinds(id);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "drill.started"), kinds.end());
  // Posted on every surface, like any escalation.
  int posts = 0;
  for (const auto& row : store_->outbox_of_escalation(id, 10)) posts += row.kind == "post_escalation";
  EXPECT_EQ(posts, 2);
  // Nothing in the real figures.
  EXPECT_EQ(metrics_.value("desk_submissions_total", {"escalated"}), 0);
  auto totals = store_->metric_totals();
  EXPECT_EQ(totals.submissions["escalated"], 0);
  EXPECT_EQ(totals.escalations_opened.size(), 0u);
}

TEST_F(DrillTest, ARetriedRequestWithItsKeyStartsOneDrill) {
  auto with_key = [&] {
    HttpRequest r{"POST", "/v1/drills", {{"content-type", "application/json"}}, R"({"scenario":"tos_breach"})"};
    r.headers["authorization"] = std::string("Bearer ") + kAdminToken;
    r.headers["idempotency-key"] = "drill-2026-12-01";
    return intake_.handle(r, now_);
  };
  const auto first = with_key();
  const auto second = with_key();
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(second.body, first.body);
  EXPECT_TRUE(second.header("Idempotent-Replayed"));
  EXPECT_EQ(store_->drills().size(), 1u);
}

TEST_F(DrillTest, BadRequestsAreRefusedNamingTheFieldAndChangeNothing) {
  const auto agent = start({{"scenario", "pricing_claim"}}, kAgentToken);
  EXPECT_EQ(agent.status, 403) << "an agent's token cannot page people with a drill";
  struct Case {
    json body;
    int status;
    const char* field;
  };
  for (const auto& c : {Case{{{"scenario", "alien_invasion"}}, 422, "scenario"}, Case{json::object(), 400, "scenario"},
                        Case{{{"scenario", 3}}, 400, "scenario"},
                        Case{{{"scenario", "data_leak"}, {"workflow", "no_such"}}, 422, "workflow"},
                        Case{{{"scenario", "data_leak"}, {"started_by", "   "}}, 422, "started_by"},
                        Case{{{"scenario", "data_leak"}, {"extra", "x"}}, 400, "extra"},
                        Case{{{"scenario", "data_leak"}, {"started_by", std::string(300, 'a')}}, 422, "started_by"}}) {
    const auto r = start(c.body);
    EXPECT_EQ(r.status, c.status) << c.body.dump() << " " << r.body;
    EXPECT_EQ(error_of(r)["field"], c.field) << c.body.dump();
  }
  EXPECT_EQ(start(json("{\"scenario\":")).status, 400);
  EXPECT_EQ(start(json("[1]")).status, 400);
  EXPECT_EQ(start(json(std::string(5000, ' '))).status, 413);
  EXPECT_EQ(start({{"scenario", "data_leak"}}, kAdminToken, "text/plain").status, 415);
  HttpRequest get{"GET", "/v1/drills", {{"authorization", std::string("Bearer ") + kAdminToken}}, ""};
  EXPECT_EQ(intake_.handle(get, now_).status, 405);
  EXPECT_TRUE(store_->drills().empty());
  EXPECT_TRUE(store_->escalations(std::nullopt, 0).empty());
}

/// The seed policy without its lexicon: a pricing claim in a reply above the confidence bar goes out.
core::Policy without_lexicon() {
  core::Policy p = testing::seed_policy();
  p.lexicon.clear();
  return p;
}

class MissedDrillTest : public DrillTest {
 protected:
  MissedDrillTest() : DrillTest(without_lexicon()) {}
};

TEST_F(MissedDrillTest, ADraftThePolicyLetsThroughIsAMissedDrillScoredZeroAndNothingElse) {
  const auto r = start({{"scenario", "pricing_claim"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json answer = json::parse(r.body);
  EXPECT_EQ(answer["verdict"], "approved");
  EXPECT_EQ(answer["drill"]["outcome"], "missed");
  EXPECT_EQ(answer["drill"]["score"], 0);
  EXPECT_NE(answer["drill"]["checks"][0]["reason"].get<std::string>().find("nobody asked"), std::string::npos);
  const auto drills = store_->drills();
  ASSERT_EQ(drills.size(), 1u);
  EXPECT_TRUE(drills[0].escalation_id.empty());
  EXPECT_EQ(drills[0].started_by, "admin");
  EXPECT_FALSE(store_->submission("SUB-000001")) << "a missed drill stores no submission: no figure counts it";
  auto totals = store_->metric_totals();
  EXPECT_EQ(totals.submissions["approved"], 0);
  const auto trail = store_->audit_trail("");
  ASSERT_FALSE(trail.empty());
  EXPECT_EQ(trail.back().event.kind, "drill.missed");
}

TEST_F(DrillTest, OnlyTheDirectorAndTheDesksLeadsStartADrillFromASurface) {
  const auto refused = actions_.start_drill({"data_leak", "", "erin"}, now_);
  EXPECT_EQ(refused.status, DrillStartResult::Status::refused);
  EXPECT_NE(refused.message.find("Dana"), std::string::npos) << refused.message;
  EXPECT_EQ(store_->audit_trail("").back().event.kind, "rights.denied");
  EXPECT_TRUE(store_->drills().empty());

  const auto started = actions_.start_drill({"data_leak", "", "dana"}, now_);
  ASSERT_EQ(started.status, DrillStartResult::Status::started) << started.message;
  EXPECT_EQ(started.workflow, "email_nurture");
  EXPECT_EQ(started.owner_name, "Farah");
  const auto e = store_->escalation(started.escalation_id);
  ASSERT_TRUE(e && e->drill);
  EXPECT_EQ(store_->drill_of(e->id)->started_by, "dana");

  const auto invalid = actions_.start_drill({"data_leak", "paid_adz", "dana"}, now_);
  EXPECT_EQ(invalid.status, DrillStartResult::Status::invalid);
  EXPECT_EQ(invalid.field, "workflow");
}

TEST_F(DrillTest, TheDecisionScoresTheDrillInItsCommitAnnouncesItAndCallsNoAgent) {
  const auto r = start({{"scenario", "pricing_claim"}});
  const std::string id = json::parse(r.body)["escalation"]["id"];
  ASSERT_TRUE(actions_.begin(id, 0, core::Macro::reject, "hana", now_ + 2min).outcome.ok());
  const auto done = actions_.decide(id, 0, {core::Macro::reject, "hana", kRationale, ""}, now_ + 9min);
  ASSERT_TRUE(done.outcome.ok()) << done.outcome.message;

  const auto drill = store_->drill_of(id);
  ASSERT_TRUE(drill && drill->score);
  EXPECT_EQ(drill->score->points, 100);
  EXPECT_EQ(*drill->scored_at, now_ + 9min);
  const auto kinds = audit_kinds(id);
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "drill.scored"), kinds.end());
  int scores = 0, callbacks = 0;
  for (const auto& row : store_->outbox_of_escalation(id, 50)) {
    callbacks += row.kind == "decision_callback";
    const json payload = json::parse(row.payload_json);
    if (row.kind == "thread_reply" && payload.value("reply", "") == "drill_score") {
      ++scores;
      EXPECT_EQ(drill_score_from_payload(payload).points, 100);
    }
  }
  EXPECT_EQ(scores, 2) << "one per surface";
  EXPECT_EQ(callbacks, 0);
  EXPECT_EQ(metrics_.value("desk_escalations", {"rejected"}), 0);
}

TEST_F(DrillTest, ALateThinDecisionByTheDirectorIsScoredForWhatItWas) {
  const auto started = actions_.start_drill({"tos_breach", "paid_ads", "dana"}, now_);
  ASSERT_EQ(started.status, DrillStartResult::Status::started) << started.message;
  const auto e = store_->escalation(started.escalation_id);
  EXPECT_EQ(e->owner_role, "sales");
  // Nobody responds for 40 minutes; the director steps in with a one-liner.
  const auto later = now_ + 40min;
  ASSERT_TRUE(actions_.begin(e->id, 0, core::Macro::reject, "dana", later).outcome.ok());
  ASSERT_TRUE(actions_.decide(e->id, 0, {core::Macro::reject, "dana", "No, not allowed.", ""}, later).outcome.ok());
  const auto score = *store_->drill_of(e->id)->score;
  EXPECT_EQ(score.points, 0 + 0 + 5 + 15 + 0);
}

TEST_F(DrillTest, PeopleSeeFireDrillOnThePostAndEveryReplyAndTheScoreFitsBlockKit) {
  const auto started = actions_.start_drill({"pricing_claim", "", "dana"}, now_);
  const auto e = *store_->escalation(started.escalation_id);
  const json post = escalation_post(e, {});
  EXPECT_TRUE(block_kit_problems(post).empty()) << post.dump();
  EXPECT_NE(post["blocks"][0]["text"]["text"].get<std::string>().find("FIRE DRILL"), std::string::npos);
  EXPECT_NE(post.dump().find("Act as you would for real"), std::string::npos);
  const json reply = drill_score_reply(
      e, {72, {{"triage", 25, 25, "First response after 2 min."}, {"legal", 0, 15, "Legal was never brought in."}}});
  EXPECT_TRUE(block_kit_problems(reply).empty()) << reply.dump();
  EXPECT_EQ(reply["text"].get<std::string>().rfind("[FIRE DRILL]", 0), 0u);
  EXPECT_NE(reply.dump().find("72/100"), std::string::npos);
  EXPECT_NE(reply.dump().find("Legal was never brought in."), std::string::npos);
  EXPECT_EQ(decision_reply(e, policy_->rota())["text"].get<std::string>().rfind("[FIRE DRILL]", 0), 0u);
  const json modal = rationale_modal(e, core::Macro::reject, "Hana", {});
  EXPECT_TRUE(block_kit_problems(modal).empty()) << modal.dump();
  EXPECT_NE(modal.dump().find("FIRE DRILL"), std::string::npos);
  EXPECT_THROW(drill_score_from_payload(json{{"reply", "drill_score"}}), std::invalid_argument);
}

TEST_F(DrillTest, SlashDrillStartsADrillForTheDirectorAndExplainsItselfToOthers) {
  SlackDependencies deps{*store_,
                         [this](const std::string& d) { return d == "testdigest" ? policy_ : nullptr; },
                         [this] { return policy_; },
                         &metrics_,
                         {},
                         {"slack"}};
  SlashCommands commands{deps};
  auto run = [&](const std::string& text, const std::string& user) {
    return commands.on_command(SlashCommand{"/drill", text, user, "C0DESK", "trigger.1", "T1", ""}, now_);
  };
  auto text_of = [](const InteractionResult& r) { return r.ack_payload ? r.ack_payload->value("text", "") : ""; };
  const auto ok = run("pricing_claim", "U0D");
  EXPECT_TRUE(ok.changed);
  EXPECT_NE(text_of(ok).find("Fire drill started"), std::string::npos) << text_of(ok);
  EXPECT_EQ(store_->drills().size(), 1u);
  EXPECT_NE(text_of(run("pricing_claim", "U0E")).find(":no_entry:"), std::string::npos);
  EXPECT_NE(text_of(run("", "U0D")).find("/drill <scenario>"), std::string::npos);
  EXPECT_NE(text_of(run("alien", "U0D")).find("pricing_claim, data_leak, tos_breach"), std::string::npos);
  EXPECT_NE(text_of(run("data_leak email_nurture extra", "U0D")).find("did not understand"), std::string::npos);
  EXPECT_EQ(store_->drills().size(), 1u);
}

}  // namespace desk::bot::slack::drill_test
