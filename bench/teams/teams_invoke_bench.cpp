// Benchmark of the Teams bot's card clicks on the shipped binary: `escalation-desk run` (its real
// config, SQLite store in a temp dir, handlers, intake server, clocks and outbox) with only the Teams
// bot as its surface, as a child process against the local Teams emulator (OpenID metadata, keys,
// token endpoint and Bot Connector over TLS), which runs in this process. Agents open N escalations
// on the intake API; once each card is in the channel, three rounds of clicks go to the desk's
// /api/messages, one click in flight at a time, as people click:
//   - refused: a bystander clicks Accept (the card again, naming who may act; audited);
//   - inline error: the owner clicks Accept with a two-letter rationale (the card again with the error
//     beside the field; the click counts as the first response);
//   - decided: the owner clicks Accept with a rationale (committed; the decided card in the answer,
//     then the card updated for everyone and a thread reply, through the outbox).
// Each click is timed from the request's first byte written to the whole answer read (a fresh
// connection each, as the connector makes; its token made beforehand, so the emulator's signing is
// not counted). Desk CPU per click comes from /proc/<pid>/stat over each round; peak RSS from VmHWM.
// Usage: teams_invoke_bench [--escalations N] [--quick] [--json FILE] [--desk PATH]
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/desk/proc_stats.hpp"
#include "bench/intake/intake_load.hpp"
#include "tests/emulator/teams_bot_emulator.hpp"
#include "tests/support/desk_child.hpp"
#include "tests/support/teams_bot_config.hpp"
#include "tests/support/temp_dir.hpp"

#ifndef DESK_BINARY
#error "DESK_BINARY must name the escalation-desk executable"
#endif
#ifndef DESK_SOURCE_DIR
#error "DESK_SOURCE_DIR must name the source tree (for deploy/desk.example.yaml)"
#endif

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;
namespace emu = desk::emulator;
using desk::bench::percentile_ms;

// Erin owns community replies in the example config; Sam is nobody there.
const emu::TeamsUser& kOwner = desk::testing::kErinInTeams;
const emu::TeamsUser kBystander{"0f0f0f0f-4444-4555-8666-777777777777", "Sam Stranger", ""};

struct Options {
  std::size_t escalations = 300;
  std::string desk = DESK_BINARY;
  std::string json_path;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "teams_invoke_bench: " << problem
            << "\nusage: teams_invoke_bench [--escalations N] [--quick] [--json FILE] [--desk PATH]\n";
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--quick") {
      o.escalations = 20;
      continue;
    }
    if (i + 1 >= argc) usage("missing value after " + flag);
    const std::string value = argv[++i];
    try {
      if (flag == "--escalations")
        o.escalations = std::stoul(value);
      else if (flag == "--json")
        o.json_path = value;
      else if (flag == "--desk")
        o.desk = value;
      else
        usage("unknown flag: " + flag);
    } catch (const std::logic_error&) { usage("not a number: " + flag + " " + value); }
  }
  if (o.escalations < 1 || o.escalations > 100000) usage("--escalations must be between 1 and 100000");
  return o;
}

/// Drafts the example policy escalates to the community lead: low confidence, nothing else to flag.
std::vector<desk::bench::Draft> owner_drafts(std::size_t n) {
  std::vector<desk::bench::Draft> out;
  const auto benign = desk::bench::make_drafts(n, 0.0, 7);
  for (std::size_t i = 0; i < n; ++i) {
    json body = json::parse(benign[i].body);
    body["workflow"] = "community_replies";
    body["channel"] = "linkedin";
    body["confidence"] = 0.41;
    body.erase("citations");
    out.push_back({body.dump(), true});
  }
  return out;
}

/// The Action.Execute data of a card (escalation id and generation); null when it has no buttons.
json action_data(const json& card) {
  for (const auto& a : card.value("actions", json::array()))
    if (a.value("type", "") == "Action.Execute") return a.value("data", json::object());
  return nullptr;
}

struct Round {
  std::string name;
  std::vector<double> seconds;  // each click's round trip
  double desk_cpu_s = 0;
  std::size_t unexpected = 0;  // answers that were not what the round expects
  std::string first_unexpected;
  double cpu_us_per_click() const {
    return seconds.empty() ? 0 : desk_cpu_s * 1e6 / static_cast<double>(seconds.size());
  }
};

struct Card {
  std::string escalation_id;
  std::string activity_id;
  json data;  // as the latest answered card gives it
};

