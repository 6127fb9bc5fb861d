#pragma once
/// The pinned SOP (issue 14, item 3): the desk's standard operating procedure from the config
/// (`desk.sop`: a link, a short text, or both) is posted in the desk channel on every surface as a
/// channel notice marked to be pinned, once per version across restarts. A version is the SHA-256 of
/// the link and the text; when the config's differs from the one last posted, the new version is
/// posted, and the surfaces that pin (Slack) pin it in place of the copy pinned before.
#include <string>

#include "core/policy.hpp"
#include "handlers/channel_notices.hpp"
#include "handlers/policy_set.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

/// The notice kind of the SOP ("sop").
inline constexpr const char* kSopNotice = "sop";

/// The SOP's version: lower-case hex SHA-256 of its link and text.
std::string sop_digest(const core::DeskSop& sop);

/// What the pinned message says: a title, the text's lines, and the link.
ChannelNotice sop_notice(const core::DeskSop& sop, const std::string& policy_digest);

/// One pass: when the config has an SOP whose version is not the one last posted, commits its notice
/// for every surface with the version (Store::record_sop), once. True when it was committed now.
/// Removing the SOP from the config posts nothing (the last copy stays pinned).
bool post_pinned_sop(storage::Store& store, const PolicySet& policy, const SurfaceNames& surfaces, core::TimePoint now);

}  // namespace desk::handlers
