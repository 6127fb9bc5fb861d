#include "tests/emulator/slack_emulator.hpp"

#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "bot/slack/coalescing_stream.hpp"
#include "bot/slack/websocket_frames.hpp"
#include "tests/emulator/ack_scan.hpp"
#include "tests/emulator/envelope_factory.hpp"

namespace desk::emulator {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Json = nlohmann::json;
using net::experimental::awaitable_operators::operator||;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
/// Where the emulator takes the bytes of an upload (files.getUploadURLExternal hands out its URLs).
constexpr std::string_view kUploadPath = "/upload/v1/";
using SslStream = beast::ssl_stream<beast::tcp_stream>;
// Batches frames like the desk does, so the load generator stays cheaper than what it measures.
using WsStream = websocket::stream<bot::slack::CoalescingStream<SslStream>>;

// Everything the emulator knows about one envelope it sent (or holds for later).
struct Pending {
  std::string type;
  std::string event_id;
  std::string text;  // the frame as sent
  int attempt = 0;
  std::uint64_t session = 0;  // 0: not queued on any socket
  std::optional<SteadyClock::time_point> sent;
  bool acked = false;
  bool superseded = false;  // a redelivery replaced it
  bool load = false;        // a closed-loop load envelope whose ack is not counted yet
};

// An envelope by id. Elements of an unordered_map never move, so queues and frames point at them
// instead of looking the id up again.
using EnvelopeEntry = std::pair<const std::string, Pending>;

struct OutFrame {
  static OutFrame text(std::string d) { return OutFrame{std::move(d), nullptr, false, false}; }
  static OutFrame close_frame() {
    OutFrame f;
    f.close = true;
    return f;
  }
  std::string data;
  EnvelopeEntry* envelope = nullptr;  // set for envelopes: its write time starts the ack clock
  bool binary = false;
  bool close = false;
};

struct Session {
  Session(SslStream&& stream, std::uint64_t n, const net::any_io_executor& ex)
      : id(n), ws(std::move(stream)), wake(ex, SteadyClock::time_point::max()) {
    // Frames queued while the reader handles acks that already arrived go out together once the
    // reader has to wait for the network.
    ws.next_layer().on_read_wait([this] {
      if (!outbox.empty()) request_flush();
    });
  }
  // The writer clears the flag before it sleeps: a set flag means it is awake or about to be.
  void request_flush() {
    if (flush_requested) return;
    flush_requested = true;
    wake.cancel();
  }
  std::uint64_t id;
  WsStream ws;
  std::deque<OutFrame> outbox;
  net::steady_timer wake;  // never expires; cancel() wakes the writer
  bool flush_requested = false;
  bool handling_frame = false;         // the reader is inside on_client_frame: pushes wait for on_read_wait
  std::vector<EnvelopeEntry*> unsent;  // envelopes written into the coalescing layer, not yet sent
  bool greeted = false;                // hello sent
  bool told_to_go = false;             // disconnect sent
  bool closing = false;                // our close frame queued, or the client's received
  bool freeze_requested = false;
  bool frozen = false;
};

void cut(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

// The envelope id of the common ack, exactly `{"envelope_id":"<id>"}` with nothing to unescape;
// anything else goes through the JSON parser.
std::optional<std::string_view> plain_ack_id(std::string_view text) {
  constexpr std::string_view head = R"({"envelope_id":")";
  constexpr std::string_view tail = R"("})";
  if (text.size() < head.size() + tail.size() || !text.starts_with(head) || !text.ends_with(tail)) return std::nullopt;
  auto id = text.substr(head.size(), text.size() - head.size() - tail.size());
  for (char c : id) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return std::nullopt;
  }
  return id;
}

