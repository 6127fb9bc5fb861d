// The SLA timer over a real store: deadlines fire once, not early, not for decided escalations, and
// exactly once across a restart, late and saying so. Time moves through the FakeClock and poke().
#include "bot/sla_timer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/slack/slack_deliverer.hpp"
#include "bot/workers/outbox_dispatcher.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/fakes/fake_slack_api.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;

class SlaTimerTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = storage::SqliteStore::open(dir_.file("desk.db")); }
  void TearDown() override {
    stop_all();
    store_.reset();
  }

  /// A low-confidence paid ad: owned by the duty lead (alice), backup bob, director dana.
  std::string open_escalation(bool drill = false) {
    core::Submission s;
    s.workflow = "paid_ads";
    s.channel = "meta";
    s.agent = "ads-agent";
    s.confidence = 0.5;
    s.output = "Try the new plan today.";
    s.submitted_at = clock_.now();
    return testing::open_as_intake(*store_, *set_, s, clock_.now(), {drill});
  }

  void start_timer(std::chrono::seconds resync_every = 300s) {
    SlaTimerOptions options;
    options.surfaces = {"slack"};
    options.resync_every = resync_every;
    timer_ = std::make_unique<SlaTimer>(
        io_.get_executor(), *store_, resolver_, clock_, &metrics_, [this] { ++enqueued_; }, options);
    running_ = true;
    net::co_spawn(io_, timer_->run(), [this](std::exception_ptr p) {
      running_ = false;
      if (p) std::rethrow_exception(p);
    });
    settle();
  }

  void stop_all() {
    if (timer_) timer_->stop();
    if (outbox_) outbox_->stop();
    settle();
    EXPECT_FALSE(running_);
    timer_.reset();
    outbox_.reset();
    deliverer_.reset();
  }

  /// Runs every handler that is ready now, until none is.
  void settle() {
    io_.restart();
    while (io_.poll() > 0) io_.restart();
  }

  void at(core::Seconds since_open) {
    clock_.set(opened_at_ + since_open);
    timer_->poke();
    settle();
  }

  /// Outbox rows of one kind (sent or not), in id order.
  std::vector<storage::OutboxMessage> rows(const std::string& kind) {
    std::vector<storage::OutboxMessage> out;
    for (std::int64_t id = 1;; ++id) {
      auto m = store_->outbox_message(id);
      if (!m) break;
      if (m->kind == kind) out.push_back(*m);
    }
    return out;
  }

  std::vector<std::string> fired_deadlines() {
    std::vector<std::string> out;
    for (const auto& r : rows("thread_reply")) out.push_back(json::parse(r.payload_json)["deadline"]);
    return out;
  }

  /// "<escalation id> <deadline>" of each reminder fired so far.
  std::vector<std::string> fired_by_escalation() {
    std::vector<std::string> out;
    for (const auto& r : rows("thread_reply"))
      out.push_back(r.escalation_id + " " + json::parse(r.payload_json)["deadline"].get<std::string>());
    return out;
  }

  /// Opens an escalation at `since_open` (the clock stays there).
  std::string open_escalation_at(core::Seconds since_open) {
    clock_.set(opened_at_ + since_open);
    return open_escalation();
  }

  /// Wakes the timer for one escalation at `since_open`, as the desk does for a new one.
  void poke_at(core::Seconds since_open, const std::string& escalation_id) {
    clock_.set(opened_at_ + since_open);
    timer_->poke(escalation_id);
    settle();
  }

  desk::testing::TempDir dir_{"sla"};
  net::io_context io_;
  core::TimePoint opened_at_ = testing::tuesday_noon();
  core::FakeClock clock_{opened_at_};
  std::unique_ptr<storage::SqliteStore> store_;
  std::shared_ptr<const handlers::PolicySet> set_ = std::make_shared<handlers::PolicySet>(testing::seed_policy());
  handlers::PolicyResolver resolver_ = [this](const std::string& d) { return d == set_->digest() ? set_ : nullptr; };
  core::Metrics metrics_;
  std::unique_ptr<SlaTimer> timer_;
  std::unique_ptr<OutboxDispatcher> outbox_;
  std::unique_ptr<slack::SlackDeliverer> deliverer_;
  slack::FakeSlackApi api_;
  bool running_ = false;
  int enqueued_ = 0;
};

