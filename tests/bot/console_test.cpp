// The console: access rules (loopback, tokens, Origin), the read-only desk, the sandbox's actions
// with the same rights and rules as Slack, what the pages show (masked, escaped), the event stream
// and the console's deliverer.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "bot/app/policy_cache.hpp"
#include "bot/console/console_app.hpp"
#include "bot/console/console_deliverer.hpp"
#include "bot/console/event_hub.hpp"
#include "bot/console/html.hpp"
#include "core/clock.hpp"
#include "handlers/effects.hpp"
#include "handlers/pinned_sop.hpp"
#include "storage/sqlite_store.hpp"
#include "tests/support/open_as_intake.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_policy.hpp"

namespace desk::bot::console {
namespace {

using handlers::HttpRequest;
using handlers::HttpResponse;
namespace net = boost::asio;

TEST(ConsoleHtml, EscapesMarkupQuotesAndBrokenText) {
  EXPECT_EQ(escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;y&quot;");
  EXPECT_EQ(escape("caf\xC3\xA9"), "caf\xC3\xA9");  // valid UTF-8 kept
  EXPECT_EQ(escape("a\xFF"
                   "b"),
            "a\xEF\xBF\xBD"
            "b");  // invalid byte replaced
  EXPECT_EQ(escape("a\x01"
                   "b\n"),
            "a\xEF\xBF\xBD"
            "b\n");  // control character replaced, newline kept
  EXPECT_EQ(escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a UTF-16 surrogate is not UTF-8
}

TEST(ConsoleForms, ParsesUrlEncodedFieldsAndRefusesBadEscapes) {
  auto form = parse_form("rationale=Fee+waivers+need+sales%21&macro=reject&macro=accept&empty=");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->at("rationale"), "Fee waivers need sales!");
  EXPECT_EQ(form->at("macro"), "reject");  // the first of duplicates
  EXPECT_EQ(form->at("empty"), "");
  EXPECT_FALSE(parse_form("a=%zz"));
  EXPECT_FALSE(parse_form("a=%2"));
  EXPECT_EQ(cookie_value("a=1; desk_console=abc; desk_console_x=2", "desk_console"), "abc");
  EXPECT_FALSE(cookie_value("xdesk_console=abc", "desk_console"));
}

std::string next_piece(net::io_context& io, EventHub::Stream& stream) {
  auto f = net::co_spawn(io, stream.next(), net::use_future);
  io.run_for(std::chrono::seconds{2});
  io.restart();
  auto piece = f.get();
  return piece ? *piece : std::string("<closed>");
}

TEST(ConsoleEvents, StreamsPublishedEventsReplaysMissedOnesAndEndsOnClose) {
  net::io_context io;
  EventHubOptions small;
  small.history = 2;
  small.max_queued = 3;
  EventHub hub(io.get_executor(), small);
  auto live = hub.open(std::nullopt);
  EXPECT_EQ(live->preamble, "retry: 2000\n\n");
  hub.publish("escalation", {{"id", "ESC-000001"}});
  EXPECT_EQ(next_piece(io, *live), "id: 1\nevent: escalation\ndata: {\"id\":\"ESC-000001\"}\n\n");
  hub.publish("message", {{"row", 2}});
  hub.publish("message", {{"row", 3}});
  // A browser that saw event 1 gets 2 and 3 again; one that saw nothing kept is told to reload.
  EXPECT_NE(hub.open(1)->preamble.find("id: 2\n"), std::string::npos);
  EXPECT_NE(hub.open(0)->preamble.find("event: reload"), std::string::npos);
  // A stream that stops reading gets one reload instead of an unbounded queue, then ends.
  for (int i = 0; i < 5; ++i) hub.publish("message", {{"row", 10 + i}});
  const std::string burst = next_piece(io, *live);
  EXPECT_NE(burst.find("event: reload"), std::string::npos);
  EXPECT_EQ(next_piece(io, *live), "<closed>");
  auto other = hub.open(std::nullopt);
  hub.close();
  EXPECT_EQ(next_piece(io, *other), "<closed>");
  EXPECT_EQ(next_piece(io, *hub.open(std::nullopt)), "<closed>");
}

class ConsoleAppTest : public ::testing::Test {
 protected:
  ConsoleAppTest() {
    store_->save_policy_snapshot("testdigest", "seed");
    core::Submission fee;
    fee.workflow = "community_replies";
    fee.channel = "community_dm";
    fee.agent = "agent-1";
    fee.confidence = 0.95;
    fee.output = "We can waive the fee, write to sam@example.com <script>alert(1)</script>";
    fee_ = testing::open_as_intake(*store_, *policies_.current(), fee, clock_.now());
  }

  std::unique_ptr<ConsoleApp> app(ConsoleOptions options) {
    return std::make_unique<ConsoleApp>(ConsoleDependencies{*store_,
                                                            policies_,
                                                            clock_,
                                                            nullptr,
                                                            {"console"},
                                                            [this](const std::string& id) { changed_.push_back(id); }},
                                        std::move(options));
  }

  static ConsoleOptions sandbox() {
    ConsoleOptions o;
    o.sandbox = true;
    return o;
  }
  static ConsoleOptions with_tokens(std::vector<std::string> tokens) {
    ConsoleOptions o;
    o.tokens = std::move(tokens);
    return o;
  }

  static HttpRequest get(const std::string& target, const std::string& host = "127.0.0.1:8080") {
    return {"GET", target, {{"host", host}}, ""};
  }
  static HttpRequest post(const std::string& target, const std::string& body, const std::string& cookie = "") {
    HttpRequest r{"POST", target, {{"host", "127.0.0.1:8080"}, {"origin", "http://127.0.0.1:8080"}}, body};
    if (!cookie.empty()) r.headers["cookie"] = cookie;
    return r;
  }
  static std::string set_cookie(const HttpResponse& r) {
    const std::string* c = r.header("Set-Cookie");
    return c ? *c : std::string();
  }

  testing::TempDir dir_{"console"};
  std::unique_ptr<storage::SqliteStore> store_ = storage::SqliteStore::open(dir_.file("desk.db"));
  PolicyCache policies_{*store_, std::make_shared<handlers::PolicySet>(testing::seed_policy())};
  core::FakeClock clock_{testing::tuesday_noon()};
  std::vector<std::string> changed_;
  std::string fee_;
};

TEST_F(ConsoleAppTest, OpenOnLoopbackOnlyUnderALoopbackHostName) {
  auto console = app({});
  EXPECT_EQ(console->handle(get("/")).status, 200);
  EXPECT_EQ(console->handle(get("/", "localhost:8080")).status, 200);
  EXPECT_EQ(console->handle(get("/", "[::1]:8080")).status, 200);
  // A page on another site that rebinds its name to 127.0.0.1 still sends its own name.
  EXPECT_EQ(console->handle(get("/", "attacker.example:8080")).status, 403);
  EXPECT_EQ(console->handle(get("/", "127.0.0.1.attacker.example")).status, 403);
  ConsoleOptions remote_options;
  remote_options.loopback_listener = false;
  auto remote = app(remote_options);
  const auto off = remote->handle(get("/"));
  EXPECT_EQ(off.status, 403);
  EXPECT_NE(off.body.find("DESK_CONSOLE_TOKENS"), std::string::npos);
}

TEST_F(ConsoleAppTest, TokensOpenASessionCookieThatIsNotTheToken) {
  auto console = app(with_tokens({"s3cret-console-token"}));
  const auto anonymous = console->handle(get("/"));
  EXPECT_EQ(anonymous.status, 303);
  EXPECT_EQ(*anonymous.header("Location"), "/login");
  EXPECT_EQ(console->handle(post("/login", "token=wrong")).status, 401);
  const auto in = console->handle(post("/login", "token=s3cret-console-token"));
  ASSERT_EQ(in.status, 303);
  const std::string cookie = set_cookie(in);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.find("s3cret"), std::string::npos);
  const std::string session = cookie.substr(0, cookie.find(';'));
  auto page = get("/");
  page.headers["cookie"] = session;
  EXPECT_EQ(console->handle(page).status, 200);
  auto bearer = get("/rota");
  bearer.headers["authorization"] = "Bearer s3cret-console-token";
  EXPECT_EQ(console->handle(bearer).status, 200);
  EXPECT_EQ(console->handle(post("/logout", "", session)).status, 303);
  EXPECT_EQ(console->handle(page).status, 303);  // the session is gone
}

TEST_F(ConsoleAppTest, GuessingTokensIsBraked) {
  auto console = app(with_tokens({"s3cret-console-token"}));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(console->handle(post("/login", "token=guess")).status, 401);
  const auto braked = console->handle(post("/login", "token=s3cret-console-token"));
  EXPECT_EQ(braked.status, 429);
  EXPECT_EQ(*braked.header("Retry-After"), "60");
  clock_.advance(std::chrono::minutes{2});
  EXPECT_EQ(console->handle(post("/login", "token=s3cret-console-token")).status, 303);
}

TEST_F(ConsoleAppTest, PostsFromAnotherOriginChangeNothing) {
  auto console = app(sandbox());
  auto foreign = post("/sandbox/acting-as", "person=jo");
  foreign.headers["origin"] = "http://attacker.example";
  EXPECT_EQ(console->handle(foreign).status, 403);
  foreign.headers.erase("origin");
  EXPECT_EQ(console->handle(foreign).status, 403);
}

TEST_F(ConsoleAppTest, OutsideTheSandboxTheConsoleIsReadOnly) {
  auto console = app({});
  const auto refused =
      console->handle(post("/sandbox/begin", "escalation=" + fee_ + "&generation=0&macro=accept", "desk_acting_as=jo"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("read-only"), std::string::npos);
  EXPECT_EQ(store_->escalation(fee_)->state, core::EscalationState::open);
  EXPECT_EQ(console->handle(get("/channel")).status, 404);
  EXPECT_TRUE(changed_.empty());
}

TEST_F(ConsoleAppTest, TheSandboxAppliesTheSameRightsAndRationaleRules) {
  auto console = app(sandbox());
  const std::string begin = "escalation=" + fee_ + "&generation=0&macro=reject";
  // Nobody chosen yet: nothing happens.
  EXPECT_EQ(console->handle(post("/sandbox/begin", begin)).status, 422);
  // The wrong person is refused with the rule and who may act, and the attempt is audited.
  const auto wrong = console->handle(post("/sandbox/begin", begin, "desk_acting_as=chen"));
  EXPECT_EQ(wrong.status, 403);
  EXPECT_NE(wrong.body.find("may act on"), std::string::npos);
  bool audited = false;
  for (const auto& row : store_->audit_trail(fee_)) audited |= row.event.kind == "rights.denied";
  EXPECT_TRUE(audited);
  EXPECT_EQ(store_->escalation(fee_)->state, core::EscalationState::open);
  // A cookie naming someone outside the config acts as nobody.
  EXPECT_EQ(console->handle(post("/sandbox/begin", begin, "desk_acting_as=mallory")).status, 422);

  const std::string owner = store_->escalation(fee_)->owner_person;  // legal: the draft holds an e-mail address
  ASSERT_EQ(owner, "hana");
  const std::string as_owner = "desk_acting_as=" + owner;
  const auto form = console->handle(post("/sandbox/begin", begin, as_owner));
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find("<label for=\"rationale\">Rationale</label>"), std::string::npos);
  EXPECT_NE(form.body.find(">Decide</button>"), std::string::npos);
  const auto short_one = console->handle(post("/sandbox/decide", begin + "&rationale=nope", as_owner));
  EXPECT_EQ(short_one.status, 422);
  EXPECT_NE(short_one.body.find("rationale-error"), std::string::npos);
  EXPECT_FALSE(core::is_decided(store_->escalation(fee_)->state));

  const auto done =
      console->handle(post("/sandbox/decide", begin + "&rationale=Fee+waivers+need+a+sales+quote+first", as_owner));
  EXPECT_EQ(done.status, 200);
  const auto e = store_->escalation(fee_);
  ASSERT_TRUE(e->decision);
  EXPECT_EQ(e->state, core::EscalationState::rejected);
  EXPECT_EQ(e->decision->by, owner);
  EXPECT_EQ(e->decision->rationale, "Fee waivers need a sales quote first");
  EXPECT_FALSE(changed_.empty());
  // A late click answers "already decided" and changes nothing.
  const auto late = console->handle(
      post("/sandbox/begin", "escalation=" + fee_ + "&generation=0&macro=accept", "desk_acting_as=dana"));
  EXPECT_EQ(late.status, 403);
  EXPECT_NE(late.body.find("Already decided by Hana"), std::string::npos);
}

TEST_F(ConsoleAppTest, EscalatingByHandOpensAnEscalationWithTheSameChecks) {
  auto console = app(sandbox());
  const auto bad =
      console->handle(post("/sandbox/escalate", "what=x&workflow=nope&why=because", "desk_acting_as=erin"));
  EXPECT_EQ(bad.status, 422);
  const auto before = store_->escalations(std::nullopt).size();
  const auto ok = console->handle(
      post("/sandbox/escalate", "what=A+reply+promising+a+refund&workflow=community_replies&why=It+promises+money+back",
           "desk_acting_as=erin"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(store_->escalations(std::nullopt).size(), before + 1);
}

TEST_F(ConsoleAppTest, TheSandboxStartsAFireDrillForTheDirectorAndRefusesOthers) {
  auto console = app(sandbox());
  EXPECT_NE(console->handle(get("/channel")).body.find("action=\"/sandbox/drill\""), std::string::npos);
  const auto refused = console->handle(post("/sandbox/drill", "scenario=data_leak", "desk_acting_as=erin"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("The attempt was logged."), std::string::npos);
  EXPECT_EQ(console->handle(post("/sandbox/drill", "scenario=alien", "desk_acting_as=dana")).status, 422);
  EXPECT_TRUE(store_->drills().empty());
  const auto started = console->handle(post("/sandbox/drill", "scenario=data_leak", "desk_acting_as=dana"));
  EXPECT_EQ(started.status, 200);
  EXPECT_NE(started.body.find("Fire drill ESC-"), std::string::npos);
  ASSERT_EQ(store_->drills().size(), 1u);
  const auto e = store_->escalation(store_->drills()[0].escalation_id);
  ASSERT_TRUE(e && e->drill);
  EXPECT_NE(console->handle(get("/escalations/" + e->id)).body.find("FIRE DRILL"), std::string::npos);
  EXPECT_FALSE(changed_.empty());
}

TEST_F(ConsoleAppTest, TheSandboxRotaPageSetsOverridesWithTheSameRights) {
  auto console = app(sandbox());
  EXPECT_NE(console->handle(get("/rota")).body.find("<label for=\"covered-by\">Covered by</label>"), std::string::npos);
  const auto refused =
      console->handle(post("/sandbox/override", "role=duty_lead&person=chen&hours=4", "desk_acting_as=erin"));
  EXPECT_EQ(refused.status, 403);
  EXPECT_NE(refused.body.find("may override duty_lead"), std::string::npos);
  EXPECT_EQ(
      console->handle(post("/sandbox/override", "role=duty_lead&person=chen&hours=x", "desk_acting_as=dana")).status,
      422);
  EXPECT_TRUE(store_->overrides_active_after(clock_.now()).empty());
  const auto done =
      console->handle(post("/sandbox/override", "role=duty_lead&person=chen&hours=4", "desk_acting_as=dana"));
  EXPECT_EQ(done.status, 200);
  ASSERT_EQ(store_->overrides_active_after(clock_.now()).size(), 1u);
  EXPECT_NE(done.body.find("<th scope=\"row\">duty_lead</th><td>Chen</td><td>override</td>"), std::string::npos)
      << done.body;  // the rota shows the new holder
  EXPECT_FALSE(changed_.empty());
}

TEST_F(ConsoleAppTest, TheSandboxPublishesTheRotaInItsChannelAsSlackWould) {
  auto console = app(sandbox());
  EXPECT_NE(console->handle(get("/rota")).body.find("action=\"/sandbox/publish-rota\""), std::string::npos);
  EXPECT_EQ(console->handle(post("/sandbox/publish-rota", "", "")).status, 422) << "someone must be acting";
  const auto done = console->handle(post("/sandbox/publish-rota", "", "desk_acting_as=erin"));
  EXPECT_EQ(done.status, 200);
  EXPECT_NE(done.body.find("The rota is posted in the channel"), std::string::npos);
  const auto rows = store_->outbox_due(clock_.now() + std::chrono::hours{1}, 0);
  const auto notice = std::find_if(rows.begin(), rows.end(), [](const auto& r) { return r.kind == "channel_notice"; });
  ASSERT_NE(notice, rows.end());
  EXPECT_TRUE(notice->escalation_id.empty());
  bool audited = false;
  for (const auto& row : store_->audit_trail(""))
    audited = audited || (row.event.kind == "rota.published" && row.event.actor == "erin");
  EXPECT_TRUE(audited);
  EXPECT_FALSE(changed_.empty());
}

TEST_F(ConsoleAppTest, TheSandboxChannelShowsThePinnedSopsLatestVersionWithItsLink) {
  auto console = app(sandbox());
  EXPECT_EQ(console->handle(get("/channel")).body.find("Pinned</h2>"), std::string::npos) << "nothing pinned yet";
  core::Policy policy = testing::seed_policy();
  policy.desk.sop = {"https://wiki.example.com/desk-sop", "First <version>."};
  ASSERT_TRUE(handlers::post_pinned_sop(*store_, handlers::PolicySet(policy), {"console"}, clock_.now()));
  policy.desk.sop.text = "Second version.";
  ASSERT_TRUE(handlers::post_pinned_sop(*store_, handlers::PolicySet(policy), {"console"}, clock_.now()));
  const std::string page = console->handle(get("/channel")).body;
  const auto pinned = page.find("<section class=\"pinned\"");
  ASSERT_NE(pinned, std::string::npos) << page;
  const std::string section = page.substr(pinned, page.find("</section>", pinned) - pinned);
  EXPECT_NE(section.find("How we work: the desk&#39;s SOP"), std::string::npos) << section;
  EXPECT_NE(section.find("Second version."), std::string::npos) << section;
  EXPECT_EQ(section.find("First"), std::string::npos) << "only the copy pinned now: " << section;
  EXPECT_NE(section.find("The full SOP: <a href=\"https://wiki.example.com/desk-sop\" rel=\"noopener noreferrer\">"),
            std::string::npos)
      << section;
  EXPECT_NE(page.find("First &lt;version&gt;."), std::string::npos) << "the earlier copy stays among the notices";
}

TEST_F(ConsoleAppTest, PagesMaskPersonalDataAndEscapeWhatAgentsWrote) {
  auto console = app({});
  const auto page = console->handle(get("/escalations/" + fee_));
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body.find("sam@example.com"), std::string::npos);
  EXPECT_EQ(page.body.find("<script>alert(1)"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(page.header("Content-Security-Policy")->find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(console->handle(get("/escalations/ESC-999999")).status, 404);
  EXPECT_EQ(console->handle(get("/rota")).status, 200);
  EXPECT_EQ(console->handle(get("/figures")).status, 200);
  const auto css = console->handle(get("/assets/console.css", "attacker.example"));  // assets hold nothing private
  EXPECT_EQ(css.status, 200);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(console->handle(get("/assets/../../etc/passwd")).status, 404);
}

TEST_F(ConsoleAppTest, EveryFreeTextFieldIsShownMasked) {
  core::Submission s = testing::clean_reply(clock_.now());
  s.prompt = "Reply to ann.lee@example.com";
  s.permalink = "https://example.com/thread?from=bo.kim@example.com";
  s.suggested_fix = "Ask cy.ng@example.com";
  s.metadata_json = R"({"customer":{"email":"di.ox@example.com"}})";
  s.metadata_texts = {{"metadata.customer.email", "di.ox@example.com"}};
  const std::string id = testing::open_as_intake(*store_, *policies_.current(), s, clock_.now());
  ASSERT_FALSE(id.empty());
  auto console = app({});
  for (const std::string& target : {"/escalations/" + id, std::string("/")}) {
    const auto page = console->handle(get(target));
    ASSERT_EQ(page.status, 200);
    for (const char* raw : {"ann.lee@", "bo.kim@", "cy.ng@", "di.ox@"})
      EXPECT_EQ(page.body.find(raw), std::string::npos) << target << ": " << raw;
  }
  const auto detail = console->handle(get("/escalations/" + id)).body;
  EXPECT_NE(detail.find("a***@example.com"), std::string::npos) << "the prompt, masked";
  EXPECT_NE(detail.find("d***@example.com"), std::string::npos) << "the metadata, masked";
  EXPECT_NE(detail.find("metadata.customer.email"), std::string::npos) << "the hit names its field";
}

TEST_F(ConsoleAppTest, TheDelivererShowsChannelMessagesAndRefusesCallbacks) {
  net::io_context io;
  EventHub hub(io.get_executor());
  auto stream = hub.open(std::nullopt);
  ConsoleDeliverer deliverer(*store_, hub, clock_);
  const auto now = clock_.now();
  store_->enqueue(
      handlers::effect_rows(handlers::Effect::post_escalation, {"console"}, fee_, nlohmann::json::object(), now), {});
  auto rows = store_->outbox_history("console", 0);
  ASSERT_EQ(rows.size(), 1u);
  auto outcome = net::co_spawn(io, deliverer.deliver(rows[0], false), net::use_future);
  io.run();
  io.restart();
  const DeliveryOutcome shown = outcome.get();
  EXPECT_EQ(shown.kind, DeliveryOutcome::Kind::sent);
  ASSERT_TRUE(shown.message) << "the post's reference, for the dispatcher to record with the row";
  EXPECT_EQ(shown.message->escalation_id, fee_);
  EXPECT_EQ(shown.message->surface, "console");
  EXPECT_EQ(shown.message->message_id, "row-" + std::to_string(rows[0].id));
  EXPECT_NE(next_piece(io, *stream).find("\"kind\":\"post_escalation\""), std::string::npos);
  auto callback = rows[0];
  callback.kind = "decision_callback";
  auto refused = net::co_spawn(io, deliverer.deliver(callback, false), net::use_future);
  io.run();
  EXPECT_EQ(refused.get().kind, DeliveryOutcome::Kind::fail);
}

}  // namespace
}  // namespace desk::bot::console
