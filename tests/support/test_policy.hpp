#pragma once
// A small policy built in code for core and macros tests: the seed's roles and workflows, with
// rotations anchored so that the week of 2026-11-30 is well known.
//   duty_lead (Europe/London, Monday 09:00, anchor 2026-11-30): alice, bob, chen
//   backup: next in duty_lead;  marketing_director: dana;  legal_oncall: hana, ivan (New York)
#include <chrono>

#include "core/policy.hpp"
#include "core/submission.hpp"

namespace desk::testing {

inline core::Person person(const char* id, const char* name, const char* slack) {
  return core::Person{id, name, slack, std::string(id) + "@example.com", {}};
}

inline core::RoleSpec rotation_role(const char* id, const char* zone, std::vector<std::string> members) {
  core::RoleSpec r;
  r.id = id;
  r.title = id;
  r.kind = core::RoleSpec::Kind::rotation;
  r.rotation.time_zone = zone;
  r.rotation.handoff_day = std::chrono::Monday;
  r.rotation.handoff_time = std::chrono::hours(9);
  r.rotation.anchor = std::chrono::year{2026} / std::chrono::November / 30;
  r.rotation.members = std::move(members);
  return r;
}

inline core::RoleSpec fixed_role(const char* id, const char* who) {
  core::RoleSpec r;
  r.id = id;
  r.title = id;
  r.kind = core::RoleSpec::Kind::fixed;
  r.person = who;
  return r;
}

inline core::Policy seed_policy() {
  core::Policy p;
  for (auto pr : {person("alice", "Alice", "U0A"), person("bob", "Bob", "U0B"), person("chen", "Chen", "U0C"),
                  person("dana", "Dana", "U0D"), person("erin", "Erin", "U0E"), person("farah", "Farah", "U0F"),
                  person("gus", "Gus", "U0G"), person("hana", "Hana", "U0H"), person("ivan", "Ivan", "U0I"),
                  person("jo", "Jo", "U0J")})
    p.people.emplace(pr.id, pr);
  p.roles.emplace("duty_lead", rotation_role("duty_lead", "Europe/London", {"alice", "bob", "chen"}));
  core::RoleSpec backup;
  backup.id = "backup";
  backup.kind = core::RoleSpec::Kind::next_in_rotation;
  backup.follows = "duty_lead";
  p.roles.emplace("backup", backup);
  p.roles.emplace("marketing_director", fixed_role("marketing_director", "dana"));
  p.roles.emplace("legal_oncall", rotation_role("legal_oncall", "America/New_York", {"hana", "ivan"}));
  p.roles.emplace("community_lead", fixed_role("community_lead", "erin"));
  p.roles.emplace("lifecycle_manager", fixed_role("lifecycle_manager", "farah"));
  p.roles.emplace("research_editor", fixed_role("research_editor", "gus"));
  p.roles.emplace("sales", fixed_role("sales", "jo"));

  core::Workflow community{"community_replies",     "", "public", 0.80, "community_lead", {}, {},
                           std::chrono::months(12), {}};
  core::Workflow nurture{"email_nurture",     "", "semi_private",          {}, "lifecycle_manager",
                         "lifecycle_manager", {}, std::chrono::months(12), {}};
  core::Workflow thought{"thought_leadership",    "", "external", {}, "research_editor", {}, "research_editor",
                         std::chrono::months(12), {}};
  core::Workflow ads{"paid_ads", "", "public", 0.90, "duty_lead", {}, {}, std::chrono::months(12), {}};
  for (auto& wf : {community, nurture, thought, ads}) p.workflows.emplace(wf.id, wf);

  p.lexicon = {
      {"pricing", "legal_oncall", {"price", "discount", "lowest price"}, {R"([$€£]\s?\d[\d,]*(\.\d+)?)"}},
      {"guarantees", "legal_oncall", {"guarantee", "guaranteed", "risk-free"}, {}},
      {"regulated_claims", "legal_oncall", {"licensed", "clinically proven"}, {}},
      {"fee_concessions", "sales", {"waive the fee", "fee waiver"}, {}},
  };
  p.personal_data.detectors.assign(std::begin(core::kAllPersonalDataKinds), std::end(core::kAllPersonalDataKinds));
  p.personal_data.route = "legal_oncall";
  p.desk.route_precedence = {"legal_oncall", "sales", "lifecycle_manager", "research_editor"};
  p.source_digest = "testdigest";
  return p;
}

/// 2026-12-01 12:00 UTC: a Tuesday in the first watch (alice duty lead, bob backup, hana legal).
inline core::TimePoint tuesday_noon() {
  return std::chrono::sys_days(std::chrono::year{2026} / std::chrono::December / 1) + std::chrono::hours(12);
}

/// A confident community reply that triggers nothing by itself: tests add what they look for.
inline core::Submission clean_reply(core::TimePoint at) {
  core::Submission s;
  s.workflow = "community_replies";
  s.channel = "linkedin";
  s.agent = "social-agent-3";
  s.confidence = 0.95;
  s.output = "Thanks for the kind words!";
  s.submitted_at = at;
  return s;
}

/// A paid ad below the workflow's confidence threshold: it escalates to the duty lead (alice in the
/// first watch) and nothing else.
inline core::Submission low_confidence_ad(core::TimePoint at) {
  core::Submission s;
  s.workflow = "paid_ads";
  s.channel = "linkedin";
  s.agent = "ads-agent-1";
  s.confidence = 0.62;
  s.output = "Our new plan is here.";
  s.submitted_at = at;
  return s;
}

}  // namespace desk::testing
