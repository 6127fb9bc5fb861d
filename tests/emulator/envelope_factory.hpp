#pragma once
/// Socket Mode frames and payloads of the real shapes (reference/slack.md §1.3–2.5), for the
/// emulator and for tests that want a realistic payload without a socket.
#include <string>

#include <nlohmann/json.hpp>

namespace desk::emulator {

/// A random UUID-shaped envelope id, like Slack's.
std::string new_envelope_id();

/// `{"type":"hello", …}` with `num_connections`, connection_info and debug_info.
nlohmann::json hello_frame(int num_connections, const std::string& app_id);

/// `{"type":"disconnect","reason":…}`; too_many_websockets also carries num_connections.
nlohmann::json disconnect_frame(const std::string& reason, int num_connections);

/// An envelope around `payload`. events_api envelopes carry retry_attempt and retry_reason.
nlohmann::json envelope_frame(const std::string& envelope_id, const std::string& type, nlohmann::json payload,
                              bool accepts_response_payload, int retry_attempt = 0,
                              const std::string& retry_reason = {});

/// The event_callback wrapper of an Events API event.
nlohmann::json event_callback(nlohmann::json event, const std::string& event_id, const std::string& app_id);

/// A `message` event in `channel` (thread reply when `thread_ts` is set).
nlohmann::json message_event(const std::string& channel, const std::string& user, const std::string& text,
                             const std::string& ts, const std::string& thread_ts = {});

/// A slash-command payload as Socket Mode delivers it (a JSON object).
nlohmann::json slash_command_payload(const std::string& command, const std::string& text, const std::string& user,
                                     const std::string& channel, const std::string& trigger_id,
                                     const std::string& app_id);

/// A block_actions payload for a button click on a message.
nlohmann::json block_actions_payload(const std::string& action_id, const std::string& value, const std::string& user,
                                     const std::string& channel, const std::string& message_ts,
                                     const std::string& trigger_id);

/// A view_submission payload with one plain_text_input value at state.values[block_id][action_id].
nlohmann::json view_submission_payload(const std::string& callback_id, const std::string& private_metadata,
                                       const std::string& block_id, const std::string& action_id,
                                       const std::string& value, const std::string& user,
                                       const std::string& trigger_id);

}  // namespace desk::emulator
