// The config file as a whole: which sections it has, the order they are read in (a section may
// refer only to names read before it), and the checks that span sections: every role named anywhere
// exists, and what the desk compiles at start (lexicon, rota) compiles.
#include <string>
#include <vector>

#include "bot/config/config_loader.hpp"
#include "bot/config/policy_parser.hpp"
#include "core/policy_engine.hpp"
#include "core/rota.hpp"
#include "core/text_scan.hpp"

namespace desk::bot::config_parsing {

core::Policy PolicyParser::parse(const YAML::Node& root) {
  if (root.IsNull())
    throw ConfigError(r_.file(), 1, 1, "the config file is empty", "start from deploy/desk.example.yaml");
  r_.check_keys(root, {"desk", "sla", "limits", "people", "roles", "workflows", "lexicon", "personal_data", "teams"},
                "the config");
  core::Policy p;
  if (root["desk"]) parse_desk(root["desk"], p.desk);
  if (root["sla"]) parse_sla(root["sla"], p.sla);
  if (root["limits"]) parse_limits(root["limits"], p.limits);
  if (root["teams"]) parse_teams(root["teams"], p.teams);
  for (const char* key : {"people", "roles", "workflows"})
    if (!root[key]) r_.fail(root, std::string("the config has no '") + key + "' section");
  parse_people(root["people"], p);
  parse_roles(root["roles"], p);
  if (root["lexicon"]) parse_lexicon(root["lexicon"], p);
  if (root["personal_data"]) parse_personal_data(root["personal_data"], p);
  parse_workflows(root["workflows"], p);
  check_references(root, p);
  build_engines(p);
  return p;
}

void PolicyParser::check_references(const YAML::Node& root, const core::Policy& p) {
  if (!p.desk.hotline_workflow.empty() && !p.workflows.count(p.desk.hotline_workflow)) {
    std::vector<std::string> workflows;
    for (const auto& [k, _] : p.workflows) workflows.push_back(k);
    const auto near = closest(p.desk.hotline_workflow, workflows);
    r_.fail(root["desk"]["hotline_workflow"],
            "unknown workflow '" + p.desk.hotline_workflow + "' in desk.hotline_workflow",
            near.empty() ? "workflows: " + join(workflows) : "did you mean '" + near + "'?");
  }
  std::vector<std::string> roles;
  for (const auto& [k, _] : p.roles) roles.push_back(k);
  for (const auto& [node, what] : route_nodes_) {
    std::vector<std::string> names =
        node.IsSequence() ? r_.string_list(node, what) : std::vector<std::string>{node.as<std::string>()};
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (p.roles.count(names[i])) continue;
      const auto near = closest(names[i], roles);
      r_.fail(node.IsSequence() ? node[i] : node, "unknown role '" + names[i] + "' in " + what,
              near.empty() ? "roles: " + join(roles) : "did you mean '" + near + "'?");
    }
  }
}

/// Compiles what the desk will compile at start (lexicon, rota), so a config that would fail there
/// fails here, at the line that causes it.
void PolicyParser::build_engines(const core::Policy& p) {
  try {
    lexicon_ = std::make_shared<const core::LexiconMatcher>(p.lexicon);
  } catch (const core::LexiconError& e) {
    const auto& cat = places_.lexicon.at(e.category());
    const auto& list = cat[e.is_pattern() ? "patterns" : "terms"];
    r_.fail(
        list && list.IsSequence() && e.index() < list.size() ? list[e.index()] : cat,
        std::string("bad lexicon ") + (e.is_pattern() ? "pattern" : "term") + " in '" + e.category() + "': " + e.what(),
        e.is_pattern() ? "patterns use RE2 syntax (no look-around or back-references)" : "");
  }
  try {
    core::Rota rota(p.roles, p.people);
  } catch (const core::RotaError& e) {
    auto it = places_.roles.find(e.role());
    if (it != places_.roles.end()) r_.fail(it->second, std::string("role '") + e.role() + "': " + e.what());
    throw ConfigError(r_.file(), 0, 0, e.what());
  }
}

}  // namespace desk::bot::config_parsing
