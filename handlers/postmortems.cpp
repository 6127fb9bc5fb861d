#include "handlers/postmortems.hpp"

#include <utility>

#include "core/lifecycle.hpp"
#include "core/text_scan.hpp"
#include "handlers/http_text.hpp"
#include "handlers/verdict_json.hpp"
#include "macros/macros.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;
using Status = PostMortemResult::Status;

// A conflict means someone filed it while this form was open: look again once, and the second pass
// sees theirs (an edit if it was the same person's double submit, a refusal otherwise).
constexpr int kMaxAttempts = 2;

PostMortemResult answer(Status status, std::string message, std::string log = {}) {
  PostMortemResult r;
  r.status = status;
  r.message = std::move(message);
  r.log = std::move(log);
  return r;
}

/// What is wrong with one field's text; empty when nothing is.
std::string field_error(const std::string& text, const char* missing) {
  const std::string t = trimmed(text);
  if (t.empty()) return missing;
  if (!core::is_valid_utf8(t)) return "This text is not valid UTF-8; type it again.";
  if (t.find('\0') != std::string::npos) return "This text contains a NUL character.";
  if (const std::size_t n = core::code_points(t); n > kMaxPostMortemChars)
    return "This is too long (" + std::to_string(n) + " characters): keep it to " +
           std::to_string(kMaxPostMortemChars) + " and link to the rest.";
  return {};
}

PostMortemText trimmed_texts(const PostMortemText& t) {
  return {trimmed(t.what_triggered), trimmed(t.what_fixed), trimmed(t.what_to_automate)};
}

bool same_texts(const storage::PostMortem& p, const PostMortemText& t) {
  return p.what_triggered == t.what_triggered && p.what_fixed == t.what_fixed &&
         p.what_to_automate == t.what_to_automate;
}

json time_or_null(const std::optional<core::TimePoint>& t) { return t ? json(core::format_utc(*t)) : json(nullptr); }

std::string decision_name(const core::Escalation& e) {
  return e.decision && core::is_decided(e.state) ? core::to_string(e.state) : std::string();
}

}  // namespace

std::map<std::string, std::string> postmortem_errors(const PostMortemText& text) {
  std::map<std::string, std::string> errors;
  const std::pair<const char*, std::pair<const std::string*, const char*>> fields[] = {
      {kWhatTriggered, {&text.what_triggered, "Say what triggered it."}},
      {kWhatFixed, {&text.what_fixed, "Say what fixed it."}},
      {kWhatToAutomate, {&text.what_to_automate, "Say what to automate next (or why nothing)."}},
  };
  for (const auto& [field, value] : fields)
    if (auto error = field_error(*value.first, value.second); !error.empty()) errors[field] = std::move(error);
  return errors;
}

PostMortemActions::PostMortemActions(DeskActionDependencies deps) : deps_(std::move(deps)) {}

PostMortemResult PostMortemActions::begin(const std::string& escalation_id, const std::string& actor,
                                          core::TimePoint now) {
  try {
    return check(escalation_id, actor, now);
  } catch (const storage::StorageError& err) {
    return answer(Status::invalid, kDatabaseTrouble, std::string("storage failure on a post-mortem: ") + err.what());
  } catch (const std::exception& err) {
    return answer(Status::invalid, kInternalTrouble, std::string("failure on a post-mortem: ") + err.what());
  }
}

PostMortemResult PostMortemActions::check(const std::string& escalation_id, const std::string& actor,
                                          core::TimePoint now) {
  auto e = deps_.store.escalation(escalation_id, storage::Hits::skip);
  if (!e) {
    return answer(Status::invalid, "The desk has no escalation " + quoted_id(escalation_id) + ", so nothing changed.");
  }
  const auto policy = deps_.resolve_policy ? deps_.resolve_policy(e->policy_digest) : nullptr;
  if (!policy)
    return answer(Status::invalid,
                  "The desk cannot load the policy " + e->id +
                      " was opened under, so it cannot tell who may file its post-mortem; nothing changed.",
                  "policy snapshot " + e->policy_digest + " of " + e->id + " cannot be resolved");
  const core::Rota& rota = policy->rota();
  PostMortemResult r;
  r.policy = policy;
  const auto stored = deps_.store.postmortems(e->id);
  if (!stored.empty()) {
    const storage::PostMortem& p = stored.front();
    std::string why;
    if (p.author != actor)
      why = core::display_name(rota, p.author) + " filed the post-mortem of " + e->id + " at " +
            core::format_utc(p.at) + "; only they may edit it.";
    else if (now - p.at > kPostMortemEditWindow)
      why = "You filed the post-mortem of " + e->id + " at " + core::format_utc(p.at) +
            "; it could be edited for a week, until " + core::format_utc(p.at + kPostMortemEditWindow) +
            ", and is closed now.";
    if (!why.empty()) {  // audited like any refused attempt to act on an escalation
      deps_.store.append_audit({{"rights.denied", e->id, actor, now, {{"attempted", "postmortem"}, {"reason", why}}}});
      return answer(Status::refused, std::move(why));
    }
    r.postmortem = p;
  } else {
    const auto overrides = deps_.store.overrides_active_after(now);
    const core::LifecycleContext ctx{policy->policy(), rota, overrides};
    auto outcome = macros::may_file_postmortem(*e, actor, ctx, now);
    if (!outcome.audit.empty()) deps_.store.append_audit(outcome.audit);
    if (!outcome.ok())
      return answer(outcome.status == macros::MacroOutcome::Status::refused ? Status::refused : Status::invalid,
                    outcome.message);
  }
  r.status = Status::done;
  r.escalation = std::move(e);
  return r;
}

