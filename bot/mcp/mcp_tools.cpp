#include "bot/mcp/mcp_tools.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "bot/mcp/json_rpc.hpp"

namespace desk::bot::mcp {

namespace {

using json = nlohmann::json;

/// The submission's fields as the intake API takes them (see README, "Agent intake API").
json submission_properties(const std::vector<WorkflowChoice>& workflows) {
  json workflow = {{"type", "string"},
                   {"description",
                    "Which of the desk's workflows this draft belongs to; it decides the confidence threshold, "
                    "the lexicon and who owns an escalation."}};
  if (!workflows.empty()) {
    json ids = json::array();
    std::string described;
    for (const auto& w : workflows) {
      ids.push_back(w.id);
      described += "\n- " + w.id + (w.description.empty() ? "" : ": " + w.description);
    }
    workflow["enum"] = std::move(ids);
    workflow["description"] = workflow["description"].get<std::string>() + " One of:" + described;
  }
  return {
      {"workflow", std::move(workflow)},
      {"channel",
       {{"type", "string"},
        {"minLength", 1},
        {"maxLength", 128},
        {"description", "Where the draft would be published: linkedin, email, community, blog, ..."}}},
      {"agent",
       {{"type", "string"},
        {"minLength", 1},
        {"maxLength", 128},
        {"description", "Your agent's name, as the people reviewing it should see it."}}},
      {"confidence",
       {{"type", "number"},
        {"minimum", 0},
        {"maximum", 1},
        {"description", "How sure you are the draft is right and safe to publish, from 0 to 1."}}},
      {"prompt", {{"type", "string"}, {"description", "The instruction the draft was written from."}}},
      {"output",
       {{"type", "string"}, {"minLength", 1}, {"description", "The draft itself, exactly as it would go out."}}},
      {"citations",
       {{"type", "array"},
        {"maxItems", 100},
        {"description", "Sources the draft relies on; sources older than the workflow allows are escalated."},
        {"items",
         {{"type", "object"},
          {"properties",
           {{"url", {{"type", "string"}, {"description", "The source's http(s) address."}}},
            {"title", {{"type", "string"}}},
            {"published_at", {{"type", "string"}, {"description", "The source's date, as 2024-06-01."}}}}},
          {"required", {"url"}},
          {"additionalProperties", false}}}}},
      {"permalink", {{"type", "string"}, {"description", "Where the draft can be seen (http or https)."}}},
      {"suggested_fix", {{"type", "string"}, {"description", "What you would change if a person asks for a fix."}}},
      {"metadata", {{"type", "object"}, {"description", "Anything else worth keeping with the draft (free-form)."}}},
      {"callback_url",
       {{"type", "string"},
        {"description",
         "Optional https address the decision is POSTed to, signed; over MCP, await_decision is simpler."}}},
  };
}

json submission_schema(const std::vector<WorkflowChoice>& workflows, bool with_key) {
  json properties = submission_properties(workflows);
  if (with_key)
    properties["idempotency_key"] = {
        {"type", "string"},
        {"minLength", 1},
        {"maxLength", 200},
        {"description",
         "A key of your choosing (printable ASCII): sending the same draft again with the same key returns the "
         "first answer instead of opening a second escalation. Use one per draft when you may retry."}};
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", {"workflow", "channel", "agent", "confidence", "output"}},
          {"additionalProperties", false}};
}

const json& hit_schema() {
  static const json schema = {
      {"type", "object"},
      {"description", "One reason the draft is escalated, explained."},
      {"properties",
       {{"kind",
         {{"type", "string"}, {"enum", {"low_confidence", "lexicon", "personal_data", "stale_citation", "manual"}}}},
        {"rule_id", {{"type", "string"}}},
        {"field", {{"type", "string"}, {"description", "Where a text hit was found: output, prompt, metadata.…"}}},
        {"explanation", {{"type", "string"}}}}},
      {"required", {"kind", "rule_id", "explanation"}}};
  return schema;
}

json hits_total_schema() {
  return {{"type", "integer"}, {"description", "Every hit found; only the first ones are listed in hits."}};
}

json hits_truncated_schema() {
  return {{"type", "boolean"}, {"description", "True when hits lists fewer than hits_total."}};
}

json escalation_schema() {
  return {{"type", "object"},
          {"description", "An escalation: who owns it, its deadlines (UTC), and the decision once made."},
          {"properties",
           {{"id", {{"type", "string"}}},
            {"status", {{"type", "string"}, {"enum", {"open", "triaged", "accepted", "rejected"}}}},
            {"owner", {{"type", "object"}}},
            {"deadlines", {{"type", "object"}}},
            {"hits", {{"type", "array"}, {"items", hit_schema()}}},
            {"hits_total", hits_total_schema()},
            {"hits_truncated", hits_truncated_schema()},
            {"decision",
             {{"type", {"object", "null"}},
              {"description", "null until decided; then macro (accept or reject), by, at and rationale."}}}}},
          {"required", {"id", "status"}}};
}

json verdict_properties() {
  return {{"verdict", {{"type", "string"}, {"enum", {"approved", "escalated"}}}},
          {"hits", {{"type", "array"}, {"items", hit_schema()}}},
          {"hits_total", hits_total_schema()},
          {"hits_truncated", hits_truncated_schema()}};
}

/// A tool's output schema: its result, or (isError) the intake API's {error, message, field}. Clients
/// check structured content against the schema even on errors, so the error shape belongs in it.
json result_or_error(json result) {
  static const json error = {
      {"type", "object"},
      {"description", "isError: what was wrong, as the intake API says it."},
      {"properties",
       {{"error", {{"type", "string"}, {"description", "A code: missing_field, out_of_range, not_found, ..."}}},
        {"message", {{"type", "string"}}},
        {"field", {{"type", {"string", "null"}}, {"description", "The argument at fault, when there is one."}}}}},
      {"required", {"error", "message"}}};
  return {{"type", "object"}, {"anyOf", {std::move(result), error}}};
}

json tool(const char* name, const char* title, const std::string& description, json input, json output,
          bool read_only) {
  output = result_or_error(std::move(output));
  return {{"name", name},
          {"title", title},
          {"description", description},
          {"inputSchema", std::move(input)},
          {"outputSchema", std::move(output)},
          {"annotations",
           {{"readOnlyHint", read_only},
            {"destructiveHint", false},
            {"idempotentHint", read_only},
            {"openWorldHint", false}}}};
}

ToolInputError unknown_argument(const std::string& name) {
  return {"unknown_field", "unknown argument '" + name + "'", name};
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
std::string encoded(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

handlers::HttpRequest rest_request(std::string method, std::string target, const std::string& authorization) {
  handlers::HttpRequest r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.from_loopback = false;  // the caller's address is not vouched for here: only tokens count
  if (!authorization.empty()) r.headers["authorization"] = authorization;
  return r;
}

std::optional<std::string> string_argument(const json& arguments, const char* name, ToolInputError* error) {
  auto it = arguments.find(name);
  if (it == arguments.end() || it->is_null()) {
    *error = {"missing_field", std::string("'") + name + "' is required", name};
    return std::nullopt;
  }
  if (!it->is_string()) {
    *error = {"invalid_type", std::string("'") + name + "' must be a string", name};
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::string summary_of_hits(const json& body) {
  std::string out;
  for (const auto& h : body.value("hits", json::array())) {
    if (out.size() > 600) return out + " ...";
    out += "\n- " + h.value("explanation", h.value("rule_id", std::string{}));
  }
  if (body.value("hits_truncated", false))
    out += "\n(" + std::to_string(body.value("hits_total", std::size_t{0})) + " hits in all; the first are listed)";
  return out;
}

std::string decision_words(const json& escalation) {
  const json& d = escalation.value("decision", json());
  if (!d.is_object()) return {};
  const json& by = d.value("by", json());
  const std::string who = by.is_object() ? by.value("name", by.value("id", std::string{})) : std::string{};
  const std::string macro = d.value("macro", std::string{});
  return std::string(macro == "accept" ? "Accepted" : "Rejected") + " by " + who + " at " + d.value("at", "") + ": \"" +
         d.value("rationale", "") + "\"" +
         (macro == "accept" ? " You may publish the draft." : " Do not publish the draft.");
}

std::string summary(const std::string& tool, const json& body) {
  if (tool == kSubmitDraft || tool == kCheckDraft) {
    const bool escalated = body.value("verdict", "") == "escalated";
    std::string text;
    if (!escalated)
      text = tool == kCheckDraft ? "Would be approved: no trigger fires." : "Approved: no trigger fired; publish.";
    else if (const auto& e = body.value("escalation", json()); e.is_object())
      text = "Escalated as " + e.value("id", "") + " to " + owner_words(e) +
             ". Do not publish until a person decides: call await_decision with this id.";
    else
      text = "Would be escalated (to " + body.value("owner_role", std::string("the workflow owner")) + ").";
    return text + summary_of_hits(body);
  }
  if (tool == kGetEscalation) {
    const std::string decided = decision_words(body);
    return body.value("id", "") + " is " + body.value("status", "") + ", owned by " + owner_words(body) + "." +
           (decided.empty() ? "" : " " + decided);
  }
  if (tool == kListEscalations) {
    std::string text = std::to_string(body.value("escalations", json::array()).size()) + " escalation(s).";
    for (const auto& e : body.value("escalations", json::array())) {
      if (text.size() > 1500) return text + "\n...";
      text += "\n- " + e.value("id", "") + " " + e.value("status", "") + " (" + e.value("workflow", "") + ")";
    }
    return text;
  }
  return dump_message(body);
}

}  // namespace

std::string owner_words(const json& escalation) {
  const json& owner = escalation.value("owner", json::object());
  std::string words = owner.value("role", std::string{});
  if (const auto& person = owner.value("person", json()); person.is_object())
    words += " (" + person.value("name", person.value("id", std::string{})) + ")";
  return words;
}

json tool_list(const std::vector<WorkflowChoice>& workflows) {
  json submit_output = {
      {"type", "object"}, {"properties", verdict_properties()}, {"required", {"submission_id", "verdict", "hits"}}};
  submit_output["properties"]["submission_id"] = {{"type", "string"}};
  submit_output["properties"]["escalation"] = {
      {"type", "object"}, {"description", "Present when escalated: id, status, owner and deadlines."}};
  json check_output = {{"type", "object"}, {"properties", verdict_properties()}, {"required", {"verdict", "hits"}}};
  check_output["properties"]["owner_role"] = {{"type", "string"}};
  json id_input = {{"type", "object"},
                   {"properties",
                    {{"id",
                      {{"type", "string"},
                       {"pattern", "^[A-Za-z0-9-]{1,64}$"},
                       {"description", "The escalation's id, as ESC-000042."}}}}},
                   {"required", {"id"}},
                   {"additionalProperties", false}};
  json get_output = escalation_schema();
  get_output["properties"]["timeline"] = {{"type", "array"}, {"description", "The audit trail, oldest first."}};
  get_output["properties"]["postmortem"] = {
      {"type", {"object", "null"}},
      {"description",
       "What was learned once it was decided: author, filed_at, edited_at, what_triggered, what_fixed, "
       "what_to_automate; null until someone files it."}};
  json list_input = {
      {"type", "object"},
      {"properties",
       {{"status",
         {{"type", "string"},
          {"enum", {"open", "triaged", "accepted", "rejected"}},
          {"description", "Only escalations in this state; all when left out."}}},
        {"limit",
         {{"type", "integer"}, {"minimum", 1}, {"maximum", 500}, {"description", "At most this many (100)."}}}}},
      {"additionalProperties", false}};
  json list_output = {{"type", "object"},
                      {"properties", {{"escalations", {{"type", "array"}, {"items", escalation_schema()}}}}},
                      {"required", {"escalations"}}};
  json await_input = id_input;
  await_input["properties"]["timeout_seconds"] = {
      {"type", "integer"},
      {"minimum", 0},
      {"maximum", kMaxAwaitSeconds},
      {"description", "How long to wait for the decision, at most 600 seconds (default 60). 0 checks once."}};
  json await_output = {{"type", "object"},
                       {"properties",
                        {{"outcome",
                          {{"type", "string"},
                           {"enum", {"decided", "held"}},
                           {"description", "decided: see escalation.decision; held: nobody decided in time."}}},
                         {"escalation", escalation_schema()}}},
                       {"required", {"outcome", "escalation"}}};

  return json::array({
      tool(kCheckDraft, "Check a draft without submitting it",
           "Evaluate a draft against the desk's policy without storing it or alerting anyone: the verdict it "
           "would get now and why. Use it to revise a draft before submitting it with submit_draft.",
           submission_schema(workflows, false), std::move(check_output), true),
      tool(kSubmitDraft, "Submit a draft for review",
           "Submit a marketing draft before publishing it. The desk checks it against its policy (your "
           "confidence, pricing and regulated claims, personal data, stale sources). 'approved': publish it. "
           "'escalated': do NOT publish; a person on duty decides (Accept, Reject or Escalate to legal), and "
           "await_decision tells you the outcome. Each hit explains why. Send an idempotency_key when you may "
           "retry, so a retry never opens a second escalation.",
           submission_schema(workflows, true), std::move(submit_output), false),
      tool(kGetEscalation, "Read an escalation",
           "Read one escalation you submitted: its status (open, triaged, accepted, rejected), owner, "
           "deadlines, the decision with its rationale, and its timeline.",
           id_input, std::move(get_output), true),
      tool(kListEscalations, "List your escalations",
           "List the escalations of your drafts, newest first, optionally only those in one status.", list_input,
           std::move(list_output), true),
      tool(kAwaitDecision, "Wait for the human decision",
           "Wait until a person decides an escalation (accepted or rejected), up to timeout_seconds (at most "
           "600). Returns at once if it is already decided. outcome 'decided': read escalation.decision (macro "
           "accept means publish, reject means do not, with the rationale). outcome 'held': nobody decided "
           "yet; call again to keep waiting. Sends progress notifications when you pass a progressToken.",
           await_input, std::move(await_output), true),
  });
}

std::optional<ToolPlan> plan_tool_call(const std::string& tool, const json& arguments,
                                       const std::string& authorization) {
  if (!arguments.is_object())
    return ToolPlan{ToolInputError{"invalid_type", "'arguments' must be an object", "arguments"}};
  ToolInputError error;
  if (tool == kSubmitDraft || tool == kCheckDraft) {
    json body = arguments;
    auto r = rest_request("POST", tool == kSubmitDraft ? "/v1/submissions" : "/v1/checks", authorization);
    r.headers["content-type"] = "application/json";
    if (tool == kSubmitDraft && body.contains("idempotency_key")) {
      const json& key = body["idempotency_key"];
      if (!key.is_string())
        return ToolPlan{ToolInputError{"invalid_type", "'idempotency_key' must be a string", "idempotency_key"}};
      r.headers["idempotency-key"] = key.get<std::string>();
      body.erase("idempotency_key");
    }
    r.body = dump_message(body);
    return ToolPlan{std::move(r)};
  }
  if (tool == kGetEscalation || tool == kAwaitDecision) {
    for (const auto& [name, value] : arguments.items())
      if (name != "id" && !(tool == kAwaitDecision && name == "timeout_seconds"))
        return ToolPlan{unknown_argument(name)};
    auto id = string_argument(arguments, "id", &error);
    if (!id) return ToolPlan{error};
    if (tool == kGetEscalation) return ToolPlan{escalation_read(*id, authorization)};
    AwaitRequest await{*id};
    if (auto it = arguments.find("timeout_seconds"); it != arguments.end() && !it->is_null()) {
      if (!it->is_number_integer() && !it->is_number_unsigned())
        return ToolPlan{
            ToolInputError{"invalid_type", "'timeout_seconds' must be a whole number of seconds", "timeout_seconds"}};
      const auto seconds = it->get<long long>();
      if (seconds < 0 || seconds > kMaxAwaitSeconds)
        return ToolPlan{ToolInputError{"out_of_range",
                                       "'timeout_seconds' must be from 0 to " + std::to_string(kMaxAwaitSeconds),
                                       "timeout_seconds"}};
      await.timeout = std::chrono::seconds{seconds};
    }
    return ToolPlan{await};
  }
  if (tool == kListEscalations) {
    std::string query;
    for (const auto& [name, value] : arguments.items()) {
      if (name == "status") {
        if (!value.is_string()) return ToolPlan{ToolInputError{"invalid_type", "'status' must be a string", "status"}};
        query += (query.empty() ? "?" : "&") + std::string("status=") + encoded(value.get<std::string>());
      } else if (name == "limit") {
        if (!value.is_number_integer() && !value.is_number_unsigned())
          return ToolPlan{ToolInputError{"invalid_type", "'limit' must be a whole number", "limit"}};
        const auto limit = value.get<long long>();
        // Out of range is the intake API's to say (with its words); huge values must not overflow here.
        query += (query.empty() ? "?" : "&") + std::string("limit=") +
                 std::to_string(std::clamp<long long>(limit, -1, 100000));
      } else {
        return ToolPlan{unknown_argument(name)};
      }
    }
    return ToolPlan{rest_request("GET", "/v1/escalations" + query, authorization)};
  }
  return std::nullopt;
}

handlers::HttpRequest escalation_read(const std::string& escalation_id, const std::string& authorization) {
  return rest_request("GET", "/v1/escalations/" + encoded(escalation_id), authorization);
}

json input_error_result(const ToolInputError& error) {
  json body = {{"error", error.code},
               {"message", error.message},
               {"field", error.field.empty() ? json(nullptr) : json(error.field)}};
  return {{"content", json::array({{{"type", "text"}, {"text", error.message}}})},
          {"structuredContent", std::move(body)},
          {"isError", true}};
}

json tool_result(const std::string& tool, const handlers::HttpResponse& answer) {
  json body = json::parse(answer.body, nullptr, false);
  if (answer.status >= 300 || !body.is_object()) {
    if (!body.is_object()) body = {{"error", "internal"}, {"message", "the desk could not answer"}, {"field", nullptr}};
    return input_error_result({body.value("error", std::string("internal")), body.value("message", std::string{}),
                               body.value("field", json()).is_string() ? body["field"].get<std::string>() : ""});
  }
  std::string text = summary(tool, body);
  return {{"content", json::array({{{"type", "text"}, {"text", std::move(text)}}})},
          {"structuredContent", std::move(body)},
          {"isError", false}};
}

json await_result(const json& escalation, bool decided) {
  std::string text = decided ? decision_words(escalation)
                             : escalation.value("id", "") + " is still " + escalation.value("status", "") +
                                   " (owned by " + owner_words(escalation) +
                                   "): nobody decided in time. Do not publish; call await_decision again to wait on.";
  return {{"content", json::array({{{"type", "text"}, {"text", std::move(text)}}})},
          {"structuredContent", {{"outcome", decided ? "decided" : "held"}, {"escalation", escalation}}},
          {"isError", false}};
}

}  // namespace desk::bot::mcp
