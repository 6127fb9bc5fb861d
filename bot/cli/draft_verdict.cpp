#include "bot/cli/draft_verdict.hpp"

#include "core/lifecycle.hpp"
#include "handlers/submission_parser.hpp"
#include "handlers/verdict_json.hpp"

namespace desk::bot::cli {

DraftVerdict draft_verdict(const core::Policy& p, const core::PolicyEngine& engine, const core::Rota& rota,
                           const std::string& body, core::TimePoint now) {
  auto parsed = handlers::parse_submission(body, p, now);
  if (auto* e = std::get_if<handlers::ValidationError>(&parsed))
    return {{{"error", e->code}, {"message", e->message}, {"field", e->field}}, false};
  const auto& s = std::get<core::Submission>(parsed);
  const auto ev = engine.evaluate(s);
  auto j = handlers::to_json(ev);
  j["workflow"] = s.workflow;
  if (ev.verdict == core::Verdict::escalated) {
    const core::LifecycleContext ctx{p, rota, {}};
    const auto opened = core::open_escalation(s, ev, ctx, now);
    j["owner"] = handlers::person_json(rota, opened.escalation.owner_person);
    nlohmann::json deadlines;
    for (const auto& d : opened.escalation.deadlines) deadlines[core::to_string(d.kind)] = core::format_utc(d.due);
    j["deadlines"] = deadlines;
    j["excerpt"] = ev.masked_output.substr(0, 500);
  }
  return {std::move(j), true};
}

}  // namespace desk::bot::cli
