#pragma once
/// The Block Kit limits the emulator enforces (reference/slack.md §5), answering `invalid_blocks`
/// with a Slack-style message and JSON pointer, so the desk's layouts are checked in tests.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace desk::emulator {

enum class Surface { message, modal };

/// nullopt when `blocks` is valid for `surface`; otherwise Slack's kind of message, e.g.
/// "[ERROR] must be less than 3001 characters [json-pointer:/blocks/3/text/text]".
std::optional<std::string> check_blocks(const nlohmann::json& blocks, Surface surface);

/// Checks a modal view object (type, title/submit/close, callback_id, private_metadata, blocks).
std::optional<std::string> check_view(const nlohmann::json& view);

}  // namespace desk::emulator
