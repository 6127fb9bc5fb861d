// The outbox dispatcher with scripted deliverers (no protocol at all), an in-memory store and a
// FakeClock on one io_context: order per escalation and surface, isolation between escalations and
// surfaces, retries, permanent failures, rows in doubt, and surfaces that are not ready or not there.
#include "bot/workers/outbox_dispatcher.hpp"

#include <gtest/gtest.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <deque>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bot/workers/store_thread.hpp"
#include "handlers/effects.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/forwarding_store.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot {
namespace {

namespace net = boost::asio;
using json = nlohmann::json;
using namespace std::chrono_literals;
using State = storage::OutboxMessage::State;

/// A deliverer that records what it was given and answers from a script (default: sent).
class ScriptedDeliverer final : public Deliverer {
 public:
  explicit ScriptedDeliverer(std::string surface) : surface_(std::move(surface)) {}

  std::string surface() const override { return surface_; }
  bool ready() const override { return ready_; }
  net::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row, bool in_doubt) override {
    delivered.push_back({row.id, row.escalation_id, row.kind, in_doubt});
    if (throw_next) {
      throw_next = false;
      throw std::logic_error("renderer bug");
    }
    if (!script.empty()) {
      auto outcome = script.front();
      script.pop_front();
      co_return outcome;
    }
    co_return DeliveryOutcome::sent(R"({"id":"m)" + std::to_string(row.id) + R"("})");
  }

  struct Delivered {
    std::int64_t id;
    std::string escalation_id;
    std::string kind;
    bool in_doubt;
  };
  std::vector<Delivered> delivered;
  std::deque<DeliveryOutcome> script;
  bool ready_ = true;
  bool throw_next = false;

 private:
  std::string surface_;
};

class OutboxDispatcherTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (!started_) return;
    dispatcher_.stop();
    settle();
    EXPECT_TRUE(finished_) << "run() did not return after stop()";
  }

  /// A stored escalation to hang rows on (the outbox refers to escalations).
  std::string escalation() {
    core::Submission s;
    s.workflow = "community_replies";
    s.channel = "linkedin";
    s.agent = "agent";
    s.confidence = 0.1;
    s.output = "hello";
    s.submitted_at = clock_.now();
    storage::NewSubmission ns;
    ns.submission = s;
    ns.verdict = core::Verdict::escalated;
    core::Escalation e;
    e.workflow = s.workflow;
    e.channel = s.channel;
    e.agent = s.agent;
    e.opened_at = e.owned_since = clock_.now();
    e.owner_role = "duty_lead";
    ns.escalation = e;
    return store_->add_submission(ns).escalation_id;
  }

  std::int64_t enqueue(handlers::Effect effect, const std::string& surface, const std::string& escalation_id) {
    return store_->enqueue({handlers::effect_row(effect, surface, escalation_id, json::object(), clock_.now())}, {});
  }

  void start() {
    started_ = true;
    net::co_spawn(io_, dispatcher_.run(), [this](std::exception_ptr p) {
      finished_ = true;
      if (p) std::rethrow_exception(p);
    });
    settle();
  }

  void settle() {
    io_.restart();
    while (io_.poll() > 0) io_.restart();
  }

  void poke_and_settle() {
    dispatcher_.poke();
    settle();
  }

  storage::OutboxMessage row(std::int64_t id) { return store_->outbox_message(id).value(); }

  net::io_context io_;
  core::FakeClock clock_{testing::tuesday_noon()};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(":memory:");
  OutboxDispatcher dispatcher_{io_.get_executor(), *store_, clock_};
  ScriptedDeliverer slack_{"slack"};
  ScriptedDeliverer teams_{"teams"};
  bool started_ = false;
  bool finished_ = false;
};

TEST_F(OutboxDispatcherTest, EachRowGoesToItsSurfacesDelivererInOrder) {
  const auto a = escalation();
  enqueue(handlers::Effect::post_escalation, "slack", a);
  enqueue(handlers::Effect::post_escalation, "teams", a);
  enqueue(handlers::Effect::update_escalation, "slack", a);
  dispatcher_.add(slack_);
  dispatcher_.add(teams_);
  start();
  ASSERT_EQ(slack_.delivered.size(), 2u);
  EXPECT_EQ(slack_.delivered[0].kind, "post_escalation");
  EXPECT_EQ(slack_.delivered[1].kind, "update_escalation");
  ASSERT_EQ(teams_.delivered.size(), 1u);
  EXPECT_EQ(teams_.delivered[0].id, 2);
  for (std::int64_t id : {1, 2, 3}) EXPECT_EQ(row(id).state, State::sent) << id;
  EXPECT_EQ(row(1).result_json, R"({"id":"m1"})");
  EXPECT_FALSE(slack_.delivered[0].in_doubt);
}

