#include "bot/intake_committer.hpp"

#include <algorithm>
#include <vector>

#include "bot/slack/log.hpp"

namespace desk::bot {
namespace {

handlers::HttpResponse stopping_answer() {
  handlers::HttpResponse r{503,
                           "application/json",
                           R"({"error":"unavailable","message":"the desk is stopping; retry later","field":null})",
                           {}};
  r.headers.emplace_back("Retry-After", "5");
  return r;
}

handlers::HttpResponse full_answer() {
  handlers::HttpResponse r{
      503,
      "application/json",
      R"({"error":"unavailable","message":"the desk has too many requests waiting for its database )"
      R"((limits.queued_requests); retry later","field":null})",
      {}};
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

// A reply that throws must not take the committer thread (and every later request) down with it.
void deliver(IntakeCommitter::Reply& reply, handlers::HttpResponse answer) {
  try {
    reply(std::move(answer));
  } catch (const std::exception& e) { slack::log_error("intake.reply_failed", {{"error", e.what()}}); }
}

}  // namespace

IntakeCommitter::IntakeCommitter(handlers::IntakeHandler& handler, const core::Clock& clock,
                                 IntakeCommitterOptions options)
    : handler_(handler),
      clock_(clock),
      max_batch_(std::max<std::size_t>(1, options.max_batch)),
      max_queue_(std::max<std::size_t>(1, options.max_queue)),
      thread_([this] { run(); }) {}

IntakeCommitter::~IntakeCommitter() { stop(); }

void IntakeCommitter::read(handlers::StoreRead work, Reply reply) { enqueue(Job{std::move(work), std::move(reply)}); }

void IntakeCommitter::enqueue(Job job) {
  bool full = false;
  bool stopping = false;
  {
    std::lock_guard lock(mutex_);
    stopping = stopping_;
    // Bounded: under a flood, a request that would wait behind too many others is refused at once
    // (and costs nothing more) instead of growing memory and everyone's latency.
    full = queue_.size() >= max_queue_;
    if (!stopping && !full) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
    if (full && !stopping) ++stats_.refused_full;
  }
  deliver(job.reply, stopping ? stopping_answer() : full_answer());
}

void IntakeCommitter::submit(handlers::HttpRequest request, Reply reply) {
  handlers::PreparedRequest prepared = handler_.prepare(request, clock_.now());
  if (auto* answer = std::get_if<handlers::HttpResponse>(&prepared)) {
    deliver(reply, std::move(*answer));
    return;
  }
  Job job;
  job.reply = std::move(reply);
  if (auto* pending = std::get_if<handlers::PendingSubmission>(&prepared))
    job.work = std::move(*pending);
  else
    job.work = std::get<handlers::StoreRead>(std::move(prepared));
  enqueue(std::move(job));
}

void IntakeCommitter::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

IntakeCommitterStats IntakeCommitter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void IntakeCommitter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    if (queue_.empty()) return;  // stopping, and everything queued has been answered
    std::deque<Job> jobs = take();
    lock.unlock();
    process(jobs);
    lock.lock();
  }
}

std::deque<IntakeCommitter::Job> IntakeCommitter::take() {
  std::deque<Job> jobs;
  std::size_t submissions = 0;
  while (!queue_.empty()) {
    const bool is_submission = std::holds_alternative<handlers::PendingSubmission>(queue_.front().work);
    if (is_submission && submissions == max_batch_) break;
    submissions += is_submission ? 1 : 0;
    jobs.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  return jobs;
}

void IntakeCommitter::process(std::deque<Job>& jobs) {
  std::vector<handlers::PendingSubmission> batch;
  std::vector<Reply*> batch_replies;
  for (auto& job : jobs) {
    if (auto* pending = std::get_if<handlers::PendingSubmission>(&job.work)) {
      batch.push_back(std::move(*pending));
      batch_replies.push_back(&job.reply);
    }
  }
  if (!batch.empty()) {
    const std::size_t size = batch.size();
    std::vector<handlers::HttpResponse> answers = handler_.commit(std::move(batch));  // never throws
    {
      std::lock_guard lock(mutex_);
      ++stats_.batches;
      stats_.submissions += size;
      stats_.largest_batch = std::max(stats_.largest_batch, size);
    }
    for (std::size_t i = 0; i < batch_replies.size() && i < answers.size(); ++i)
      deliver(*batch_replies[i], std::move(answers[i]));
  }
  // Reads after the commit: a read queued beside a submission was concurrent with it, and now sees it.
  for (auto& job : jobs) {
    if (const auto* read = std::get_if<handlers::StoreRead>(&job.work)) {
      handlers::HttpResponse answer = handler_.read(*read);
      {
        std::lock_guard lock(mutex_);
        ++stats_.reads;  // counted before the answer leaves, so whoever got it sees the count
      }
      deliver(job.reply, std::move(answer));
    }
  }
}

}  // namespace desk::bot
