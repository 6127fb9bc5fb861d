#include "bot/console/event_hub.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace desk::bot::console {

namespace net = boost::asio;

std::string format_event(std::uint64_t id, const std::string& event, const nlohmann::json& data) {
  // dump() never emits a raw newline (they are escaped inside strings), so one data line holds it all.
  return "id: " + std::to_string(id) + "\nevent: " + event +
         "\ndata: " + data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

EventHub::EventHub(net::any_io_executor executor, EventHubOptions options)
    : executor_(std::move(executor)), options_(options) {}

EventHub::~EventHub() {
  for (Stream* s : streams_) s->hub_ = nullptr;
}

void EventHub::publish(const std::string& event, const nlohmann::json& data) {
  if (closed_) return;
  const std::uint64_t id = next_id_++;
  std::string text = format_event(id, event, data);
  for (Stream* s : streams_) s->push(text);
  history_.emplace_back(id, std::move(text));
  while (history_.size() > options_.history) history_.pop_front();
}

void EventHub::publish_from_any_thread(std::string event, nlohmann::json data) {
  net::post(executor_, [this, event = std::move(event), data = std::move(data)] { publish(event, data); });
}

std::shared_ptr<EventHub::Stream> EventHub::open(std::optional<std::uint64_t> last_event_id) {
  auto stream = std::make_shared<Stream>(*this, executor_);
  stream->preamble = "retry: " + std::to_string(options_.retry.count()) + "\n\n";
  if (closed_) {
    stream->closed_ = true;
    return stream;
  }
  if (last_event_id && *last_event_id < last_id()) {
    const bool covered = !history_.empty() && history_.front().first <= *last_event_id + 1;
    if (covered) {
      for (const auto& [id, text] : history_)
        if (id > *last_event_id) stream->preamble += text;
    } else {
      // Too much happened while it was away: the page reloads instead of patching itself up.
      stream->preamble += format_event(last_id(), "reload", {{"reason", "missed events"}});
    }
  }
  streams_.insert(stream.get());
  return stream;
}

void EventHub::close() {
  if (closed_) return;
  closed_ = true;
  for (Stream* s : streams_) {
    s->closed_ = true;
    s->wake_.cancel();
  }
}

EventHub::Stream::Stream(EventHub& hub, net::any_io_executor executor)
    : hub_(&hub), wake_(executor, std::chrono::steady_clock::time_point::max()) {}

EventHub::Stream::~Stream() {
  if (hub_) hub_->forget(this);
}

void EventHub::Stream::push(const std::string& text) {
  if (overflowed_) return;
  if (hub_ && queued_.size() >= hub_->options_.max_queued) {
    // A reader this far behind gets one reload instead of an ever-growing queue.
    overflowed_ = true;
    queued_.clear();
    queued_.push_back(format_event(hub_->last_id(), "reload", {{"reason", "too far behind"}}));
  } else {
    queued_.push_back(text);
  }
  wake_.cancel();
}

net::awaitable<std::optional<std::string>> EventHub::Stream::next() {
  if (queued_.empty() && !closed_) {
    wake_.expires_after(hub_ ? hub_->options_.keep_alive : std::chrono::seconds{15});
    co_await wake_.async_wait(net::as_tuple(net::use_awaitable));
  }
  if (closed_ || !hub_) co_return std::nullopt;
  if (queued_.empty()) co_return std::string(": keep-alive\n\n");
  std::string out;
  while (!queued_.empty()) {
    out += queued_.front();
    queued_.pop_front();
  }
  if (overflowed_) closed_ = true;  // the reload was its last word; the browser reconnects
  co_return out;
}

}  // namespace desk::bot::console
