#include "handlers/effects.hpp"

namespace desk::handlers {

std::string_view to_string(Effect effect) {
  switch (effect) {
    case Effect::post_escalation:
      return "post_escalation";
    case Effect::update_escalation:
      return "update_escalation";
    case Effect::thread_reply:
      return "thread_reply";
    case Effect::ping:
      return "ping";
    case Effect::direct_message:
      return "direct_message";
    case Effect::channel_notice:
      return "channel_notice";
    case Effect::decision_callback:
      return "decision_callback";
  }
  return "?";
}

std::optional<Effect> effect_from(std::string_view name) {
  for (Effect e : kAllEffects)
    if (to_string(e) == name) return e;
  return std::nullopt;
}

storage::OutboxMessage effect_row(Effect effect, std::string surface, std::string escalation_id,
                                  const nlohmann::json& payload, core::TimePoint now) {
  storage::OutboxMessage m;
  m.surface = std::move(surface);
  m.kind = std::string(to_string(effect));
  m.escalation_id = std::move(escalation_id);
  // Agent text may be invalid UTF-8 by the time it is quoted back; never let that lose the row.
  m.payload_json = payload.is_object() ? payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) : "{}";
  m.created_at = now;
  m.next_attempt_at = now;
  return m;
}

std::vector<storage::OutboxMessage> effect_rows(Effect effect, const SurfaceNames& surfaces,
                                                const std::string& escalation_id, const nlohmann::json& payload,
                                                core::TimePoint now) {
  std::vector<storage::OutboxMessage> rows;
  rows.reserve(surfaces.size());
  for (const auto& surface : surfaces) rows.push_back(effect_row(effect, surface, escalation_id, payload, now));
  return rows;
}

}  // namespace desk::handlers
