#pragma once
/// A local Slack for tests: one TLS port on 127.0.0.1 serving the Web API (`/api/<method>`) and the
/// Socket Mode WebSocket (`/link/?ticket=…`), on its own thread and io_context. Tests drive it from
/// their own thread: every method here is thread-safe.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/emulator/test_pki.hpp"
#include "tests/emulator/workspace_model.hpp"

namespace desk::emulator {

struct EmulatorOptions {
  WorkspaceOptions workspace;
  std::string app_id = "A0EMU";
  /// Serve the certificate of the untrusted CA (a client must refuse the handshake).
  bool present_rogue_certificate = false;
  /// Host name put in the wss:// URLs (the certificate covers localhost and 127.0.0.1).
  std::string socket_host = "localhost";
  /// An events_api envelope not acked within this is sent again with retry_attempt + 1.
  std::chrono::milliseconds redeliver_after{3000};
  int max_redeliveries = 3;
  /// Sockets above this count get disconnect(too_many_websockets) instead of hello.
  int max_connections = 10;
  /// After telling a socket to go (warning, refresh_requested), close it ourselves after this.
  std::chrono::milliseconds close_after_disconnect{10000};
};

/// One ack as the emulator received it.
struct AckRecord {
  std::string envelope_id;
  std::string event_id;                  ///< for events_api envelopes
  nlohmann::json payload;                ///< null when the ack carried none, and for load envelopes
  std::string response_type;             ///< the payload's response_type, if it had one (load acks too)
  std::chrono::microseconds latency{0};  ///< from the envelope's write to the ack's arrival
  std::uint64_t connection = 0;          ///< the socket that carried the ack
  bool known = true;                     ///< false: no envelope with this id was ever sent
  SteadyClock::time_point received_at;
};

struct EnvelopeOptions {
  bool accepts_response_payload = false;
  int retry_attempt = 0;
  std::string retry_reason;
};

class SlackEmulator {
 public:
  /// Starts listening on 127.0.0.1, port 0. Throws when the port or TLS setup fails.
  explicit SlackEmulator(const TestPki& pki, EmulatorOptions options = {});
  ~SlackEmulator();
  SlackEmulator(const SlackEmulator&) = delete;
  SlackEmulator& operator=(const SlackEmulator&) = delete;

  unsigned short port() const;
  /// "https://127.0.0.1:<port>/api/": the value for SLACK_API_URL.
  std::string api_url() const;

  // ---- Socket Mode ----
  /// Sends an envelope of any type; returns its envelope id. Delivered to the newest usable socket,
  /// or held until one connects.
  std::string send_envelope(const std::string& type, nlohmann::json payload, EnvelopeOptions options = {});
  /// An events_api envelope for `event`; `event_id` defaults to a fresh one.
  std::string send_event(nlohmann::json event, EnvelopeOptions options = {}, std::string event_id = {});
  /// A slash_commands envelope (accepts a response payload) with a fresh trigger id.
  std::string send_slash_command(const std::string& command, const std::string& text,
                                 const std::string& user = "U0USER", const std::string& channel = "C0DESK");
  /// An interactive envelope; accepts a response payload for view_submission and block_suggestion.
  std::string send_interactive(nlohmann::json payload);
  /// A raw frame (text, or binary) to every usable socket: for garbage-frame tests.
  void send_raw(std::string data, bool binary = false);
  /// `disconnect` with `reason` to every open socket.
  void send_disconnect(const std::string& reason);
  /// Current sockets go silent after the next frame they receive: no reads (so no pongs) and no
  /// writes, as a half-open peer would.
  void silence_connections();
  /// Cuts every WebSocket at the TCP level, without a close frame.
  void drop_connections();
  /// The server goes away: the listening socket closes and every connection is cut.
  void stop_listening();
  /// The server comes back on the same port.
  void resume_listening();

  /// What each envelope of a closed-loop load carries: a message event in the desk channel (acked
  /// empty), or the slash command `/rota` (answered in its ack, so the desk's handler runs first).
  enum class LoadEnvelope { message_event, rota_command };
  /// Closed-loop load for benchmarks: keeps `in_flight` envelopes outstanding (each ack triggers the
  /// next send, on the emulator thread) until `total` have been sent.
  void start_load(int in_flight, int total, LoadEnvelope kind = LoadEnvelope::message_event);
  /// Acks received for load envelopes so far.
  int load_acked() const;
  /// Blocks until `count` load acks have arrived and every load envelope has been sent (no polling,
  /// so the waiting thread costs the measured processes nothing); false on timeout.
  bool wait_load_acked(int count, std::chrono::milliseconds timeout) const;

  int open_sockets() const;  ///< WebSockets accepted and not yet closed
  int peak_open_sockets() const;
  std::uint64_t hellos_sent() const;
  std::uint64_t sockets_accepted() const;
  std::uint64_t close_frames_received() const;  ///< graceful closes initiated by the client
  std::vector<AckRecord> acks() const;
  bool acked(const std::string& envelope_id) const;
  bool event_acked(const std::string& event_id) const;
  std::size_t redeliveries() const;
  std::size_t unacked_envelopes() const;  ///< sent (or held) and not acked, excluding superseded ones
  std::size_t client_garbage_frames() const;

  // ---- Web API ----
  std::vector<CallRecord> calls() const;
  std::size_t count_calls(const std::string& method) const;
  void rate_limit(const std::string& method, int times, int retry_after_s);
  void fail_next(const std::string& method, const std::string& error);
  /// The next call of `method` is processed (a post is stored) but its connection is cut before the
  /// answer: the client cannot know whether it happened.
  void drop_next_response(const std::string& method);
  std::string issue_trigger_id();
  std::vector<nlohmann::json> messages(const std::string& channel) const;
  /// Files created through files.getUploadURLExternal, with their bytes and where they were shared.
  std::vector<UploadedFile> files() const;
  /// Runs `fn` on the workspace under the emulator's lock (fixtures, special assertions).
  void with_workspace(const std::function<void(WorkspaceModel&)>& fn);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace desk::emulator
