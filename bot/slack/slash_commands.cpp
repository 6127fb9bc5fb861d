#include "bot/slack/slash_commands.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "bot/slack/slack_messages.hpp"
#include "core/lifecycle.hpp"
#include "core/text_scan.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/typed_until.hpp"

namespace desk::bot::slack {
namespace {

using json = nlohmann::json;

constexpr std::size_t kSectionLimit = 3000;
constexpr std::size_t kMaxRoleSections = 40;  // a message holds 50 blocks
constexpr int kScheduleWeeks = 4;
constexpr std::size_t kInputLimit = 3000;  // plain_text_input max_length

constexpr const char* kUsage =
    "*/rota* — who is on duty now, and the coming weeks\n"
    "*/rota <role>* — one role\n"
    "*/rota publish* — post who is on duty in the desk channel, for everyone\n"
    "*/rota override @person <role> <until>* — someone covers a role until a time: "
    "`2026-12-03T18:00Z`, `2026-12-03 18:00` (UTC), `18:00` (UTC), or `4h`, `2d`\n"
    "*/escalate <text or link>* — ask the desk's owners to look at something\n"
    "*/drill <scenario> [workflow]* — start a fire drill: `pricing_claim`, `data_leak` or `tos_breach` "
    "(the marketing director and the desk's leads)";

using core::split_word;

json section(const std::string& mrkdwn) {
  return {{"type", "section"},
          {"text", {{"type", "mrkdwn"}, {"text", fit_text(mrkdwn, kSectionLimit, TextMode::plain)}}}};
}

json context(const std::string& mrkdwn) {
  return {{"type", "context"}, {"elements", json::array({{{"type", "mrkdwn"}, {"text", mrkdwn}}})}};
}

/// An ephemeral slash-command reply in the ack; `text` is mrkdwn the desk wrote (already escaped).
InteractionResult reply(const std::string& text, json blocks = nullptr, std::string log = {}) {
  if (blocks.is_null()) blocks = json::array({section(text)});
  InteractionResult r;
  r.ack_payload = std::make_shared<const json>(json{
      {"response_type", "ephemeral"}, {"text", fit_text(text, 3900, TextMode::plain)}, {"blocks", std::move(blocks)}});
  r.log = std::move(log);
  return r;
}

InteractionResult usage(const std::string& problem) {
  return reply(problem.empty() ? std::string(kUsage) : ":warning: " + problem + "\n" + kUsage);
}

/// "Alice (<@U0A>)", or just the name when the Slack id is not known.
std::string who(const core::Rota& rota, const std::string& person) {
  if (person.empty()) return "_nobody_";
  const PersonRef ref = person_ref(rota, person);
  const std::string name = fit_text(ref.name, 200);
  const std::string m = mention(ref);
  return m == name ? name : name + " (" + m + ")";
}

std::string role_title(const core::RoleSpec& spec) {
  if (spec.title.empty() || spec.title == spec.id) return "*" + fit_text(spec.id, 100) + "*";
  return "*" + fit_text(spec.title, 100) + "* (`" + fit_text(spec.id, 100) + "`)";
}

/// One line per role: who holds it, why, and when it changes next.
std::string holding_text(const core::Rota& rota, const core::RoleSpec& spec, core::TimePoint now,
                         std::span<const core::RotaOverride> overrides) {
  std::string out = role_title(spec) + ": ";
  const auto h = rota.holder(spec.id, now, overrides);
  if (!h) return out + "_nobody_";
  out += who(rota, h->person) + " · " + core::to_string(h->source);
  if (h->source == core::Holding::Source::override_ && h->until) out += " until " + slack_date(*h->until);
  if (const auto next = rota.next_handoff(spec.id, now, overrides)) out += " · next handoff " + slack_date(*next);
  return out;
}

std::string schedule_text(const core::Rota& rota, const core::RoleSpec& spec, core::TimePoint now) {
  std::string out = "*" + (spec.title.empty() ? fit_text(spec.id, 100) : fit_text(spec.title, 100)) + ", the coming " +
                    std::to_string(kScheduleWeeks) + " weeks*";
  for (const auto& h : rota.schedule(spec.id, now, kScheduleWeeks)) {
    out += "\n• " + (h.since == core::TimePoint::min() ? std::string("always") : slack_date(h.since));
    if (h.until) out += " → " + slack_date(*h.until);
    out += ": " + who(rota, h.person);
  }
  return out;
}

bool is_rotation(const core::RoleSpec& spec) {
  return spec.kind == core::RoleSpec::Kind::rotation || spec.kind == core::RoleSpec::Kind::next_in_rotation;
}

json plain(std::string text) { return {{"type", "plain_text"}, {"text", std::move(text)}}; }

json workflow_select(const core::Policy& policy) {
  json options = json::array();
  for (const auto& [id, wf] : policy.workflows) {
    if (options.size() == 100) break;  // Block Kit's limit for a static select
    if (id.size() > 150) continue;     // a cut value would name another workflow
    options.push_back({{"text", plain(fit_text(id, 75, TextMode::plain))}, {"value", id}});
  }
  json select = {{"type", "static_select"},
                 {"action_id", kWorkflowAction},
                 {"placeholder", plain("Choose a workflow")},
                 {"options", options}};
  if (options.size() == 1) select["initial_option"] = options.front();
  return select;
}

/// The /escalate modal, prefilled from the command's text: what (the text), where (its first link).
json escalate_view(const core::Policy& policy, const SlashCommand& c) {
  const std::string what(core::trimmed(unescape_command_text(c.text)));
  const std::string link = first_link(c.text);
  json what_input = {
      {"type", "plain_text_input"}, {"action_id", kWhatAction}, {"multiline", true}, {"max_length", kInputLimit}};
  if (!what.empty()) what_input["initial_value"] = fit_text(what, kInputLimit, TextMode::plain);
  json where_input = {{"type", "plain_text_input"}, {"action_id", kWhereAction}, {"placeholder", plain("https://…")}};
  if (!link.empty() && link.size() <= kInputLimit) where_input["initial_value"] = link;
  const std::string hint =
      "Required, at least " + std::to_string(policy.desk.min_rationale_chars) + " characters. It is kept as evidence.";
  json why_input = {{"type", "plain_text_input"},
                    {"action_id", kWhyAction},
                    {"multiline", true},
                    {"max_length", macros::kMaxRationaleChars}};

  json blocks = json::array();
  blocks.push_back(
      {{"type", "input"}, {"block_id", kWhatBlock}, {"label", plain("What needs a look")}, {"element", what_input}});
  blocks.push_back({{"type", "input"},
                    {"block_id", kWhereBlock},
                    {"optional", true},
                    {"label", plain("Where (link)")},
                    {"element", where_input}});
  blocks.push_back({{"type", "input"},
                    {"block_id", kWorkflowBlock},
                    {"label", plain("Workflow")},
                    {"element", workflow_select(policy)}});
  blocks.push_back({{"type", "input"},
                    {"block_id", kWhyBlock},
                    {"label", plain("Why")},
                    {"hint", plain(hint)},
                    {"element", why_input}});
  return {{"type", "modal"},
          {"callback_id", kEscalateCallbackId},
          {"title", plain("Escalate")},
          {"submit", plain("Escalate")},
          {"close", plain("Cancel")},
          {"private_metadata", json{{"channel_id", c.channel_id}}.dump()},
          {"blocks", std::move(blocks)}};
}

// The /rota line about the on-duty group. The reason is mrkdwn the desk wrote (escaped where it
// quotes Slack); the handle comes from the config.
std::string usergroup_notice_line(const std::string& handle, const std::string& reason) {
  return ":warning: Heads-up: `@" + fit_text(handle, 100) + "` is not updated automatically: " + reason;
}

}  // namespace

SlashCommands::SlashCommands(Dependencies deps) : deps_(std::move(deps)), actions_(action_dependencies(deps_)) {}

InteractionResult SlashCommands::on_payload(const nlohmann::json& payload, core::TimePoint now) {
  return on_parsed(parse_slash_command(payload), now);
}

InteractionResult SlashCommands::on_parsed(const ParsedSlashCommand& parsed, core::TimePoint now) {
  if (const auto* c = std::get_if<SlashCommand>(&parsed)) return on_command(*c, now);
  const auto& e = std::get<PayloadError>(parsed);
  InteractionResult r = reply(":warning: The desk could not read this command. Try again.");
  r.log = "slash command payload refused: " + (e.field.empty() ? std::string() : e.field + ": ") + e.message;
  return r;
}

InteractionResult SlashCommands::on_command(const SlashCommand& c, core::TimePoint now) {
  try {
    if (c.command == "/escalate") return escalate(c);
    if (c.command == "/drill") return drill(c, now);
    if (c.command != "/rota") return usage("The desk does not know the command " + fit_text(c.command, 100) + ".");
    const auto [first, rest] = split_word(c.text);
    if (first.empty()) return rota(c, "", now);
    if (first == "override") return override_role(c, rest, now);
    if (first == "publish" && rest.empty()) return publish_rota(c, now);
    if (first == "help") return usage("");
    if (!rest.empty()) return usage("I did not understand `" + fit_text(c.text, 200) + "`.");
    return rota(c, first, now);
  } catch (const storage::StorageError& err) {
    return reply(":warning: The desk cannot reach its database right now, so nothing changed. Try again in a minute.",
                 nullptr, std::string("storage failure on ") + c.command + ": " + err.what());
  } catch (const std::exception& err) {
    return reply(":warning: The desk failed to handle this, so nothing changed.", nullptr,
                 std::string("failure on ") + c.command + ": " + err.what());
  }
}

InteractionResult SlashCommands::rota(const SlashCommand&, std::string_view role, core::TimePoint now) {
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  if (!policy) return reply(":warning: The desk has no policy loaded.", nullptr, "/rota without a current policy");
  const core::Rota& r = policy->rota();
  const auto overrides = deps_.store.overrides_active_after(now);
  const auto found = r.roles().find(std::string(role));
  if (!role.empty() && found == r.roles().end())
    return usage("There is no role `" + fit_text(role, 100) +
                 "`. Roles: " + escape_mrkdwn(handlers::role_choices(r, "`")) + ".");

  const std::string& usergroup = policy->policy().desk.oncall_usergroup;
  std::optional<std::string> usergroup_trouble;
  if (role.empty() || role == core::kDutyLeadRole) usergroup_trouble = usergroup_reason(usergroup);

  // The answer depends only on these (the group's handle is in the policy); under a burst of /rota
  // most askers get the one already built.
  std::string key = policy->digest() + '\n' + std::string(role) + '\n' +
                    std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()) +
                    '\n' + usergroup_trouble.value_or("");
  for (const auto& o : overrides)
    key += '\n' + std::to_string(o.id) + ':' + o.role + ':' + o.person + ':' +
           std::to_string(o.from.time_since_epoch().count()) + ':' + std::to_string(o.until.time_since_epoch().count());
  if (auto hit = rota_answers_.find(key); hit != rota_answers_.end() && hit->second.policy == policy)
    return hit->second.answer;

