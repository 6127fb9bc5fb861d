#include "bot/mcp/decision_watch.hpp"

#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace desk::bot::mcp {

namespace net = boost::asio;

struct DecisionWatch::State : std::enable_shared_from_this<State> {
  struct Waiter {
    std::string seen;
    net::steady_timer* timer;
    bool changed = false;
  };

  /// A waiter's place in `waiters`, erased when it goes.
  struct Registration {
    State& state;
    std::multimap<std::string, Waiter*>::iterator entry;
    ~Registration() { state.waiters.erase(entry); }
  };

  State(net::any_io_executor e, FingerprintReader r) : executor(e), reader(std::move(r)), retry(e) {}

  net::any_io_executor executor;
  FingerprintReader reader;
  net::steady_timer retry;  ///< after a failed read
  std::multimap<std::string, Waiter*> waiters;
  std::set<std::string> dirty;
  bool all_dirty = false;
  bool reading = false;
  bool closed = false;
  std::uint64_t epoch = 1;  ///< counts notify() calls: a waiter that saw this one has missed nothing

  /// Nothing is waiting to be read or being read: every change notified so far has reached its waiters.
  bool settled() const { return !reading && !all_dirty && dirty.empty(); }

  void read_if_needed() {
    if (reading || closed || (!all_dirty && dirty.empty())) return;
    std::vector<std::string> ids;
    if (all_dirty) {
      for (auto it = waiters.begin(); it != waiters.end(); it = waiters.upper_bound(it->first))
        ids.push_back(it->first);
    } else {
      // Only the ids named: a waiter that re-registers costs a look-up, not a walk over every waiter.
      for (const auto& id : dirty)
        if (waiters.count(id)) ids.push_back(id);
    }
    all_dirty = false;
    dirty.clear();
    if (ids.empty()) return;
    reading = true;
    std::weak_ptr<State> weak = weak_from_this();
    auto executor_copy = executor;
    reader(ids, [weak, executor_copy, ids](std::optional<Fingerprints> found) {
      net::post(executor_copy, [weak, ids, found = std::move(found)] {
        if (auto self = weak.lock()) found ? self->apply(*found) : self->failed(ids);
      });
    });
  }

  /// The store could not be read (busy or down): the same ids are looked at again in a second.
  void failed(const std::vector<std::string>& ids) {
    reading = false;
    dirty.insert(ids.begin(), ids.end());
    std::weak_ptr<State> weak = weak_from_this();
    retry.expires_after(std::chrono::seconds(1));
    retry.async_wait([weak](boost::system::error_code ec) {
      if (auto self = weak.lock(); self && !ec) self->read_if_needed();
    });
  }

  void apply(const Fingerprints& found) {
    reading = false;
    for (const auto& [id, fingerprint] : found) {
      auto [first, last] = waiters.equal_range(id);
      for (auto it = first; it != last; ++it)
        if (fingerprint != it->second->seen && !it->second->changed) {
          it->second->changed = true;
          it->second->timer->cancel();
        }
    }
    read_if_needed();  // changes that came in while this read ran
  }
};

DecisionWatch::DecisionWatch(net::any_io_executor executor, FingerprintReader reader)
    : state_(std::make_shared<State>(std::move(executor), std::move(reader))) {}

DecisionWatch::~DecisionWatch() { close(); }

net::awaitable<DecisionWatch::Wake> DecisionWatch::wait(std::string id, std::string seen,
                                                        std::chrono::steady_clock::time_point until,
                                                        std::uint64_t* epoch) {
  auto state = state_;  // the coroutine may outlive this object
  if (state->closed) co_return Wake::closed;
  const bool missed_something = !epoch || *epoch != state->epoch;
  net::steady_timer timer(state->executor, until);
  State::Waiter waiter{std::move(seen), &timer};
  // Erased however the coroutine ends, even when its frame is destroyed unresumed at shutdown.
  const State::Registration registration{*state, state->waiters.emplace(id, &waiter)};
  // A change may have been notified since the caller's read: then look once before sleeping. (A
  // waiter back from a quiet heartbeat has missed nothing, and costs no read.)
  if (missed_something) {
    state->dirty.insert(id);
    state->read_if_needed();
  }
  co_await timer.async_wait(net::as_tuple(net::use_awaitable));
  if (epoch && state->settled()) *epoch = state->epoch;
  if (state->closed) co_return Wake::closed;
  co_return waiter.changed ? Wake::changed : Wake::deadline;
}

void DecisionWatch::notify(const std::string& id) {
  ++state_->epoch;
  if (id.empty())
    state_->all_dirty = true;
  else if (state_->waiters.count(id))
    state_->dirty.insert(id);
  state_->read_if_needed();
}

void DecisionWatch::close() {
  if (state_->closed) return;
  state_->closed = true;
  state_->retry.cancel();
  for (auto& [id, waiter] : state_->waiters) waiter->timer->cancel();
}

std::size_t DecisionWatch::waiting() const { return state_->waiters.size(); }

std::uint64_t DecisionWatch::epoch() const { return state_->epoch; }

}  // namespace desk::bot::mcp
