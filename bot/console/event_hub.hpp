#pragma once
/// Live updates for the console: what changed in the desk, as server-sent events (GET /v1/events).
/// The desk publishes a small event whenever an escalation opens, changes or gets a message; each
/// open event stream holds a queue the hub fills, and the stream's coroutine sleeps until there is
/// something to send (no polling). Recent events are kept so a browser that reconnects with
/// Last-Event-ID misses nothing; one that fell too far behind is told to reload.
///
/// Everything runs on the desk's executor thread; publish from elsewhere with publish_from_any_thread.
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

namespace desk::bot::console {

struct EventHubOptions {
  std::size_t history = 512;              ///< events kept for Last-Event-ID replays
  std::size_t max_queued = 1024;          ///< per stream; beyond it the stream is told to reload
  std::chrono::seconds keep_alive{15};    ///< a comment line this often keeps proxies from cutting
  std::chrono::milliseconds retry{2000};  ///< the reconnect delay browsers are told
};

class EventHub {
 public:
  class Stream;

  EventHub(boost::asio::any_io_executor executor, EventHubOptions options = {});
  ~EventHub();

  /// Sends `event` (a word: "escalation", "message", "rota") with `data` to every open stream.
  void publish(const std::string& event, const nlohmann::json& data);
  /// publish(), posted to the hub's executor.
  void publish_from_any_thread(std::string event, nlohmann::json data);

  /// A new stream. `last_event_id`: the Last-Event-ID header, to replay what it missed.
  std::shared_ptr<Stream> open(std::optional<std::uint64_t> last_event_id);

  /// Ends every stream (their next() gives nullopt) and refuses new ones. Idempotent.
  void close();

  std::size_t open_streams() const { return streams_.size(); }
  std::uint64_t last_id() const { return next_id_ - 1; }

  class Stream {
   public:
    Stream(EventHub& hub, boost::asio::any_io_executor executor);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    /// The next piece of the body: events in the SSE format, or a keep-alive comment; nullopt once
    /// the hub closed. Wait on one Stream from one coroutine at a time.
    boost::asio::awaitable<std::optional<std::string>> next();
    /// The bytes to send first: the retry delay and any replayed events.
    std::string preamble;

   private:
    friend class EventHub;
    void push(const std::string& text);
    EventHub* hub_;
    boost::asio::steady_timer wake_;
    std::deque<std::string> queued_;
    bool overflowed_ = false;
    bool closed_ = false;
  };

 private:
  void forget(Stream* s) { streams_.erase(s); }

  boost::asio::any_io_executor executor_;
  EventHubOptions options_;
  std::uint64_t next_id_ = 1;
  std::deque<std::pair<std::uint64_t, std::string>> history_;  ///< id, formatted event
  std::set<Stream*> streams_;
  bool closed_ = false;
};

/// One event in the text/event-stream format: "id: N\nevent: NAME\ndata: JSON\n\n".
std::string format_event(std::uint64_t id, const std::string& event, const nlohmann::json& data);

}  // namespace desk::bot::console
