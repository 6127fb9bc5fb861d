#pragma once
/// A stream layer for between a WebSocket and its TLS stream, so that bursts of small frames cost
/// one TLS record and one sendmsg instead of one each, in both directions:
///   - Writes: a write made while `hold_next_write()` is armed is kept in memory and completes at
///     once; the next write that is not held sends everything kept plus itself in one go. Complete
///     frames built by the caller may be appended to the held bytes too (`can_append`, `append`).
///     The caller holds only when it knows another write follows right away (more frames queued),
///     so nothing is ever kept waiting for frames that have not been produced yet.
///   - Reads: Beast's WebSocket reads at most 1536 bytes at a time; this layer reads whole TLS
///     records into a read-ahead buffer and serves those small reads from memory.
///   - `on_read_wait` fires whenever the read-ahead is used up and a read goes to the TLS stream: by
///     then every frame received so far has been handled, so that is the moment to write the
///     replies queued meanwhile.
/// Control frames (ping, pong, close) pass through like any write; one that is held is flushed by
/// the write that follows it, or by the teardown below at the end of the close handshake.
/// Single-threaded like the streams it wraps: one read and one write in flight at a time.
#include <cstddef>
#include <functional>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace desk::bot::slack {

template <class NextLayer>
class CoalescingStream {
 public:
  using executor_type = typename NextLayer::executor_type;
  using next_layer_type = NextLayer;

  /// A held write that would take the held bytes above this goes out at once, with them: a TLS
  /// record carries at most 16 KiB.
  static constexpr std::size_t kMaxHeldBytes = 16 * 1024;
  /// One TLS record's plaintext: each read from the TLS stream takes up to a whole record.
  static constexpr std::size_t kReadAheadBytes = 16 * 1024;

  template <class... Args>
  explicit CoalescingStream(Args&&... args) : next_(std::forward<Args>(args)...) {}

  executor_type get_executor() noexcept { return next_.get_executor(); }
  NextLayer& next_layer() noexcept { return next_; }
  const NextLayer& next_layer() const noexcept { return next_; }