TEST_F(OutboxDispatcherTest, OneEscalationsRetryHoldsBackOnlyItsOwnLaterRows) {
  const auto a = escalation();
  const auto b = escalation();
  enqueue(handlers::Effect::post_escalation, "slack", a);
  enqueue(handlers::Effect::update_escalation, "slack", a);
  enqueue(handlers::Effect::post_escalation, "slack", b);
  slack_.script.push_back(DeliveryOutcome::retry("Slack is busy"));
  dispatcher_.add(slack_);
  start();
  EXPECT_EQ(row(1).state, State::pending);
  EXPECT_EQ(row(1).last_error, "Slack is busy");
  EXPECT_GE(row(1).next_attempt_at, clock_.now() + 1s);
  EXPECT_EQ(row(2).state, State::pending) << "a's update waits behind a's post";
  EXPECT_EQ(row(2).attempts, 0);
  EXPECT_EQ(row(3).state, State::sent) << "b is not held back by a";

  clock_.advance(10min);
  poke_and_settle();
  EXPECT_EQ(row(1).state, State::sent);
  EXPECT_EQ(row(2).state, State::sent);
  ASSERT_EQ(slack_.delivered.size(), 4u);
  EXPECT_TRUE(slack_.delivered[2].in_doubt) << "a retried row may have reached the far side";
  EXPECT_EQ(slack_.delivered[3].id, 2);
}

TEST_F(OutboxDispatcherTest, ARetryAtFromTheDelivererIsHonoured) {
  const auto a = escalation();
  enqueue(handlers::Effect::post_escalation, "slack", a);
  slack_.script.push_back(DeliveryOutcome::retry("429", clock_.now() + 90s));
  dispatcher_.add(slack_);
  start();
  EXPECT_EQ(row(1).next_attempt_at, clock_.now() + 90s);
  clock_.advance(89s);
  poke_and_settle();
  EXPECT_EQ(slack_.delivered.size(), 1u) << "not before its time";
  clock_.advance(1s);
  poke_and_settle();
  EXPECT_EQ(row(1).state, State::sent);
}

TEST_F(OutboxDispatcherTest, PermanentFailureAndARendererBugFailTheRowAndTheNextGoes) {
  const auto a = escalation();
  enqueue(handlers::Effect::post_escalation, "slack", a);
  enqueue(handlers::Effect::update_escalation, "slack", a);
  enqueue(handlers::Effect::thread_reply, "slack", a);
  slack_.script.push_back(DeliveryOutcome::fail("channel_not_found"));
  dispatcher_.add(slack_);
  slack_.throw_next = false;
  start();
  EXPECT_EQ(row(1).state, State::failed);
  EXPECT_EQ(row(1).last_error, "channel_not_found");
  EXPECT_EQ(row(2).state, State::sent) << "a failed row no longer blocks its key";

  const auto b = escalation();
  enqueue(handlers::Effect::post_escalation, "slack", b);
  enqueue(handlers::Effect::update_escalation, "slack", b);
  slack_.throw_next = true;
  poke_and_settle();
  EXPECT_EQ(row(4).state, State::failed);
  EXPECT_NE(row(4).last_error.find("renderer bug"), std::string::npos);
  EXPECT_EQ(row(5).state, State::sent) << "one row's bug does not stop the outbox";
}

TEST_F(OutboxDispatcherTest, ASurfaceNotReadyWaitsUntouchedAndTheOthersGoOn) {
  const auto a = escalation();
  enqueue(handlers::Effect::post_escalation, "slack", a);
  enqueue(handlers::Effect::post_escalation, "teams", a);
  enqueue(handlers::Effect::post_escalation, "console", a);  // no deliverer at all this time
  slack_.ready_ = false;
  dispatcher_.add(slack_);
  dispatcher_.add(teams_);
  start();
  EXPECT_TRUE(slack_.delivered.empty());
  EXPECT_EQ(row(1).attempts, 0);
  EXPECT_EQ(row(2).state, State::sent);
  EXPECT_EQ(row(3).attempts, 0) << "rows of a surface not running wait for it";

  slack_.ready_ = true;  // the deliverer pokes the dispatcher when it becomes ready
  poke_and_settle();
  EXPECT_EQ(row(1).state, State::sent);
  EXPECT_EQ(row(3).state, State::pending);
}

