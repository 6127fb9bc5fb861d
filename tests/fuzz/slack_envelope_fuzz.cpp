// bot::slack::parse_frame, the Socket Mode frame parser, then what the desk does with an envelope: ack
// it, dedupe it, and hand its payload to the interaction or slash-command parser. Invariants: an
// envelope has an id and an object payload; its ack is JSON naming the same envelope id.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bot/slack/envelope.hpp"
#include "bot/slack/slack_payloads.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace slack = desk::bot::slack;

namespace {

void check_ack(const std::string& envelope_id, const nlohmann::json* payload) {
  const auto ack = nlohmann::json::parse(slack::build_ack(envelope_id, payload), nullptr, false);
  FUZZ_CHECK(ack.is_object() && ack.value("envelope_id", std::string()) == envelope_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto frame = slack::parse_frame(text);
  if (const auto* ack_only = std::get_if<slack::AckOnly>(&frame)) {
    FUZZ_CHECK(!ack_only->envelope_id.empty() && !ack_only->reason.empty());
    check_ack(ack_only->envelope_id, nullptr);
    return 0;
  }
  const auto* e = std::get_if<slack::Envelope>(&frame);
  if (e == nullptr) return 0;
  FUZZ_CHECK(!e->envelope_id.empty());
  FUZZ_CHECK(e->dedupe_key().size() > e->envelope_id.size() || !e->event_id.empty());
  const nlohmann::json& payload = e->payload();
  FUZZ_CHECK(payload.is_object());
  check_ack(e->envelope_id, nullptr);
  check_ack(e->envelope_id, &payload);
  switch (e->kind) {
    case slack::EnvelopeKind::interactive: {
      const auto parsed = slack::parse_interaction(payload);
      if (const auto* err = std::get_if<slack::PayloadError>(&parsed)) FUZZ_CHECK(!err->message.empty());
      break;
    }
    case slack::EnvelopeKind::slash_commands: {
      const auto parsed = slack::parse_slash_command(payload);
      if (const auto* err = std::get_if<slack::PayloadError>(&parsed)) FUZZ_CHECK(!err->message.empty());
      break;
    }
    case slack::EnvelopeKind::events_api:
      break;
  }
  return 0;
}
