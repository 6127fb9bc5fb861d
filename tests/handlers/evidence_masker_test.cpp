// One place masks every free-text field of the evidence, whichever surface shows it.
#include "handlers/evidence_masker.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/test_policy.hpp"

namespace desk::handlers {
namespace evidence_masker_test {

TEST(EvidenceMasker, MasksEveryFreeTextFieldAndKeepsMetadataAnObject) {
  const PolicySet set(testing::seed_policy());
  storage::EvidenceBundle evidence;
  evidence.prompt = "Reply to jane.doe@example.com";
  evidence.output = "Call +44 20 7946 0958";
  evidence.permalink = "https://example.com/thread?from=jane.doe@example.com";
  evidence.suggested_fix = "Ask jane.doe@example.com first";
  evidence.metadata_json = R"({"campaign":"launch","customer":{"emails":["jane.doe@example.com"],"n":3}})";
  EvidenceMasker masker;
  for (const PolicySet* policy : {&set, static_cast<const PolicySet*>(nullptr)}) {
    const MaskedEvidence masked = masker.mask_evidence(policy, evidence);
    for (const std::string* field :
         {&masked.prompt, &masked.output, &masked.permalink, &masked.suggested_fix, &masked.metadata_json}) {
      EXPECT_EQ(field->find("jane.doe"), std::string::npos) << *field;
      EXPECT_EQ(field->find("7946 0958"), std::string::npos) << *field;
    }
    EXPECT_EQ(masked.suggested_fix, "Ask j***@example.com first");
    const auto metadata = nlohmann::json::parse(masked.metadata_json);
    EXPECT_EQ(metadata["campaign"], "launch");
    EXPECT_EQ(metadata["customer"]["emails"][0], "j***@example.com");
    EXPECT_EQ(metadata["customer"]["n"], 3);
  }
}

TEST(EvidenceMasker, CleanEvidenceIsShownAsItIs) {
  storage::EvidenceBundle evidence;
  evidence.prompt = "Reply to the comment";
  evidence.output = "Thanks for the kind words!";
  evidence.permalink = "https://www.linkedin.com/feed/update/example";
  evidence.suggested_fix = "Nothing";
  evidence.metadata_json = R"({"campaign":"launch-week"})";
  const MaskedEvidence masked = EvidenceMasker().mask_evidence(nullptr, evidence);
  EXPECT_EQ(masked.prompt, evidence.prompt);
  EXPECT_EQ(masked.output, evidence.output);
  EXPECT_EQ(masked.permalink, evidence.permalink);
  EXPECT_EQ(masked.suggested_fix, evidence.suggested_fix);
  EXPECT_EQ(masked.metadata_json, evidence.metadata_json);
}

}  // namespace evidence_masker_test
}  // namespace desk::handlers
