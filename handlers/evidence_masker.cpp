#include "handlers/evidence_masker.hpp"

#include <nlohmann/json.hpp>

#include <iterator>
#include <vector>

#include "handlers/metadata_text.hpp"

namespace desk::handlers {

const core::PersonalDataScanner& EvidenceMasker::scanner(const PolicySet* set) {
  std::lock_guard lock(mutex_);
  auto& slot = scanners_[set ? "policy:" + set->digest() : std::string("all")];
  if (!slot) {
    const std::vector<core::PersonalDataKind> all(std::begin(core::kAllPersonalDataKinds),
                                                  std::end(core::kAllPersonalDataKinds));
    slot = std::make_unique<core::PersonalDataScanner>(set ? set->policy().personal_data.detectors : all);
  }
  return *slot;  // scan() is const and scanners are never removed: no lock needed to use it
}

std::string EvidenceMasker::mask(const PolicySet* set, std::string_view text) {
  const core::PersonalDataScanner& s = scanner(set);
  return core::mask_personal_data(text, s.scan(text));
}

MaskedEvidence EvidenceMasker::mask_evidence(const PolicySet* set, const storage::EvidenceBundle& evidence) {
  MaskedEvidence out{mask(set, evidence.prompt),
                     mask(set, evidence.output),
                     mask(set, evidence.permalink),
                     mask(set, evidence.suggested_fix),
                     {}};
  nlohmann::json metadata = nlohmann::json::parse(evidence.metadata_json, nullptr, false);
  if (metadata.is_discarded()) {
    out.metadata_json = mask(set, evidence.metadata_json);  // not JSON (never stored so): masked as text
    return out;
  }
  for_each_metadata_string(metadata, "metadata", [&](const std::string&, nlohmann::json& value) {
    value = mask(set, value.get_ref<const std::string&>());
  });
  out.metadata_json = metadata.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return out;
}

}  // namespace desk::handlers
