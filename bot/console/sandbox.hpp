#pragma once
/// The sandbox: the whole desk with the console as its only surface and channel (SPEC, "Console and
/// sandbox"). This file holds what only the sandbox has: its surface, the seed's demo cases, which
/// it feeds through its own intake API like any agent would, and how its clocks are sped up.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bot/app/surface.hpp"
#include "bot/console/console_deliverer.hpp"
#include "bot/console/event_hub.hpp"
#include "core/policy.hpp"

namespace desk::bot::console {

struct SandboxOptions {
  bool demo = false;     ///< feed the seed's cases through the intake API once the desk listens
  int speed = 1;         ///< the clocks run this many times faster (1..600)
  std::string database;  ///< empty: a fresh file in a temporary folder, removed at exit
  std::string listen;    ///< empty: the config's intake_listen
};

/// The console as a surface: its deliverer joins the outbox, and it runs until the desk stops.
class ConsoleSurface final : public Surface {
 public:
  ConsoleSurface(SurfaceContext& context, EventHub& hub);
  std::string name() const override { return std::string(kConsoleSurface); }
  boost::asio::awaitable<void> run() override;
  void stop() override;
  std::optional<int> fatal_exit() const override { return std::nullopt; }
  handlers::ComponentHealth health() const override { return {name(), "sandbox channel", true}; }

 private:
  ConsoleDeliverer deliverer_;
  boost::asio::steady_timer until_stopped_;
};

/// The policy with its SLA durations divided by `speed` (never below one second).
core::Policy sped_up(core::Policy policy, int speed);

/// The seed's cases as intake submissions (JSON bodies): a LinkedIn post claiming a licence at
/// confidence 0.62, a community DM offering a fee concession, a nurture e-mail with personal data, a
/// thought-leadership outline citing a 2023 survey. Workflows missing from `policy` are skipped.
std::vector<std::string> demo_submissions(const core::Policy& policy);

/// POSTs each body to http://127.0.0.1:`port`/v1/submissions with `token`, one after another with
/// `gap` between them, and logs what the desk answered. Gives up on a case after a failed request.
boost::asio::awaitable<void> feed_demo(boost::asio::any_io_executor executor, std::uint16_t port, std::string token,
                                       std::vector<std::string> bodies, std::chrono::milliseconds gap);

}  // namespace desk::bot::console
