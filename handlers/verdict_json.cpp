#include "handlers/verdict_json.hpp"

#include <algorithm>
#include <cstdio>

namespace desk::handlers {

void add_hits(nlohmann::json& j, const std::vector<core::TriggerHit>& hits, std::size_t total) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& h : hits) list.push_back(to_json(h));
  j["hits"] = std::move(list);
  j["hits_total"] = std::max(total, hits.size());
  j["hits_truncated"] = total > hits.size();
}

nlohmann::json to_json(const core::TriggerHit& h) {
  nlohmann::json j = {{"kind", core::to_string(h.kind)}, {"rule_id", h.rule_id}, {"explanation", h.explanation}};
  if (!h.category.empty()) j["category"] = h.category;
  if (!h.route.empty()) j["route"] = h.route;
  if (!h.field.empty()) j["field"] = h.field;
  if (h.begin) j["begin"] = *h.begin;
  if (h.end) j["end"] = *h.end;
  if (!h.matched.empty()) j["matched"] = h.matched;
  if (h.threshold) j["threshold"] = *h.threshold;
  if (h.value) j["value"] = *h.value;
  if (!h.citation_url.empty()) j["citation_url"] = h.citation_url;
  if (h.citation_date) j["citation_date"] = core::format_date(*h.citation_date);
  if (h.oldest_allowed) j["oldest_allowed"] = core::format_date(*h.oldest_allowed);
  return j;
}

nlohmann::json to_json(const core::Evaluation& ev) {
  nlohmann::json j = {{"verdict", core::to_string(ev.verdict)}};
  add_hits(j, ev.hits, ev.hits_total);
  if (!ev.owner_role.empty()) j["owner_role"] = ev.owner_role;
  // Shadow-mode hits are for the people trying a rule (`evaluate`); agents' answers do not carry them.
  if (!ev.shadow_hits.empty()) {
    nlohmann::json shadow = nlohmann::json::array();
    for (const auto& h : ev.shadow_hits) shadow.push_back(to_json(h));
    j["shadow_hits"] = std::move(shadow);
  }
  return j;
}

nlohmann::json person_json(const core::Rota& rota, const std::string& person_id) {
  if (person_id.empty()) return nullptr;
  nlohmann::json j = {{"id", person_id}};
  if (const core::Person* p = rota.person(person_id)) {
    j["name"] = p->name;
    if (!p->slack_user.empty()) j["slack_user"] = p->slack_user;
  }
  return j;
}

nlohmann::json to_json(const core::Escalation& e, const core::Rota& rota) {
  nlohmann::json deadlines = nlohmann::json::object();
  for (const auto& d : e.deadlines) {
    nlohmann::json dj = {{"due", core::format_utc(d.due)}};
    if (d.fired_at) dj["fired_at"] = core::format_utc(*d.fired_at);
    deadlines[core::to_string(d.kind)] = std::move(dj);
  }
  nlohmann::json j = {{"id", e.id},
                      {"submission_id", e.submission_id},
                      {"status", core::to_string(e.state)},
                      {"workflow", e.workflow},
                      {"channel", e.channel},
                      {"agent", e.agent},
                      {"manual", e.manual},
                      {"drill", e.drill},
                      {"owner", {{"role", e.owner_role}, {"person", person_json(rota, e.owner_person)}}},
                      {"opened_at", core::format_utc(e.opened_at)},
                      {"owned_since", core::format_utc(e.owned_since)},
                      {"deadlines", std::move(deadlines)},
                      {"policy_digest", e.policy_digest}};
  add_hits(j, e.hits, e.hit_count());
  if (e.backup_pinged_at)
    j["backup_pinged"] = {{"at", core::format_utc(*e.backup_pinged_at)},
                          {"backup", person_json(rota, e.backup_person)},
                          {"director", person_json(rota, e.director_person)}};
  if (e.triaged_at) j["triaged"] = {{"at", core::format_utc(*e.triaged_at)}, {"by", person_json(rota, e.triaged_by)}};
  if (e.decision)
    j["decision"] = {{"macro", core::to_string(e.decision->macro)},
                     {"by", person_json(rota, e.decision->by)},
                     {"at", core::format_utc(e.decision->at)},
                     {"rationale", e.decision->rationale}};
  else
    j["decision"] = nullptr;
  return j;
}

}  // namespace desk::handlers
