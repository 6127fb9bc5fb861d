#include "handlers/channel_notices.hpp"

#include <algorithm>

#include <date/date.h>

#include "core/base64.hpp"
#include "core/lifecycle.hpp"
#include "core/text_scan.hpp"

namespace desk::handlers {
namespace {

using json = nlohmann::json;

/// Where notices go in each surface's order: apart from escalations, one after another.
constexpr const char* kNoticeOrder = ":channel-notices";

std::string name_of(const core::Rota& rota, const std::string& person) {
  return person.empty() ? std::string("nobody") : core::display_name(rota, person);
}

/// A role as a person reads it: its title, or its id when it has none.
std::string role_title(const core::Rota& rota, const std::string& role) {
  auto it = rota.roles().find(role);
  return it != rota.roles().end() && !it->second.title.empty() ? it->second.title : role;
}

std::string until_text(const core::Holding& h) {
  return h.until ? "until " + readable_utc(*h.until) : std::string("with no end set");
}

std::string how_held(const core::Holding& h) {
  switch (h.source) {
    case core::Holding::Source::override_:
      return "covering (override)";
    case core::Holding::Source::rotation:
      return "by rotation";
    case core::Holding::Source::next_in_rotation:
      return "next in rotation";
    case core::Holding::Source::fixed:
      return "fixed";
  }
  return "";
}

std::string clock_text(const core::Escalation& e, core::DeadlineKind kind, const char* label, core::TimePoint now) {
  for (const auto& d : e.deadlines) {
    if (d.kind != kind) continue;
    std::string out = std::string(label) + " " + readable_utc(d.due);
    if (d.due <= now) out += " (missed)";
    return out;
  }
  return "";
}

std::string open_line(const core::Rota& rota, const core::Escalation& e, core::TimePoint now) {
  std::string line = e.id + (e.drill ? " (fire drill)" : "") + " · " + e.workflow + " · " + core::to_string(e.state) +
                     " · owner " + name_of(rota, e.owner_person);
  if (!e.triaged_at) {
    const auto triage = clock_text(e, core::DeadlineKind::triage, "triage by", now);
    if (!triage.empty()) line += " · " + triage;
  }
  const auto decide = clock_text(e, core::DeadlineKind::decision, "decide by", now);
  if (!decide.empty()) line += " · " + decide;
  return line;
}

std::vector<std::string> string_list(const json& payload, const char* key) {
  std::vector<std::string> out;
  const auto it = payload.find(key);
  if (it == payload.end() || !it->is_array()) return out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

/// The string at `key`; empty when there is none or it is not a string.
std::string string_at(const json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

/// The notice's image when it is a PNG with a usable name; a damaged one is left out, the notice stands.
std::optional<NoticeImage> image_from(const json& payload) {
  const auto it = payload.find("image");
  if (it == payload.end() || !it->is_object()) return std::nullopt;
  const auto data = it->find("png_base64");
  if (data == it->end() || !data->is_string()) return std::nullopt;
  auto png = core::base64_decode(data->get<std::string>());
  constexpr std::string_view kSignature = "\x89PNG\r\n\x1a\n";
  if (!png || !std::string_view(*png).starts_with(kSignature)) return std::nullopt;
  NoticeImage image{std::move(*png), string_at(*it, "alt"), string_at(*it, "name")};
  if (!is_notice_image_name(image.name)) return std::nullopt;
  return image;
}

}  // namespace

std::string role_label(const core::RoleSpec& spec) {
  return spec.title.empty() || spec.title == spec.id ? spec.id : spec.title + " (" + spec.id + ")";
}

std::string role_choices(const core::Rota& rota, std::string_view quote) {
  std::string out;
  for (const auto& [id, spec] : rota.roles()) {
    if (!out.empty()) out += ", ";
    out.append(quote).append(core::cut_to_code_points(id, 100)).append(quote);
  }
  return out;
}

std::string readable_utc(core::TimePoint t) {
  std::string out = date::format("%a %e %b %H:%M UTC", t);
  if (const auto pad = out.find("  "); pad != std::string::npos) out.erase(pad, 1);  // %e pads the day
  return out;
}

bool is_notice_image_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.' || !name.ends_with(".png")) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
  });
}

json to_json(const ChannelNotice& n) {
  json out = {{"notice", n.notice},
              {"title", n.title},
              {"lines", n.lines},
              {"mentions", n.mentions},
              {"policy_digest", n.policy_digest},
              {"pin", n.pin}};
  if (n.image)
    out["image"] = {{"png_base64", core::base64_encode(n.image->png)}, {"alt", n.image->alt}, {"name", n.image->name}};
  return out;
}