std::string query_param(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    if (pair.substr(0, key.size()) == key && pair.size() > key.size() && pair[key.size()] == '=') {
      return std::string(pair.substr(key.size() + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

struct SlackEmulator::Impl {
  explicit Impl(const TestPki& pki, EmulatorOptions opts)
      : options(std::move(opts)),
        tls(net::ssl::context::tls_server),
        acceptor(io),
        work(net::make_work_guard(io)),
        workspace(options.workspace) {
    const auto& certs = options.present_rogue_certificate ? pki.rogue() : pki.trusted();
    tls.use_certificate_chain(net::buffer(certs.server_cert_pem));
    tls.use_private_key(net::buffer(certs.server_key_pem), net::ssl::context::pem);
    open_acceptor(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = acceptor.local_endpoint().port();
    workspace.socket_url = [this](const std::string& ticket) {
      return "wss://" + options.socket_host + ":" + std::to_string(port) + "/link/?ticket=" + ticket +
             "&app_id=" + options.app_id;
    };
    workspace.upload_url = [this](const std::string& file_id) {
      return "https://127.0.0.1:" + std::to_string(port) + std::string(kUploadPath) + file_id;
    };
    net::co_spawn(io, accept_loop(), net::detached);
    net::co_spawn(io, redelivery_loop(), net::detached);
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    on_io([this] {
      boost::system::error_code ec;
      acceptor.close(ec);
      cut_everything();
    });
    work.reset();
    io.stop();
    thread.join();
    sessions.clear();
  }

  EmulatorOptions options;
  net::io_context io{1};
  net::ssl::context tls;
  tcp::acceptor acceptor;
  net::executor_work_guard<net::io_context::executor_type> work;
  unsigned short port = 0;
  std::thread thread;

  mutable std::mutex mu;  // guards everything below; I/O objects are touched on the io thread only
  WorkspaceModel workspace;
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions;
  std::map<std::uint64_t, beast::tcp_stream*> http_streams;
  std::unordered_map<std::string, Pending> envelopes;
  std::deque<EnvelopeEntry*> held;       // envelopes waiting for a socket, in send order
  std::set<std::string> unacked_events;  // events_api envelopes out and not yet acked
  std::vector<AckRecord> ack_records;
  std::uint64_t next_id = 0, hellos = 0, accepted = 0, close_frames = 0, garbage = 0;
  std::size_t redelivered = 0;
  int peak_sockets = 0;
  std::multiset<std::string> drop_responses;  // methods whose next answer is never sent
  int load_remaining = 0;                     // closed-loop load: envelopes still to send
  int load_acks = 0;
  int load_sent = 0;
  std::condition_variable load_progress;  // notified when a load has been fully acked

  // A load envelope's frame with two holes: head + envelope id + middle + serial + tail. Made once per
  // kind, so the load generator stays cheaper than the desk it measures.
  struct LoadTemplate {
    std::string type, head, middle, tail;
  };
  std::optional<LoadTemplate> load_templates[2];
  SlackEmulator::LoadEnvelope load_kind = SlackEmulator::LoadEnvelope::message_event;

  const LoadTemplate& load_template(SlackEmulator::LoadEnvelope kind) {
    auto& slot = load_templates[static_cast<int>(kind)];
    if (slot) return *slot;
    // The serial goes where Slack puts something unique: the event id, or the command's trigger id.
    std::string type, text;
    if (kind == SlackEmulator::LoadEnvelope::rota_command) {
      type = "slash_commands";
      auto payload = slash_command_payload("/rota", "", "U0USER", "C0DESK", "@V@", options.app_id);
      text = envelope_frame("@E@", type, std::move(payload), true).dump();
    } else {
      type = "events_api";
      auto event = message_event("C0DESK", "U0LEAD", "owner here, looking at it now", "1700000000.000100");
      text = envelope_frame("@E@", type, event_callback(event, "@V@", options.app_id), false).dump();
    }
    auto e = text.find("@E@");
    auto v = text.find("@V@");  // after e: keys are dumped in sorted order, envelope_id < payload
    slot = LoadTemplate{type, text.substr(0, e), text.substr(e + 3, v - e - 3), text.substr(v + 3)};
    return *slot;
  }

  // Sends one load envelope (caller holds mu, io thread).
  void send_load_envelope() {
    const LoadTemplate& t = load_template(load_kind);
    auto id = new_envelope_id();
    const std::string serial = "EvLoad" + std::to_string(++load_sent);
    Pending p;
    p.type = t.type;
    if (t.type == "events_api") p.event_id = serial;
    p.text = t.head + id + t.middle + serial + t.tail;
    p.load = true;
    hold(id, std::move(p));
    --load_remaining;
    flush_held();
  }

  bool take_drop(std::string_view target) {
    std::lock_guard lock(mu);
    std::string path(target.substr(0, target.find('?')));
    if (!path.starts_with("/api/")) return false;
    auto it = drop_responses.find(path.substr(5));
    if (it == drop_responses.end()) return false;
    drop_responses.erase(it);
    return true;
  }

  // Runs `fn` on the io thread and waits for it.
  void on_io(std::function<void()> fn) {
    if (thread.get_id() == std::this_thread::get_id()) return fn();
    std::promise<void> done;
    net::post(io, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  void open_acceptor(const tcp::endpoint& endpoint) {
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
  }

  void cut_everything() {
    std::lock_guard lock(mu);
    for (auto& [id, s] : sessions) cut(beast::get_lowest_layer(s->ws));
    for (auto& [id, stream] : http_streams) cut(*stream);
  }

  // ---- HTTP ------------------------------------------------------------------------------------

  net::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;  // closed: stop_listening or shutdown
      net::co_spawn(io, serve(std::move(socket)), net::detached);
    }
  }

  http::response<http::string_body> api_response(const http::request<http::string_body>& req) {
    std::string target(req.target());
    ApiRequest call;
    auto q = target.find('?');
    auto path = target.substr(0, q);
    if (q != std::string::npos) call.query = target.substr(q + 1);
    ApiResponse answer;
    if (path.starts_with(kUploadPath) && req.method() == http::verb::post) {
      // An upload URL (files.getUploadURLExternal): plain text answers, like Slack's file service.
      {
        std::lock_guard lock(mu);
        answer = workspace.receive_upload(path.substr(kUploadPath.size()), req.body(), SteadyClock::now());
      }
      http::response<http::string_body> res{static_cast<http::status>(answer.status), req.version()};
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.keep_alive(req.keep_alive());
      res.body() = answer.body.is_string() ? answer.body.get<std::string>() : std::string();
      res.prepare_payload();
      return res;
    }
    if (!path.starts_with("/api/")) {
      answer = ApiResponse{404, Json{{"ok", false}, {"error", "unknown_method"}}, std::nullopt};
    } else {
      call.method = path.substr(5);
      call.http_method = std::string(req.method_string());
      call.authorization = std::string(req[http::field::authorization]);
      call.content_type = std::string(req[http::field::content_type]);
      call.body = req.body();
      std::lock_guard lock(mu);
      answer = workspace.handle(call, SteadyClock::now());
    }
    http::response<http::string_body> res{static_cast<http::status>(answer.status), req.version()};
    res.set(http::field::content_type, "application/json; charset=utf-8");
    if (answer.retry_after) res.set(http::field::retry_after, std::to_string(*answer.retry_after));
    res.keep_alive(req.keep_alive());
    res.body() = answer.body.dump();
    res.prepare_payload();
    return res;
  }

  net::awaitable<void> serve(tcp::socket socket) {
    const auto id = ++next_id;
    // Like any real server: without this, hello (written right after the 101) waits for the
    // client's delayed ACK, 40 ms on Linux.
    boost::system::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    SslStream stream(std::move(socket), tls);
    auto& lowest = beast::get_lowest_layer(stream);
    {
      std::lock_guard lock(mu);
      http_streams[id] = &lowest;
    }
    auto forget = [&] {
      std::lock_guard lock(mu);
      http_streams.erase(id);
    };
    lowest.expires_after(std::chrono::seconds{5});
    auto [hec] = co_await stream.async_handshake(net::ssl::stream_base::server, kTuple);
    beast::flat_buffer buffer;
    while (!hec) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(8 * 1024 * 1024);
      lowest.expires_after(std::chrono::seconds{30});
      auto [rec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
      if (rec) break;
      auto req = parser.release();
      if (websocket::is_upgrade(req)) {
        lowest.expires_never();
        forget();
        co_await websocket_session(std::move(stream), std::move(req));
        co_return;
      }
      auto res = api_response(req);
      // The request was processed but the answer is lost: the ambiguous case for retries.
      if (take_drop(req.target())) break;
      auto [wec, written] = co_await http::async_write(stream, res, kTuple);
      if (wec || !res.keep_alive()) break;
    }
    forget();
    cut(lowest);
  }

  // ---- Socket Mode -----------------------------------------------------------------------------

  net::awaitable<void> refuse_upgrade(SslStream& stream, const http::request<http::string_body>& req) {
    http::response<http::string_body> res{http::status::unauthorized, req.version()};
    res.set(http::field::content_type, "text/plain");
    res.body() = "invalid or used ticket";
    res.keep_alive(false);
    res.prepare_payload();
    co_await http::async_write(stream, res, kTuple);
    cut(beast::get_lowest_layer(stream));
  }

  net::awaitable<void> websocket_session(SslStream stream, http::request<http::string_body> req) {
    bool valid = false;
    {
      std::lock_guard lock(mu);
      valid = std::string_view(req.target()).starts_with("/link") &&
              workspace.redeem_ticket(query_param(req.target(), "ticket"));
    }
    if (!valid) {
      co_await refuse_upgrade(stream, req);
      co_return;
    }
    auto s = std::make_shared<Session>(std::move(stream), ++next_id, io.get_executor());
    s->ws.set_option(websocket::stream_base::timeout{std::chrono::seconds{5}, websocket::stream_base::none(), false});
    auto [aec] = co_await s->ws.async_accept(req, kTuple);
    if (aec) co_return;
    greet(s);
    co_await (reader(s) || writer(s));
    cut(beast::get_lowest_layer(s->ws));
    std::lock_guard lock(mu);
    sessions.erase(s->id);
    // Envelopes queued on this socket but never written go to the next one, first and in order.
    for (auto it = s->outbox.rbegin(); it != s->outbox.rend(); ++it) {
      if (it->envelope == nullptr) continue;
      it->envelope->second.session = 0;
      held.push_front(it->envelope);
    }
    for (auto it = s->unsent.rbegin(); it != s->unsent.rend(); ++it) {
      (*it)->second.session = 0;
      held.push_front(*it);
    }
    s->outbox.clear();
    s->unsent.clear();
  }

  void greet(const std::shared_ptr<Session>& s) {
    std::lock_guard lock(mu);
    sessions[s->id] = s;
    ++accepted;
    const int open = static_cast<int>(sessions.size());
    peak_sockets = std::max(peak_sockets, open);
    if (open > options.max_connections) {
      s->told_to_go = true;
      push(*s, OutFrame::text(disconnect_frame("too_many_websockets", open).dump()));
      push(*s, OutFrame::close_frame());
      return;
    }
    push(*s, OutFrame::text(hello_frame(open, options.app_id).dump()));
    s->greeted = true;
    ++hellos;
    flush_held();
  }

  void push(Session& s, OutFrame frame) {
    if (frame.close) s.closing = true;
    s.outbox.push_back(std::move(frame));
    if (!s.handling_frame) s.request_flush();
  }

  net::awaitable<void> reader(std::shared_ptr<Session> s) {
    beast::flat_buffer buffer;
    for (;;) {
      auto [ec, n] = co_await s->ws.async_read(buffer, kTuple);
      if (ec) {
        if (ec == websocket::error::closed) {
          std::lock_guard lock(mu);
          ++close_frames;
        }
        break;
      }
      auto data = buffer.cdata();
      s->handling_frame = true;
      on_client_frame(*s, std::string_view(static_cast<const char*>(data.data()), data.size()));
      s->handling_frame = false;
      buffer.consume(buffer.size());
      if (s->freeze_requested) {
        s->frozen = true;
        co_await black_hole(*s);
        break;
      }
    }
  }

  // A frozen socket reads raw TCP and throws it away: no WebSocket processing, so no pongs, and
  // the peer's eventual close is still noticed.
  net::awaitable<void> black_hole(Session& s) {
    std::array<char, 4096> sink{};
    auto& socket = beast::get_lowest_layer(s.ws).socket();
    for (;;) {
      auto [ec, n] = co_await socket.async_read_some(net::buffer(sink), kTuple);
      if (ec) co_return;
    }
  }

  // Sends the outbox in batches when asked: every frame but the last of a batch is held by the
  // coalescing layer (framed here and appended when the layer allows) and the last sends them all.
  // An envelope's ack clock starts when the write that carries it to the socket begins.
  net::awaitable<void> writer(std::shared_ptr<Session> s) {
    auto& coalescer = s->ws.next_layer();
    for (;;) {
      if (!s->flush_requested || s->outbox.empty() || s->frozen) {
        s->flush_requested = false;
        co_await s->wake.async_wait(kTuple);
        auto cs = co_await net::this_coro::cancellation_state;
        if (cs.cancelled() != net::cancellation_type::none) co_return;
        continue;
      }
      s->flush_requested = false;
      for (auto batch = s->outbox.size(); batch > 0 && !s->frozen; --batch) {
        OutFrame frame = std::move(s->outbox.front());
        s->outbox.pop_front();
        boost::system::error_code ec;
        if (frame.close) {
          mark_sent(s->unsent);
          std::tie(ec) = co_await s->ws.async_close(websocket::close_code::going_away, kTuple);
        } else {
          const auto frame_size = bot::slack::text_frame_size(frame.data.size(), false);
          const bool hold = batch > 1 && coalescer.can_hold(frame_size);
          if (frame.envelope != nullptr) s->unsent.push_back(frame.envelope);
          if (hold && !frame.binary && s->ws.is_open() && coalescer.can_append(frame_size)) {
            coalescer.append(frame_size,
                             [&](unsigned char* out) { bot::slack::write_text_frame(frame.data, nullptr, out); });
            continue;  // the batch's last frame, written through Beast, takes it out
          }
          if (hold) {
            coalescer.hold_next_write();
          } else {
            mark_sent(s->unsent);
          }
          s->ws.binary(frame.binary);
          std::tie(ec, std::ignore) = co_await s->ws.async_write(net::buffer(frame.data), kTuple);
          coalescer.cancel_hold();
        }
        if (ec) co_return;
        if (coalescer.held_bytes() == 0) mark_sent(s->unsent);  // a pong carried them out meanwhile
      }
    }
  }

  void mark_sent(std::vector<EnvelopeEntry*>& written) {
    if (written.empty()) return;
    const auto now = SteadyClock::now();
    std::lock_guard lock(mu);
    for (auto* e : written) e->second.sent = now;
    written.clear();
  }

  void on_client_frame(Session& s, std::string_view text) {
    AckRecord record;
    bool carried_payload = false;
    if (auto id = plain_ack_id(text)) {
      record.envelope_id = *id;
    } else {
      auto scan = scan_ack(text);
      if (!scan) {
        std::lock_guard lock(mu);
        ++garbage;
        return;
      }
      record.envelope_id = std::move(scan->envelope_id);
      carried_payload = scan->has_payload;
      record.response_type = std::move(scan->response_type);
    }
    std::lock_guard lock(mu);
    const auto it = envelopes.find(record.envelope_id);
    // A load envelope's ack keeps only its response_type: reading every answer of a long benchmark
    // into a tree made the emulator slower than the desk it measured, and grew it per envelope.
    if (carried_payload && (it == envelopes.end() || !it->second.load)) record.payload = Json::parse(text)["payload"];
    record.connection = s.id;
    record.received_at = SteadyClock::now();
    record.known = it != envelopes.end();
    if (record.known) {
      Pending& p = it->second;
      if (!p.acked && p.type == "events_api") unacked_events.erase(record.envelope_id);
      p.acked = true;
      std::string().swap(p.text);  // only redeliveries need it: the memory goes back for new envelopes
      record.event_id = p.event_id;
      if (p.sent) record.latency = std::chrono::duration_cast<std::chrono::microseconds>(record.received_at - *p.sent);
      if (std::exchange(p.load, false)) {
        ++load_acks;
        if (load_remaining > 0) send_load_envelope();
        if (load_remaining == 0) load_progress.notify_all();
      }
    }
    ack_records.push_back(std::move(record));
  }

  // Newest socket that greeted and is not going away; failing that, one that was told to go but is
  // still open (Slack keeps delivering on an old socket until it closes).
  Session* choose_session() {
    Session* fallback = nullptr;
    for (auto it = sessions.rbegin(); it != sessions.rend(); ++it) {
      Session& s = *it->second;
      if (!s.greeted || s.frozen || s.closing) continue;
      if (!s.told_to_go) return &s;
      if (fallback == nullptr) fallback = &s;
    }
    return fallback;
  }

  // Records a new envelope and queues it behind the ones already held (caller holds mu).
  void hold(const std::string& id, Pending p) {
    if (p.type == "events_api") unacked_events.insert(id);
    auto [entry, inserted] = envelopes.emplace(id, std::move(p));
    if (inserted) held.push_back(&*entry);
  }

  // Sends held envelopes in order while a socket can take them (caller holds mu).
  void flush_held() {
    while (!held.empty()) {
      Session* s = choose_session();
      if (s == nullptr) return;
      EnvelopeEntry* e = held.front();
      held.pop_front();
      if (e->second.acked || e->second.superseded) continue;
      e->second.session = s->id;
      push(*s, OutFrame{e->second.text, e});
    }
  }

  net::awaitable<void> redelivery_loop() {
    net::steady_timer timer(io);
    const auto tick = std::max(std::chrono::milliseconds{5}, options.redeliver_after / 4);
    for (;;) {
      timer.expires_after(tick);
      auto [ec] = co_await timer.async_wait(kTuple);
      if (ec) co_return;
      std::lock_guard lock(mu);
      redeliver_due();
      flush_held();
    }
  }

  void redeliver_due() {
    const auto now = SteadyClock::now();
    std::vector<std::string> due;
    for (const auto& id : unacked_events) {
      const auto& p = envelopes.at(id);
      if (p.sent && now - *p.sent >= options.redeliver_after && p.attempt < options.max_redeliveries) due.push_back(id);
    }
    for (const auto& id : due) {
      auto& p = envelopes.at(id);
      p.superseded = true;
      unacked_events.erase(id);
      Pending again = p;
      again.attempt = p.attempt + 1;
      again.session = 0;
      again.sent.reset();
      again.superseded = false;
      again.load = false;  // a load envelope's redelivery is not counted as load
      auto new_id = new_envelope_id();
      auto frame = Json::parse(again.text);
      frame["envelope_id"] = new_id;
      frame["retry_attempt"] = again.attempt;
      frame["retry_reason"] = "timeout";
      again.text = frame.dump();
      hold(new_id, std::move(again));
      ++redelivered;
    }
  }

  std::string enqueue(const std::string& type, Json payload, const EnvelopeOptions& o, std::string event_id) {
    auto id = new_envelope_id();
    Pending p;
    p.type = type;
    p.event_id = std::move(event_id);
    p.attempt = o.retry_attempt;
    p.text = envelope_frame(id, type, std::move(payload), o.accepts_response_payload, o.retry_attempt, o.retry_reason)
                 .dump(-1, ' ', false, Json::error_handler_t::replace);
    {
      std::lock_guard lock(mu);
      hold(id, std::move(p));
    }
    net::post(io, [this] {
      std::lock_guard lock(mu);
      flush_held();
    });
    return id;
  }

  void close_later(std::shared_ptr<Session> s) {
    net::co_spawn(
        io,
        [this, s]() -> net::awaitable<void> {
          net::steady_timer timer(io, options.close_after_disconnect);
          co_await timer.async_wait(kTuple);
          std::lock_guard lock(mu);
          if (sessions.contains(s->id) && !s->closing) push(*s, OutFrame::close_frame());
        },
        net::detached);
  }
};

SlackEmulator::SlackEmulator(const TestPki& pki, EmulatorOptions options)
    : impl_(std::make_unique<Impl>(pki, std::move(options))) {}

SlackEmulator::~SlackEmulator() = default;

unsigned short SlackEmulator::port() const { return impl_->port; }

std::vector<UploadedFile> SlackEmulator::files() const {
  std::lock_guard lock(impl_->mu);
  return impl_->workspace.files();
}

std::string SlackEmulator::api_url() const { return "https://127.0.0.1:" + std::to_string(impl_->port) + "/api/"; }

std::string SlackEmulator::send_envelope(const std::string& type, Json payload, EnvelopeOptions options) {
  std::string event_id;
  if (type == "events_api" && payload.is_object() && payload.contains("event_id") && payload["event_id"].is_string()) {
    event_id = payload["event_id"];
  }
  return impl_->enqueue(type, std::move(payload), options, std::move(event_id));
}

std::string SlackEmulator::send_event(Json event, EnvelopeOptions options, std::string event_id) {
  if (event_id.empty()) event_id = "Ev" + new_envelope_id().substr(0, 8);
  auto payload = event_callback(std::move(event), event_id, impl_->options.app_id);
  return impl_->enqueue("events_api", std::move(payload), options, event_id);
}

std::string SlackEmulator::send_slash_command(const std::string& command, const std::string& text,
                                              const std::string& user, const std::string& channel) {
  auto payload = slash_command_payload(command, text, user, channel, issue_trigger_id(), impl_->options.app_id);
  EnvelopeOptions options;
  options.accepts_response_payload = true;
  return impl_->enqueue("slash_commands", std::move(payload), options, {});
}

std::string SlackEmulator::send_interactive(Json payload) {
  EnvelopeOptions options;
  auto type = payload.is_object() ? payload.value("type", "") : "";
  options.accepts_response_payload = type == "view_submission" || type == "block_suggestion";
  return impl_->enqueue("interactive", std::move(payload), options, {});
}

void SlackEmulator::send_raw(std::string data, bool binary) {
  impl_->on_io([&] {
    std::lock_guard lock(impl_->mu);
    for (auto& [id, s] : impl_->sessions) {
      if (s->greeted && !s->closing && !s->frozen) impl_->push(*s, OutFrame{data, nullptr, binary, false});
    }
  });
}

void SlackEmulator::send_disconnect(const std::string& reason) {
  impl_->on_io([&] {
    std::lock_guard lock(impl_->mu);
    for (auto& [id, s] : impl_->sessions) {
      if (!s->greeted || s->closing || s->told_to_go) continue;
      impl_->push(*s, OutFrame::text(disconnect_frame(reason, static_cast<int>(impl_->sessions.size())).dump()));
      s->told_to_go = true;
      if (reason == "link_disabled") {
        impl_->push(*s, OutFrame::close_frame());
      } else {
        impl_->close_later(s);
      }
    }
  });
}

void SlackEmulator::silence_connections() {
  impl_->on_io([&] {
    std::lock_guard lock(impl_->mu);
    for (auto& [id, s] : impl_->sessions) s->freeze_requested = true;
  });
}

void SlackEmulator::drop_connections() {
  impl_->on_io([&] {
    std::lock_guard lock(impl_->mu);
    for (auto& [id, s] : impl_->sessions) cut(beast::get_lowest_layer(s->ws));
  });
}

void SlackEmulator::stop_listening() {
  impl_->on_io([&] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->cut_everything();
  });
}

void SlackEmulator::resume_listening() {
  impl_->on_io([&] {
    impl_->open_acceptor(tcp::endpoint(net::ip::make_address("127.0.0.1"), impl_->port));
    net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  });
}

void SlackEmulator::start_load(int in_flight, int total, LoadEnvelope kind) {
  impl_->on_io([&] {
    std::lock_guard lock(impl_->mu);
    impl_->load_kind = kind;
    impl_->load_remaining = total;
    // Room for the whole load up front: growing these mid-run would stall the loop it measures.
    impl_->envelopes.reserve(impl_->envelopes.size() + static_cast<std::size_t>(total));
    impl_->ack_records.reserve(impl_->ack_records.size() + static_cast<std::size_t>(total));
    for (int i = 0; i < in_flight && impl_->load_remaining > 0; ++i) impl_->send_load_envelope();
  });
}

int SlackEmulator::load_acked() const {
  std::lock_guard lock(impl_->mu);
  return impl_->load_acks;
}

bool SlackEmulator::wait_load_acked(int count, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->load_progress.wait_for(lock, timeout,
                                       [&] { return impl_->load_acks >= count && impl_->load_remaining == 0; });
}

int SlackEmulator::open_sockets() const {
  std::lock_guard lock(impl_->mu);
  return static_cast<int>(impl_->sessions.size());
}

int SlackEmulator::peak_open_sockets() const {
  std::lock_guard lock(impl_->mu);
  return impl_->peak_sockets;
}

std::uint64_t SlackEmulator::hellos_sent() const {
  std::lock_guard lock(impl_->mu);
  return impl_->hellos;
}

std::uint64_t SlackEmulator::sockets_accepted() const {
  std::lock_guard lock(impl_->mu);
  return impl_->accepted;
}

std::uint64_t SlackEmulator::close_frames_received() const {
  std::lock_guard lock(impl_->mu);
  return impl_->close_frames;
}

std::vector<AckRecord> SlackEmulator::acks() const {
  std::lock_guard lock(impl_->mu);
  return impl_->ack_records;
}

bool SlackEmulator::acked(const std::string& envelope_id) const {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->envelopes.find(envelope_id);
  return it != impl_->envelopes.end() && it->second.acked;
}

bool SlackEmulator::event_acked(const std::string& event_id) const {
  std::lock_guard lock(impl_->mu);
  for (const auto& [id, p] : impl_->envelopes) {
    if (p.event_id == event_id && p.acked) return true;
  }
  return false;
}

std::size_t SlackEmulator::redeliveries() const {
  std::lock_guard lock(impl_->mu);
  return impl_->redelivered;
}

std::size_t SlackEmulator::unacked_envelopes() const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const auto& [id, p] : impl_->envelopes) n += (!p.acked && !p.superseded) ? 1 : 0;
  return n;
}

std::size_t SlackEmulator::client_garbage_frames() const {
  std::lock_guard lock(impl_->mu);
  return impl_->garbage;
}

std::vector<CallRecord> SlackEmulator::calls() const {
  std::lock_guard lock(impl_->mu);
  return impl_->workspace.calls();
}

std::size_t SlackEmulator::count_calls(const std::string& method) const {
  std::lock_guard lock(impl_->mu);
  std::size_t n = 0;
  for (const auto& c : impl_->workspace.calls()) n += c.method == method ? 1 : 0;
  return n;
}

void SlackEmulator::rate_limit(const std::string& method, int times, int retry_after_s) {
  std::lock_guard lock(impl_->mu);
  impl_->workspace.rate_limit(method, times, retry_after_s);
}

void SlackEmulator::drop_next_response(const std::string& method) {
  std::lock_guard lock(impl_->mu);
  impl_->drop_responses.insert(method);
}

void SlackEmulator::fail_next(const std::string& method, const std::string& error) {
  std::lock_guard lock(impl_->mu);
  impl_->workspace.fail_next(method, error);
}

std::string SlackEmulator::issue_trigger_id() {
  std::lock_guard lock(impl_->mu);
  return impl_->workspace.issue_trigger_id(SteadyClock::now());
}

std::vector<Json> SlackEmulator::messages(const std::string& channel) const {
  std::lock_guard lock(impl_->mu);
  return impl_->workspace.messages(channel);
}

void SlackEmulator::with_workspace(const std::function<void(WorkspaceModel&)>& fn) {
  std::lock_guard lock(impl_->mu);
  fn(impl_->workspace);
}

}  // namespace desk::emulator
