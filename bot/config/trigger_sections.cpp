// The sections that configure triggers of their own: lexicon: (categories of terms and RE2 patterns,
// each with an optional route) and personal_data: (which detectors run, and where hits go).
#include <algorithm>
#include <string>

#include "bot/config/policy_parser.hpp"

namespace desk::bot::config_parsing {

void PolicyParser::parse_lexicon(const YAML::Node& n, core::Policy& p) {
  r_.check_unique_keys(n, "lexicon category");
  for (const auto& kv : n) {
    const auto id = kv.first.as<std::string>();
    const std::string what = "lexicon category '" + id + "'";
    r_.check_keys(kv.second, {"route", "terms", "patterns", "mode"}, what);
    core::LexiconCategory c;
    c.id = id;
    if (kv.second["route"]) {
      c.route = r_.string(kv.second["route"], "route of " + what);
      route_nodes_.emplace_back(kv.second["route"], "route of " + what);
    }
    if (kv.second["terms"]) c.terms = r_.string_list(kv.second["terms"], "terms of " + what);
    if (kv.second["patterns"]) c.patterns = r_.string_list(kv.second["patterns"], "patterns of " + what);
    if (c.terms.empty() && c.patterns.empty()) r_.fail(kv.first, what + " has no terms or patterns");
    if (kv.second["mode"]) {
      const auto mode = r_.string(kv.second["mode"], "mode of " + what);
      if (mode != "enforce" && mode != "shadow")
        r_.fail(kv.second["mode"], "mode of " + what + " must be 'enforce' or 'shadow', not '" + mode + "'",
                "shadow records its hits without escalating, to see what it would do before enforcing it");
      c.shadow = mode == "shadow";
    }
    places_.lexicon[id] = kv.second;
    p.lexicon.push_back(std::move(c));
  }
}

void PolicyParser::parse_personal_data(const YAML::Node& n, core::Policy& p) {
  r_.check_keys(n, {"route", "detectors"}, "personal_data");
  if (n["route"]) {
    p.personal_data.route = r_.string(n["route"], "personal_data.route");
    route_nodes_.emplace_back(n["route"], "personal_data.route");
  }
  if (n["detectors"]) {
    if (!n["detectors"].IsSequence()) r_.fail(n["detectors"], "personal_data.detectors must be a list");
    for (const auto& d : n["detectors"]) {
      const auto name = r_.string(d, "a personal-data detector");
      auto kind = core::personal_data_kind_from(name);
      if (!kind)
        r_.fail(d, "unknown personal-data detector '" + name + "'",
                "known: email, phone, iban, payment_card, uk_nino, us_ssn");
      if (std::find(p.personal_data.detectors.begin(), p.personal_data.detectors.end(), *kind) !=
          p.personal_data.detectors.end())
        r_.fail(d, "detector '" + name + "' is listed twice");
      p.personal_data.detectors.push_back(*kind);
    }
  }
}

}  // namespace desk::bot::config_parsing
