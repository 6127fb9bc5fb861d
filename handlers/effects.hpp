#pragma once
/// What the desk wants said, whatever the surface. Handlers and the SLA clock commit effects as outbox
/// rows, one per surface that should show them; each surface's deliverer (bot/slack, bot/teams, …)
/// renders them in its own protocol at send time. The kinds are defined here and nowhere else.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

enum class Effect {
  post_escalation,    ///< the escalation's main message, with the macros
  update_escalation,  ///< the main message again, as the escalation is now (triaged, decided, re-owned)
  thread_reply,       ///< a reply under the main message: {"reply": "decision"|"reowned"|"reminder", …}
  ping,               ///< a reminder reaching one person directly: the reminder payload plus "person"
  direct_message,     ///< a text for one person: {"person": id, "text": …}
  decision_callback,  ///< the decision POSTed to the agent's callback_url (surface kAgentSurface)
  channel_notice,     ///< a message in the desk channel about no one escalation (handlers/channel_notices.hpp)
};

inline constexpr Effect kAllEffects[] = {
    Effect::post_escalation, Effect::update_escalation, Effect::thread_reply,  Effect::ping,
    Effect::direct_message,  Effect::decision_callback, Effect::channel_notice};

std::string_view to_string(Effect effect);
std::optional<Effect> effect_from(std::string_view name);

/// The reply kind of the thread_reply row that answers a hotline message in its own thread. Its
/// payload names where: {"reply": "hotline", "channel", "thread_id", "author"}.
inline constexpr const char* kHotlineReply = "hotline";

/// The pseudo-surface that delivers agent callbacks.
inline constexpr std::string_view kAgentSurface = "agent";

/// The surfaces that show the desk channel's messages, in the order they were enabled ("slack",
/// "teams", "console"). Handlers write one row per surface for each effect people should see.
using SurfaceNames = std::vector<std::string>;

/// One outbox row of `effect` for `surface`, due at `now`. An empty escalation id is filled in by the
/// store (a submission's new escalation); the ordering key is left empty so the store orders the row
/// with its escalation's other messages on that surface.
storage::OutboxMessage effect_row(Effect effect, std::string surface, std::string escalation_id,
                                  const nlohmann::json& payload, core::TimePoint now);

/// effect_row for each of `surfaces`.
std::vector<storage::OutboxMessage> effect_rows(Effect effect, const SurfaceNames& surfaces,
                                                const std::string& escalation_id, const nlohmann::json& payload,
                                                core::TimePoint now);

}  // namespace desk::handlers
