#pragma once
/// Masks personal data in evidence for display, with the detectors of the policy an escalation was
/// opened under. Each policy's scanner is built once (compiling its patterns is the costly part) and
/// kept. Without a policy every detector is used: showing too little beats leaking. Every surface
/// that shows evidence (Slack, the console, …) masks through one of these, and masks every free-text
/// field through mask_evidence, so a field is masked everywhere or shown nowhere. Safe from several threads.
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/text_scan.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

/// An escalation's evidence as people may see it: every free-text field with personal data masked.
struct MaskedEvidence {
  std::string prompt;
  std::string output;
  std::string permalink;
  std::string suggested_fix;
  std::string metadata_json;  ///< the same object, each string value masked
};

class EvidenceMasker {
 public:
  /// `text` with the personal data that `set`'s detectors find masked (`set` may be null).
  std::string mask(const PolicySet* set, std::string_view text);

  /// Every free-text field of `evidence` masked (`set` may be null).
  MaskedEvidence mask_evidence(const PolicySet* set, const storage::EvidenceBundle& evidence);

 private:
  const core::PersonalDataScanner& scanner(const PolicySet* set);

  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<core::PersonalDataScanner>> scanners_;  ///< by policy digest; never removed
};

}  // namespace desk::handlers
