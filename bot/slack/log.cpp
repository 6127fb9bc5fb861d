#include "bot/slack/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <vector>

namespace desk::bot::slack {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::info)};

struct LogState {
  std::mutex mutex;
  std::vector<std::string> secrets;
  std::function<void(std::string_view)> sink;
};

LogState& state() {
  static LogState s;
  return s;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// Slack tokens start "xox" + one letter + "-" (xoxb-, xoxp-, xoxa-, xoxr-, xoxe-), "xoxe.xoxp-" for
// rotating tokens, or "xapp-" for app-level tokens. Returns the prefix length, or 0.
std::size_t token_prefix_at(std::string_view text, std::size_t i) {
  auto rest = text.substr(i);
  if (rest.starts_with("xapp-")) return 5;
  if (rest.size() >= 5 && rest.starts_with("xox") && rest[3] >= 'a' && rest[3] <= 'z' &&
      (rest[4] == '-' || rest[4] == '.')) {
    return 5;
  }
  return 0;
}

std::string mask_token_shapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t prefix = (text[i] == 'x') ? token_prefix_at(text, i) : 0;
    // A token is a whole word: "maxoxb-" inside another word is still masked, since a leaked
    // token glued to other text is still a leaked token.
    if (prefix == 0) {
      out.push_back(text[i++]);
      continue;
    }
    std::size_t end = i + prefix;
    while (end < text.size() && is_token_char(text[end])) ++end;
    if (end == i + prefix) {  // a bare prefix ("starts with xoxb-") carries no secret
      out.append(text.substr(i, prefix));
      i = end;
      continue;
    }
    out.append(text.substr(i, 4));
    out.append("-[REDACTED]");
    i = end;
  }
  return out;
}

void mask_registered(std::string& text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    std::size_t pos = 0;
    while ((pos = text.find(secret, pos)) != std::string::npos) {
      text.replace(pos, secret.size(), "[REDACTED]");
      pos += 10;
    }
  }
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) { return true; }
  }
  return false;
}

void append_value(std::string& line, std::string_view v) {
  if (!needs_quotes(v)) {
    line.append(v);
    return;
  }
  line.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') {
      line.push_back('\\');
      line.push_back(c);
    } else if (c == '\n') {
      line.append("\\n");
    } else if (static_cast<unsigned char>(c) < 0x20) {
      line.push_back('?');
    } else {
      line.push_back(c);
    }
  }
  line.push_back('"');
}

void append_timestamp(std::string& line) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  line.append(buf);
}

}  // namespace

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool log_enabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

LogLevel parse_log_level(std::string_view text, LogLevel fallback) {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn" || text == "warning") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  return fallback;
}

void register_secret(std::string_view secret) {
  if (secret.size() < 4) return;
  auto& s = state();
  std::lock_guard lock(s.mutex);
  for (const auto& known : s.secrets) {
    if (known == secret) return;
  }
  s.secrets.emplace_back(secret);
  // Longest first, so a secret that contains another is masked whole.
  std::sort(s.secrets.begin(), s.secrets.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
  std::string out;
  {
    auto& s = state();
    std::lock_guard lock(s.mutex);
    out = std::string(text);
    mask_registered(out, s.secrets);
  }
  return mask_token_shapes(out);
}

void set_log_sink(std::function<void(std::string_view)> sink) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.sink = std::move(sink);
}

void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!log_enabled(level)) return;
  std::string line;
  line.reserve(128);
  line.append("ts=");
  append_timestamp(line);
  line.append(" level=");
  line.append(level_name(level));
  line.append(" event=");
  append_value(line, event);
  for (const auto& field : fields) {
    line.push_back(' ');
    line.append(field.key);
    line.push_back('=');
    append_value(line, field.value);
  }
  auto& s = state();
  std::lock_guard lock(s.mutex);
  mask_registered(line, s.secrets);
  line = mask_token_shapes(line);
  if (s.sink) {
    s.sink(line);
    return;
  }
  line.push_back('\n');
  // One write() per line so lines from several threads never interleave.
  std::size_t done = 0;
  while (done < line.size()) {
    auto n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
}

void report_fatal(const std::string& message) {
  const auto line = "escalation-desk: " + redact(message) + "\n";
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
  log_error("desk.fatal", {{"message", message}});
}

}  // namespace desk::bot::slack
