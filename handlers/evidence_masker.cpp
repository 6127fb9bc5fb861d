#include "handlers/evidence_masker.hpp"

#include <iterator>
#include <vector>

namespace desk::handlers {

std::string EvidenceMasker::mask(const PolicySet* set, std::string_view text) {
  const core::PersonalDataScanner* scanner = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto& slot = scanners_[set ? "policy:" + set->digest() : std::string("all")];
    if (!slot) {
      const std::vector<core::PersonalDataKind> all(std::begin(core::kAllPersonalDataKinds),
                                                    std::end(core::kAllPersonalDataKinds));
      slot = std::make_unique<core::PersonalDataScanner>(set ? set->policy().personal_data.detectors : all);
    }
    scanner = slot.get();  // scan() is const and scanners are never removed: no lock needed to use it
  }
  return core::mask_personal_data(text, scanner->scan(text));
}

}  // namespace desk::handlers
