// The hotline's reading of Slack messages: which mention the desk, what the person asked, and the
// permalink that stands in when chat.getPermalink cannot answer.
#include "bot/slack/slack_hotline.hpp"

#include <gtest/gtest.h>

namespace desk::bot::slack::hotline_test {

HotlineIdentity desk_identity() {
  HotlineIdentity who;
  who.bot_user_id = "U0BOT";
  who.team_url = "https://acme.slack.com/";
  who.desk_channel_id = "C0DESK";
  who.group_id = "S0DESK";
  who.group_handle = "ai-escalation";
  who.enabled = true;
  return who;
}

TEST(SlackHotline, MentionsOfTheBotOrTheOnCallGroupCountAndNothingElse) {
  const auto who = desk_identity();
  EXPECT_TRUE(mentions_desk("<@U0BOT> is this OK?", who));
  EXPECT_TRUE(mentions_desk("hey <@U0BOT|desk> look", who));
  EXPECT_TRUE(mentions_desk("<!subteam^S0DESK> pricing?", who));
  EXPECT_TRUE(mentions_desk("<!subteam^S0DESK|@ai-escalation> pricing?", who));
  // Before the group's id is known (or while it is not kept on duty), its handle still counts.
  auto no_id = who;
  no_id.group_id.clear();
  EXPECT_TRUE(mentions_desk("<!subteam^S0OTHERID|@ai-escalation> pricing?", no_id));
  EXPECT_FALSE(mentions_desk("<!subteam^S0OTHERID|@ai-escalation-fans> pricing?", no_id));
  EXPECT_FALSE(mentions_desk("<@U0BOTTLE> hi", who));
  EXPECT_FALSE(mentions_desk("<@U0ALICE> hi", who));
  EXPECT_FALSE(mentions_desk("<!subteam^S0SALES|@sales> hi", who));
  EXPECT_FALSE(mentions_desk("@ai-escalation typed as plain text, U0BOT, <!here>", who));
  EXPECT_FALSE(mentions_desk("<@U0BOT", who)) << "an unclosed token is text";
  EXPECT_FALSE(mentions_desk("", who));
  EXPECT_FALSE(mentions_desk("<@U0BOT>", HotlineIdentity{})) << "nothing is known yet";
}

TEST(SlackHotline, WhatThePersonAskedIsTheTextWithoutTheDesksMentions) {
  const auto who = desk_identity();
  EXPECT_EQ(without_desk_mentions("  <@U0BOT> is <https://x.example/p|this> OK? cc <@U0ALICE> ", who),
            "is <https://x.example/p|this> OK? cc <@U0ALICE>");
  EXPECT_EQ(without_desk_mentions("<!subteam^S0DESK|@ai-escalation>  <@U0BOT>\n", who), "");
  EXPECT_EQ(without_desk_mentions("a < b and c > d <@U0BOT>", who), "a < b and c > d");
}

TEST(SlackHotline, TheStandInPermalinkHasSlacksShape) {
  EXPECT_EQ(built_permalink("https://acme.slack.com/", "C0DESK", "1700000000.000100", ""),
            "https://acme.slack.com/archives/C0DESK/p1700000000000100");
  EXPECT_EQ(built_permalink("https://acme.slack.com", "C0DESK", "1700000000.000200", "1700000000.000100"),
            "https://acme.slack.com/archives/C0DESK/p1700000000000200?thread_ts=1700000000.000100&cid=C0DESK");
  EXPECT_EQ(built_permalink("", "C0DESK", "1700000000.000100", ""), "") << "no workspace URL, no link";
  EXPECT_EQ(built_permalink("javascript:alert(1)//", "C0DESK", "1700000000.000100", ""), "");
}

}  // namespace desk::bot::slack::hotline_test
