#pragma once
/// Activities of the shapes Teams sends a bot (reference/teams.md §9.1, §9.3): a click on an
/// Action.Execute button, an @mention in a channel, a personal chat message. For the emulator and for
/// tests that want a realistic activity without a socket.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace desk::emulator {

/// Someone on the Teams side.
struct TeamsUser {
  std::string aad_object_id;  ///< the Entra object id, by which the desk's config knows people
  std::string name;
  std::string id;  ///< the Teams user id ("29:…"); made from aad_object_id when empty
};

/// What every activity Teams sends to one bot has in common.
struct TeamsScene {
  std::string service_url;  ///< where the bot calls back: the emulator's connector, ending in '/'
  std::string app_id;       ///< the bot's app id; the recipient is "28:<app id>"
  std::string bot_name;     ///< the name an @mention shows
  std::string tenant_id;
  std::string team_id;
  std::string channel_id;  ///< the desk channel's conversation id, "19:…@thread.tacv2"
};

/// An `invoke` named "adaptiveCard/action" for a click on the card posted as `card_activity_id` in
/// the scene's channel: value.action = {type Action.Execute, verb, data}, with `inputs` (the card's
/// input values by id) merged into data as Teams does; conversation.id = "<channel>;messageid=<card>".
nlohmann::json card_action_invoke(const TeamsScene& scene, const TeamsUser& from, const std::string& card_activity_id,
                                  const std::string& verb, const nlohmann::json& data,
                                  const nlohmann::json& inputs = nlohmann::json::object());

/// A `message` in the scene's channel that @mentions the bot: text "<at>Bot</at> <text>" with its
/// mention entity. It starts a thread of its own unless `thread_root_id` names one to reply in.
/// `mentioned`: people the text also mentions (as "<at>Name</at>"), each with an entity naming them
/// by their Teams user id and name only, as Teams does (no aadObjectId).
nlohmann::json channel_mention_message(const TeamsScene& scene, const TeamsUser& from, const std::string& text,
                                       const std::string& thread_root_id = {},
                                       const std::vector<TeamsUser>& mentioned = {});

/// A new message id as Teams makes them (epoch milliseconds), unique in this process: the ids of
/// people's messages and of the bot's activities never collide.
std::string new_message_id();

/// The Teams user id ("29:…") of `user`: their id, or one made from their object id.
std::string teams_user_id(const TeamsUser& user);

/// A `message` in the bot's personal chat with `from` (no mention needed there).
nlohmann::json personal_message(const TeamsScene& scene, const TeamsUser& from, const std::string& text);

}  // namespace desk::emulator