  json blocks = json::array();
  std::string fallback = "Who is on duty now";
  blocks.push_back(section("*Who is on duty now* (" + slack_date(now) + ")"));
  std::size_t shown = 0;
  for (const auto& [id, spec] : r.roles()) {
    if (!role.empty() && id != role) continue;
    if (shown++ == kMaxRoleSections) {
      blocks.push_back(
          context("…and " + std::to_string(r.roles().size() - kMaxRoleSections) + " more: `/rota <role>`"));
      break;
    }
    const auto h = r.holder(id, now, overrides);
    if (h) fallback += "; " + escape_mrkdwn(id) + ": " + escape_mrkdwn(core::display_name(r, h->person));
    blocks.push_back(section(holding_text(r, spec, now, overrides)));
  }
  const core::RoleSpec* scheduled = nullptr;
  if (role.empty()) {
    if (const auto it = r.roles().find(core::kDutyLeadRole); it != r.roles().end()) scheduled = &it->second;
  } else if (is_rotation(found->second)) {
    scheduled = &found->second;
  }
  if (scheduled) {
    blocks.push_back({{"type", "divider"}});
    blocks.push_back(section(schedule_text(r, *scheduled, now)));
  }
  blocks.push_back(
      context("Times show in your own time zone. The schedule leaves out overrides; "
              "`/rota override` sets one."));
  if (usergroup_trouble) blocks.push_back(section(usergroup_notice_line(usergroup, *usergroup_trouble)));
  auto answer = reply(fit_text(fallback, 3000), std::move(blocks));
  if (rota_answers_.size() >= kMaxCachedRotaAnswers) rota_answers_.clear();
  rota_answers_[std::move(key)] = {policy, answer};
  return answer;
}