PostMortemResult PostMortemActions::submit(const std::string& escalation_id, const std::string& actor,
                                           const PostMortemText& typed, core::TimePoint now) {
  try {
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      PostMortemResult r = check(escalation_id, actor, now);
      if (!r.ok()) return r;
      r.errors = postmortem_errors(typed);
      if (!r.errors.empty()) {
        r.status = Status::invalid;
        r.message = "Some fields need another look.";
        return r;
      }
      const PostMortemText text = trimmed_texts(typed);
      if (r.postmortem) {
        r.edited = true;
        if (same_texts(*r.postmortem, text)) return r;  // saved again unchanged: nothing to record
        storage::PostMortem p = *r.postmortem;
        p.what_triggered = text.what_triggered;
        p.what_fixed = text.what_fixed;
        p.what_to_automate = text.what_to_automate;
        p.edited_at = now;
        p.edited_by = actor;
        deps_.store.edit_postmortem(p, {});
        r.postmortem = std::move(p);
        r.changed = true;
        return r;
      }
      storage::PostMortem p;
      p.escalation_id = r.escalation->id;
      p.author = actor;
      p.at = now;
      p.what_triggered = text.what_triggered;
      p.what_fixed = text.what_fixed;
      p.what_to_automate = text.what_to_automate;
      try {
        p.id = deps_.store.add_postmortem(p, effect_rows(Effect::thread_reply, deps_.surfaces, p.escalation_id,
                                                         {{"reply", "postmortem"}, {"actor", actor}}, now));
      } catch (const storage::StorageError& err) {
        if (err.code() != storage::StorageError::Code::conflict) throw;
        continue;  // filed by someone while the form was open: look again
      }
      r.postmortem = std::move(p);
      r.changed = true;
      return r;
    }
    return answer(
        Status::invalid, "The post-mortem kept changing while you submitted. Submit again.",
        "gave up on a post-mortem for " + escalation_id + " after " + std::to_string(kMaxAttempts) + " conflicts");
  } catch (const storage::StorageError& err) {
    return answer(Status::invalid, kDatabaseTrouble, std::string("storage failure on a post-mortem: ") + err.what());
  } catch (const std::exception& err) {
    return answer(Status::invalid, kInternalTrouble, std::string("failure on a post-mortem: ") + err.what());
  }
}

nlohmann::json postmortem_json(const storage::PostMortem& p, const core::Rota& rota) {
  return {{kWhatTriggered, p.what_triggered},           {kWhatFixed, p.what_fixed},
          {kWhatToAutomate, p.what_to_automate},        {"author", person_json(rota, p.author)},
          {"filed_at", core::format_utc(p.at)},         {"edited_at", time_or_null(p.edited_at)},
          {"edited_by", person_json(rota, p.edited_by)}};
}

std::vector<PostMortemRecord> read_postmortems(storage::Store& store, core::TimePoint since) {
  std::vector<PostMortemRecord> out;
  for (auto& p : store.postmortems_filed_since(since)) {
    auto e = store.escalation(p.escalation_id, storage::Hits::skip);
    if (!e) continue;  // the foreign key keeps this from happening
    out.push_back({std::move(p), std::move(*e)});
  }
  return out;
}

nlohmann::json postmortems_json(const std::vector<PostMortemRecord>& records, core::TimePoint since) {
  json list = json::array();
  for (const auto& [p, e] : records) {
    const std::string decision = decision_name(e);
    list.push_back({{"escalation_id", e.id},
                    {"workflow", e.workflow},
                    {"decision", decision.empty() ? json(nullptr) : json(decision)},
                    {"decided_by", e.decision ? json(e.decision->by) : json(nullptr)},
                    {"decided_at", e.decision ? json(core::format_utc(e.decision->at)) : json(nullptr)},
                    {"drill", e.drill},
                    {"author", p.author},
                    {"filed_at", core::format_utc(p.at)},
                    {"edited_at", time_or_null(p.edited_at)},
                    {"edited_by", p.edited_by.empty() ? json(nullptr) : json(p.edited_by)},
                    {kWhatTriggered, p.what_triggered},
                    {kWhatFixed, p.what_fixed},
                    {kWhatToAutomate, p.what_to_automate}});
  }
  return {{"since", core::format_utc(since)}, {"postmortems", std::move(list)}};
}

std::string postmortems_csv(const std::vector<PostMortemRecord>& records) {
  std::string out =
      "escalation_id,workflow,decision,decided_by,decided_at,drill,author,filed_at,edited_at,edited_by,"
      "what_triggered,what_fixed,what_to_automate\r\n";
  for (const auto& [p, e] : records) {
    const std::string fields[] = {csv_field(e.id),
                                  csv_field(e.workflow),
                                  decision_name(e),
                                  csv_field(e.decision ? e.decision->by : std::string()),
                                  e.decision ? core::format_utc(e.decision->at) : std::string(),
                                  e.drill ? "true" : "false",
                                  csv_field(p.author),
                                  core::format_utc(p.at),
                                  p.edited_at ? core::format_utc(*p.edited_at) : std::string(),
                                  csv_field(p.edited_by),
                                  csv_field(p.what_triggered),
                                  csv_field(p.what_fixed),
                                  csv_field(p.what_to_automate)};
    for (std::size_t i = 0; i < std::size(fields); ++i) out += (i ? "," : "") + fields[i];
    out += "\r\n";
  }
  return out;
}

}  // namespace desk::handlers
