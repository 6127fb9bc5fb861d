#pragma once
/// Private to the config loader (bot/config/): turns the parsed YAML tree into a core::Policy. One
/// parser object reads the whole file; its parts are split by config section:
///   policy_parser.cpp       the file as a whole: its sections, their order, checks across sections
///   desk_sections.cpp       desk: (with desk.sop), sla: and limits:
///   rota_sections.cpp       people: and roles: (rotations included)
///   trigger_sections.cpp    lexicon: and personal_data:
///   workflows_section.cpp   workflows:
///   teams_section.cpp       teams: (the interactive Teams bot) and each person's teams: id
/// Sections read later refer to names read earlier (roles name people, workflows name lexicon
/// categories); the parser keeps where each name sits so a wrong reference is reported at its line.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "bot/config/field_reader.hpp"
#include "core/policy.hpp"

namespace desk::core {
class LexiconMatcher;
}

namespace desk::bot::config_parsing {

/// Where each named thing sits in the file, to report errors found after parsing.
struct Places {
  std::map<std::string, YAML::Node> roles;
  std::map<std::string, YAML::Node> lexicon;  // category node
};

/// "monday 09:00": a weekday (full or three letters, any case) and a 24-hour time.
struct WeeklyTime {
  std::chrono::weekday day;
  std::chrono::minutes time;
};
std::optional<WeeklyTime> parse_weekly_time(const std::string& text);

class PolicyParser {
 public:
  PolicyParser(Reader& r, std::string base_dir) : r_(r), base_dir_(std::move(base_dir)) {}

  core::Policy parse(const YAML::Node& root);
  /// The lexicon parse() compiled to check it, for the engine to use instead of compiling it again.
  std::shared_ptr<const core::LexiconMatcher> compiled_lexicon() const { return lexicon_; }

 private:
  // desk_sections.cpp
  void parse_desk(const YAML::Node& n, core::DeskSettings& d);
  void parse_sop(const YAML::Node& n, core::DeskSop& sop);
  void parse_sla(const YAML::Node& n, core::SlaPolicy& s);
  void parse_limits(const YAML::Node& n, core::IntakeQuotas& q);
  // rota_sections.cpp
  void parse_people(const YAML::Node& n, core::Policy& p);
  void parse_roles(const YAML::Node& n, core::Policy& p);
  core::Rotation parse_rotation(const YAML::Node& n, const std::string& role, const core::Policy& p);
  std::string person_ref(const YAML::Node& n, const std::string& what, const core::Policy& p);
  // teams_section.cpp
  void parse_teams(const YAML::Node& n, core::TeamsBotSettings& t);
  /// A person's `teams:` id: an Entra object id (GUID), lower-cased, given to one person only.
  std::string teams_user(const YAML::Node& n, const std::string& person);
  // trigger_sections.cpp
  void parse_lexicon(const YAML::Node& n, core::Policy& p);
  void parse_personal_data(const YAML::Node& n, core::Policy& p);
  // workflows_section.cpp
  void parse_workflows(const YAML::Node& n, core::Policy& p);
  // policy_parser.cpp
  void check_references(const YAML::Node&, const core::Policy& p);
  void build_engines(const core::Policy& p);

  Reader& r_;
  std::string base_dir_;
  Places places_;
  std::set<std::string> slack_ids_;
  std::set<std::string> teams_ids_;
  std::map<std::string, YAML::Node> people_nodes_;
  std::vector<std::pair<YAML::Node, std::string>> route_nodes_;
  std::vector<std::pair<YAML::Node, std::string>> follows_nodes_;
  std::shared_ptr<const core::LexiconMatcher> lexicon_;
};

}  // namespace desk::bot::config_parsing