std::optional<std::string> SlashCommands::usergroup_reason(const std::string& handle) const {
  if (!deps_.usergroup_notice || handle.empty()) return std::nullopt;
  auto reason = deps_.usergroup_notice();
  if (!reason || reason->empty()) return std::nullopt;
  return reason;
}

std::optional<std::string> SlashCommands::usergroup_notice(const std::string& handle) const {
  const auto reason = usergroup_reason(handle);
  if (!reason) return std::nullopt;
  return usergroup_notice_line(handle, *reason);
}

InteractionResult SlashCommands::override_role(const SlashCommand& c, std::string_view args, core::TimePoint now) {
  const auto [user_token, after_user] = split_word(args);
  const auto [role_token, until_text] = split_word(after_user);
  if (user_token.empty() || role_token.empty() || until_text.empty())
    return usage("Say who covers which role until when: `/rota override @person <role> <until>`.");
  const std::string target = mentioned_user(user_token);
  if (target.empty())
    return usage("Mention the person with @ (Slack then sends their id), e.g. `/rota override @bob duty_lead 4h`.");
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  if (!policy)
    return reply(":warning: The desk has no policy loaded.", nullptr, "/rota override without a current policy");
  const core::Rota& r = policy->rota();
  const std::string role(role_token);
  const auto spec = r.roles().find(role);
  if (spec == r.roles().end())
    return usage("There is no role `" + fit_text(role, 100) +
                 "`. Roles: " + escape_mrkdwn(handlers::role_choices(r, "`")) + ".");

  const core::Person* actor = r.person_by_slack_user(c.user_id);
  const core::Person* person = r.person_by_slack_user(target);
  const auto until = handlers::parse_until(until_text, now);
  const auto done = actions_.override_role(
      {role, person ? person->id : std::string(), until, actor ? actor->id : c.user_id, "set with /rota override"},
      now);
  using Problem = handlers::RotaOverrideResult::Problem;
  switch (done.problem) {
    case Problem::none:
      break;
    case Problem::refused:
      return reply(":no_entry: " + fit_text(done.message, 1000) + " The attempt was logged.");
    case Problem::unknown_person:
      return reply(":warning: <@" + target + "> is not one of the desk's people; add them to the policy first.");
    case Problem::unreadable_until:
      return usage("I could not read the end time `" + fit_text(until_text, 100) + "`.");
    case Problem::until_passed:
      return reply(":warning: The end time " + slack_date(*until) + " has passed; give a time in the future.");
    case Problem::until_too_far:
      return reply(":warning: An override may last at most 31 days; " + slack_date(*until) + " is further ahead.");
    case Problem::no_policy:
    case Problem::unknown_role:
    case Problem::not_saved:
      return reply(":warning: " + fit_text(done.message, 1000));
  }

  std::string confirmation = ":white_check_mark: " + who(r, person->id) + " covers " + role_title(spec->second) +
                             " from now until " + slack_date(*until) + ".";
  const auto notice =
      role == core::kDutyLeadRole ? usergroup_notice(policy->policy().desk.oncall_usergroup) : std::nullopt;
  if (notice)
    confirmation += "\n" + *notice;
  else if (role == core::kDutyLeadRole && !policy->policy().desk.oncall_usergroup.empty())
    confirmation += " The on-duty user group follows.";
  InteractionResult out = reply(confirmation);
  out.changed = true;
  return out;
}

