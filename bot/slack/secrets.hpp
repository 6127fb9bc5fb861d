#pragma once
/// Secrets come from the environment only: `NAME` holds the value, or `NAME_FILE` names a file that
/// holds it (Docker/systemd credentials). Errors name the variable, never the value.
#include <cstddef>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace desk::bot::slack {

/// A secret is configured wrongly (both forms set, unreadable or empty file).
class SecretError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Looks up an environment variable; returns nullptr when unset (like std::getenv).
using EnvLookup = std::function<const char*(const char* name)>;

/// The process environment.
EnvLookup process_env();

/// Reads `name` (e.g. "SLACK_BOT_TOKEN") from the variable itself or from the file named by
/// `name + "_FILE"` (content trimmed of surrounding whitespace). Returns nullopt when neither is set
/// (an empty variable counts as unset). Throws SecretError when both are set, or the file cannot be
/// read or is empty. The value is registered with the log facade so it is masked in every line.
std::optional<std::string> read_secret(std::string_view name, const EnvLookup& env = process_env());

/// A comma-separated list of tokens (DESK_INTAKE_TOKENS, DESK_ADMIN_TOKENS, …), each trimmed of
/// spaces and line ends; empty entries are dropped.
std::vector<std::string> split_tokens(const std::string& text);

/// A DESK_AUDIT_KEY shorter than this could be guessed, and a guessed key forges the audit chain.
inline constexpr std::size_t kMinAuditKeyLength = 32;

/// DESK_AUDIT_KEY (or DESK_AUDIT_KEY_FILE) as read_secret reads it; nullopt when unset. Throws
/// SecretError for a key shorter than kMinAuditKeyLength, naming the variable, never the value.
std::optional<std::string> read_audit_key(const EnvLookup& env = process_env());

}  // namespace desk::bot::slack
