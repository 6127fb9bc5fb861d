#pragma once
/// The desk's slash commands, answered as data (see interaction_handler.hpp):
///
///   /rota                         who holds each role now, the next handoffs, and the coming 4 weeks
///                                 of the duty lead rotation (ephemeral, in the ack); a heads-up when
///                                 the on-duty user group cannot be kept on the duty lead
///   /rota <role>                  the same for one role
///   /rota override @user <role> <until>
///                                 someone covers a role until a time ("2026-12-03T18:00Z",
///                                 "2026-12-03 18:00" UTC, "18:00" UTC today or tomorrow, "4h", "2d");
///                                 for the people in the role's may_override and the marketing director
///   /escalate <text or link>      opens the "desk.escalate" modal prefilled from the text; its
///                                 submission is handled by InteractionHandler
///   /drill <scenario> [workflow]  starts a fire drill (DeskActions::start_drill) and says how it went
///
/// Times in replies are Slack dates, so each reader sees their own time zone. Nothing here throws to
/// the caller: a failure becomes a short ephemeral answer and a log line.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bot/slack/interaction_handler.hpp"
#include "bot/slack/slack_payloads.hpp"
#include "core/clock.hpp"
#include "handlers/desk_actions.hpp"
#include "handlers/typed_until.hpp"

namespace desk::bot::slack {

/// Block and action ids of the /escalate modal (callback_id kEscalateCallbackId).
inline constexpr const char* kWhatBlock = "what";
inline constexpr const char* kWhatAction = "what_input";
inline constexpr const char* kWhereBlock = "where";
inline constexpr const char* kWhereAction = "where_input";
inline constexpr const char* kWorkflowBlock = "workflow";
inline constexpr const char* kWorkflowAction = "workflow_select";
inline constexpr const char* kWhyBlock = "why";
inline constexpr const char* kWhyAction = "why_input";

class SlashCommands {
 public:
  using Dependencies = SlackDependencies;
  explicit SlashCommands(Dependencies deps);

  /// Parses a `slash_commands` envelope's payload and dispatches it.
  InteractionResult on_payload(const nlohmann::json& payload, core::TimePoint now);
  /// Dispatches a payload already read (Envelope::command), or answers what is wrong with it.
  InteractionResult on_parsed(const ParsedSlashCommand& parsed, core::TimePoint now);

  /// `/rota …`, `/escalate …` and `/drill …`; anything else gets the usage text.
  InteractionResult on_command(const SlashCommand& command, core::TimePoint now);

 private:
  InteractionResult rota(const SlashCommand& command, std::string_view role, core::TimePoint now);
  InteractionResult override_role(const SlashCommand& command, std::string_view args, core::TimePoint now);
  InteractionResult publish_rota(const SlashCommand& command, core::TimePoint now);
  InteractionResult escalate(const SlashCommand& command);
  InteractionResult drill(const SlashCommand& command, core::TimePoint now);
  /// The /rota line saying why the on-duty user group `handle` is not kept on the duty lead, if it is not.
  std::optional<std::string> usergroup_notice(const std::string& handle) const;
  /// Why that group is not kept (the notice's variable part: /rota answers are cached by it).
  std::optional<std::string> usergroup_reason(const std::string& handle) const;

  Dependencies deps_;
  handlers::DeskActions actions_;  ///< /rota override, transport-neutral
  /// The last /rota answers, by everything they depend on (policy, role, second, overrides, notice).
  struct CachedRotaAnswer {
    std::shared_ptr<const handlers::PolicySet> policy;  ///< held so a digest is never reused by another policy
    InteractionResult answer;
  };
  static constexpr std::size_t kMaxCachedRotaAnswers = 64;
  std::map<std::string, CachedRotaAnswer> rota_answers_;
};

}  // namespace desk::bot::slack
