#include "bot/cli/command.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "bot/slack/secrets.hpp"

namespace desk::bot::cli {
namespace {

constexpr const char* kInstantExample = "2026-03-30T08:00:00Z";

/// Exactly YYYY-MM-DDTHH:MM:SSZ naming a real day and time; nothing else reads as an instant.
std::optional<core::TimePoint> parse_instant(const std::string& s) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  char tail = 0;
  if (s.size() != 20 || std::sscanf(s.c_str(), "%4d-%2u-%2uT%2u:%2u:%2uZ%c", &y, &mo, &d, &h, &mi, &sec, &tail) != 6 ||
      h > 23 || mi > 59 || sec > 59)
    return std::nullopt;
  const std::chrono::year_month_day day{std::chrono::year{y}, std::chrono::month{mo}, std::chrono::day{d}};
  if (!day.ok()) return std::nullopt;
  return std::chrono::sys_days(day) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(sec);
}

}  // namespace

void when_chosen(CLI::App& command, Action& chosen, Action work) {
  command.callback([&chosen, work = std::move(work)] { chosen = work; });
}

void add_config_option(CLI::App& command, std::string& config) {
  command.add_option("--config", config, "the policy file (YAML); see deploy/desk.example.yaml")
      ->type_name("FILE")
      ->required();
}

void add_at_option(CLI::App& command, std::string& at) {
  command.add_option("--at", at, std::string("pretend it is this UTC instant, e.g. ") + kInstantExample)
      ->type_name("INSTANT")
      ->check(CLI::Validator(
          [](std::string& value) -> std::string {
            if (parse_instant(value)) return {};
            return std::string("must be a UTC instant like ") + kInstantExample + ", not '" + value + "'";
          },
          "", "instant"));
}

storage::StoreOptions read_only_figures() {
  storage::StoreOptions options;
  options.check_integrity = false;
  return options;
}

core::TimePoint now_or_at(const std::string& at) {
  if (at.empty()) return core::SystemClock{}.now();
  if (auto instant = parse_instant(at)) return *instant;
  throw UsageError("--at: not a UTC instant: '" + at + "'");  // the validator refused it already
}

std::string audit_key_from_env() {
  try {
    return slack::read_audit_key().value_or("");
  } catch (const slack::SecretError& e) { throw UsageError(e.what()); }
}

std::string cli_actor() {
  if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') return std::string("cli:") + user;
  return "cli:uid" + std::to_string(::getuid());
}

CLI::Validator one_of(std::vector<std::string> allowed) {
  return CLI::Validator(
      [allowed](std::string& value) -> std::string {
        for (const auto& a : allowed)
          if (value == a) return {};
        std::string names;
        for (const auto& a : allowed) names += (names.empty() ? "" : " or ") + a;
        return "must be " + names + ", not '" + value + "'";
      },
      "", "one of");
}

CLI::Validator whole_number_between(int min, int max) {
  return CLI::Validator(
      [min, max](std::string& value) -> std::string {
        int n = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
        if (ec == std::errc{} && end == value.data() + value.size() && n >= min && n <= max) return {};
        return "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) + ", not '" + value +
               "'";
      },
      "", "whole number");
}

}  // namespace desk::bot::cli
