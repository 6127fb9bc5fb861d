// `escalation-desk drill start SCENARIO` and `drill report`: a fire drill started through the running
// desk's intake API (so it gets the real clocks, rights and surfaces), and the drills with their scores.
#include <chrono>
#include <filesystem>
#include <ostream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/config/config_loader.hpp"
#include "bot/intake_server.hpp"
#include "bot/slack/secrets.hpp"
#include "core/drill.hpp"
#include "handlers/drills.hpp"
#include "storage/sqlite_store.hpp"

namespace desk::bot::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;

struct DrillStartOptions {
  std::string config, scenario, workflow, desk;
};

struct DrillReportOptions {
  std::string config, since, format = "text";
};

/// What the desk answered, or why nothing was answered.
struct Exchange {
  std::string failure;  ///< empty when an answer came
  int status = 0;
  std::string body;
};

/// One POST to the desk on this machine, with a 15 s limit for the whole exchange.
Exchange post(const std::string& host, std::uint16_t port, const std::string& target, const std::string& token,
              const std::string& body) {
  net::io_context io;
  Exchange out;
  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        beast::tcp_stream stream(io);
        stream.expires_after(std::chrono::seconds{15});
        try {
          co_await stream.async_connect(net::ip::tcp::endpoint(net::ip::make_address(host), port), net::use_awaitable);
          http::request<http::string_body> req{http::verb::post, target, 11};
          req.set(http::field::host, host.find(':') == std::string::npos ? host + ":" + std::to_string(port)
                                                                         : "[" + host + "]:" + std::to_string(port));
          req.set(http::field::content_type, "application/json");
          req.set(http::field::authorization, "Bearer " + token);
          req.body() = body;
          req.prepare_payload();
          co_await http::async_write(stream, req, net::use_awaitable);
          beast::flat_buffer buffer;
          http::response<http::string_body> res;
          co_await http::async_read(stream, buffer, res, net::use_awaitable);
          out.status = res.result_int();
          out.body = res.body();
        } catch (const boost::system::system_error& e) { out.failure = e.code().message(); }
      },
      net::detached);
  io.run();
  return out;
}

/// The desk's intake address as a client on this machine reaches it: --desk, else desk.intake_listen
/// (a wildcard listen is reached on loopback).
std::pair<std::string, std::uint16_t> intake_address(const core::Policy& p, const DrillStartOptions& o) {
  const std::string& listen = o.desk.empty() ? p.desk.intake_listen : o.desk;
  const std::string where = o.desk.empty() ? "desk.intake_listen in " + o.config : std::string("--desk");
  try {
    auto [host, port] = split_host_port(listen);
    if (port == 0)
      throw UsageError(where +
                       " has port 0 (the desk picks one at start): give the port it logged with --desk HOST:PORT");
    if (host == "0.0.0.0" || host.empty()) host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host == "localhost") host = "127.0.0.1";
    return {host, port};
  } catch (const std::invalid_argument& e) { throw UsageError(where + ": " + e.what()); }
}

std::string text_at(const json& j, std::initializer_list<const char*> path) {
  const json* at = &j;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return {};
    at = &(*at)[key];
  }
  return at->is_string() ? at->get<std::string>() : std::string();
}

int start(const DrillStartOptions& o, std::ostream& out, std::ostream& err) {
  const core::Policy p = load_config(o.config);
  const auto tokens = slack::read_secret("DESK_ADMIN_TOKENS");
  const auto list = tokens ? slack::split_tokens(*tokens) : std::vector<std::string>{};
  if (list.empty())
    throw UsageError(
        "DESK_ADMIN_TOKENS is not set: a drill is started through the running desk's intake API, as an admin "
        "(set it as the desk has it, or DESK_ADMIN_TOKENS_FILE)");
  const auto [host, port] = intake_address(p, o);
  json body = {{"scenario", o.scenario}, {"started_by", cli_actor()}};
  if (!o.workflow.empty()) body["workflow"] = o.workflow;
  const Exchange x = post(host, port, "/v1/drills", list.front(), body.dump());
  if (!x.failure.empty()) {
    err << "error: no desk answers at " << host << ":" << port << ": " << x.failure
        << ". Start it with `escalation-desk run`: a drill runs in the desk, on its clocks and surfaces.\n";
    return kExitUsage;
  }
  const json answer = json::parse(x.body, nullptr, false);
  if (x.status == 201) {
    const std::string id = text_at(answer, {"escalation", "id"});
    std::string owner = text_at(answer, {"escalation", "owner", "person", "name"});
    if (owner.empty()) owner = text_at(answer, {"escalation", "owner", "person", "id"});
    out << "fire drill started: " << id << " (" << o.scenario << " in " << text_at(answer, {"drill", "workflow"})
        << "), owned by " << (owner.empty() ? "nobody yet" : owner) << " ("
        << text_at(answer, {"escalation", "owner", "role"})
        << "). It runs on the real clocks and is scored when decided: `escalation-desk drill report`.\n";
    return kExitOk;
  }
  if (x.status == 200) {
    std::string why;
    if (answer.is_object() && answer.contains("drill") && answer["drill"].contains("checks"))
      for (const auto& c : answer["drill"]["checks"])
        if (c.is_object() && c.contains("reason") && c["reason"].is_string()) why += c["reason"].get<std::string>();
    out << "fire drill missed (score 0): " << why << "\n";
    return kExitCheckFailed;
  }
  const std::string message = text_at(answer, {"message"});
  err << "error: the desk refused the drill (HTTP " << x.status << ")"
      << (message.empty() ? std::string() : ": " + message) << "\n";
  return kExitUsage;
}

