#pragma once
/// What Teams accepts in a bot's Adaptive Card (reference/teams.md §3, §9.3): schema version at most
/// 1.5, a message under 28 KB, and only the element and action types of schema 1.5 that Teams
/// renders. The emulator records problems instead of refusing, so that tests can assert there are none.
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace desk::emulator {

inline constexpr const char* kAdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";

struct CardRules {
  /// The desk's buttons call back with Action.Execute (Universal Actions); an Action.Submit in a
  /// bot card would arrive as a message activity that nothing handles.
  bool allow_action_submit = false;
  /// Teams refuses a message whose activity is larger than this.
  std::size_t max_activity_bytes = 28 * 1024;
};

/// The problems of one card, each "<JSON pointer>: <what>"; empty when Teams would render it.
std::vector<std::string> check_adaptive_card(const nlohmann::json& card, const CardRules& rules = {});

/// The problems of a message activity as sent (`body_bytes` long): its size ("size: …"), then every
/// Adaptive Card attachment (pointers start at the activity, e.g. "/attachments/0/content/version").
std::vector<std::string> check_activity_cards(const nlohmann::json& activity, std::size_t body_bytes,
                                              const CardRules& rules = {});

}  // namespace desk::emulator