/// Throws what no store should (a bug's std::logic_error) from its first undecided_escalations().
class BuggyStore : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  using Store::undecided_escalations;
  std::vector<core::Escalation> undecided_escalations(storage::Hits hits) override {
    if (failures > 0 && failures--) throw std::logic_error("bug in undecided_escalations");
    return ForwardingStore::undecided_escalations(hits);
  }
  int failures = 1;
};

TEST_F(SlaTimerTest, AnUnexpectedErrorIsSurvivedReportedAndTheClockGoesOn) {
  // Found reading the code: only StorageError was caught, so any other exception stopped the clock
  // for good: no ping, no breach, ever again.
  const std::string id = open_escalation();
  BuggyStore buggy(*store_);
  SlaTimerOptions options;
  options.surfaces = {"slack"};
  SlaTimer timer(
      io_.get_executor(), buggy, resolver_, clock_, &metrics_, [] {}, options);
  bool ended = false;
  net::co_spawn(io_, timer.run(), [&](std::exception_ptr) { ended = true; });
  settle();
  EXPECT_FALSE(ended);
  EXPECT_FALSE(timer.health().second);
  EXPECT_NE(timer.health().first.find("bug in undecided_escalations"), std::string::npos);
  EXPECT_GE(metrics_.value("desk_worker_errors_total", {"sla_clock"}), 1);
  clock_.advance(std::chrono::minutes{4});  // past the backup ping
  timer.poke();                             // wakes it from the pause after the error
  settle();
  EXPECT_TRUE(timer.health().second);
  EXPECT_TRUE(store_->escalation(id)->backup_pinged_at.has_value());
  timer.stop();
  settle();
  EXPECT_TRUE(ended);
}

/// Counts the escalations read with their hits.
class HitCountingStore : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  using Store::escalation;
  using Store::undecided_escalations;
  std::optional<core::Escalation> escalation(const std::string& id, storage::Hits hits) override {
    read_with_hits += hits == storage::Hits::load;
    return ForwardingStore::escalation(id, hits);
  }
  std::vector<core::Escalation> undecided_escalations(storage::Hits hits) override {
    read_with_hits += hits == storage::Hits::load;
    return ForwardingStore::undecided_escalations(hits);
  }
  int read_with_hits = 0;
};

TEST_F(SlaTimerTest, TheClockReadsNoTriggerHits) {
  // Found in review: each pass loaded every hit of every open escalation; deadlines need none.
  const std::string first = open_escalation();
  open_escalation();
  HitCountingStore counting(*store_);
  SlaTimerOptions options;
  options.surfaces = {"slack"};
  SlaTimer timer(
      io_.get_executor(), counting, resolver_, clock_, &metrics_, [] {}, options);
  net::co_spawn(io_, timer.run(), [](std::exception_ptr) {});
  settle();
  clock_.advance(std::chrono::minutes{4});
  timer.poke(first);
  settle();
  timer.poke();
  settle();
  EXPECT_TRUE(store_->escalation(first)->backup_pinged_at.has_value()) << "the clock ran";
  EXPECT_EQ(counting.read_with_hits, 0);
  timer.stop();
  settle();
}

TEST_F(SlaTimerTest, NothingFiresEarly) {
  open_escalation();
  start_timer();
  EXPECT_EQ(timer_->next_deadline(), opened_at_ + 3min);
  at(2min + 59s);
  EXPECT_TRUE(fired_deadlines().empty());
  EXPECT_EQ(enqueued_, 0);
  EXPECT_EQ(metrics_.value("desk_pings_total"), 0);
}

