#include "tests/emulator/ack_scan.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <cstdint>

namespace desk::emulator {
namespace {

// A boost::json parser handler that keeps only what AckSummary says, at the depths it lives at.
struct AckScan {
  using Error = boost::system::error_code;
  using Text = boost::json::string_view;
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  // As a parsed object would say (a repeated key: its last value).
  bool top_is_object = false;
  bool has_id = false;       // envelope_id is there and a string
  bool has_payload = false;  // payload is there, of any type
  std::string envelope_id, response_type;

  bool on_document_begin(Error&) { return true; }
  bool on_document_end(Error&) { return true; }
  bool on_object_begin(Error&) {
    if (depth_ == 0) top_is_object = true;
    if (depth_ == 1) in_payload_ = key1_ == Key::payload;
    return open();
  }
  bool on_array_begin(Error&) {
    if (depth_ == 1) in_payload_ = false;
    return open();
  }
  bool on_object_end(std::size_t, Error&) { return close(); }
  bool on_array_end(std::size_t, Error&) { return close(); }
  bool on_key_part(Text s, std::size_t, Error&) { return depth_ <= 2 ? gather(s) : true; }
  bool on_key(Text s, std::size_t, Error&) {
    if (depth_ > 2) return true;  // only the frame's own keys and the payload's matter
    gather(s);
    if (depth_ == 1) {
      key1_ = part_ == "envelope_id" ? Key::envelope_id : part_ == "payload" ? Key::payload : Key::other;
      if (key1_ == Key::payload) {
        has_payload = true;
        response_type.clear();
      }
    } else if (depth_ == 2) {
      key2_ = in_payload_ && part_ == "response_type" ? Key::response_type : Key::other;
    }
    part_.clear();
    return true;
  }
  bool on_string_part(Text s, std::size_t, Error&) { return wanted() ? gather(s) : true; }
  bool on_string(Text s, std::size_t, Error&) {
    if (!wanted()) return true;
    gather(s);
    if (depth_ == 1 && key1_ == Key::envelope_id) {
      envelope_id = std::move(part_);
      has_id = true;
    } else if (depth_ == 2 && key2_ == Key::response_type) {
      response_type = std::move(part_);
    }
    part_.clear();
    return true;
  }
  bool on_number_part(Text, Error&) { return true; }
  bool on_int64(std::int64_t, Text, Error&) { return other_value(); }
  bool on_uint64(std::uint64_t, Text, Error&) { return other_value(); }
  bool on_double(double, Text, Error&) { return other_value(); }
  bool on_bool(bool, Error&) { return other_value(); }
  bool on_null(Error&) { return other_value(); }
  bool on_comment_part(Text, Error&) { return true; }
  bool on_comment(Text, Error&) { return true; }

 private:
  enum class Key { other, envelope_id, payload, response_type };
  bool wanted() const {
    return (depth_ == 1 && key1_ == Key::envelope_id) || (depth_ == 2 && key2_ == Key::response_type);
  }
  bool gather(Text s) {
    part_.append(s.data(), s.size());
    return true;
  }
  bool open() {
    other_value();  // a container is not a string
    ++depth_;
    // Its members' keys are its own: a key of an earlier container at this depth names nothing here.
    if (depth_ == 1) key1_ = Key::other;
    if (depth_ == 2) key2_ = Key::other;
    return true;
  }
  bool close() {
    if (--depth_ == 1) in_payload_ = false;
    return true;
  }
  bool other_value() {
    if (depth_ == 1 && key1_ == Key::envelope_id) has_id = false;
    if (depth_ == 2 && key2_ == Key::response_type) response_type.clear();
    return true;
  }

  std::size_t depth_ = 0;
  Key key1_ = Key::other, key2_ = Key::other;  // the last key at depth 1 and 2
  bool in_payload_ = false;                    // inside the top-level payload object
  std::string part_;
};

}  // namespace

std::optional<AckSummary> scan_ack(std::string_view frame) {
  boost::json::parse_options deep;
  deep.max_depth = 10000;  // nesting is the desk's business, not a reason to call it garbage
  boost::json::basic_parser<AckScan> parser(deep);
  boost::system::error_code ec;
  const auto used = parser.write_some(false, frame.data(), frame.size(), ec);
  AckScan& scan = parser.handler();
  if (ec || used != frame.size() || !parser.done() || !scan.top_is_object || !scan.has_id) return std::nullopt;
  return AckSummary{std::move(scan.envelope_id), scan.has_payload, std::move(scan.response_type)};
}

}  // namespace desk::emulator