int report(const DrillReportOptions& o, std::ostream& out) {
  const core::Policy p = load_config(o.config);
  core::TimePoint since = core::TimePoint::min();
  if (!o.since.empty()) since = std::chrono::sys_days(*core::parse_date(o.since));
  std::vector<storage::Drill> drills;
  // No database yet is a desk that has run no drill. A read-only command creates none.
  if (p.desk.database == ":memory:" || std::filesystem::exists(p.desk.database))
    drills = storage::SqliteStore::open(p.desk.database, read_only_figures())->drills(since);
  if (o.format == "json")
    out << handlers::drills_report_json(drills, since).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  else if (o.format == "csv")
    out << handlers::drills_report_csv(drills);
  else
    out << handlers::drills_report_text(drills, since);
  return kExitOk;
}

}  // namespace

void register_drill(CLI::App& app, const Streams& io, Action& chosen) {
  auto* drill = app.add_subcommand("drill", "fire drills: start one in the running desk, or list them with scores");
  drill->require_subcommand(1);

  auto started = std::make_shared<DrillStartOptions>();
  auto* start_command = drill->add_subcommand("start", "start a fire drill in the running desk");
  add_config_option(*start_command, started->config);
  std::vector<std::string> scenarios;
  for (const auto s : core::kDrillScenarios) scenarios.emplace_back(core::to_string(s));
  start_command->add_option("scenario", started->scenario, core::drill_scenario_names())
      ->type_name("SCENARIO")
      ->required()
      ->check(one_of(scenarios));
  start_command
      ->add_option("--workflow", started->workflow,
                   "the workflow to run it in (default: the first of the scenario's visibility)")
      ->type_name("ID");
  start_command
      ->add_option("--desk", started->desk,
                   "the desk's intake address when not desk.intake_listen, e.g. 127.0.0.1:8080")
      ->type_name("HOST:PORT");
  start_command->footer(
      "Sends the scenario's draft (pricing_claim: an invented price and guarantee in a public post; data_leak:\n"
      "an e-mail with a customer's IBAN, a phone number and addresses; tos_breach: a reply that buys reviews)\n"
      "to the running desk at desk.intake_listen, with the first token of DESK_ADMIN_TOKENS. The desk\n"
      "evaluates it like an agent's draft. If it escalates, people see it labelled FIRE DRILL, with the real\n"
      "clocks and rights; the decision scores it. If the policy lets it through, the drill is recorded as\n"
      "missed with a score of 0. Drills never count in the real figures and never call an agent back.\n"
      "Exit codes: 0 started, 1 missed (the policy let the draft through), 2 usage, config or desk error.");
  when_chosen(*start_command, chosen, [started, &io] { return start(*started, io.out, io.err); });

  auto reported = std::make_shared<DrillReportOptions>();
  auto* report_command = drill->add_subcommand("report", "list the fire drills with their scores and reasons");
  add_config_option(*report_command, reported->config);
  report_command->add_option("--since", reported->since, "the first day to include, e.g. 2026-10-01 (UTC)")
      ->type_name("DATE")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            if (core::parse_date(value)) return {};
            return "must be a date as YYYY-MM-DD naming a real day, e.g. 2026-10-01, not '" + value + "'";
          },
          "", "date"));
  report_command->add_option("--format", reported->format, "text (default), json or csv")
      ->check(one_of({"text", "json", "csv"}));
  report_command->footer(
      "Each drill: scenario, workflow, who started it and when, its escalation, and its score out of 100\n"
      "with the reason for each part: first response within the triage target (25), decision by its\n"
      "deadline (25), decided by the owner or legal rather than the backup or director (20, 10, 5), legal\n"
      "brought in where the scenario needs it (15), a rationale of substance (15). A missed drill (the\n"
      "policy let the draft through) scores 0. Exit codes: 0 ok, 2 usage, config or storage error.");
  when_chosen(*report_command, chosen, [reported, &io] { return report(*reported, io.out); });
}

}  // namespace desk::bot::cli
