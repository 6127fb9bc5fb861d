// `escalation-desk demo`: the rota and the verdicts on a few sample drafts, without any account.
#include <nlohmann/json.hpp>

#include <ostream>

#include "bot/cli.hpp"
#include "bot/cli/command.hpp"
#include "bot/cli/draft_verdict.hpp"
#include "bot/cli/rota_view.hpp"
#include "bot/config/config_loader.hpp"

namespace desk::bot::cli {
namespace {

struct DemoOptions {
  std::string config, at;
};

constexpr const char* kSamples[] = {
    R"({"workflow":"community_replies","channel":"linkedin","agent":"social-agent-3","confidence":0.93,
        "output":"Thanks for the kind words! The team worked hard on this release."})",
    R"({"workflow":"community_replies","channel":"linkedin","agent":"social-agent-3","confidence":0.62,
        "output":"Our plan is guaranteed to cut your costs, and the price drops to $9 per seat this week."})",
    R"({"workflow":"email_nurture","channel":"email","agent":"nurture-agent-1","confidence":0.95,
        "output":"Hi Sam, we noted your card 4111 1111 1111 1111 and will call you on +44 20 7946 0958."})",
    R"({"workflow":"thought_leadership","channel":"blog","agent":"research-agent","confidence":0.91,
        "output":"Adoption doubled, according to the latest industry survey.",
        "citations":[{"url":"https://example.com/survey-2023","published_at":"2023-02-01"}]})",
};

int demo(const DemoOptions& o, std::ostream& out, std::ostream& err) {
  const core::Policy p = load_config(o.config);
  const core::TimePoint now = now_or_at(o.at);
  print_rota(p, now, 2, out, err);
  const core::PolicyEngine engine(p);
  const core::Rota rota(p.roles, p.people);
  for (const char* sample : kSamples) {
    const auto j = draft_verdict(p, engine, rota, sample, now).json;
    out << "\n" << nlohmann::json::parse(sample)["output"].get<std::string>() << "\n  -> " << j["verdict"];
    if (j.contains("owner_role")) out << ", owner " << j["owner_role"].get<std::string>();
    out << "\n";
    if (j.contains("hits"))
      for (const auto& h : j["hits"]) out << "     " << h["explanation"].get<std::string>() << "\n";
  }
  return kExitOk;
}

}  // namespace

void register_demo(CLI::App& app, const Streams& io, Action& chosen) {
  auto* command = app.add_subcommand("demo", "the rota and the verdicts on a few sample drafts");
  auto options = std::make_shared<DemoOptions>();
  add_config_option(*command, options->config);
  add_at_option(*command, options->at);
  when_chosen(*command, chosen, [options, &io] { return demo(*options, io.out, io.err); });
}

}  // namespace desk::bot::cli
