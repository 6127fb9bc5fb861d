// bot::parse_config, the YAML config loader, over arbitrary bytes. Invariants: a refused file gives a
// ConfigError naming the file and saying what is wrong, with a place in it when there is one; nothing
// else escapes; an accepted config keeps its text and digest, and the desk could start with it (its
// listen address splits into host and port, its deadlines are positive and in order).
#include <cstddef>
#include <cstdint>
#include <string>

#include "bot/config/config_loader.hpp"
#include "tests/fuzz/fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto policy = desk::bot::parse_config(text, "fuzz.yaml", "/nonexistent");
    FUZZ_CHECK(policy.source_text == text && policy.source_digest.size() == 64);
    FUZZ_CHECK(desk::bot::parse_listen_address(policy.desk.intake_listen).has_value());
    FUZZ_CHECK(policy.sla.backup_ping.count() > 0 && policy.sla.backup_ping < policy.sla.triage);
  } catch (const desk::bot::ConfigError& e) {
    FUZZ_CHECK(e.file() == "fuzz.yaml" && !e.message().empty());
    FUZZ_CHECK(e.line() >= 0 && e.column() >= 0 && (e.line() == 0) == (e.column() == 0));
  }
  return 0;
}
