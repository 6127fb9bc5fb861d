// The workflows: section: each workflow an agent submits under, with its owner, confidence
// threshold, routes, citation age limit and the lexicon categories that apply to it.
#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "bot/config/policy_parser.hpp"
#include "core/policy_engine.hpp"

namespace desk::bot::config_parsing {

void PolicyParser::parse_workflows(const YAML::Node& n, core::Policy& p) {
  r_.check_unique_keys(n, "workflow");
  for (const auto& kv : n) {
    const auto id = kv.first.as<std::string>();
    const std::string what = "workflow '" + id + "'";
    const auto& v = kv.second;
    r_.check_keys(v,
                  {"description", "visibility", "confidence_threshold", "owner", "personal_data_route",
                   "stale_citation_route", "citation_max_age_months", "lexicon"},
                  what);
    core::Workflow wf;
    wf.id = id;
    if (v["description"]) wf.description = r_.string(v["description"], "description of " + what, true);
    if (v["visibility"]) {
      wf.visibility = r_.string(v["visibility"], "visibility of " + what);
      static const std::vector<std::string> kVisibilities = {"public", "semi_private", "external", "internal"};
      if (std::find(kVisibilities.begin(), kVisibilities.end(), wf.visibility) == kVisibilities.end())
        r_.fail(v["visibility"], "unknown visibility '" + wf.visibility + "'", "use one of " + join(kVisibilities));
    }
    if (v["confidence_threshold"]) {
      const double t = r_.number(v["confidence_threshold"], "confidence_threshold of " + what);
      if (t < 0.0 || t > 1.0)
        r_.fail(v["confidence_threshold"],
                "confidence_threshold " + core::format_fraction(t) + " of " + what + " is outside 0–1",
                "a threshold is a fraction, e.g. 0.80 for 80%");
      wf.confidence_threshold = t;
    }
    auto role_field = [&](const char* key, std::string& out) {
      if (!v[key]) return false;
      out = r_.string(v[key], std::string(key) + " of " + what);
      route_nodes_.emplace_back(v[key], std::string(key) + " of " + what);
      return true;
    };
    role_field("owner", wf.owner);
    std::string route;
    if (role_field("personal_data_route", route)) wf.personal_data_route = route;
    if (role_field("stale_citation_route", route)) wf.stale_citation_route = route;
    if (v["citation_max_age_months"])
      wf.citation_max_age =
          std::chrono::months(r_.integer(v["citation_max_age_months"], "citation_max_age_months of " + what, 1, 240));
    if (v["lexicon"]) {
      wf.lexicon = r_.string_list(v["lexicon"], "lexicon of " + what);
      for (std::size_t i = 0; i < wf.lexicon.size(); ++i)
        if (!places_.lexicon.count(wf.lexicon[i]))
          r_.fail(v["lexicon"][i], "unknown lexicon category '" + wf.lexicon[i] + "' in " + what);
    }
    p.workflows.emplace(id, std::move(wf));
  }
  if (p.workflows.empty()) r_.fail(n, "the config has no workflows");
}

}  // namespace desk::bot::config_parsing
