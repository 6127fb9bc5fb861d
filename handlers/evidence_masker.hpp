#pragma once
/// Masks personal data in evidence for display, with the detectors of the policy an escalation was
/// opened under. Each policy's scanner is built once (compiling its patterns is the costly part) and
/// kept. Without a policy every detector is used: showing too little beats leaking. Every surface
/// that shows evidence (Slack, the console, …) masks through one of these. Safe from several threads.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/text_scan.hpp"
#include "handlers/policy_set.hpp"

namespace desk::handlers {

class EvidenceMasker {
 public:
  /// `text` with the personal data that `set`'s detectors find masked (`set` may be null).
  std::string mask(const PolicySet* set, std::string_view text);

 private:
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<core::PersonalDataScanner>> scanners_;  ///< by policy digest; never removed
};

}  // namespace desk::handlers