TEST_F(SlaTimerTest, BackupPingFiresOnceWithAThreadReplyAndAPingOfEachPerson) {
  const auto id = open_escalation();
  start_timer();
  at(3min);
  EXPECT_EQ(fired_deadlines(), (std::vector<std::string>{"backup_ping"}));
  const auto reply = json::parse(rows("thread_reply")[0].payload_json);
  EXPECT_EQ(reply["reply"], "reminder");
  EXPECT_EQ(reply["late_by_s"], 0);
  EXPECT_EQ(rows("thread_reply")[0].ordering_key, "slack:" + id) << "after the post, on the same key";
  EXPECT_EQ(rows("thread_reply")[0].surface, "slack");
  EXPECT_EQ(rows("thread_reply")[0].escalation_id, id);

  std::vector<std::string> pinged;
  for (const auto& ping : rows("ping")) {
    const auto payload = json::parse(ping.payload_json);
    pinged.push_back(payload["person"]);
    EXPECT_EQ(payload["deadline"], "backup_ping");
    EXPECT_EQ(ping.escalation_id, id);
    EXPECT_EQ(ping.surface, "slack");
  }
  EXPECT_EQ(pinged, (std::vector<std::string>{"bob", "dana"})) << "backup bob and director dana";
  EXPECT_EQ(enqueued_, 1);
  EXPECT_EQ(metrics_.value("desk_pings_total"), 1);

  const auto e = store_->escalation(id).value();
  EXPECT_EQ(e.backup_person, "bob");
  EXPECT_TRUE(e.deadline(core::DeadlineKind::backup_ping)->fired_at);
  EXPECT_EQ(timer_->next_deadline(), opened_at_ + 5min);

  at(3min + 30s);
  EXPECT_EQ(fired_deadlines().size(), 1u) << "fires once";
  EXPECT_EQ(rows("ping").size(), 2u);
}

TEST_F(SlaTimerTest, BreachesFireAtTheirDeadlinesAndCountAsBreaches) {
  open_escalation();
  start_timer();
  at(4min);
  at(29min);
  EXPECT_EQ(fired_deadlines(), (std::vector<std::string>{"backup_ping", "triage"}));
  at(30min);
  EXPECT_EQ(fired_deadlines(), (std::vector<std::string>{"backup_ping", "triage", "decision"}));
  EXPECT_EQ(rows("ping").size(), 2u) << "only the backup ping is also sent directly";
  EXPECT_EQ(metrics_.value("desk_breaches_total", {"triage"}), 1);
  EXPECT_EQ(metrics_.value("desk_breaches_total", {"decision"}), 1);
  EXPECT_FALSE(timer_->next_deadline());
  EXPECT_EQ(store_->escalation(store_->undecided_escalations().at(0).id)->state, core::EscalationState::open)
      << "a missed deadline decides nothing";
}

TEST_F(SlaTimerTest, TimerWakesByItselfAtTheDeadline) {
  open_escalation();
  clock_.set(opened_at_ + 3min - 1s);
  start_timer();
  EXPECT_TRUE(fired_deadlines().empty());
  clock_.set(opened_at_ + 3min);  // no poke: the steady timer set for one second must fire
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (fired_deadlines().empty() && std::chrono::steady_clock::now() < end) {
    io_.restart();
    io_.run_for(10ms);
  }
  EXPECT_EQ(fired_deadlines(), (std::vector<std::string>{"backup_ping"}));
}

TEST_F(SlaTimerTest, DecidedEscalationFiresNothing) {
  const auto id = open_escalation();
  auto e = store_->escalation(id).value();
  e.state = core::EscalationState::rejected;
  e.decision = core::Decision{core::Macro::reject, "alice", opened_at_ + 1min, "Not this campaign."};
  ASSERT_TRUE(store_->update_escalation(e, {}));
  start_timer();
  at(40min);
  EXPECT_TRUE(fired_deadlines().empty());
  EXPECT_FALSE(timer_->next_deadline());
  EXPECT_EQ(enqueued_, 0);
}

TEST_F(SlaTimerTest, PokeAfterADecisionDropsItsDeadlines) {
  const auto id = open_escalation();
  start_timer();
  EXPECT_TRUE(timer_->next_deadline());
  auto e = store_->escalation(id).value();
  e.state = core::EscalationState::accepted;
  e.decision = core::Decision{core::Macro::accept, "alice", opened_at_ + 1min, "Fine as written."};
  ASSERT_TRUE(store_->update_escalation(e, {}));
  at(1min);
  EXPECT_FALSE(timer_->next_deadline());
}

TEST_F(SlaTimerTest, TriagedEscalationOnlyKeepsItsDecisionDeadline) {
  const auto id = open_escalation();
  auto e = store_->escalation(id).value();
  e.state = core::EscalationState::triaged;
  e.triaged_at = opened_at_ + 1min;
  e.triaged_by = "alice";
  ASSERT_TRUE(store_->update_escalation(e, {}));
  start_timer();
  EXPECT_EQ(timer_->next_deadline(), opened_at_ + 30min);
  at(31min);
  EXPECT_EQ(fired_deadlines(), (std::vector<std::string>{"decision"}));
  EXPECT_TRUE(rows("ping").empty());
}

