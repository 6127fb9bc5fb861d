#pragma once
/// What the desk says in its channel about no one escalation: a duty-lead handoff, the rota published
/// for everyone, the weekly digest, the SOP (pinned). Transport-neutral: a title, lines of plain text and the people to
/// mention; each surface renders them in its own way (Slack mrkdwn with mentions, a Teams card, the console).
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/escalation.hpp"
#include "core/rota.hpp"
#include "handlers/effects.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

/// A picture a notice carries (the digest's run chart): PNG bytes, carried base64 in the payload.
struct NoticeImage {
  std::string png;   ///< the PNG file's bytes
  std::string alt;   ///< what it shows, for screen readers and where images are not shown
  std::string name;  ///< a file name: letters, digits, '.', '-' and '_', ending in .png
};

/// The payload of an Effect::channel_notice row.
struct ChannelNotice {
  std::string notice;                 ///< "handoff", "rota", "digest" or "sop"
  std::string title;                  ///< plain text
  std::vector<std::string> lines;     ///< plain text, one per line
  std::vector<std::string> mentions;  ///< person ids to mention, of the policy below
  std::string policy_digest;          ///< the policy whose people `mentions` names
  std::optional<NoticeImage> image;   ///< shown with the notice where the surface can
  /// Keep it pinned in the channel where the surface can pin (Slack), in place of the copy of the same
  /// `notice` pinned before.
  bool pin = false;
};

/// True for a NoticeImage's name: 1 to 64 of [A-Za-z0-9._-], ending in ".png", not starting with '.'.
bool is_notice_image_name(std::string_view name);

nlohmann::json to_json(const ChannelNotice& notice);
/// The notice in a row's payload; nullopt when it is not one (a surface fails such a row).
std::optional<ChannelNotice> channel_notice_from(const nlohmann::json& payload);

/// channel_notice rows for every surface, each surface's notices in one order of their own (apart
/// from every escalation's messages).
std::vector<storage::OutboxMessage> channel_notice_rows(const ChannelNotice& notice, const SurfaceNames& surfaces,
                                                        core::TimePoint now);

/// "Mon 7 Dec 09:00 UTC".
std::string readable_utc(core::TimePoint t);

/// A role as a person reads and types it: "Duty lead (duty_lead)", or the id alone when the title is
/// the id or missing (no markup: each surface adds its own).
std::string role_label(const core::RoleSpec& spec);
/// The rota's role ids for a person to choose from, "duty_lead, legal", each between `quote`s and cut to
/// 100 characters: what a refusal lists when someone names a role that does not exist.
std::string role_choices(const core::Rota& rota, std::string_view quote = "");

/// The duty lead changed from `from` (a person id; empty when nobody was announced) to `to`: who
/// hands over to whom, until when, and every open escalation with its clocks.
ChannelNotice handoff_notice(const core::Rota& rota, const std::string& from, const core::Holding& to,
                             const std::vector<core::Escalation>& open, core::TimePoint now,
                             const std::string& policy_digest);

/// The rota for everyone: each role's holder now (and how), until when, and who comes next.
ChannelNotice rota_notice(const core::Rota& rota, std::span<const core::RotaOverride> overrides, core::TimePoint now,
                          const std::string& policy_digest, const std::string& published_by);

/// One pass of the handoff notices: when the duty lead now (rotation and overrides) is not the one
/// last announced, commits the notice for every surface with the new holder, once (Store::
/// announce_holder). The very first pass records the holder without a notice: a desk starting for the
/// first time has no handoff to tell. Returns true when a notice was committed.
bool announce_duty_handoff(storage::Store& store, const PolicySet& policy, const SurfaceNames& surfaces,
                           core::TimePoint now);

}  // namespace desk::handlers
