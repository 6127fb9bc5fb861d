// `escalation-desk check-config`: load and compile the config as `run` would, then show what it says.
#include <iomanip>
#include <ostream>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/cli/rota_view.hpp"
#include "bot/config/config_loader.hpp"
#include "core/policy_engine.hpp"

namespace desk::bot::cli {
namespace {

struct CheckConfigOptions {
  std::string config, at;
};

int check_config(const CheckConfigOptions& o, std::ostream& out, std::ostream& err) {
  const core::Policy p = load_config(o.config);
  const core::TimePoint now = now_or_at(o.at);
  core::Rota rota(p.roles, p.people);
  core::PolicyEngine engine(p);  // compiles the lexicon: a config that loads here starts
  out << "config OK: " << o.config << " (sha256 " << p.source_digest.substr(0, 12) << ")\n";
  out << "desk channel #" << p.desk.channel << ", on-call group @" << p.desk.oncall_usergroup << ", database "
      << p.desk.database << "\n";
  out << "SLA: backup ping " << core::format_duration(p.sla.backup_ping) << ", triage "
      << core::format_duration(p.sla.triage) << ", decision " << core::format_duration(p.sla.decision) << "\n";
  out << "workflows:\n";
  for (const auto& [id, wf] : p.workflows) {
    out << "  " << std::left << std::setw(20) << id << " owner " << wf.owner;
    if (wf.confidence_threshold) out << ", escalate below " << core::format_fraction(*wf.confidence_threshold);
    out << ", citations up to " << wf.citation_max_age.count() << " months";
    if (wf.personal_data_route) out << ", personal data -> " << *wf.personal_data_route;
    if (wf.stale_citation_route) out << ", stale citations -> " << *wf.stale_citation_route;
    out << "\n";
  }
  std::size_t terms = 0;
  for (const auto& c : p.lexicon) terms += c.terms.size() + c.patterns.size();
  out << "lexicon: " << p.lexicon.size() << " categories, " << terms << " terms and patterns\n";
  for (const auto& c : p.lexicon)
    if (c.shadow)
      out << "  " << c.id << ": shadow mode, " << c.terms.size() + c.patterns.size()
          << " terms and patterns recorded, never escalating\n";
  out << "roles now (" << core::format_utc(now) << "):\n";
  print_holders(p, rota, stored_overrides(p, now, err), now, out);
  return kExitOk;
}

}  // namespace

void register_check_config(CLI::App& app, const Streams& io, Action& chosen) {
  auto* command =
      app.add_subcommand("check-config", "validate the config; show workflows, roles and who holds each now");
  auto options = std::make_shared<CheckConfigOptions>();
  add_config_option(*command, options->config);
  add_at_option(*command, options->at);
  command->footer("Exit codes: 0 the config is valid, 2 it is not (file:line:column and what is wrong).");
  when_chosen(*command, chosen, [options, &io] { return check_config(*options, io.out, io.err); });
}

}  // namespace desk::bot::cli