InteractionResult SlashCommands::publish_rota(const SlashCommand& c, core::TimePoint now) {
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  const core::Person* actor = policy ? policy->rota().person_by_slack_user(c.user_id) : nullptr;
  if (!actions_.publish_rota(actor ? actor->id : c.user_id, now))
    return reply(":warning: The desk has no policy loaded, so nothing was posted.", nullptr,
                 "/rota publish without a current policy");
  InteractionResult out = reply(":white_check_mark: The rota is on its way to the desk channel, for everyone.");
  out.changed = true;
  return out;
}

InteractionResult SlashCommands::drill(const SlashCommand& c, core::TimePoint now) {
  const auto [scenario, rest] = split_word(c.text);
  const auto [workflow, extra] = split_word(rest);
  if (scenario.empty() || scenario == "help") return usage("");
  if (!extra.empty()) return usage("I did not understand `" + fit_text(c.text, 200) + "`.");
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  const core::Person* actor = policy ? policy->rota().person_by_slack_user(c.user_id) : nullptr;
  const auto r =
      actions_.start_drill({std::string(scenario), std::string(workflow), actor ? actor->id : c.user_id}, now);
  using Status = handlers::DrillStartResult::Status;
  InteractionResult out;
  switch (r.status) {
    case Status::refused:
      return reply(":no_entry: " + escape_mrkdwn(fit_text(r.message, 1000)) + " The attempt was logged.");
    case Status::invalid:
      if (!r.log.empty()) return reply(":warning: " + escape_mrkdwn(r.message), nullptr, "/drill: " + r.log);
      return usage(escape_mrkdwn(fit_text(r.message, 1000)));
    case Status::missed:
      out = reply(":warning: *Fire drill missed*: " + escape_mrkdwn(fit_text(r.message, 1000)) +
                  " It is recorded with a score of 0 (`escalation-desk drill report`).");
      break;
    case Status::started:
      out = reply(":rotating_light: *Fire drill started*: *" + escape_mrkdwn(r.escalation_id) + "* (" +
                  escape_mrkdwn(std::string(scenario)) + " in " + escape_mrkdwn(r.workflow) + "), owned by " +
                  escape_mrkdwn(r.owner_name) +
                  ". It runs on the real clocks and rights, and is scored when decided. It stays out of the real "
                  "figures.");
      break;
  }
  out.changed = true;
  return out;
}

InteractionResult SlashCommands::escalate(const SlashCommand& c) {
  const auto policy = deps_.current_policy ? deps_.current_policy() : nullptr;
  if (!policy || policy->policy().workflows.empty())
    return reply(":warning: The desk has no workflows configured, so it cannot take an escalation.", nullptr,
                 "/escalate without a current policy or workflows");
  json view = escalate_view(policy->policy(), c);
  InteractionResult r;
  r.calls.push_back({SlackCall::Kind::views_open, c.trigger_id, "", "", std::move(view)});
  return r;
}

}  // namespace desk::bot::slack