TEST_F(OutboxDispatcherTest, RowsInDoubtGoFirstAndSayTheyAreInDoubtOncePerSurface) {
  const auto a = escalation();
  const auto b = escalation();
  enqueue(handlers::Effect::post_escalation, "slack", a);
  enqueue(handlers::Effect::post_escalation, "teams", b);
  enqueue(handlers::Effect::post_escalation, "slack", b);
  // A crash: both posts were being sent when the desk died.
  store_->outbox_mark_sending(1, clock_.now());
  store_->outbox_mark_sending(2, clock_.now());
  teams_.ready_ = false;
  dispatcher_.add(slack_);
  dispatcher_.add(teams_);
  start();
  ASSERT_EQ(slack_.delivered.size(), 2u);
  EXPECT_EQ(slack_.delivered[0].id, 1);
  EXPECT_TRUE(slack_.delivered[0].in_doubt);
  EXPECT_FALSE(slack_.delivered[1].in_doubt);
  EXPECT_TRUE(teams_.delivered.empty()) << "Teams settles its own rows when it is ready";
  EXPECT_EQ(row(2).state, State::sending);

  teams_.ready_ = true;
  poke_and_settle();
  ASSERT_EQ(teams_.delivered.size(), 1u);
  EXPECT_TRUE(teams_.delivered[0].in_doubt);
  EXPECT_EQ(row(2).attempts, 2);
  EXPECT_EQ(row(2).state, State::sent);
  EXPECT_EQ(slack_.delivered.size(), 2u) << "settled once, not again at every poke";
}

/// A store that throws what no store should (a bug's std::logic_error, not a StorageError).
class BuggyStore : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  using Store::outbox_next_attempt;
  std::vector<storage::OutboxMessage> outbox_claim(core::TimePoint now, int limit,
                                                   const std::optional<std::vector<std::string>>& s) override {
    if (due_failures > 0 && due_failures--) throw std::logic_error("bug in outbox_claim");
    return ForwardingStore::outbox_claim(now, limit, s);
  }
  std::optional<core::TimePoint> outbox_next_attempt(const std::optional<std::vector<std::string>>& s) override {
    if (next_failures > 0 && next_failures--) throw std::runtime_error("bug in outbox_next_attempt");
    return ForwardingStore::outbox_next_attempt(s);
  }
  int due_failures = 0;
  int next_failures = 0;
};

TEST_F(OutboxDispatcherTest, AnyErrorIsSurvivedReportedAndTheRowsStillGo) {
  // Found reading the code: only StorageError was caught, and outbox_next_attempt() not at all, so
  // any other exception ended the worker for good while /healthz went on saying "running".
  BuggyStore buggy(*store_);
  OutboxDispatcher dispatcher(io_.get_executor(), buggy, clock_);
  core::Metrics metrics;
  dispatcher.count_errors_in(&metrics);
  ScriptedDeliverer slack("slack");
  dispatcher.add(slack);
  buggy.next_failures = 1;
  bool ended = false;
  net::co_spawn(io_, dispatcher.run(), [&](std::exception_ptr) { ended = true; });
  settle();  // nothing due: it asks when the next row is due, and that throws
  EXPECT_FALSE(ended);
  EXPECT_FALSE(dispatcher.health().second);
  buggy.due_failures = 1;
  const auto id = enqueue(handlers::Effect::post_escalation, "slack", escalation());
  dispatcher.poke();
  settle();  // outbox_claim throws now
  EXPECT_FALSE(ended);
  EXPECT_NE(dispatcher.health().first.find("bug in outbox_claim"), std::string::npos);
  dispatcher.poke();
  settle();
  EXPECT_EQ(row(id).state, storage::OutboxMessage::State::sent);
  EXPECT_TRUE(dispatcher.health().second);
  EXPECT_EQ(metrics.value("desk_worker_errors_total", {"outbox"}), 2) << "each error it recovered from, counted";
  dispatcher.stop();
  settle();
  EXPECT_TRUE(ended);
}

