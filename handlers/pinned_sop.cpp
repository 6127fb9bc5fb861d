#include "handlers/pinned_sop.hpp"

#include "storage/digest.hpp"

namespace desk::handlers {

std::string sop_digest(const core::DeskSop& sop) {
  // A link holds no line break (the config refuses one), so the two parts cannot run into each other.
  return storage::sha256_hex(sop.url + "\n" + sop.text);
}

ChannelNotice sop_notice(const core::DeskSop& sop, const std::string& policy_digest) {
  ChannelNotice n;
  n.notice = kSopNotice;
  n.title = "How we work: the desk's SOP";
  n.policy_digest = policy_digest;
  n.pin = true;
  for (std::size_t start = 0; start < sop.text.size();) {
    auto end = sop.text.find('\n', start);
    if (end == std::string::npos) end = sop.text.size();
    std::string line = sop.text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    n.lines.push_back(std::move(line));
    start = end + 1;
  }
  if (!sop.url.empty()) n.lines.push_back("The full SOP: " + sop.url);
  n.lines.push_back("Kept pinned by the desk; marketing ops change it in the desk's config (desk.sop).");
  return n;
}

bool post_pinned_sop(storage::Store& store, const PolicySet& policy, const SurfaceNames& surfaces,
                     core::TimePoint now) {
  const core::DeskSop& sop = policy.policy().desk.sop;
  if (surfaces.empty() || !sop.configured()) return false;
  const std::string digest = sop_digest(sop);
  if (store.last_sop_digest() == digest) return false;
  const auto rows = channel_notice_rows(sop_notice(sop, policy.digest()), surfaces, now);
  return store.record_sop(digest, now, rows, {{"sop.posted", "", "desk", now, {{"digest", digest}, {"url", sop.url}}}});
}

}  // namespace desk::handlers