std::optional<ChannelNotice> channel_notice_from(const json& payload) {
  if (!payload.is_object()) return std::nullopt;
  const auto title = payload.find("title");
  if (title == payload.end() || !title->is_string() || title->get<std::string>().empty()) return std::nullopt;
  ChannelNotice n;
  n.notice = string_at(payload, "notice");
  n.title = title->get<std::string>();
  n.lines = string_list(payload, "lines");
  n.mentions = string_list(payload, "mentions");
  n.policy_digest = string_at(payload, "policy_digest");
  n.image = image_from(payload);
  if (const auto pin = payload.find("pin"); pin != payload.end() && pin->is_boolean()) n.pin = pin->get<bool>();
  return n;
}

std::vector<storage::OutboxMessage> channel_notice_rows(const ChannelNotice& notice, const SurfaceNames& surfaces,
                                                        core::TimePoint now) {
  auto rows = effect_rows(Effect::channel_notice, surfaces, "", to_json(notice), now);
  for (auto& row : rows) row.ordering_key = row.surface + kNoticeOrder;
  return rows;
}

ChannelNotice handoff_notice(const core::Rota& rota, const std::string& from, const core::Holding& to,
                             const std::vector<core::Escalation>& open, core::TimePoint now,
                             const std::string& policy_digest) {
  ChannelNotice n;
  n.notice = "handoff";
  n.policy_digest = policy_digest;
  const std::string role = role_title(rota, to.role);
  n.title = role + " handoff: " + (from.empty() ? std::string() : name_of(rota, from) + " hands over to ") +
            name_of(rota, to.person);
  n.lines.push_back(name_of(rota, to.person) + " is " + role + " now (" + how_held(to) + "), " + until_text(to) + ".");
  if (open.empty()) {
    n.lines.push_back("No escalation is open.");
  } else {
    n.lines.push_back(std::to_string(open.size()) + (open.size() == 1 ? " escalation is" : " escalations are") +
                      " open:");
    constexpr std::size_t kListed = 20;  // the rest are a count: the notice must stay readable
    for (std::size_t i = 0; i < open.size() && i < kListed; ++i) n.lines.push_back(open_line(rota, open[i], now));
    if (open.size() > kListed) n.lines.push_back("…and " + std::to_string(open.size() - kListed) + " more.");
  }
  n.mentions.push_back(to.person);
  if (!from.empty() && from != to.person) n.mentions.push_back(from);
  return n;
}

ChannelNotice rota_notice(const core::Rota& rota, std::span<const core::RotaOverride> overrides, core::TimePoint now,
                          const std::string& policy_digest, const std::string& published_by) {
  ChannelNotice n;
  n.notice = "rota";
  n.policy_digest = policy_digest;
  n.title = "Who is on duty (" + readable_utc(now) + ")";
  for (const auto& [id, spec] : rota.roles()) {
    const auto h = rota.holder(id, now, overrides);
    if (!h) continue;
    std::string line =
        role_title(rota, id) + ": " + name_of(rota, h->person) + " (" + how_held(*h) + "), " + until_text(*h);
    if (h->until) {
      if (const auto next = rota.holder(id, *h->until, overrides); next && next->person != h->person)
        line += ", then " + name_of(rota, next->person);
    }
    n.lines.push_back(line + ".");
    if (id == core::kDutyLeadRole) n.mentions.push_back(h->person);
  }
  if (!published_by.empty()) n.lines.push_back("Published by " + name_of(rota, published_by) + ".");
  return n;
}

bool announce_duty_handoff(storage::Store& store, const PolicySet& policy, const SurfaceNames& surfaces,
                           core::TimePoint now) {
  const auto overrides = store.overrides_active_after(now);
  const auto holder = policy.rota().holder(core::kDutyLeadRole, now, overrides);
  if (!holder) return false;
  const auto announced = store.announced_holder(core::kDutyLeadRole);
  const storage::AnnouncedHolder next{core::kDutyLeadRole, holder->person, holder->since, now};
  if (!announced) {  // the first pass: recorded only
    store.announce_holder(next, std::nullopt, {}, {});
    return false;
  }
  if (announced->person == holder->person) return false;
  auto open = store.undecided_escalations(storage::Hits::skip);
  const ChannelNotice notice = handoff_notice(policy.rota(), announced->person, *holder, open, now, policy.digest());
  const core::AuditEvent event{"rota.handoff_announced",
                               "",
                               "desk",
                               now,
                               {{"role", std::string(core::kDutyLeadRole)},
                                {"from", announced->person},
                                {"to", holder->person},
                                {"source", core::to_string(holder->source)},
                                {"open_escalations", std::to_string(open.size())}}};
  return store.announce_holder(next, announced->person, channel_notice_rows(notice, surfaces, now), {event});
}

}  // namespace desk::handlers
