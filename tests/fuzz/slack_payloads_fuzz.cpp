// The Slack surface's payload parsers (interactive payloads, slash commands) and the command-text helpers,
// over arbitrary bytes. Invariants: a refusal names a field (or is about the whole payload) and says
// why; what is accepted has the required fields, within their limits; the text helpers never grow
// what they are given.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/text_scan.hpp"
#include "bot/slack/slack_payloads.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace slack = desk::bot::slack;

namespace {

void check_error(const slack::PayloadError& e) { FUZZ_CHECK(!e.message.empty()); }

void check_interaction(const slack::ParsedInteraction& parsed) {
  if (const auto* e = std::get_if<slack::PayloadError>(&parsed)) return check_error(*e);
  if (const auto* a = std::get_if<slack::BlockAction>(&parsed)) {
    FUZZ_CHECK(slack::is_slack_user_id(a->user_id) && !a->trigger_id.empty());
    FUZZ_CHECK(!a->action_id.empty() && !a->block_id.empty() && a->value.size() <= slack::kMaxValueBytes);
    FUZZ_CHECK(desk::core::is_valid_utf8(a->value) && desk::core::is_valid_utf8(a->user_name));
  } else if (const auto* v = std::get_if<slack::ViewSubmission>(&parsed)) {
    FUZZ_CHECK(slack::is_slack_user_id(v->user_id) && !v->view_id.empty());
    std::size_t inputs = 0;
    for (const auto& [block, actions] : v->text_values) {
      inputs += actions.size();
      for (const auto& [action, text] : actions) {
        FUZZ_CHECK(!text.empty() && text.size() <= slack::kMaxTextBytes && desk::core::is_valid_utf8(text));
        FUZZ_CHECK(v->text(block, action) == &text);
      }
    }
    FUZZ_CHECK(inputs <= slack::kMaxInputs);
  } else if (const auto* c = std::get_if<slack::ViewClosed>(&parsed)) {
    FUZZ_CHECK(slack::is_slack_user_id(c->user_id) && !c->view_id.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_interaction(slack::parse_interaction(text));

  const auto slash = slack::parse_slash_command(text);
  if (const auto* e = std::get_if<slack::PayloadError>(&slash)) {
    check_error(*e);
  } else {
    const auto& s = std::get<slack::SlashCommand>(slash);
    FUZZ_CHECK(s.command.front() == '/' && slack::is_slack_user_id(s.user_id));
    FUZZ_CHECK(!s.channel_id.empty() && !s.trigger_id.empty());
    FUZZ_CHECK(s.text.size() <= slack::kMaxTextBytes);
  }

  // The helpers that read a command's text, on the bytes as text.
  FUZZ_CHECK(slack::unescape_command_text(text).size() <= text.size());
  FUZZ_CHECK(slack::first_link(text).size() <= text.size());
  const auto user = slack::mentioned_user(text);
  FUZZ_CHECK(user.empty() || slack::is_slack_user_id(user));
  return 0;
}
