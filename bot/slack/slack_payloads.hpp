#pragma once
/// Slack's interactive and slash-command payloads (reference/slack.md §2.1–2.4) parsed into typed
/// values at the edge. Every field the desk relies on is checked for presence, type and size; a bad
/// payload gives a PayloadError naming the field, never an exception. Fields the desk does not use
/// (the clicked message's blocks, the deprecated token, enterprise data) are not looked at.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/fwd.hpp>
#include <nlohmann/json.hpp>

namespace desk::bot::slack {

/// What is wrong with a payload: the JSON path of the field ("user.id", "actions[0].action_id") and
/// a sentence a developer reading the log can act on.
struct PayloadError {
  std::string field;
  std::string message;
};

/// Size limits, well above anything Slack sends, so a hostile or broken payload costs little.
inline constexpr std::size_t kMaxPayloadBytes = 2 * 1024 * 1024;  ///< whole payload text
inline constexpr std::size_t kMaxPayloadDepth = 64;               ///< nesting of arrays and objects
inline constexpr std::size_t kMaxIdBytes = 255;                   ///< ids, action ids, block ids, hashes
inline constexpr std::size_t kMaxUrlBytes = 3000;                 ///< response_url
inline constexpr std::size_t kMaxValueBytes = 2000;               ///< a button's value (Block Kit limit)
inline constexpr std::size_t kMaxMetadataBytes = 3000;            ///< a view's private_metadata
inline constexpr std::size_t kMaxTextBytes = 64 * 1024;           ///< slash text, one input's value
inline constexpr std::size_t kMaxInputs = 100;                    ///< inputs in one view's state

/// A click on a button of a desk message (`block_actions`; only the first action is read: a button
/// click carries exactly one).
struct BlockAction {
  std::string user_id;       ///< required, "U…"/"W…"
  std::string user_name;     ///< user.username or user.name; may be empty
  std::string team_id;       ///< team.id or user.team_id; may be empty
  std::string trigger_id;    ///< required: opens the rationale modal
  std::string channel_id;    ///< container.channel_id or channel.id; empty for a click inside a view
  std::string message_ts;    ///< container.message_ts or message.ts; may be empty
  std::string action_id;     ///< required
  std::string block_id;      ///< required
  std::string value;         ///< the button's value (the desk puts the escalation id there); may be empty
  std::string response_url;  ///< may be empty
};

/// A modal's submit (`view_submission`), with the typed inputs of view.state.values.
struct ViewSubmission {
  std::string user_id;  ///< required
  std::string user_name;
  std::string team_id;
  std::string trigger_id;        ///< may be empty
  std::string view_id;           ///< required
  std::string view_hash;         ///< may be empty
  std::string callback_id;       ///< required (may be the empty string)
  std::string private_metadata;  ///< may be empty
  /// plain_text_input values by block_id, then action_id. An input left empty is absent.
  std::map<std::string, std::map<std::string, std::string>> text_values;
  /// static_select chosen option values by block_id, then action_id. Nothing chosen: absent.
  std::map<std::string, std::map<std::string, std::string>> selected_values;

  /// The typed text of an input, or nullptr when it was left empty or is not in the view.
  const std::string* text(std::string_view block_id, std::string_view action_id) const;
  /// The chosen option's value of a select, or nullptr.
  const std::string* selected(std::string_view block_id, std::string_view action_id) const;
};

/// A modal closed with Cancel or X (`view_closed`, only for views opened with notify_on_close).
struct ViewClosed {
  std::string user_id;  ///< required
  std::string team_id;
  std::string view_id;  ///< required
  std::string callback_id;
  std::string private_metadata;
  bool is_cleared = false;
};

/// A slash command (`/rota`, `/escalate`): the fields after Socket Mode unwrapped the envelope.
struct SlashCommand {
  std::string command;     ///< required, starts with '/'
  std::string text;        ///< everything after the command; may be empty
  std::string user_id;     ///< required
  std::string channel_id;  ///< required
  std::string trigger_id;  ///< required: opens the /escalate modal
  std::string team_id;
  std::string response_url;
};

using ParsedInteraction = std::variant<BlockAction, ViewSubmission, ViewClosed, PayloadError>;
using ParsedSlashCommand = std::variant<SlashCommand, PayloadError>;

/// The payload of an `interactive` envelope. Interaction types the desk does not handle (shortcut,
/// block_suggestion, …) are a PayloadError on field "type".
ParsedInteraction parse_interaction(const nlohmann::json& payload);
/// As above, from the payload's JSON text (size and nesting depth checked before parsing).
ParsedInteraction parse_interaction(std::string_view payload_text);

/// The payload of a `slash_commands` envelope.
ParsedSlashCommand parse_slash_command(const nlohmann::json& payload);
/// As above, from the Socket Mode frame's own parse (the ack path reads each frame once).
ParsedSlashCommand parse_slash_command_in_frame(const boost::json::object& payload);
ParsedSlashCommand parse_slash_command(std::string_view payload_text);

/// True for a Slack user id as Slack sends it: "U" or "W" then upper-case letters and digits.
bool is_slack_user_id(std::string_view id);
/// True for a message ts as Slack sends it: seconds, a dot, microseconds ("1700000000.000200").
bool is_slack_ts(std::string_view ts);

// Command text arrives with Slack's escapes (reference/slack.md §2.1, §5.1): mentions as <@U123> or
// <@U123|name>, links as <https://…> or <https://…|label>, and &, <, > as &amp;, &lt;, &gt;.

/// The user id of one mention token, `<@U123>` or `<@U123|name>`; empty for anything else.
std::string mentioned_user(std::string_view token);

/// The first http(s) link in command text, escaped (`<https://…|label>`) or bare; empty when none.
std::string first_link(std::string_view text);

/// Command text as a person typed it: links become their URL and &amp;, &lt;, &gt; plain characters
/// again; mentions stay as they are.
std::string unescape_command_text(std::string_view text);

}  // namespace desk::bot::slack