/// One click per card, in turn. `expect` says whether an answer is what the round should get.
template <typename Expect>
Round click_round(const std::string& name, std::vector<Card>& cards, const emu::TeamsBotEmulator& teams,
                  const std::string& url, pid_t desk, const emu::TeamsUser& who, const std::string& verb,
                  const std::string& rationale, Expect expect) {
  Round r;
  r.name = name;
  // Tokens first: the emulator signs each with RSA, which is the connector's work, not the desk's.
  std::vector<std::pair<std::string, std::string>> requests;
  for (const auto& c : cards) {
    const json activity = teams.card_action(who, c.activity_id, verb, c.data, {{"rationale", rationale}});
    requests.emplace_back(activity.dump(), "Bearer " + teams.token_for(activity));
  }
  const double cpu_before = desk::bench::cpu_seconds_of(desk);
  for (std::size_t i = 0; i < cards.size(); ++i) {
    const auto t0 = Clock::now();
    emu::InboundResponse answer;
    try {
      answer = teams.post_raw(url, requests[i].first, requests[i].second);
    } catch (const std::exception& e) {
      answer.status = 0;
      answer.body = e.what();
    }
    r.seconds.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    const json card = answer.json().is_object() ? answer.json().value("value", json()) : json();
    if (answer.status != 200 || !card.is_object() || !expect(card)) {
      if (r.unexpected++ == 0) r.first_unexpected = std::to_string(answer.status) + " " + answer.body.substr(0, 400);
      continue;
    }
    if (const json data = action_data(card); data.is_object()) cards[i].data = data;
  }
  r.desk_cpu_s = desk::bench::cpu_seconds_of(desk) - cpu_before;
  return r;
}