TEST_F(SlaTimerTest, FireDrillsStayOutOfTheMetrics) {
  open_escalation(/*drill=*/true);
  start_timer();
  at(31min);
  EXPECT_EQ(fired_deadlines().size(), 3u);
  EXPECT_EQ(metrics_.value("desk_pings_total"), 0);
  EXPECT_EQ(metrics_.value("desk_breaches_total", {"decision"}), 0);
}

TEST_F(SlaTimerTest, UnknownPolicySnapshotStillFiresWithNobodyToPing) {
  open_escalation();
  resolver_ = [](const std::string&) { return std::shared_ptr<const handlers::PolicySet>{}; };
  start_timer();
  at(3min);
  EXPECT_EQ(fired_deadlines(), (std::vector<std::string>{"backup_ping"}));
  EXPECT_TRUE(rows("ping").empty());
}

TEST_F(SlaTimerTest, RestartFiresOverdueRemindersOnceAndSaysHowLate) {
  const auto id = open_escalation();
  start_timer();
  at(3min);
  ASSERT_EQ(fired_deadlines().size(), 1u);

  // The desk goes down at 3 min and comes back 40 min after the escalation opened.
  stop_all();
  store_ = storage::SqliteStore::open(dir_.file("desk.db"));
  clock_.set(opened_at_ + 40min);
  start_timer();
  EXPECT_EQ(fired_deadlines(), (std::vector<std::string>{"backup_ping", "triage", "decision"}));
  const auto replies = rows("thread_reply");
  EXPECT_EQ(json::parse(replies[1].payload_json)["late_by_s"], 35 * 60);
  EXPECT_EQ(json::parse(replies[2].payload_json)["late_by_s"], 10 * 60);

  // A second restart fires nothing again.
  stop_all();
  store_ = storage::SqliteStore::open(dir_.file("desk.db"));
  start_timer();
  EXPECT_EQ(fired_deadlines().size(), 3u);

  // What Slack shows: the replies say they are late, and why.
  store_->record_message({id, "slack", "C0DESK", "1700000000.000100", ""});
  slack::SlackDelivererOptions options;
  options.desk_channel = "C0DESK";
  outbox_ = std::make_unique<OutboxDispatcher>(io_.get_executor(), *store_, clock_);
  deliverer_ = std::make_unique<slack::SlackDeliverer>(io_.get_executor(), *store_, api_, resolver_, clock_, nullptr,
                                                       options, [this] { outbox_->poke(); });
  outbox_->add(*deliverer_);
  net::co_spawn(io_, deliverer_->resolve_desk_channel(), [](std::exception_ptr p) {
    if (p) std::rethrow_exception(p);
  });
  net::co_spawn(io_, outbox_->run(), [](std::exception_ptr p) {
    if (p) std::rethrow_exception(p);
  });
  settle();
  std::vector<std::string> thread_texts;
  for (const auto& c : api_.calls_to("chat.postMessage"))
    if (c.args.contains("thread_ts")) thread_texts.push_back(c.args["text"]);
  ASSERT_EQ(thread_texts.size(), 3u);
  EXPECT_EQ(thread_texts[0].find("late"), std::string::npos) << "the first ping was on time";
  EXPECT_NE(thread_texts[1].find("35 min late: the desk was down"), std::string::npos) << thread_texts[1];
  EXPECT_NE(thread_texts[2].find("10 min late: the desk was down"), std::string::npos) << thread_texts[2];
}

TEST_F(SlaTimerTest, RestartAfterEverythingWasMissedFiresAllThreeOnce) {
  open_escalation();
  clock_.set(opened_at_ + 40min);
  start_timer();
  EXPECT_EQ(fired_deadlines(), (std::vector<std::string>{"backup_ping", "triage", "decision"}));
  EXPECT_EQ(json::parse(rows("thread_reply")[0].payload_json)["late_by_s"], 37 * 60);
  EXPECT_EQ(enqueued_, 1);
  timer_->poke();
  settle();
  EXPECT_EQ(fired_deadlines().size(), 3u);
}

