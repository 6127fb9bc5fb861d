#pragma once
/// Small pieces of HTTP that more than one listener needs (the agent API's query strings and the
/// console's forms; bearer-token checks; Host names): strict percent-decoding and a constant-time digest compare.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace desk::handlers {

/// %XX sequences decoded (and '+' as a space when `plus_is_space`, as forms and query strings use
/// it); nullopt for a broken sequence, or a result that is not valid UTF-8 or holds a NUL.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

/// Compares every byte of two digests of equal length, with no early exit: the time taken does not
/// depend on where they differ. False for different lengths.
bool same_digest(const std::string& a, const std::string& b);

/// True when `digest` equals one of `digests`. Every one is compared in full, so neither which one
/// matched nor whether any did shows in the time taken.
bool matches_any(const std::vector<std::string>& digests, const std::string& digest);

/// `s` with ASCII letters lower-cased (header names, schemes, media types, host names).
std::string lower_ascii(std::string_view s);

/// `s` without the spaces and tabs HTTP allows around a header value.
std::string_view trim_spaces(std::string_view s);

/// The media type of a Content-Type value, lower-cased, without its parameters:
/// "Application/JSON; charset=utf-8" is "application/json".
std::string media_type(std::string_view content_type);

/// True for a Host header naming this machine's loopback: localhost, 127.x.y.z or [::1], any port.
/// A listener on loopback that answers only such names cannot be reached through DNS rebinding.
bool loopback_host(std::string_view host);

/// `text` safe inside an HTML, XML or SVG element or a double-quoted attribute: & < > " ' escaped;
/// invalid UTF-8 and control characters (other than tab and newline) replaced by U+FFFD, so no input
/// can break the page or the document.
std::string escape_markup(std::string_view text);

/// A CSV field per RFC 4180 (quoted when it holds a comma, quote or line break; quotes doubled),
/// defused for spreadsheets: a leading =, +, -, @, tab or CR gets a ' so it is shown, not run.
std::string csv_field(const std::string& value);

}  // namespace desk::handlers
