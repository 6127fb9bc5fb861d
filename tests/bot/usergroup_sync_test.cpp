// The user group sync against FakeSlackApi and an in-memory store, driven on one io_context. The fake
// answers at once, so "the sync has done all it can now" is reached by polling ready handlers
// (settle), never by sleeping. Time moves through the FakeClock; wake() stands in for the timer
// firing at the instant next_change() names, poke() for a committed /rota override.
#include "bot/slack/usergroup_sync.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/slack/interaction_handler.hpp"
#include "bot/slack/log.hpp"
#include "bot/slack/slack_deliverer.hpp"
#include "bot/workers/outbox_dispatcher.hpp"
#include "core/lifecycle.hpp"
#include "handlers/effects.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/fakes/fake_slack_api.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using namespace std::chrono_literals;
using State = UsergroupStatus::State;

core::TimePoint utc(int month, int day, int hour) {
  return core::TimePoint{std::chrono::sys_days(std::chrono::year{2026} / month / day) + std::chrono::hours(hour)};
}

class UsergroupSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    slack::set_log_sink([this](std::string_view line) { log_.emplace_back(line); });
  }
  void TearDown() override {
    if (sync_) {
      sync_->stop();
      settle();
      EXPECT_FALSE(running_) << "run() did not return after stop()";
    }
    slack::set_log_sink({});
  }

  void start(UsergroupSyncOptions options = {}) {
    sync_ = std::make_unique<UsergroupSync>(
        io_.get_executor(), api_, *store_, [this] { return policy_; }, clock_, options);
    running_ = true;
    net::co_spawn(io_, sync_->run(), [this](std::exception_ptr p) {
      running_ = false;
      failure_ = p;
    });
    settle();
  }

  /// Runs every handler that is ready now, until none is.
  void settle() {
    io_.restart();
    while (io_.poll() > 0) io_.restart();
    EXPECT_FALSE(failure_) << "run() threw";
  }

  /// The clock reaches `t` and the timer fires.
  void at(core::TimePoint t) {
    clock_.set(t);
    sync_->wake();
    settle();
  }

  void add_group(std::vector<std::string> users, bool disabled = false) {
    api_.add_usergroup(slack::UserGroup{"S0DESK", "ai-escalation", "AI escalation", std::move(users), disabled});
  }

  void add_override(const char* person, core::TimePoint from, core::TimePoint until) {
    core::RotaOverride o{0, core::kDutyLeadRole, person, from, until, "covering", "dana"};
    store_->add_override(o, core::AuditEvent{"rota.override", "", "dana", from, {{"person", person}}});
  }

  std::size_t calls(const char* method) const { return api_.calls_to(method).size(); }
  std::string updated_users(std::size_t i) const {
    return api_.calls_to("usergroups.users.update").at(i).args.value("users", "");
  }

  int log_lines(const std::string& event) const {
    int n = 0;
    for (const auto& l : log_) n += l.find("event=" + event) != std::string::npos;
    return n;
  }

  net::io_context io_;
  core::FakeClock clock_{testing::tuesday_noon()};  // alice (U0A) holds duty_lead until Monday 09:00 UTC
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  std::shared_ptr<const handlers::PolicySet> policy_ = std::make_shared<handlers::PolicySet>(testing::seed_policy());
  slack::FakeSlackApi api_;
  std::unique_ptr<UsergroupSync> sync_;
  std::vector<std::string> log_;
  bool running_ = false;
  std::exception_ptr failure_;
};

