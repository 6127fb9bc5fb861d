// handlers' Slack payload parsers (interactive payloads, slash commands) and the command-text helpers,
// over arbitrary bytes. Invariants: a refusal names a field (or is about the whole payload) and says
// why; what is accepted has the required fields, within their limits; the text helpers never grow
// what they are given.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/text_scan.hpp"
#include "handlers/slack_payloads.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace h = desk::handlers;

namespace {

void check_error(const h::PayloadError& e) { FUZZ_CHECK(!e.message.empty()); }

void check_interaction(const h::ParsedInteraction& parsed) {
  if (const auto* e = std::get_if<h::PayloadError>(&parsed)) return check_error(*e);
  if (const auto* a = std::get_if<h::BlockAction>(&parsed)) {
    FUZZ_CHECK(h::is_slack_user_id(a->user_id) && !a->trigger_id.empty());
    FUZZ_CHECK(!a->action_id.empty() && !a->block_id.empty() && a->value.size() <= h::kMaxValueBytes);
    FUZZ_CHECK(desk::core::is_valid_utf8(a->value) && desk::core::is_valid_utf8(a->user_name));
  } else if (const auto* v = std::get_if<h::ViewSubmission>(&parsed)) {
    FUZZ_CHECK(h::is_slack_user_id(v->user_id) && !v->view_id.empty());
    std::size_t inputs = 0;
    for (const auto& [block, actions] : v->text_values) {
      inputs += actions.size();
      for (const auto& [action, text] : actions) {
        FUZZ_CHECK(!text.empty() && text.size() <= h::kMaxTextBytes && desk::core::is_valid_utf8(text));
        FUZZ_CHECK(v->text(block, action) == &text);
      }
    }
    FUZZ_CHECK(inputs <= h::kMaxInputs);
  } else if (const auto* c = std::get_if<h::ViewClosed>(&parsed)) {
    FUZZ_CHECK(h::is_slack_user_id(c->user_id) && !c->view_id.empty());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_interaction(h::parse_interaction(text));

  const auto slash = h::parse_slash_command(text);
  if (const auto* e = std::get_if<h::PayloadError>(&slash)) {
    check_error(*e);
  } else {
    const auto& s = std::get<h::SlashCommand>(slash);
    FUZZ_CHECK(s.command.front() == '/' && h::is_slack_user_id(s.user_id));
    FUZZ_CHECK(!s.channel_id.empty() && !s.trigger_id.empty());
    FUZZ_CHECK(s.text.size() <= h::kMaxTextBytes);
  }

  // The helpers that read a command's text, on the bytes as text.
  FUZZ_CHECK(h::unescape_command_text(text).size() <= text.size());
  FUZZ_CHECK(h::first_link(text).size() <= text.size());
  const auto user = h::mentioned_user(text);
  FUZZ_CHECK(user.empty() || h::is_slack_user_id(user));
  return 0;
}
