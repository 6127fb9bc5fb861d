#pragma once
/// What the Slack emulator reads from an ack frame the desk sends: the frame must be one complete,
/// valid JSON object with a string `envelope_id`; of its `payload`, only whether there is one and its
/// `response_type` are kept. No tree is built: building one for every /rota answer made the emulator,
/// not the desk, the slowest part of the benchmark.
#include <optional>
#include <string>
#include <string_view>

namespace desk::emulator {

struct AckSummary {
  std::string envelope_id;
  bool has_payload = false;   ///< `payload` is there, of any type
  std::string response_type;  ///< `payload.response_type` when the payload is an object holding a string
};

/// nullopt when the frame is garbage: not JSON (one malformed byte is enough, invalid UTF-8 too), not
/// an object, more than one document, or without a string `envelope_id`. A repeated key counts by its
/// last value, as a parsed object would.
std::optional<AckSummary> scan_ack(std::string_view frame);

}  // namespace desk::emulator
