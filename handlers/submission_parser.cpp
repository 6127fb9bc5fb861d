#include "handlers/submission_parser.hpp"

#include "handlers/callback_target.hpp"
#include "handlers/metadata_text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace desk::handlers {
namespace {

using json = nlohmann::json;

/// Aborts parsing past the depth limit, before a deep document is built: nlohmann's parser is
/// iterative, but everything that walks the result afterwards would not be.
struct DepthExceeded {};
struct DuplicateField {
  std::string name;
};

ValidationError error(std::string code, std::string message, std::string field = {}) {
  return {std::move(code), std::move(message), std::move(field)};
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::string:
      return "a string";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    case json::value_t::discarded:
      return "nothing";
    default:
      return "a number";
  }
}

class Validator {
 public:
  Validator(const core::Policy& policy, const SubmissionLimits& limits) : policy_(policy), limits_(limits) {}

  std::optional<ValidationError> run(const json& body, core::Submission& s) {
    if (!body.is_object())
      return error("invalid_type", std::string("the body must be a JSON object, not ") + type_name(body));
    static const char* const kFields[] = {"workflow",      "channel",  "agent",       "confidence",
                                          "prompt",        "output",   "citations",   "permalink",
                                          "suggested_fix", "metadata", "callback_url"};
    for (const auto& [key, _] : body.items())
      if (std::find(std::begin(kFields), std::end(kFields), key) == std::end(kFields))
        return error("unknown_field", "unknown field '" + key + "': free-form data belongs in 'metadata'", key);

    if (auto e = text(body, "workflow", true, 128, s.workflow)) return e;
    if (!policy_.workflows.count(s.workflow)) {
      std::string known;
      for (const auto& [id, _] : policy_.workflows) known += (known.empty() ? "" : ", ") + id;
      return error("unknown_workflow", "unknown workflow '" + s.workflow + "'; known: " + known, "workflow");
    }
    if (auto e = text(body, "channel", true, 128, s.channel)) return e;
    if (auto e = text(body, "agent", true, 128, s.agent)) return e;
    if (auto e = confidence(body, s)) return e;
    if (auto e = text(body, "prompt", false, limits_.max_text_bytes, s.prompt)) return e;
    if (auto e = text(body, "output", true, limits_.max_text_bytes, s.output)) return e;
    if (auto e = text(body, "suggested_fix", false, limits_.max_text_bytes, s.suggested_fix)) return e;
    if (auto e = url(body, "permalink", s.permalink)) return e;
    if (auto e = url(body, "callback_url", s.callback_url)) return e;
    if (!s.callback_url.empty()) {
      // Not into the desk's own network: https to a public host only (see callback_target.hpp).
      if (auto problem = callback_url_problem(s.callback_url, policy_.desk.callbacks_allow_loopback); !problem.empty())
        return error("invalid_url", problem, "callback_url");
    }
    if (auto e = citations(body, s)) return e;
    if (auto e = metadata(body, s)) return e;
    return std::nullopt;
  }

