// The Slack emulator's reading of the desk's acks: what it calls garbage must be garbage, and what it
// reads from a good ack must be what the frame says, or the tests that count on it prove nothing.
#include "tests/emulator/ack_scan.hpp"

#include <gtest/gtest.h>

#include <string>

namespace desk::emulator {
namespace {

TEST(AckScan, ReadsTheIdAndThePayloadsResponseType) {
  const auto scan =
      scan_ack(R"({"envelope_id":"e-1","payload":{"blocks":[{"text":"x"}],"response_type":"ephemeral"}})");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->envelope_id, "e-1");
  EXPECT_TRUE(scan->has_payload);
  EXPECT_EQ(scan->response_type, "ephemeral");
}

TEST(AckScan, AnAckWithoutPayloadHasNone) {
  const auto scan = scan_ack(" {\"envelope_id\" : \"e-2\"}\n");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->envelope_id, "e-2");
  EXPECT_FALSE(scan->has_payload);
  EXPECT_EQ(scan->response_type, "");
}

TEST(AckScan, EscapesAreDecoded) {
  const auto scan = scan_ack(R"({"envelope_id":"a\"b\u00e9\\c","payload":{"response_type":"in_\u0063hannel"}})");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->envelope_id, "a\"b\xc3\xa9\\c");
  EXPECT_EQ(scan->response_type, "in_channel");
}

TEST(AckScan, OnlyThePayloadsOwnResponseTypeCounts) {
  // Deeper, beside the payload, or in an array that follows it: none of these is the payload's.
  for (const char* frame : {
           R"({"envelope_id":"e","payload":{"blocks":[{"response_type":"ephemeral"}]}})",
           R"({"envelope_id":"e","response_type":"ephemeral","payload":{}})",
           R"({"envelope_id":"e","other":{"response_type":"ephemeral"},"payload":{"x":1}})",
           R"({"envelope_id":"e","payload":{"response_type":1}})",
           R"({"envelope_id":"e","payload":{"response_type":["ephemeral"]}})",
       }) {
    const auto scan = scan_ack(frame);
    ASSERT_TRUE(scan) << frame;
    EXPECT_EQ(scan->response_type, "") << frame;
  }
  const auto after = scan_ack(R"({"envelope_id":"e","payload":{"response_type":"ephemeral"},"x":["in_channel"]})");
  ASSERT_TRUE(after);
  EXPECT_EQ(after->response_type, "ephemeral");
}

TEST(AckScan, ARepeatedKeyCountsByItsLastValue) {
  const auto scan = scan_ack(
      R"({"envelope_id":"first","payload":{"response_type":"ephemeral"},"envelope_id":"second","payload":{"x":1}})");
  ASSERT_TRUE(scan);
  EXPECT_EQ(scan->envelope_id, "second");
  EXPECT_TRUE(scan->has_payload);
  EXPECT_EQ(scan->response_type, "");
  EXPECT_FALSE(scan_ack(R"({"envelope_id":"e","envelope_id":7})"));
}

TEST(AckScan, APayloadOfAnyTypeIsAPayload) {
  const auto scan = scan_ack(R"({"envelope_id":"e","payload":"text"})");
  ASSERT_TRUE(scan);
  EXPECT_TRUE(scan->has_payload);
}

TEST(AckScan, DeepNestingIsNotGarbage) {
  std::string frame = R"({"envelope_id":"e","payload":{"x":)";
  frame += std::string(2000, '[') + std::string(2000, ']') + "}}";
  EXPECT_TRUE(scan_ack(frame));
}

TEST(AckScan, GarbageIsRefused) {
  for (const std::string frame : {
           std::string(""),
           std::string("not json"),
           std::string(R"(["envelope_id","e"])"),
           std::string(R"("envelope_id")"),
           std::string(R"({"envelope_id":7})"),
           std::string(R"({"envelope_id":null})"),
           std::string(R"({"envelope_id":{"id":"e"}})"),
           std::string(R"({"payload":{"response_type":"ephemeral"}})"),
           std::string(R"({"envelope_id":"e"}{"envelope_id":"f"})"),
           std::string(R"({"envelope_id":"e"} x)"),
           std::string(R"({"envelope_id":"e",})"),
           std::string(R"({"envelope_id":"e" /* comment */})"),
           std::string(R"({"envelope_id":"e","payload":{"response_type":"ephemeral"})"),
           std::string("{\"envelope_id\":\"e\xff\"}"),
           std::string("{\"envelope_id\":\"e\",\"payload\":\"\xc3\"}"),
           std::string("{\"envelope_id\":\"e\0\"}", 18),
       }) {
    EXPECT_FALSE(scan_ack(frame)) << frame;
  }
}

}  // namespace
}  // namespace desk::emulator
