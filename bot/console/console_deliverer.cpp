#include "bot/console/console_deliverer.hpp"

#include <nlohmann/json.hpp>

#include "handlers/effects.hpp"

namespace desk::bot::console {

ConsoleDeliverer::ConsoleDeliverer(storage::Store& store, EventHub& hub, core::Clock& clock)
    : store_(store), hub_(hub), clock_(clock) {}

boost::asio::awaitable<DeliveryOutcome> ConsoleDeliverer::deliver(storage::OutboxMessage row, bool /*in_doubt*/) {
  // Showing a row twice is harmless (it is one row), so a row in doubt is simply shown.
  const auto effect = handlers::effect_from(row.kind);
  if (!effect || *effect == handlers::Effect::decision_callback)
    co_return DeliveryOutcome::fail("the console does not show '" + row.kind + "' messages");
  const auto payload = nlohmann::json::parse(row.payload_json, nullptr, false);
  if (!payload.is_object()) co_return DeliveryOutcome::fail("the payload is not a JSON object");
  // Notices about no one escalation (handoffs, the rota) are shown apart; anything else names one.
  if (row.escalation_id.empty() && *effect != handlers::Effect::channel_notice)
    co_return DeliveryOutcome::fail("the message names no escalation");
  hub_.publish("message", {{"escalation_id", row.escalation_id}, {"kind", row.kind}, {"row", row.id}});
  auto outcome = DeliveryOutcome::sent(nlohmann::json{{"shown_at", core::format_utc(clock_.now())}}.dump());
  if (*effect == handlers::Effect::post_escalation)  // recorded with the row's settlement
    outcome.message = storage::MessageRef{row.escalation_id, std::string(kConsoleSurface), "console",
                                          "row-" + std::to_string(row.id), ""};
  co_return outcome;
}

}  // namespace desk::bot::console
