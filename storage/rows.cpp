#include "storage/rows.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cstdio>

namespace desk::storage::detail {
namespace {

using nlohmann::json;

void bind_text_or_null(SQLite::Statement& s, const char* name, const std::optional<std::string>& v) {
  if (v)
    s.bind(name, *v);
  else
    s.bind(name);
}

template <typename T>
void bind_number_or_null(SQLite::Statement& s, const char* name, const std::optional<T>& v) {
  if (v)
    s.bind(name, *v);
  else
    s.bind(name);
}

std::optional<std::string> optional_date(const std::optional<std::chrono::year_month_day>& d) {
  if (!d) return std::nullopt;
  return format_date(*d);
}

std::optional<std::chrono::year_month_day> stored_date(const SQLite::Statement& s, int column) {
  if (s.isColumnNull(column)) return std::nullopt;
  const std::string value = s.getColumn(column).getString();
  auto d = core::parse_date(value);
  if (!d) throw StorageError(StorageError::Code::corrupt, "unreadable date '" + value + "' in the database");
  return d;
}

}  // namespace

void bind_time(SQLite::Statement& s, const char* name, std::optional<core::TimePoint> t) {
  if (t)
    s.bind(name, epoch(*t));
  else
    s.bind(name);
}

std::optional<core::TimePoint> optional_time(const SQLite::Statement& s, int column) {
  if (s.isColumnNull(column)) return std::nullopt;
  return time_at(s.getColumn(column).getInt64());
}

std::string text(const SQLite::Statement& s, int column) { return s.getColumn(column).getString(); }

std::string format_date(std::chrono::year_month_day d) {
  if (!d.ok() || int(d.year()) < 0 || int(d.year()) > 9999)
    throw StorageError(StorageError::Code::constraint, "a date outside 0000-9999 or not a real day cannot be stored");
  return core::format_date(d);
}

std::string citations_to_json(const std::vector<core::Citation>& citations) {
  json out = json::array();
  for (const auto& c : citations)
    out.push_back({{"url", c.url}, {"published_at", c.published_at ? json(format_date(*c.published_at)) : json()}});
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::vector<core::Citation> citations_from_json(std::string_view text_json) {
  std::vector<core::Citation> citations;
  try {
    for (const auto& item : json::parse(text_json)) {
      core::Citation c;
      c.url = item.at("url").get<std::string>();
      if (const auto& at = item.at("published_at"); !at.is_null()) {
        c.published_at = core::parse_date(at.get<std::string>());
        if (!c.published_at)
          throw StorageError(StorageError::Code::corrupt, "unreadable citation date in the database");
      }
      citations.push_back(std::move(c));
    }
  } catch (const json::exception& e) {
    throw StorageError(StorageError::Code::corrupt, std::string("unreadable citations in the database: ") + e.what());
  }
  return citations;
}

void bind_hit(SQLite::Statement& s, const std::string& submission_id, int ordinal, const core::TriggerHit& h) {
  auto offset = [](const std::optional<std::size_t>& v) -> std::optional<std::int64_t> {
    if (!v) return std::nullopt;
    return static_cast<std::int64_t>(*v);
  };
  s.bind(":submission_id", submission_id);
  s.bind(":ordinal", ordinal);
  s.bind(":kind", core::to_string(h.kind));
  s.bind(":rule_id", h.rule_id);
  s.bind(":category", h.category);
  s.bind(":route", h.route);
  s.bind(":explanation", h.explanation);
  bind_number_or_null(s, ":begin_offset", offset(h.begin));
  bind_number_or_null(s, ":end_offset", offset(h.end));
  s.bind(":matched", h.matched);
  bind_number_or_null(s, ":threshold", h.threshold);
  bind_number_or_null(s, ":value", h.value);
  s.bind(":citation_url", h.citation_url);
  s.bind(":field", h.field);
  bind_text_or_null(s, ":citation_date", optional_date(h.citation_date));
  bind_text_or_null(s, ":oldest_allowed", optional_date(h.oldest_allowed));
}

core::TriggerHit read_hit(const SQLite::Statement& s) {
  auto offset = [&](int column) -> std::optional<std::size_t> {
    if (s.isColumnNull(column)) return std::nullopt;
    return static_cast<std::size_t>(s.getColumn(column).getInt64());
  };
  auto number = [&](int column) -> std::optional<double> {
    if (s.isColumnNull(column)) return std::nullopt;
    return s.getColumn(column).getDouble();
  };
  core::TriggerHit h;
  const std::string kind = text(s, 0);
  h.kind = stored_enum(core::trigger_kind_from(kind), "trigger kind", kind);
  h.rule_id = text(s, 1);
  h.category = text(s, 2);
  h.route = text(s, 3);
  h.explanation = text(s, 4);
  h.begin = offset(5);
  h.end = offset(6);
  h.matched = text(s, 7);
  h.threshold = number(8);
  h.value = number(9);
  h.citation_url = text(s, 10);
  h.citation_date = stored_date(s, 11);
  h.oldest_allowed = stored_date(s, 12);
  h.field = text(s, 13);
  return h;
}

void bind_mutable_escalation(SQLite::Statement& s, const core::Escalation& e) {
  s.bind(":state", core::to_string(e.state));
  s.bind(":owner_role", e.owner_role);
  s.bind(":owner_person", e.owner_person);
  s.bind(":owned_since", epoch(e.owned_since));
  s.bind(":generation", e.generation);
  bind_time(s, ":backup_pinged_at", e.backup_pinged_at);
  s.bind(":backup_person", e.backup_person);
  s.bind(":director_person", e.director_person);
  bind_time(s, ":triaged_at", e.triaged_at);
  s.bind(":triaged_by", e.triaged_by);
  const auto& d = e.decision;
  bind_text_or_null(s, ":decision_macro", d ? std::optional<std::string>(core::to_string(d->macro)) : std::nullopt);
  bind_text_or_null(s, ":decision_by", d ? std::optional<std::string>(d->by) : std::nullopt);
  bind_time(s, ":decision_at", d ? std::optional<core::TimePoint>(d->at) : std::nullopt);
  bind_text_or_null(s, ":decision_rationale", d ? std::optional<std::string>(d->rationale) : std::nullopt);
}

core::Escalation read_escalation(const SQLite::Statement& s) {
  core::Escalation e;
  e.id = text(s, 0);
  e.submission_id = text(s, 1);
  e.workflow = text(s, 2);
  e.channel = text(s, 3);
  e.agent = text(s, 4);
  e.manual = s.getColumn(5).getInt() != 0;
  e.drill = s.getColumn(6).getInt() != 0;
  e.policy_digest = text(s, 7);
  const std::string state = text(s, 8);
  e.state = stored_enum(core::escalation_state_from(state), "escalation state", state);
  e.owner_role = text(s, 9);
  e.owner_person = text(s, 10);
  e.opened_at = time_at(s.getColumn(11).getInt64());
  e.owned_since = time_at(s.getColumn(12).getInt64());
  e.generation = s.getColumn(13).getInt();
  e.backup_pinged_at = optional_time(s, 14);
  e.backup_person = text(s, 15);
  e.director_person = text(s, 16);
  e.triaged_at = optional_time(s, 17);
  e.triaged_by = text(s, 18);
  if (!s.isColumnNull(19)) {
    const std::string macro = text(s, 19);
    e.decision = core::Decision{stored_enum(core::macro_from(macro), "decision macro", macro), text(s, 20),
                                time_at(s.getColumn(21).getInt64()), text(s, 22)};
  }
  e.version = s.getColumn(23).getInt64();
  e.hits_total = s.isColumnNull(24) ? 0 : static_cast<std::size_t>(s.getColumn(24).getInt64());
  return e;
}

OutboxMessage read_outbox(const SQLite::Statement& s) {
  OutboxMessage m;
  m.id = s.getColumn(0).getInt64();
  m.kind = text(s, 1);
  m.escalation_id = text(s, 2);
  m.ordering_key = text(s, 3);
  m.payload_json = text(s, 4);
  m.created_at = time_at(s.getColumn(5).getInt64());
  m.next_attempt_at = time_at(s.getColumn(6).getInt64());
  m.attempts = s.getColumn(7).getInt();
  const std::string state = text(s, 8);
  std::optional<OutboxMessage::State> parsed;
  for (auto candidate : {OutboxMessage::State::pending, OutboxMessage::State::sending, OutboxMessage::State::sent,
                         OutboxMessage::State::failed})
    if (state == to_string(candidate)) parsed = candidate;
  m.state = stored_enum(parsed, "outbox state", state);
  m.last_error = text(s, 9);
  m.result_json = text(s, 10);
  m.last_attempt_at = optional_time(s, 11);
  m.sent_at = optional_time(s, 12);
  m.surface = text(s, 13);
  return m;
}

std::string format_id(const char* prefix, std::int64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%06lld", prefix, static_cast<long long>(n));
  return buf;
}

}  // namespace desk::storage::detail

namespace desk::storage {

const char* to_string(OutboxMessage::State state) {
  switch (state) {
    case OutboxMessage::State::pending:
      return "pending";
    case OutboxMessage::State::sending:
      return "sending";
    case OutboxMessage::State::sent:
      return "sent";
    case OutboxMessage::State::failed:
      return "failed";
  }
  return "?";
}

}  // namespace desk::storage