/// A receiver that never answers until released (a tarpit), as a slow agent's callback endpoint.
class TarpitDeliverer final : public Deliverer {
 public:
  TarpitDeliverer(net::any_io_executor executor, std::string surface)
      : release_(executor, std::chrono::steady_clock::time_point::max()), surface_(std::move(surface)) {}
  std::string surface() const override { return surface_; }
  bool ready() const override { return true; }
  net::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage, bool) override {
    ++entered;
    while (!released) co_await release_.async_wait(net::as_tuple(net::use_awaitable));
    co_return DeliveryOutcome::sent("{}");
  }
  void release() {
    released = true;
    release_.cancel();
  }
  int entered = 0;
  bool released = false;

 private:
  net::steady_timer release_;
  std::string surface_;
};

TEST_F(OutboxDispatcherTest, ADispatcherOfItsOwnKeepsATarpitFromHoldingBackOtherSurfaces) {
  // As the desk runs them: callbacks to agents on one dispatcher, what people see on another.
  OutboxDispatcher callbacks(io_.get_executor(), *store_, clock_);
  TarpitDeliverer agent(io_.get_executor(), "agent");
  callbacks.add(agent);
  dispatcher_.add(slack_);
  const auto first = escalation(), second = escalation();
  const auto stuck = enqueue(handlers::Effect::decision_callback, "agent", first);
  const auto reply = enqueue(handlers::Effect::thread_reply, "slack", first);
  const auto post = enqueue(handlers::Effect::post_escalation, "slack", second);
  bool callbacks_done = false;
  net::co_spawn(io_, callbacks.run(), [&](std::exception_ptr) { callbacks_done = true; });
  start();
  EXPECT_EQ(agent.entered, 1) << "the callback is in flight, and stays there";
  EXPECT_EQ(row(reply).state, State::sent) << "the same escalation's reply to people is not held back";
  EXPECT_EQ(row(post).state, State::sent);
  EXPECT_EQ(row(stuck).state, State::sending);
  agent.release();
  settle();
  EXPECT_EQ(row(stuck).state, State::sent);
  callbacks.stop();
  settle();
  EXPECT_TRUE(callbacks_done);
}

TEST_F(OutboxDispatcherTest, ConcurrentSendsAreBoundedAndNeverTwoOfOneKey) {
  OutboxDispatcherOptions options;
  options.concurrency = 2;
  OutboxDispatcher callbacks(io_.get_executor(), *store_, clock_, options);
  TarpitDeliverer agent(io_.get_executor(), "agent");
  callbacks.add(agent);
  const auto first = escalation(), second = escalation(), third = escalation();
  const auto a = enqueue(handlers::Effect::decision_callback, "agent", first);
  const auto a_later = enqueue(handlers::Effect::decision_callback, "agent", first);
  const auto b = enqueue(handlers::Effect::decision_callback, "agent", second);
  const auto c = enqueue(handlers::Effect::decision_callback, "agent", third);
  bool done = false;
  net::co_spawn(io_, callbacks.run(), [&](std::exception_ptr) { done = true; });
  settle();
  EXPECT_EQ(agent.entered, 2) << "two slots, both held by the tarpit";
  EXPECT_EQ(row(a).state, State::sending);
  EXPECT_EQ(row(b).state, State::sending);
  EXPECT_EQ(row(c).state, State::pending) << "waits for a slot";
  EXPECT_EQ(row(a_later).state, State::pending) << "never beside an earlier row of its own key";
  agent.release();
  settle();
  for (auto id : {a, a_later, b, c}) EXPECT_EQ(row(id).state, State::sent) << id;
  EXPECT_EQ(agent.entered, 4);
  callbacks.stop();
  settle();
  EXPECT_TRUE(done);
}