TEST_F(UsergroupSyncTest, SyncsTheDutyLeadAtStartAndWaitsForTheNextHandoff) {
  add_group({"U0X", "U0Y"});
  start();
  ASSERT_EQ(calls("usergroups.list"), 1u);
  const auto list = api_.calls_to("usergroups.list")[0].args;
  EXPECT_EQ(list.value("include_users", false), true);
  EXPECT_EQ(list.value("include_disabled", false), true);
  ASSERT_EQ(calls("usergroups.users.update"), 1u);
  EXPECT_EQ(api_.calls_to("usergroups.users.update")[0].args.value("usergroup", ""), "S0DESK");
  EXPECT_EQ(updated_users(0), "U0A");  // the whole list: the duty lead and nobody else
  EXPECT_EQ(api_.usergroup_users("S0DESK"), std::vector<std::string>{"U0A"});

  EXPECT_EQ(sync_->status().state, State::ok);
  EXPECT_EQ(sync_->group_id(), "S0DESK");
  EXPECT_FALSE(sync_->notice());
  EXPECT_EQ(sync_->next_change(), utc(12, 7, 9));
  EXPECT_EQ(log_lines("usergroup.updated"), 1);
}

TEST_F(UsergroupSyncTest, MakesNoUpdateWhenTheGroupAlreadyListsTheDutyLead) {
  add_group({"U0A"});
  start();
  EXPECT_EQ(calls("usergroups.list"), 1u);
  EXPECT_EQ(calls("usergroups.users.update"), 0u);
  EXPECT_EQ(sync_->status().state, State::ok);
  EXPECT_EQ(sync_->group_id(), "S0DESK");
  at(clock_.now() + 1h);  // a wake-up with nothing changed costs no Slack call
  EXPECT_EQ(api_.calls().size(), 1u);
}

TEST_F(UsergroupSyncTest, HandoffAtTheRotationBoundaryChangesTheMembers) {
  add_group({"U0A"});
  start();
  at(utc(12, 7, 9) - 1s);
  EXPECT_EQ(calls("usergroups.users.update"), 0u);
  at(utc(12, 7, 9));  // Monday 09:00 London: bob takes the watch
  ASSERT_EQ(calls("usergroups.users.update"), 1u);
  EXPECT_EQ(updated_users(0), "U0B");
  EXPECT_EQ(calls("usergroups.list"), 1u);          // the group is found once
  EXPECT_EQ(sync_->next_change(), utc(12, 7, 14));  // legal's New York handoff: no change for the group
  at(utc(12, 7, 14));
  EXPECT_EQ(calls("usergroups.users.update"), 1u);
  EXPECT_EQ(sync_->next_change(), utc(12, 14, 9));
}

TEST_F(UsergroupSyncTest, AnOverrideChangesTheMembersAndItsEndChangesThemBack) {
  add_group({"U0A"});
  start();
  add_override("chen", clock_.now(), clock_.now() + 4h);
  sync_->poke();  // what the desk does after /rota override commits
  settle();
  ASSERT_EQ(calls("usergroups.users.update"), 1u);
  EXPECT_EQ(updated_users(0), "U0C");
  EXPECT_EQ(sync_->next_change(), clock_.now() + 4h);

  at(clock_.now() + 4h);
  ASSERT_EQ(calls("usergroups.users.update"), 2u);
  EXPECT_EQ(updated_users(1), "U0A");
  EXPECT_EQ(api_.usergroup_users("S0DESK"), std::vector<std::string>{"U0A"});
  EXPECT_EQ(sync_->status().state, State::ok);
}

