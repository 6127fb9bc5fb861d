// The Teams alert cards: what each shows, that agent text stays verbatim and personal data masked
// upstream is not re-exposed, that a drill says so, and that an oversized card is cut to fit.
#include <gtest/gtest.h>

#include "bot/teams/alert_cards.hpp"
#include "core/base64.hpp"

namespace desk::bot::teams::alert_cards_test {

using json = nlohmann::json;
using namespace std::chrono_literals;

core::TriggerHit hit(const std::string& explanation) {
  core::TriggerHit h;
  h.rule_id = "lexicon/pricing/price";
  h.category = "pricing";
  h.explanation = explanation;
  return h;
}

core::Escalation escalation(bool drill = false) {
  core::Escalation e;
  e.id = "ESC-000042";
  e.workflow = "paid_ads";
  e.channel = "linkedin";
  e.agent = "ads-agent-1";
  e.drill = drill;
  e.owner_role = "paid_media_manager";
  e.owner_person = "farah";
  e.opened_at = core::TimePoint{} + std::chrono::hours{24 * 20000};
  e.owned_since = e.opened_at;
  e.deadlines = {{core::DeadlineKind::triage, e.opened_at + 5min, {}},
                 {core::DeadlineKind::decision, e.opened_at + 30min, {}}};
  e.hits = {hit("Mentions a price: **[click](https://evil.example)**")};
  return e;
}

std::string texts(const json& card) {
  std::string out;
  for (const auto& block : card["body"]) {
    out += block.value("text", "") + "\n";
    for (const auto& run : block.value("inlines", json::array())) out += run.value("text", "");
    for (const auto& f : block.value("facts", json::array())) out += f.value("title", "") + "=" + f.value("value", "");
    out += "\n";
  }
  return out;
}

TEST(TeamsAlertCards, AnOpenedCardShowsWhyWhoAndTheClocksWithAgentTextVerbatim) {
  const auto e = escalation();
  AlertEvidence evidence{"Only $9 a month, call ***-***-1234", "https://drafts.example.com/7", false};
  const json card = opened_card(e, evidence, nullptr, e.opened_at + 1min);
  EXPECT_EQ(card["type"], "AdaptiveCard");
  EXPECT_EQ(card["version"], "1.5");
  const std::string shown = texts(card);
  EXPECT_NE(shown.find("Escalation ESC-000042 · paid_ads"), std::string::npos) << shown;
  EXPECT_NE(shown.find("Owner=farah (paid_media_manager)"), std::string::npos) << shown;
  EXPECT_NE(shown.find("(in 4 min)"), std::string::npos) << "triage due relative to now: " << shown;
  EXPECT_NE(shown.find("Only $9 a month, call ***-***-1234"), std::string::npos) << shown;
  // The explanation's markdown link is a TextRun's text, which Teams never renders as a link.
  bool in_text_run = false;
  for (const auto& block : card["body"])
    for (const auto& run : block.value("inlines", json::array()))
      in_text_run |=
          run["type"] == "TextRun" && run["text"].get<std::string>().find("evil.example") != std::string::npos;
  EXPECT_TRUE(in_text_run) << card.dump();
  ASSERT_EQ(card["actions"].size(), 1u);
  EXPECT_EQ(card["actions"][0]["url"], "https://drafts.example.com/7");
}

TEST(TeamsAlertCards, AnErasedDraftShowsNeitherExcerptNorLinkAndADrillSaysSo) {
  const auto e = escalation(true);
  const json card = opened_card(e, {"", "https://drafts.example.com/7", true}, nullptr, e.opened_at);
  const std::string shown = texts(card);
  EXPECT_EQ(shown.rfind("FIRE DRILL", 0), 0u) << shown;
  EXPECT_NE(shown.find("erased on request"), std::string::npos) << shown;
  EXPECT_FALSE(card.contains("actions")) << card.dump();
  const json ping = reminder_card(
      e, {core::DeadlineKind::backup_ping, e.id, e.opened_at + 3min, e.opened_at + 3min, 0s, {"dana"}}, nullptr);
  EXPECT_NE(texts(ping).find("FIRE DRILL"), std::string::npos);
  EXPECT_NE(texts(ping).find("dana: you may act on it now"), std::string::npos) << texts(ping);
}

TEST(TeamsAlertCards, AMissedDeadlineAndADecisionSayWhatHappened) {
  auto e = escalation();
  const json missed = reminder_card(
      e, {core::DeadlineKind::triage, e.id, e.opened_at + 5min, e.opened_at + 7min, 2min, {"dana"}}, nullptr);
  EXPECT_EQ(missed["body"][0]["text"], "Triage deadline missed: ESC-000042");
  EXPECT_NE(texts(missed).find("Nobody responded within 5 min"), std::string::npos) << texts(missed);
  EXPECT_EQ(decision_card(e, nullptr)["body"][0]["text"], "ESC-000042 has no decision yet");
  e.state = core::EscalationState::rejected;
  e.decision = core::Decision{core::Macro::reject, "farah", e.opened_at + 12min, "Price is not approved for 2027."};
  const json decided = decision_card(e, nullptr);
  EXPECT_EQ(decided["body"][0]["text"], "ESC-000042 rejected");
  EXPECT_NE(texts(decided).find("By farah"), std::string::npos) << texts(decided);
  EXPECT_NE(texts(decided).find("12 min after it opened"), std::string::npos) << texts(decided);
  EXPECT_NE(texts(decided).find("Price is not approved for 2027."), std::string::npos);
}

TEST(TeamsAlertCards, AChannelNoticeIsItsTitleAndLines) {
  handlers::ChannelNotice notice;
  notice.title = "duty_lead handoff: Alice hands over to Bob";
  notice.lines = {"Bob is duty_lead now (by rotation), until Mon 14 Dec 09:00 UTC.", "No escalation is open."};
  const json card = notice_card(notice);
  EXPECT_EQ(card["type"], "AdaptiveCard");
  EXPECT_EQ(card["version"], "1.5");
  ASSERT_EQ(card["body"].size(), 3u);
  EXPECT_EQ(card["body"][0]["text"], "duty_lead handoff: Alice hands over to Bob");
  EXPECT_EQ(card["body"][0]["weight"], "Bolder");
  EXPECT_EQ(card["body"][2]["text"], "No escalation is open.");
  EXPECT_EQ(card.value("actions", json::array()).size(), 0u) << "nothing to click in a notice";
}

TEST(TeamsAlertCards, ANoticesImageIsADataUriImageUnlessTheCardWouldBeTooLarge) {
  handlers::ChannelNotice notice;
  notice.title = "Weekly digest, 2026-W48";
  notice.lines = {"3 escalations opened, 3 of them decided by now."};
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + std::string(2000, '\x01');
  notice.image = handlers::NoticeImage{png, "Run chart: weekly mean time to respond", "run-chart-2026-W48.png"};
  const json card = notice_card(notice);
  ASSERT_EQ(card["body"].size(), 3u);
  const json& image = card["body"][2];
  EXPECT_EQ(image["type"], "Image");
  EXPECT_EQ(image["altText"], "Run chart: weekly mean time to respond");
  const std::string url = image["url"];
  ASSERT_TRUE(url.starts_with("data:image/png;base64,")) << url.substr(0, 40);
  EXPECT_EQ(core::base64_decode(url.substr(22)).value_or(""), png);
  EXPECT_LE(webhook_message(card).dump().size(), kMaxCardBytes);

  notice.image->png += std::string(30 * 1024, '\x02');  // base64 of this alone passes the card's limit
  const json big = notice_card(notice);
  ASSERT_EQ(big["body"].size(), 3u);
  EXPECT_EQ(big["body"][2]["type"], "TextBlock");
  EXPECT_NE(big["body"][2]["text"].get<std::string>().find("too large"), std::string::npos);
  EXPECT_LE(webhook_message(big).dump().size(), kMaxCardBytes);
}

TEST(TeamsAlertCards, AnOversizedCardIsCutToFitAndStaysValidUtf8) {
  const auto e = escalation();
  std::string huge;
  while (huge.size() < 100 * 1024) huge += "Très cher: 9 € ";
  auto big = escalation();
  big.hits.assign(5, hit(huge));
  json card = opened_card(big, {huge, "", false}, nullptr, e.opened_at);
  // Cards cut their texts already; the message's own guard is met by a card made too big by hand.
  card["body"].push_back(
      {{"type", "RichTextBlock"}, {"inlines", json::array({{{"type", "TextRun"}, {"text", huge}}})}});
  ASSERT_GT(card.dump().size(), kMaxCardBytes);
  const json message = webhook_message(card);
  const std::string body = message.dump();  // throws on invalid UTF-8
  EXPECT_LE(message["attachments"][0]["content"].dump().size(), kMaxCardBytes);
  EXPECT_EQ(message["type"], "message");
  EXPECT_EQ(message["attachments"][0]["contentType"], "application/vnd.microsoft.card.adaptive");
  EXPECT_NE(body.find("Escalation ESC-000042"), std::string::npos);
}

}  // namespace desk::bot::teams::alert_cards_test
