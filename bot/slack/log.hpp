#pragma once
/// Logging facade for the desk process: one `key=value` line per event on stderr (journald picks it
/// up). Token redaction lives here, in the facade, so no caller can forget it: anything shaped like a
/// Slack token and every value registered with `register_secret` is masked before the line is written.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>

namespace desk::bot::slack {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };

/// One `key=value` pair. Values are formatted eagerly; build debug-only fields behind `log_enabled`.
struct LogField {
  std::string_view key;
  std::string value;

  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  LogField(std::string_view k, bool v) : key(k), value(v ? "true" : "false") {}
  template <typename T, typename = std::enable_if_t<std::is_arithmetic_v<T>>>
  LogField(std::string_view k, T v) : key(k), value(std::to_string(v)) {}
};

/// Writes one line when `level` is enabled: `ts=… level=… event=<event> k=v …`.
void log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

inline void log_debug(std::string_view event, std::initializer_list<LogField> fields = {}) {
  log(LogLevel::debug, event, fields);
}
inline void log_info(std::string_view event, std::initializer_list<LogField> fields = {}) {
  log(LogLevel::info, event, fields);
}
inline void log_warn(std::string_view event, std::initializer_list<LogField> fields = {}) {
  log(LogLevel::warn, event, fields);
}
inline void log_error(std::string_view event, std::initializer_list<LogField> fields = {}) {
  log(LogLevel::error, event, fields);
}

/// Sets the lowest level that is written (default info).
void set_log_level(LogLevel level);
/// True when lines at `level` are written; use it to skip building expensive debug fields.
bool log_enabled(LogLevel level);
/// Parses "debug", "info", "warn"/"warning", "error"; anything else leaves `fallback`.
LogLevel parse_log_level(std::string_view text, LogLevel fallback);

/// Registers a secret value (a token read from the environment): it is masked in every later line
/// and in every `redact` result. Values shorter than 4 characters are ignored (they would mask
/// ordinary words); empty values are ignored.
void register_secret(std::string_view secret);

/// Masks Slack-token-shaped substrings (xoxb-, xoxp-, xoxa-, xoxr-, xoxe-, xapp- …) and registered
/// secrets. Use it for any text that may end up outside the process (errors, replies, the database).
std::string redact(std::string_view text);

/// A fatal start-up or run problem for a person at a terminal: "escalation-desk: <message>" on
/// stderr (redacted), then the same as a desk.fatal log event for journald.
void report_fatal(const std::string& message);

/// Replaces the stderr writer (tests capture lines); pass an empty function to restore stderr.
/// The sink receives the finished, redacted line without the trailing newline.
void set_log_sink(std::function<void(std::string_view line)> sink);

}  // namespace desk::bot::slack