TEST_F(UsergroupSyncTest, PermissionDeniedIsLoggedOnceReportedAndNotRetriedUntilThereIsAReason) {
  add_group({"U0X"});
  api_.fail("usergroups.users.update", "permission_denied");
  start();
  const auto status = sync_->status();
  EXPECT_EQ(status.state, State::not_allowed);
  EXPECT_EQ(status.error, "permission_denied");
  ASSERT_TRUE(sync_->notice());
  EXPECT_NE(sync_->notice()->find("`permission_denied`"), std::string::npos) << *sync_->notice();
  EXPECT_NE(sync_->notice()->find("*Who can manage user groups* to everyone"), std::string::npos);
  EXPECT_NE(sync_->notice()->find("remove `desk.oncall_usergroup`"), std::string::npos);
  EXPECT_EQ(sync_->group_id(), "");  // the group lists someone else: no post should ping it
  EXPECT_EQ(log_lines("usergroup.blocked"), 1);

  const std::size_t calls_after_refusal = api_.calls().size();
  for (int hour = 1; hour <= 3; ++hour) at(testing::tuesday_noon() + std::chrono::hours(hour));
  EXPECT_EQ(api_.calls().size(), calls_after_refusal);

  // A handoff is a reason to try once more, quietly: the same refusal is not logged again.
  api_.fail("usergroups.users.update", "permission_denied");
  at(utc(12, 7, 9));
  ASSERT_EQ(calls("usergroups.users.update"), 2u);
  EXPECT_EQ(updated_users(1), "U0B");
  EXPECT_EQ(sync_->status().state, State::not_allowed);
  EXPECT_EQ(log_lines("usergroup.blocked"), 1);

  // An admin fixed the setting; the next override's poke tries again and succeeds.
  sync_->poke();
  settle();
  EXPECT_EQ(sync_->status().state, State::ok);
  EXPECT_FALSE(sync_->notice());
  EXPECT_EQ(sync_->group_id(), "S0DESK");
  EXPECT_EQ(api_.usergroup_users("S0DESK"), std::vector<std::string>{"U0B"});
  EXPECT_EQ(log_lines("usergroup.recovered"), 1);
}

struct Refusal {
  const char* method;
  const char* error;
  const char* advice;
};

class UsergroupRefusal : public UsergroupSyncTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(UsergroupRefusal, StopsTryingAndSaysWhatAnAdminCanDo) {
  add_group({"U0X"});
  api_.fail(GetParam().method, GetParam().error,
            std::string(GetParam().error) == "missing_scope" ? "usergroups:write" : "");
  start();
  EXPECT_EQ(sync_->status().state, State::not_allowed);
  EXPECT_EQ(sync_->status().error, GetParam().error);
  ASSERT_TRUE(sync_->notice());
  EXPECT_NE(sync_->notice()->find(GetParam().advice), std::string::npos) << *sync_->notice();
  const std::size_t calls_after_refusal = api_.calls().size();
  at(clock_.now() + 10min);
  EXPECT_EQ(api_.calls().size(), calls_after_refusal);
  EXPECT_EQ(log_lines("usergroup.blocked"), 1);
}

INSTANTIATE_TEST_SUITE_P(
    UsergroupSync, UsergroupRefusal,
    ::testing::Values(Refusal{"usergroups.list", "plan_upgrade_required", "user groups need a paid Slack plan"},
                      Refusal{"usergroups.list", "missing_scope", "lacks the scope `usergroups:write`"},
                      Refusal{"usergroups.users.update", "not_allowed_token_type", "bot token"},
                      Refusal{"usergroups.users.update", "permission_denied", "Who can manage user groups"}),
    [](const ::testing::TestParamInfo<Refusal>& param_info) { return std::string(param_info.param.error); });

TEST_F(UsergroupSyncTest, AMissingGroupIsReportedWithHowToCreateItAndFoundAfterAPoke) {
  api_.add_usergroup(slack::UserGroup{"S0OTHER", "marketing", "Marketing", {"U0D"}, false});
  start();
  EXPECT_EQ(calls("usergroups.list"), 1u);
  EXPECT_EQ(calls("usergroups.users.update"), 0u);
  EXPECT_EQ(sync_->status().state, State::not_found);
  ASSERT_TRUE(sync_->notice());
  EXPECT_NE(sync_->notice()->find("no user group `@ai-escalation`"), std::string::npos) << *sync_->notice();
  EXPECT_NE(sync_->notice()->find("Create user group, handle `ai-escalation`"), std::string::npos);
  at(clock_.now() + 1h);
  EXPECT_EQ(calls("usergroups.list"), 1u);

  add_group({"U0X"});
  sync_->poke();
  settle();
  EXPECT_EQ(calls("usergroups.list"), 2u);
  EXPECT_EQ(sync_->status().state, State::ok);
  EXPECT_EQ(api_.usergroup_users("S0DESK"), std::vector<std::string>{"U0A"});
}

