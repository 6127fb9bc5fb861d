#pragma once
/// Post-mortems, whatever the surface: after a decision, the person who decided it (or anyone with
/// rights on the escalation, macros::may_file_postmortem) writes what triggered it, what fixed it and
/// what to automate next. One per escalation; its author may edit it for a week after filing (judged
/// with the clock the caller passes), nobody else and never later. Filing commits the post-mortem, its
/// audit event and a thread reply on every surface in one transaction; an edit commits its audit event.
/// Also what the API and `escalation-desk postmortems` show of them. Nothing here throws to the caller.
///
///   click Post-mortem ──▶ decided? rights (or its author, within the week)? ──no──▶ refusal, who may
///                                   │yes
///                                   ▼
///                         the form, pre-filled with the stored one
///                                   │ submit
///                                   ▼
///   each field valid? ──no──▶ errors by field, nothing written
///         │yes
///         ▼
///   filed (+ audit, thread reply)  or  edited (+ audit)
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/escalation.hpp"
#include "core/rota.hpp"
#include "handlers/desk_actions.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

/// Each text's longest, in characters (code points): Slack's plain-text input limit.
inline constexpr std::size_t kMaxPostMortemChars = 3000;
/// How long after filing its author may still edit a post-mortem.
inline constexpr core::Seconds kPostMortemEditWindow = std::chrono::hours(24 * 7);

/// The form's fields, also the keys of its errors and of the JSON the API shows.
inline constexpr const char* kWhatTriggered = "what_triggered";
inline constexpr const char* kWhatFixed = "what_fixed";
inline constexpr const char* kWhatToAutomate = "what_to_automate";

/// The three texts as typed (or as stored, to pre-fill the form).
struct PostMortemText {
  std::string what_triggered;
  std::string what_fixed;
  std::string what_to_automate;
};

/// Every problem with `text`, by field (kWhatTriggered, …): each is required once trimmed, at most
/// kMaxPostMortemChars, valid UTF-8 without NUL. Empty when it may be stored.
std::map<std::string, std::string> postmortem_errors(const PostMortemText& text);

/// The answer to opening or submitting the form.
struct PostMortemResult {
  enum class Status { done, refused, invalid } status = Status::invalid;
  std::string message;                        ///< refused or invalid: a sentence for the person
  std::map<std::string, std::string> errors;  ///< invalid form fields; empty when the problem is not one field's
  std::optional<core::Escalation> escalation;
  std::optional<storage::PostMortem> postmortem;  ///< the stored one (to pre-fill; after submitting, as now stored)
  std::shared_ptr<const PolicySet> policy;        ///< the policy the escalation was opened under
  bool edited = false;                            ///< the submission edited an existing post-mortem
  bool changed = false;                           ///< the store changed
  std::string log;                                ///< a problem for the operators' log; empty when none
  bool ok() const { return status == Status::done; }
};

class PostMortemActions {
 public:
  explicit PostMortemActions(DeskActionDependencies deps);

  /// The Post-mortem button was clicked: may `actor` (a person id) open the form now? Every refusal
  /// (no rights, someone else's post-mortem, the week over) is audited ("rights.denied").
  PostMortemResult begin(const std::string& escalation_id, const std::string& actor, core::TimePoint now);

  /// The form was submitted: re-checks everything `begin` did, validates the texts, and files the
  /// post-mortem or edits the actor's own. Texts identical to the stored ones change nothing.
  PostMortemResult submit(const std::string& escalation_id, const std::string& actor, const PostMortemText& text,
                          core::TimePoint now);

 private:
  PostMortemResult check(const std::string& escalation_id, const std::string& actor, core::TimePoint now);

  DeskActionDependencies deps_;
};

/// {what_triggered, what_fixed, what_to_automate, author (person, as decisions show it), filed_at,
/// edited_at (null when never edited), edited_by (a person, or null)}.
nlohmann::json postmortem_json(const storage::PostMortem& p, const core::Rota& rota);

/// A post-mortem with the escalation it is about, for export.
struct PostMortemRecord {
  storage::PostMortem postmortem;
  core::Escalation escalation;
};

/// Every post-mortem filed at or after `since`, in filing order, with its escalation.
std::vector<PostMortemRecord> read_postmortems(storage::Store& store, core::TimePoint since);

/// {"since": …, "postmortems": [{escalation_id, workflow, decision, decided_by, decided_at, drill,
/// author, filed_at, edited_at, edited_by, what_triggered, what_fixed, what_to_automate}]}; people by id.
nlohmann::json postmortems_json(const std::vector<PostMortemRecord>& records, core::TimePoint since);

/// The same rows as CSV, a header first; RFC 4180 (CRLF line ends, fields with a comma, quote or line
/// break quoted, quotes doubled). A field starting with =, +, -, @, a tab or CR is prefixed with ' so
/// a spreadsheet shows it instead of running it as a formula.
std::string postmortems_csv(const std::vector<PostMortemRecord>& records);

}  // namespace desk::handlers