TEST_F(OutboxDispatcherTest, StopWaitsForTheConcurrentSendsInFlight) {
  OutboxDispatcherOptions options;
  options.concurrency = 4;
  OutboxDispatcher callbacks(io_.get_executor(), *store_, clock_, options);
  TarpitDeliverer agent(io_.get_executor(), "agent");
  callbacks.add(agent);
  const auto held = enqueue(handlers::Effect::decision_callback, "agent", escalation());
  bool done = false;
  net::co_spawn(io_, callbacks.run(), [&](std::exception_ptr) { done = true; });
  settle();
  ASSERT_EQ(agent.entered, 1);
  callbacks.stop();
  settle();
  EXPECT_FALSE(done) << "run() outlives no send: the deliverer is still in use";
  agent.release();
  settle();
  EXPECT_TRUE(done);
  EXPECT_EQ(row(held).state, State::sent);
}

TEST_F(OutboxDispatcherTest, IdleDispatcherDeliversNothingUntilPoked) {
  dispatcher_.add(slack_);
  start();
  const auto a = escalation();
  enqueue(handlers::Effect::post_escalation, "slack", a);
  settle();
  EXPECT_TRUE(slack_.delivered.empty()) << "asleep until told";
  poke_and_settle();
  EXPECT_EQ(slack_.delivered.size(), 1u);
  EXPECT_EQ(dispatcher_.health().first, "running");
}

/// Answers every row as sent after a turn of the event loop; a post names the message it made.
class PostingDeliverer final : public Deliverer {
 public:
  explicit PostingDeliverer(net::any_io_executor executor) : executor_(std::move(executor)) {}
  std::string surface() const override { return "slack"; }
  net::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row, bool) override {
    net::steady_timer turn(executor_, std::chrono::steady_clock::now());
    co_await turn.async_wait(net::as_tuple(net::use_awaitable));  // as a network round trip would
    delivered.push_back({row.id, row.escalation_id, row.kind, false});
    if (row.kind != "post_escalation") co_return DeliveryOutcome::sent();
    const std::string ts = "1700000000." + std::to_string(row.id);
    co_return DeliveryOutcome::sent(R"({"ts":")" + ts + R"("})",
                                    storage::MessageRef{row.escalation_id, "slack", "C0DESK", ts, ""});
  }
  std::vector<ScriptedDeliverer::Delivered> delivered;

 private:
  net::any_io_executor executor_;
};

TEST_F(OutboxDispatcherTest, OnAStoreThreadRowsGoInOrderAndEachPostIsRecordedWithItsRow) {
  std::vector<std::string> escalations;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    escalations.push_back(escalation());
    ids.push_back(enqueue(handlers::Effect::post_escalation, "slack", escalations.back()));
    ids.push_back(enqueue(handlers::Effect::thread_reply, "slack", escalations.back()));
  }
  StoreThread store_thread;
  OutboxDispatcherOptions options;
  options.concurrency = 4;
  OutboxDispatcher dispatcher(io_.get_executor(), *store_, clock_, options);
  dispatcher.run_store_calls_on(store_thread.executor());
  PostingDeliverer slack(io_.get_executor());
  dispatcher.add(slack);
  bool ended = false;
  net::co_spawn(io_, dispatcher.run(), [&](std::exception_ptr) { ended = true; });
  auto all_sent = [&] {
    return std::all_of(ids.begin(), ids.end(), [&](std::int64_t id) { return row(id).state == State::sent; });
  };
  // The store calls finish on the other thread: run this one until they are all in (10 s at most).
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!all_sent() && std::chrono::steady_clock::now() < give_up) io_.run_for(5ms);
  ASSERT_TRUE(all_sent());
  ASSERT_EQ(slack.delivered.size(), ids.size()) << "each row once";
  for (const auto& id : escalations) {
    std::vector<std::string> kinds;
    for (const auto& d : slack.delivered)
      if (d.escalation_id == id) kinds.push_back(d.kind);
    EXPECT_EQ(kinds, (std::vector<std::string>{"post_escalation", "thread_reply"})) << id;
    const auto post = store_->message(id, "slack");
    ASSERT_TRUE(post) << "recorded with the post's row";
    EXPECT_EQ(post->channel, "C0DESK");
  }
  EXPECT_EQ(store_->message(escalations[0], "slack")->message_id, "1700000000." + std::to_string(ids[0]));
  EXPECT_EQ(dispatcher.health().first, "running");
  dispatcher.stop();
  while (!ended && std::chrono::steady_clock::now() < give_up + 10s) io_.run_for(5ms);
  EXPECT_TRUE(ended);
}