// A poke for one escalation reads that one alone: one written without a poke stays unscheduled
// until the periodic resync reads everything again.
TEST_F(SlaTimerTest, PokeForOneEscalationSchedulesThatOneAloneUntilTheResync) {
  start_timer(/*resync_every=*/10min);
  EXPECT_FALSE(timer_->next_deadline());
  const auto unpoked = open_escalation_at(0s);  // backup ping due at 3 min
  const auto poked = open_escalation_at(1min);  // due at 4 min
  poke_at(1min, poked);
  EXPECT_EQ(timer_->next_deadline(), opened_at_ + 4min) << "the unpoked one was not read";
  poke_at(4min, poked);
  EXPECT_EQ(fired_by_escalation(), (std::vector<std::string>{poked + " backup_ping"}));

  poke_at(10min, poked);  // the resync is due: everything is read, and the missed ones fire late
  const auto fired = fired_by_escalation();
  EXPECT_NE(std::find(fired.begin(), fired.end(), unpoked + " backup_ping"), fired.end());
  EXPECT_NE(std::find(fired.begin(), fired.end(), unpoked + " triage"), fired.end());
  EXPECT_NE(std::find(fired.begin(), fired.end(), poked + " triage"), fired.end());
}

TEST_F(SlaTimerTest, PokeForOneEscalationAlsoFiresTheScheduledOnesThatAreDue) {
  const auto first = open_escalation_at(0s);
  start_timer();
  const auto second = open_escalation_at(1min);
  poke_at(1min, second);
  EXPECT_EQ(timer_->next_deadline(), opened_at_ + 3min);
  poke_at(3min, second);
  EXPECT_EQ(fired_by_escalation(), (std::vector<std::string>{first + " backup_ping"}));
  EXPECT_EQ(timer_->next_deadline(), opened_at_ + 4min);
  EXPECT_EQ(enqueued_, 1);
}

TEST_F(SlaTimerTest, PokeForADecidedEscalationUnschedulesIt) {
  const auto id = open_escalation();
  start_timer();
  auto e = store_->escalation(id).value();
  e.state = core::EscalationState::rejected;
  e.decision = core::Decision{core::Macro::reject, "alice", opened_at_ + 1min, "Not this campaign."};
  ASSERT_TRUE(store_->update_escalation(e, {}));
  poke_at(1min, id);
  EXPECT_FALSE(timer_->next_deadline());
  poke_at(40min, id);
  EXPECT_TRUE(fired_deadlines().empty());
}

TEST_F(SlaTimerTest, PokeForAnUnknownOrEmptyIdChangesNothing) {
  open_escalation();
  start_timer();
  poke_at(1min, "ESC-999999");
  poke_at(1min, "");
  poke_at(1min, "'; DROP TABLE escalations; --");
  EXPECT_EQ(timer_->next_deadline(), opened_at_ + 3min);
  EXPECT_TRUE(fired_deadlines().empty());
  EXPECT_EQ(timer_->health().first, "running");
  poke_at(3min, "ESC-999999");
  EXPECT_EQ(fired_deadlines(), (std::vector<std::string>{"backup_ping"}));
}

TEST(ReminderPayload, RoundTripsAndFillsGapsFromTheEscalation) {
  core::Escalation e;
  e.id = "ESC-000001";
  e.owner_person = "alice";
  e.backup_person = "bob";
  e.director_person = "dana";
  e.generation = 1;
  e.owned_since = testing::tuesday_noon();
  e.deadlines = {{core::DeadlineKind::triage, e.owned_since + 5min, std::nullopt}};
  core::Reminder r{core::DeadlineKind::triage, e.id, e.owned_since + 5min,
                   e.owned_since + 6min,       60s,  {"alice", "dana"}};
  const json payload = reminder_payload(r, e);
  const core::Reminder back = reminder_from_payload(payload, e);
  EXPECT_EQ(back.kind, r.kind);
  EXPECT_EQ(back.due, r.due);
  EXPECT_EQ(back.fired_at, r.fired_at);
  EXPECT_EQ(back.late_by, r.late_by);
  EXPECT_EQ(back.notify, r.notify);

  e.generation = 2;  // re-owned since: the reply still renders as it was when it fired
  EXPECT_EQ(escalation_at_reminder(payload, e).generation, 1);

  const core::Reminder sparse =
      reminder_from_payload({{"reply", "reminder"}, {"deadline", "triage"}, {"late_by_s", 5}}, e);
  EXPECT_EQ(sparse.due, e.owned_since + 5min);
  EXPECT_EQ(sparse.notify, (std::vector<std::string>{"alice", "bob", "dana"}));
  EXPECT_THROW(reminder_from_payload({{"deadline", "lunch"}}, e), std::invalid_argument);
}

}  // namespace
}  // namespace desk::bot