 private:
  std::optional<ValidationError> text(const json& body, const char* field, bool required, std::size_t max_bytes,
                                      std::string& out) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
      if (required) return error("missing_field", std::string("'") + field + "' is required", field);
      return std::nullopt;
    }
    if (!it->is_string())
      return error("invalid_type", std::string("'") + field + "' must be a string, not " + type_name(*it), field);
    out = it->get<std::string>();
    return check_text(out, field, required, max_bytes);
  }

  static std::optional<ValidationError> check_text(const std::string& s, const std::string& field, bool required,
                                                   std::size_t max_bytes) {
    if (required && s.find_first_not_of(" \t\r\n") == std::string::npos)
      return error("missing_field", "'" + field + "' must not be empty", field);
    if (s.size() > max_bytes)
      return error(
          "too_large",
          "'" + field + "' is " + std::to_string(s.size()) + " bytes; the limit is " + std::to_string(max_bytes),
          field);
    // The JSON parser already refuses ill-formed UTF-8; an escaped \u0000 still gets through.
    if (s.find('\0') != std::string::npos)
      return error("invalid_text", "'" + field + "' contains a NUL character", field);
    return std::nullopt;
  }

  std::optional<ValidationError> confidence(const json& body, core::Submission& s) {
    auto it = body.find("confidence");
    if (it == body.end() || it->is_null()) return error("missing_field", "'confidence' is required", "confidence");
    if (!it->is_number())
      return error("invalid_type", std::string("'confidence' must be a number from 0 to 1, not ") + type_name(*it),
                   "confidence");
    const double c = it->get<double>();
    if (!(c >= 0.0 && c <= 1.0))
      return error("out_of_range", "'confidence' must be between 0 and 1, got " + it->dump(), "confidence");
    s.confidence = c;
    return std::nullopt;
  }

  std::optional<ValidationError> url(const json& body, const char* field, std::string& out) {
    if (auto e = text(body, field, false, 2048, out)) return e;
    if (!out.empty() && !is_http_url(out))
      return error("invalid_url", std::string("'") + field + "' must be an http(s) URL", field);
    return std::nullopt;
  }

  std::optional<ValidationError> citations(const json& body, core::Submission& s) {
    auto it = body.find("citations");
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_array())
      return error("invalid_type", std::string("'citations' must be an array, not ") + type_name(*it), "citations");
    if (it->size() > limits_.max_citations)
      return error("too_large", "at most " + std::to_string(limits_.max_citations) + " citations", "citations");
    const std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(s.submitted_at)};
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& c = (*it)[i];
      const std::string at = "citations[" + std::to_string(i) + "]";
      if (!c.is_object()) return error("invalid_type", at + " must be an object with 'url' and 'published_at'", at);
      for (const auto& [key, _] : c.items())
        if (key != "url" && key != "published_at" && key != "title")
          return error("unknown_field", "unknown field '" + key + "' in " + at, at + "." + key);
      core::Citation citation;
      if (auto e = text(c, "url", true, 2048, citation.url)) return prefixed(*e, at);
      if (!is_http_url(citation.url)) return error("invalid_url", at + ".url must be an http(s) URL", at + ".url");
      std::string title;
      if (auto e = text(c, "title", false, 1024, title)) return prefixed(*e, at);
      std::string date;
      if (auto e = text(c, "published_at", false, 64, date)) return prefixed(*e, at);
      if (c.contains("published_at") && c["published_at"].is_string() && date.empty())
        return error("invalid_date", at + ".published_at is empty: give a date like 2024-06-01, or leave it out",
                     at + ".published_at");
      if (!date.empty()) {
        auto ymd = core::parse_date(date);
        if (!ymd)
          return error("invalid_date", at + ".published_at must be a date like 2024-06-01, got '" + date + "'",
                       at + ".published_at");
        if (std::chrono::sys_days(*ymd) > std::chrono::sys_days(today) + std::chrono::days(1))
          return error("invalid_date", at + ".published_at " + date + " is in the future", at + ".published_at");
        citation.published_at = ymd;
      }
      s.citations.push_back(std::move(citation));
    }
    return std::nullopt;
  }

  std::optional<ValidationError> metadata(const json& body, core::Submission& s) {
    auto it = body.find("metadata");
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_object())
      return error("invalid_type", std::string("'metadata' must be an object, not ") + type_name(*it), "metadata");
    if (auto e = check_strings(*it, "metadata")) return e;
    s.metadata_json = it->dump();
    if (s.metadata_json.size() > limits_.max_metadata_bytes)
      return error("too_large", "'metadata' is larger than " + std::to_string(limits_.max_metadata_bytes) + " bytes",
                   "metadata");
    for_each_metadata_string(std::as_const(*it), "metadata", [&](const std::string& place, const json& value) {
      s.metadata_texts.push_back({place, value.get<std::string>()});
    });
    return std::nullopt;
  }

  /// NUL characters anywhere in the free-form metadata (keys and values).
  static std::optional<ValidationError> check_strings(const json& v, const std::string& path) {
    if (v.is_string() && v.get_ref<const std::string&>().find('\0') != std::string::npos)
      return error("invalid_text", "'" + path + "' contains a NUL character", path);
    if (v.is_object())
      for (const auto& [key, item] : v.items()) {
        if (key.find('\0') != std::string::npos)
          return error("invalid_text", "a key in '" + path + "' contains a NUL character", path);
        if (auto e = check_strings(item, path + "." + key)) return e;
      }
    if (v.is_array())
      for (std::size_t i = 0; i < v.size(); ++i)
        if (auto e = check_strings(v[i], path + "[" + std::to_string(i) + "]")) return e;
    return std::nullopt;
  }

  static ValidationError prefixed(ValidationError e, const std::string& at) {
    e.field = at + "." + e.field;
    e.message = at + ": " + e.message;
    return e;
  }

  const core::Policy& policy_;
  const SubmissionLimits& limits_;
};

}  // namespace

bool is_http_url(std::string_view url) {
  std::string_view rest;
  if (url.substr(0, 8) == "https://")
    rest = url.substr(8);
  else if (url.substr(0, 7) == "http://")
    rest = url.substr(7);
  else
    return false;
  const auto host_end = rest.find_first_of("/?#");
  const auto host = rest.substr(0, host_end);
  if (host.empty() || host.front() == ':' || host.find('@') != std::string_view::npos) return false;
  return std::none_of(url.begin(), url.end(), [](unsigned char c) { return c <= 0x20 || c == 0x7F; });
}

ParsedSubmission parse_submission(std::string_view body, const core::Policy& policy, core::TimePoint received_at,
                                  const SubmissionLimits& limits) {
  json doc;
  try {
    const std::size_t max_depth = limits.max_depth;
    std::vector<std::string> top_keys;
    json::parser_callback_t guard = [max_depth, &top_keys](int depth, json::parse_event_t event, json& parsed) {
      if (static_cast<std::size_t>(depth) > max_depth) throw DepthExceeded{};
      // A repeated top-level field would silently keep its last value: refuse it instead.
      if (event == json::parse_event_t::key && depth == 1) {
        auto key = parsed.get<std::string>();
        if (std::find(top_keys.begin(), top_keys.end(), key) != top_keys.end()) throw DuplicateField{std::move(key)};
        top_keys.push_back(std::move(key));
      }
      return true;
    };
    doc = json::parse(body.begin(), body.end(), guard);
  } catch (const DepthExceeded&) {
    return error("too_deep", "the body nests deeper than " + std::to_string(limits.max_depth) + " levels");
  } catch (const DuplicateField& d) {
    return error("duplicate_field", "the field '" + d.name + "' appears twice", d.name);
  } catch (const json::parse_error& e) {
    // nlohmann's message names the byte and what it expected; it never echoes more than a token.
    return error("malformed_json", std::string("the body is not valid JSON: ") + e.what());
  } catch (const json::out_of_range&) {
    // A number no double can hold (1e400): well-formed JSON, but no value the desk can take.
    return error("out_of_range", "a number in the body is too large to be represented");
  }
  core::Submission s;
  s.submitted_at = received_at;
  Validator v(policy, limits);
  if (auto e = v.run(doc, s)) return *e;
  return s;
}

}  // namespace desk::handlers