TEST_F(UsergroupSyncTest, ADisabledGroupIsReportedAsDisabledAndLeftAlone) {
  add_group({"U0X"}, /*disabled=*/true);
  start();
  EXPECT_EQ(sync_->status().state, State::disabled);
  ASSERT_TRUE(sync_->notice());
  EXPECT_NE(sync_->notice()->find("`@ai-escalation` is disabled"), std::string::npos) << *sync_->notice();
  EXPECT_EQ(calls("usergroups.users.update"), 0u);
  EXPECT_EQ(sync_->group_id(), "");
}

TEST_F(UsergroupSyncTest, TransientFailuresAreRetriedNotBlocked) {
  add_group({"U0X"});
  api_.fail_transport("usergroups.list");
  UsergroupSyncOptions options;
  options.backoff = {std::chrono::hours(1), std::chrono::hours(1)};  // the retry waits for the timer (wake)
  start(options);
  EXPECT_EQ(sync_->status().state, State::failing);
  ASSERT_TRUE(sync_->notice());
  EXPECT_NE(sync_->notice()->find("keeps trying"), std::string::npos) << *sync_->notice();
  EXPECT_EQ(log_lines("usergroup.retry"), 1);

  api_.fail("usergroups.users.update", "ratelimited");
  at(clock_.now() + 1min);  // the retry timer fires: unlike a refusal, a transient failure is tried again
  EXPECT_EQ(calls("usergroups.list"), 2u);
  EXPECT_EQ(calls("usergroups.users.update"), 1u);
  EXPECT_EQ(sync_->status().state, State::failing);
  EXPECT_EQ(sync_->status().error, "ratelimited");

  at(clock_.now() + 1min);
  EXPECT_EQ(calls("usergroups.users.update"), 2u);
  EXPECT_EQ(sync_->status().state, State::ok);
  EXPECT_EQ(api_.usergroup_users("S0DESK"), std::vector<std::string>{"U0A"});
  EXPECT_EQ(log_lines("usergroup.blocked"), 0);
}

TEST_F(UsergroupSyncTest, TheBackoffTimerRetriesByItself) {
  add_group({"U0X"});
  api_.fail("usergroups.users.update", "service_unavailable");
  api_.fail_transport("usergroups.users.update");
  UsergroupSyncOptions options;
  options.backoff = {std::chrono::milliseconds(0), std::chrono::milliseconds(0)};
  start(options);
  EXPECT_EQ(calls("usergroups.users.update"), 3u);
  EXPECT_EQ(sync_->status().state, State::ok);
}

TEST_F(UsergroupSyncTest, ADutyLeadWithoutASlackIdIsReportedWithoutCallingSlack) {
  core::Policy p = testing::seed_policy();
  p.people.at("alice").slack_user.clear();
  policy_ = std::make_shared<handlers::PolicySet>(std::move(p));
  add_group({"U0X"});
  start();
  EXPECT_TRUE(api_.calls().empty());
  EXPECT_EQ(sync_->status().state, State::no_member);
  ASSERT_TRUE(sync_->notice());
  EXPECT_NE(sync_->notice()->find("`people.alice.slack`"), std::string::npos) << *sync_->notice();
  at(utc(12, 7, 9));  // bob has an id
  EXPECT_EQ(api_.usergroup_users("S0DESK"), std::vector<std::string>{"U0B"});
  EXPECT_EQ(sync_->status().state, State::ok);
}

