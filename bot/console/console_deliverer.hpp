#pragma once
/// The console's deliverer, in the sandbox: the console is the desk channel there, so "delivering"
/// an effect means it is now shown. The row itself, kept by the outbox, is the message: the Channel
/// view reads the console's rows back (Store::outbox_history) and renders them. Delivery records the
/// escalation's main message like any surface and tells open browsers (EventHub) to look again.
#include <string>
#include <string_view>

#include "bot/console/event_hub.hpp"
#include "bot/workers/deliverer.hpp"
#include "core/clock.hpp"
#include "storage/store.hpp"

namespace desk::bot::console {

/// The surface name the console's rows and message references carry.
inline constexpr std::string_view kConsoleSurface = "console";

class ConsoleDeliverer final : public Deliverer {
 public:
  /// Every reference must outlive the deliverer; `hub` is used on the executor's thread only.
  ConsoleDeliverer(storage::Store& store, EventHub& hub, core::Clock& clock);

  std::string surface() const override { return std::string(kConsoleSurface); }
  boost::asio::awaitable<DeliveryOutcome> deliver(storage::OutboxMessage row, bool in_doubt) override;

 private:
  storage::Store& store_;
  EventHub& hub_;
  core::Clock& clock_;
};

}  // namespace desk::bot::console