  /// The next write is kept in memory (up to kMaxHeldBytes) to go out with the one after it.
  void hold_next_write() { hold_next_ = true; }
  /// Disarms a hold that no write consumed (the write failed before reaching this layer).
  void cancel_hold() { hold_next_ = false; }
  /// Bytes kept and not yet handed to the next layer.
  std::size_t held_bytes() const { return held_.size(); }
  /// Whether a write of `bytes` made with the hold armed would be kept (false: it flushes).
  bool can_hold(std::size_t bytes) const { return held_.size() + bytes <= kMaxHeldBytes; }
  /// Whether `bytes` of complete frames may be appended right now: no write is on its way through
  /// this layer, so the stream above is between frames (its writes hand over whole frames before
  /// anything else runs on this thread), and they fit in the held bytes.
  bool can_append(std::size_t bytes) const { return !writing_ && can_hold(bytes); }
  /// Appends `bytes` bytes written by `fill(unsigned char*)` to the held bytes; they go out with the
  /// next write that is not held. Only after can_append(bytes).
  template <class Fill>
  void append(std::size_t bytes, Fill&& fill) {
    auto space = held_.prepare(bytes);
    fill(static_cast<unsigned char*>(space.data()));
    held_.commit(bytes);
  }
  /// Called (on the stream's thread) each time the read-ahead is used up and a read goes to the
  /// next layer, i.e. everything received so far has been handed up.
  void on_read_wait(std::function<void()> callback) { on_read_wait_ = std::move(callback); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        ReadOp<MutableBuffers>{*this, buffers}, token, next_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code, std::size_t)>(
        WriteOp<ConstBuffers>{*this, buffers}, token, next_);
  }

  /// Sends what is held, then hands over to the next layer's teardown (TLS close_notify, TCP).
  template <class Token>
  auto async_flush_and_teardown(boost::beast::role_type role, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::system::error_code)>(TeardownOp{*this, role}, token, next_);
  }

  void flush_and_teardown(boost::beast::role_type role, boost::system::error_code& ec) {
    if (held_.size() > 0) {
      boost::system::error_code write_ec;
      boost::asio::write(next_, held_.data(), write_ec);
      held_.clear();
    }
    using boost::beast::websocket::teardown;
    teardown(role, next_, ec);
  }

 private:
  template <class MutableBuffers>
  struct ReadOp {
    CoalescingStream& s;
    MutableBuffers buffers;
    enum class Step { start, from_memory, from_network } step = Step::start;

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0) {
      switch (step) {
        case Step::start:
          if (s.read_ahead_.size() > 0 || boost::asio::buffer_size(buffers) == 0) {
            step = Step::from_memory;
            // Never complete inside the initiating call.
            return boost::asio::post(s.get_executor(), std::move(self));
          }
          step = Step::from_network;
          if (s.on_read_wait_) s.on_read_wait_();
          return s.next_.async_read_some(s.read_ahead_.prepare(kReadAheadBytes), std::move(self));
        case Step::from_network:
          s.read_ahead_.commit(n);
          if (ec && s.read_ahead_.size() == 0) return self.complete(ec, 0);
          [[fallthrough]];
        case Step::from_memory: {
          const auto copied = boost::asio::buffer_copy(buffers, s.read_ahead_.data());
          s.read_ahead_.consume(copied);
          return self.complete({}, copied);
        }
      }
    }
  };

  template <class ConstBuffers>
  struct WriteOp {
    CoalescingStream& s;
    ConstBuffers buffers;
    std::size_t size = 0;
    enum class Step { start, held, direct, flushed } step = Step::start;

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t n = 0) {
      switch (step) {
        case Step::start: {
          s.writing_ = true;
          size = boost::asio::buffer_size(buffers);
          const bool hold = std::exchange(s.hold_next_, false) && s.can_hold(size);
          if (s.held_.size() == 0 && !hold) {
            step = Step::direct;
            return s.next_.async_write_some(buffers, std::move(self));
          }
          // One contiguous buffer: the TLS layer then needs no flattening copy of its own.
          s.held_.commit(boost::asio::buffer_copy(s.held_.prepare(size), buffers));
          if (hold) {
            step = Step::held;
            return boost::asio::post(s.get_executor(), std::move(self));
          }
          step = Step::flushed;
          return boost::asio::async_write(s.next_, s.held_.data(), std::move(self));
        }
        case Step::held:
          s.writing_ = false;
          return self.complete({}, size);
        case Step::direct:
          s.writing_ = false;
          return self.complete(ec, n);
        case Step::flushed:
          // On error the connection is finished either way; the caller sees the error.
          s.writing_ = false;
          s.held_.clear();
          return self.complete(ec, ec ? 0 : size);
      }
    }
  };

  struct TeardownOp {
    CoalescingStream& s;
    boost::beast::role_type role;
    enum class Step { start, flushed, done } step = Step::start;

    template <class Self>
    void operator()(Self& self, boost::system::error_code ec = {}, std::size_t = 0) {
      switch (step) {
        case Step::start:
          if (s.held_.size() > 0) {
            step = Step::flushed;
            s.writing_ = true;
            return boost::asio::async_write(s.next_, s.held_.data(), std::move(self));
          }
          [[fallthrough]];
        case Step::flushed: {
          // A failed flush still tears down: the peer is gone or going.
          s.writing_ = false;
          s.held_.clear();
          step = Step::done;
          using boost::beast::websocket::async_teardown;
          return async_teardown(role, s.next_, std::move(self));
        }
        case Step::done:
          return self.complete(ec);
      }
    }
  };

  NextLayer next_;
  boost::beast::flat_buffer held_;
  boost::beast::flat_buffer read_ahead_;
  bool hold_next_ = false;
  bool writing_ = false;  // a write is between its initiation and its completion
  std::function<void()> on_read_wait_;
};

// Found by argument-dependent lookup from Beast's close handshake.
template <class NextLayer>
void teardown(boost::beast::role_type role, CoalescingStream<NextLayer>& stream, boost::system::error_code& ec) {
  stream.flush_and_teardown(role, ec);
}

template <class NextLayer, class TeardownHandler>
void async_teardown(boost::beast::role_type role, CoalescingStream<NextLayer>& stream, TeardownHandler&& handler) {
  stream.async_flush_and_teardown(role, std::forward<TeardownHandler>(handler));
}

}  // namespace desk::bot::slack
