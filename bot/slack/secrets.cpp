#include "bot/slack/secrets.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "bot/slack/log.hpp"

namespace desk::bot::slack {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && is_space(text[begin])) ++begin;
  while (end > begin && is_space(text[end - 1])) --end;
  return std::string(text.substr(begin, end - begin));
}

const char* non_empty(const char* value) { return (value != nullptr && *value != '\0') ? value : nullptr; }

std::string read_file_secret(const std::string& file_var, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    // The path is configuration, not a secret, so naming it helps the operator.
    throw SecretError(file_var + " names a file that cannot be read: " + path);
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw SecretError(file_var + " names a file that cannot be read: " + path);
  auto value = trim(buffer.str());
  if (value.empty()) throw SecretError(file_var + " names an empty file: " + path);
  return value;
}

void register_value(const std::string& value) {
  register_secret(value);
  // Lists such as DESK_INTAKE_TOKENS hold several secrets; mask each one on its own too.
  std::size_t start = 0;
  while (start <= value.size()) {
    auto comma = value.find(',', start);
    auto part =
        trim(std::string_view(value).substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    register_secret(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
}

}  // namespace

EnvLookup process_env() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

std::optional<std::string> read_secret(std::string_view name, const EnvLookup& env) {
  const std::string var(name);
  const std::string file_var = var + "_FILE";
  const char* direct = non_empty(env(var.c_str()));
  const char* file = non_empty(env(file_var.c_str()));
  if (direct != nullptr && file != nullptr) {
    throw SecretError("both " + var + " and " + file_var + " are set; set only one of them");
  }
  std::string value;
  if (direct != nullptr) {
    value = trim(direct);
    if (value.empty()) return std::nullopt;
  } else if (file != nullptr) {
    value = read_file_secret(file_var, file);
  } else {
    return std::nullopt;
  }
  register_value(value);
  return value;
}

std::optional<std::string> read_audit_key(const EnvLookup& env) {
  auto key = read_secret("DESK_AUDIT_KEY", env);
  if (key && key->size() < kMinAuditKeyLength)
    throw SecretError("DESK_AUDIT_KEY holds " + std::to_string(key->size()) + " characters: it needs at least " +
                      std::to_string(kMinAuditKeyLength) + " (e.g. from `openssl rand -hex 32`)");
  return key;
}

std::vector<std::string> split_tokens(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = text.find(',', start);
    auto token = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    token.erase(0, token.find_first_not_of(" \t\r\n"));
    token.erase(token.find_last_not_of(" \t\r\n") + 1);
    if (!token.empty()) out.push_back(token);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

}  // namespace desk::bot::slack