TEST_F(UsergroupSyncTest, WithoutAHandleTheFeatureIsOff) {
  core::Policy p = testing::seed_policy();
  p.desk.oncall_usergroup.clear();
  policy_ = std::make_shared<handlers::PolicySet>(std::move(p));
  add_group({"U0X"});
  start();
  sync_->poke();
  settle();
  EXPECT_TRUE(api_.calls().empty());
  EXPECT_EQ(sync_->status().state, State::off);
  EXPECT_FALSE(sync_->notice());
  EXPECT_EQ(sync_->group_id(), "");
}

TEST_F(UsergroupSyncTest, ANewPolicyWithAnotherHandleLooksTheGroupUpAgain) {
  add_group({"U0A"});
  api_.add_usergroup(slack::UserGroup{"S0NEW", "On-Duty", "On duty", {"U0X"}, false});
  start();
  core::Policy p = testing::seed_policy();
  p.desk.oncall_usergroup = "on-duty";  // handles match whatever the case
  policy_ = std::make_shared<handlers::PolicySet>(std::move(p));
  sync_->poke();
  settle();
  EXPECT_EQ(calls("usergroups.list"), 2u);
  EXPECT_EQ(sync_->group_id(), "S0NEW");
  EXPECT_EQ(api_.usergroup_users("S0NEW"), std::vector<std::string>{"U0A"});
}

TEST_F(UsergroupSyncTest, PostsMentionTheGroupOnlyWhileItListsTheDutyLead) {
  add_group({"U0X"});
  api_.fail("usergroups.users.update", "permission_denied");
  start();
  slack::SlackDelivererOptions options;
  options.desk_channel = "C0DESK";
  options.usergroup_id_source = [this] { return sync_->group_id(); };
  const handlers::PolicyResolver resolver = [this](const std::string&) { return policy_; };
  OutboxDispatcher sender(io_.get_executor(), *store_, clock_);
  slack::SlackDeliverer deliverer(io_.get_executor(), *store_, api_, resolver, clock_, nullptr, options,
                                  [&sender] { sender.poke(); });
  sender.add(deliverer);
  bool sender_done = false;
  net::co_spawn(io_, deliverer.resolve_desk_channel(), [](std::exception_ptr) {});
  net::co_spawn(io_, sender.run(), [&](std::exception_ptr) { sender_done = true; });

  // A low-confidence paid ad: owned by the duty lead, so its post names who is on duty.
  auto post_one = [&] {
    core::Submission s;
    s.workflow = "paid_ads";
    s.channel = "meta";
    s.agent = "ads-agent";
    s.confidence = 0.5;
    s.output = "Try the new plan today.";
    s.submitted_at = clock_.now();
    const auto ev = policy_->engine().evaluate(s);
    const core::LifecycleContext ctx{policy_->policy(), policy_->rota(), {}};
    auto opened = core::open_escalation(s, ev, ctx, clock_.now());
    storage::NewSubmission ns{};
    ns.submission = s;
    ns.verdict = ev.verdict;
    ns.hits = ev.hits;
    ns.escalation = opened.escalation;
    ns.audit = opened.audit;
    ns.outbox.push_back(
        handlers::effect_row(handlers::Effect::post_escalation, "slack", "", nlohmann::json::object(), clock_.now()));
    store_->add_submission(ns);
    sender.poke();
    settle();
    const auto posts = api_.calls_to("chat.postMessage");
    return posts.empty() ? std::string() : posts.back().args.dump();
  };

  EXPECT_EQ(post_one().find("subteam"), std::string::npos);  // refused: the group may list someone else
  sync_->poke();                                             // an admin fixed the setting; the next poke syncs
  settle();
  ASSERT_EQ(sync_->status().state, State::ok);
  EXPECT_NE(post_one().find("<!subteam^S0DESK>"), std::string::npos);
  EXPECT_EQ(api_.calls_to("chat.postMessage").size(), 2u);

  sender.stop();
  settle();
  EXPECT_TRUE(sender_done);
}

}  // namespace
}  // namespace desk::bot
