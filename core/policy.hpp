#pragma once
/// The policy as a person wrote it in the config file, after validation (bot/config_loader).
/// Plain data: the engines that use it (PolicyEngine, Rota) are built from it.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"

namespace desk::core {

/// Well-known role ids that the escalation lifecycle relies on.
inline constexpr const char* kDutyLeadRole = "duty_lead";
inline constexpr const char* kBackupRole = "backup";
inline constexpr const char* kDirectorRole = "marketing_director";
inline constexpr const char* kLegalRole = "legal_oncall";

struct Person {
  std::string id;          ///< config key, e.g. "alice"
  std::string name;        ///< display name
  std::string slack_user;  ///< Slack user id (U…/W…), may be empty until known
  std::string email;
  std::string teams_user;  ///< Microsoft Entra object id (the aadObjectId Teams sends), lower case; may be empty
};

/// The interactive Teams bot (Bot Framework); off while `app_id` is empty.
struct TeamsBotSettings {
  std::string app_id;                     ///< the bot's Microsoft App ID (a GUID, lower case)
  std::string tenant_id;                  ///< the Microsoft Entra tenant the bot is registered in (a GUID, lower case)
  std::string service_url;                ///< the Bot Connector's base URL (https, ending in '/')
  std::string channel;                    ///< the desk channel's conversation id, "19:…@thread.tacv2"
  std::string listen = "127.0.0.1:3978";  ///< where POST /api/messages is served (TLS ends at a proxy)
  bool enabled() const { return !app_id.empty(); }
};

/// A weekly rotation: the watch passes to the next member every `handoff_day` at `handoff_time`
/// local time in `time_zone`. `anchor` is a date in the week whose handoff gives members[0] the watch.
struct Rotation {
  std::string time_zone;  ///< IANA name, e.g. "Europe/London"
  std::chrono::weekday handoff_day{std::chrono::Monday};
  std::chrono::minutes handoff_time{9 * 60};  ///< minutes after local midnight
  std::chrono::year_month_day anchor{};
  std::vector<std::string> members;  ///< person ids, in watch order
};

struct RoleSpec {
  enum class Kind { rotation, fixed, next_in_rotation };
  std::string id;
  std::string title;
  Kind kind = Kind::fixed;
  Rotation rotation;                      ///< kind == rotation
  std::string person;                     ///< kind == fixed: person id
  std::string follows;                    ///< kind == next_in_rotation: the rotation role this one shadows
  std::vector<std::string> may_override;  ///< person ids allowed to set overrides on this role
};

struct LexiconCategory {
  std::string id;                     ///< e.g. "pricing"
  std::string route;                  ///< role id the hit routes to; empty: the workflow owner
  std::vector<std::string> terms;     ///< plain words and phrases, whole-word, case-insensitive
  std::vector<std::string> patterns;  ///< RE2 syntax, whole-word, case-insensitive
  /// `mode: shadow`: its hits are found and recorded (Evaluation::shadow_hits) but never escalate, so a
  /// new category can be watched on live drafts before it is enforced.
  bool shadow = false;
};

enum class PersonalDataKind { email, phone, iban, payment_card, uk_nino, us_ssn };
inline constexpr PersonalDataKind kAllPersonalDataKinds[] = {PersonalDataKind::email,   PersonalDataKind::phone,
                                                             PersonalDataKind::iban,    PersonalDataKind::payment_card,
                                                             PersonalDataKind::uk_nino, PersonalDataKind::us_ssn};
const char* to_string(PersonalDataKind kind);
std::optional<PersonalDataKind> personal_data_kind_from(std::string_view name);

struct PersonalDataPolicy {
  std::vector<PersonalDataKind> detectors;  ///< enabled detectors
  std::string route = kLegalRole;           ///< default route for a personal-data hit
};

struct Workflow {
  std::string id;
  std::string description;
  std::string visibility;                           ///< public | semi_private | external | internal
  std::optional<double> confidence_threshold;       ///< escalate strictly below this
  std::string owner = kDutyLeadRole;                ///< role that takes its escalations
  std::optional<std::string> personal_data_route;   ///< overrides PersonalDataPolicy::route
  std::optional<std::string> stale_citation_route;  ///< where a stale citation goes; default owner
  std::chrono::months citation_max_age{12};
  std::vector<std::string> lexicon;  ///< categories that apply; empty = all
};

struct SlaPolicy {
  Seconds triage{5 * 60};
  Seconds backup_ping{3 * 60};
  Seconds decision{30 * 60};
};

/// When the weekly digest goes out (config `desk.weekly_digest`).
enum class DigestSchedule {
  at_handoff,  ///< right after the duty lead's first rotation handoff of the week (Monday 09:00 UTC without one)
  at_time,     ///< at DeskSettings::digest_day and digest_time, UTC
  off,
};

/// The desk's standard operating procedure (config `desk.sop`), pinned in the desk channel: a link, a
/// short text, or both; neither means there is none to pin.
struct DeskSop {
  std::string url;   ///< https only
  std::string text;  ///< trimmed, at most kMaxSopTextChars characters
  bool configured() const { return !url.empty() || !text.empty(); }
};

/// How long `desk.sop.text` may be, in characters: a pinned message people read, not the manual.
inline constexpr std::size_t kMaxSopTextChars = 2000;

struct DeskSettings {
  std::string channel = "ai-escalation";           ///< desk channel name or id
  std::string oncall_usergroup = "ai-escalation";  ///< user group handle kept on the duty lead
  std::string database = "escalation-desk.db";
  std::string intake_listen = "127.0.0.1:8080";
  std::size_t min_rationale_chars = 10;
  /// Routing precedence when hits route to different roles: earlier wins.
  std::vector<std::string> route_precedence = {kLegalRole};
  /// Browser origins ("https://host[:port]") whose pages may call the MCP endpoint, besides the desk's own.
  std::vector<std::string> mcp_allowed_origins;
  /// Testing only: decision callbacks may go to this machine's loopback (http or https). Never in
  /// production: it lets an agent reach the desk's own local ports.
  bool callbacks_allow_loopback = false;
  /// The workflow a message mentioning the desk or its on-call group in the channel is escalated
  /// under (the hotline); empty: the hotline is off.
  std::string hotline_workflow;
  DigestSchedule digest = DigestSchedule::at_handoff;
  std::chrono::weekday digest_day{std::chrono::Monday};  ///< with at_time
  std::chrono::minutes digest_time{9 * 60};              ///< with at_time: minutes after midnight UTC
  DeskSop sop;                                           ///< pinned in the desk channel when configured
};

/// Flood control for the agents' side (config `limits:`): one token cannot drown the desk.
struct IntakeQuotas {
  int requests_per_minute = 600;         ///< per token, intake API and MCP together; 0: no limit
  int burst = 60;                        ///< requests a token may send at once before the rate applies
  int open_escalations_per_token = 200;  ///< undecided escalations one token may have; 0: no cap
  int queued_requests = 10000;           ///< waiting for the database at once; beyond it 503
  int connections = 4096;                ///< open intake connections at once (MCP waits hold one each)
};

struct Policy {
  std::map<std::string, Person> people;
  std::map<std::string, RoleSpec> roles;
  std::map<std::string, Workflow> workflows;
  std::vector<LexiconCategory> lexicon;
  PersonalDataPolicy personal_data;
  SlaPolicy sla;
  DeskSettings desk;
  IntakeQuotas limits;
  TeamsBotSettings teams;
  std::string source_text;    ///< the config file as read: the snapshot kept with each escalation
  std::string source_digest;  ///< SHA-256 hex of source_text (set by the loader)
};

}  // namespace desk::core