/// outbox_next_attempt() waits for the test's word, on the store thread.
class HeldStore : public testing::ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  using Store::outbox_next_attempt;
  std::optional<core::TimePoint> outbox_next_attempt(const std::optional<std::vector<std::string>>& s) override {
    if (hold_next.exchange(false)) {
      entered.set_value();
      released.get_future().wait();
    }
    return ForwardingStore::outbox_next_attempt(s);
  }
  std::atomic<bool> hold_next = true;
  std::promise<void> entered;
  std::promise<void> released;
};

TEST_F(OutboxDispatcherTest, APokeWhileAStoreCallIsUnderWayIsNotLost) {
  // Found by the end-to-end tests: a surface became ready (and poked) while the dispatcher waited
  // for the store thread, not on its timer; the poke cancelled nothing and the row waited 30 s.
  HeldStore held(*store_);
  StoreThread store_thread;
  OutboxDispatcher dispatcher(io_.get_executor(), held, clock_);
  dispatcher.run_store_calls_on(store_thread.executor());
  ScriptedDeliverer slack("slack");
  slack.ready_ = false;
  dispatcher.add(slack);
  const auto id = enqueue(handlers::Effect::post_escalation, "slack", escalation());
  bool ended = false;
  net::co_spawn(io_, dispatcher.run(), [&](std::exception_ptr) { ended = true; });
  auto entered = held.entered.get_future();
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (entered.wait_for(0s) != std::future_status::ready && std::chrono::steady_clock::now() < give_up)
    io_.run_for(2ms);
  ASSERT_EQ(entered.wait_for(0s), std::future_status::ready) << "nothing ready: it asks when the next row is due";
  slack.ready_ = true;
  dispatcher.poke();
  held.released.set_value();
  while (row(id).state != State::sent && std::chrono::steady_clock::now() < give_up) io_.run_for(2ms);
  EXPECT_EQ(row(id).state, State::sent) << "the poke that came meanwhile cut the 30 s sleep short";
  dispatcher.stop();
  while (!ended && std::chrono::steady_clock::now() < give_up) io_.run_for(2ms);
  EXPECT_TRUE(ended);
}

TEST_F(OutboxDispatcherTest, ARowFailedElsewhereWhileInFlightStaysFailedAndTheRestGoOn) {
  const auto a = escalation();
  const auto b = escalation();
  const auto first = enqueue(handlers::Effect::post_escalation, "slack", a);
  const auto second = enqueue(handlers::Effect::post_escalation, "slack", b);
  // An operator fails the row for good while its delivery is on the wire: the send's "sent" comes
  // too late to change it, and nothing else is held back by that.
  class FailedMeanwhile final : public Deliverer {
   public:
    FailedMeanwhile(storage::Store& store, std::int64_t victim) : store_(store), victim_(victim) {}
    std::string surface() const override { return "slack"; }
    net::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row, bool) override {
      if (row.id == victim_) store_.outbox_fail(row.id, "failed by an operator");
      delivered.push_back(row.id);
      co_return DeliveryOutcome::sent();
    }
    std::vector<std::int64_t> delivered;

   private:
    storage::Store& store_;
    std::int64_t victim_;
  } slack(*store_, first);
  dispatcher_.add(slack);
  start();
  EXPECT_EQ(slack.delivered, (std::vector{first, second}));
  EXPECT_EQ(row(first).state, State::failed);
  EXPECT_EQ(row(first).last_error, "failed by an operator");
  EXPECT_EQ(row(second).state, State::sent);
  EXPECT_EQ(dispatcher_.health().first, "running");
}

TEST(OutboxStore, RowsWithoutASurfaceOrAKeyAreRefused) {
  auto store = storage::SqliteStore::open(":memory:");
  auto m = handlers::effect_row(handlers::Effect::post_escalation, "", "", json::object(), testing::tuesday_noon());
  EXPECT_THROW(store->enqueue({m}, {}), storage::StorageError) << "no surface";
  m.surface = "slack";
  EXPECT_THROW(store->enqueue({m}, {}), storage::StorageError) << "neither an ordering key nor an escalation";
  m.ordering_key = "slack:announcements";
  EXPECT_EQ(store->enqueue({m}, {}), 1);
  EXPECT_EQ(store->outbox_message(1)->surface, "slack");
}

}  // namespace
}  // namespace desk::bot