bool has_buttons(const json& card) { return action_data(card).is_object(); }

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  const emu::TestPki pki;
  emu::TeamsBotEmulator teams(pki);
  const std::string channel = teams.options().channel_id;
  const desk::testing::TempDir dir("teams-bench");
  const std::uint16_t intake_port = desk::bench::free_loopback_port();
  std::uint16_t bot_port = desk::bench::free_loopback_port();
  while (bot_port == intake_port) bot_port = desk::bench::free_loopback_port();
  auto edits = desk::testing::teams_people_edits();
  edits.insert(edits.end(), {{"intake_listen: 127.0.0.1:0", "intake_listen: 127.0.0.1:" + std::to_string(intake_port)},
                             {"requests_per_minute: 600", "requests_per_minute: 0"},
                             {"open_escalations_per_token: 200", "open_escalations_per_token: 0"}});
  const auto config = desk::testing::write_example_config(DESK_SOURCE_DIR, dir.path(), edits);
  desk::testing::append_teams_section(config, teams, "127.0.0.1:" + std::to_string(bot_port));
  const std::map<std::string, std::string> env = {{"SSL_CERT_FILE", pki.trusted().ca_cert},
                                                  {"DESK_INTAKE_TOKENS", desk::bench::kIntakeToken},
                                                  {"DESK_AUDIT_KEY", "teams-bench-audit-key-0123456789abcdef"},
                                                  {"TEAMS_APP_PASSWORD", teams.options().app_password},
                                                  {"TEAMS_OPENID_METADATA_URL", teams.openid_metadata_url()},
                                                  {"TEAMS_TOKEN_URL", teams.token_url()},
                                                  {"DESK_LOG_LEVEL", "info"}};
  desk::testing::DeskProcess desk(env, {o.desk, "run", "--config", config});
  const auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "teams_invoke_bench: %s\n%s\n", why.c_str(), desk.output_so_far().c_str());
    return 1;
  };

  // The escalations, through the intake API; then their cards, posted by the desk's outbox.
  desk::bench::IntakeLoadOptions load;
  load.connections = 4;
  load.submissions = o.escalations;
  load.key_prefix = "teams-bench-" + std::to_string(getpid());
  load.connect_for = 20s;
  const auto opened_at = Clock::now();
  desk::bench::IntakeLoad agents(intake_port, owner_drafts(o.escalations), load);
  agents.wait();
  if (agents.results().created != o.escalations)
    return fail("asked for " + std::to_string(o.escalations) + " escalations, " +
                std::to_string(agents.results().created) +
                " opened; first other answer: " + agents.results().first_other);
  std::vector<Card> cards;
  const auto cards_deadline = Clock::now() + 300s;
  while (Clock::now() < cards_deadline) {
    cards.clear();
    for (const auto& a : teams.activities(channel)) {
      if (a.thread_id != a.id || a.cards().empty()) continue;
      const json data = action_data(a.cards().front());
      if (data.is_object()) cards.push_back({data.value("escalation_id", ""), a.id, data});
    }
    if (cards.size() >= o.escalations) break;
    std::this_thread::sleep_for(20ms);
  }
  if (cards.size() != o.escalations)
    return fail(std::to_string(cards.size()) + " of " + std::to_string(o.escalations) + " cards posted");
  const double cards_s = std::chrono::duration<double>(Clock::now() - opened_at).count();

  const std::string url = "http://127.0.0.1:" + std::to_string(bot_port) + "/api/messages";
  const auto names_owner = [](const json& card) {
    return has_buttons(card) && card.dump().find(kOwner.name) != std::string::npos;
  };
  const auto shows_error = [](const json& card) {
    return has_buttons(card) && card.dump().find("\"Attention\"") != std::string::npos;
  };
  const auto decided = [](const json& card) {
    return !has_buttons(card) && card.dump().find(" accepted") != std::string::npos;
  };
  std::vector<Round> rounds;
  rounds.push_back(click_round("refused (bystander)", cards, teams, url, desk.pid(), kBystander, "accept",
                               "Looks fine to me, ship it.", names_owner));
  rounds.push_back(click_round("inline error (short rationale)", cards, teams, url, desk.pid(), kOwner, "accept", "ok",
                               shows_error));
  const auto decisions_at = Clock::now();
  rounds.push_back(click_round("decided", cards, teams, url, desk.pid(), kOwner, "accept",
                               "Friendly, no claims; fine to publish as written.", decided));

  // Everyone's copy of each card, updated in place through the outbox after its decision.
  std::size_t updated = 0;
  const auto updates_deadline = Clock::now() + 300s;
  while (Clock::now() < updates_deadline) {
    updated = 0;
    for (const auto& c : cards)
      if (const auto now = teams.activity(channel, c.activity_id); now && !now->cards().empty())
        updated += !has_buttons(now->cards().front());
    if (updated == cards.size()) break;
    std::this_thread::sleep_for(20ms);
  }
  const double updates_s = std::chrono::duration<double>(Clock::now() - decisions_at).count();
  const double peak_rss_mib = static_cast<double>(desk::bench::status_kb_of(desk.pid(), "VmHWM")) / 1024.0;
  desk.signal(SIGTERM);
  const auto exit = desk.wait(20s);

  std::printf("teams_invoke_bench: %s run (Teams bot only), %zu escalations, one click in flight\n\n", o.desk.c_str(),
              o.escalations);
  std::printf("%-32s %8s %10s %10s %10s %14s %10s\n", "round", "clicks", "p50 (ms)", "p99 (ms)", "max (ms)",
              "CPU/click (us)", "unexpected");
  json out = {{"escalations", o.escalations}, {"rounds", json::array()}};
  bool ok = exit.exit_code == 0 && updated == cards.size();
  for (const auto& r : rounds) {
    std::printf("%-32s %8zu %10.2f %10.2f %10.2f %14.0f %10zu\n", r.name.c_str(), r.seconds.size(),
                percentile_ms(r.seconds, 0.5), percentile_ms(r.seconds, 0.99), percentile_ms(r.seconds, 1.0),
                r.cpu_us_per_click(), r.unexpected);
    if (!r.first_unexpected.empty()) std::printf("  first unexpected answer: %s\n", r.first_unexpected.c_str());
    ok = ok && r.unexpected == 0;
    out["rounds"].push_back({{"name", r.name},
                             {"clicks", r.seconds.size()},
                             {"p50_ms", percentile_ms(r.seconds, 0.5)},
                             {"p99_ms", percentile_ms(r.seconds, 0.99)},
                             {"max_ms", percentile_ms(r.seconds, 1.0)},
                             {"desk_cpu_us_per_click", r.cpu_us_per_click()},
                             {"unexpected", r.unexpected}});
  }
  std::printf(
      "\nintake to every card posted: %.2f s; decisions to every card updated for everyone: %.2f s (%zu of %zu)\n",
      cards_s, updates_s, updated, cards.size());
  std::printf("desk peak RSS: %.1f MiB; exit code after SIGTERM: %d\n", peak_rss_mib, exit.exit_code);
  out["cards_posted_s"] = cards_s;
  out["cards_updated_s"] = updates_s;
  out["desk_peak_rss_mib"] = peak_rss_mib;
  out["desk_exit_code"] = exit.exit_code;
  if (!o.json_path.empty()) std::ofstream(o.json_path) << out.dump(2) << '\n';
  if (!ok) std::fprintf(stderr, "teams_invoke_bench: not a figure to quote (see above)\n%s\n", exit.output.c_str());
  return ok ? 0 : 1;
}
