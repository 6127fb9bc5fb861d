#pragma once
/// The desk's MCP tools: their names, descriptions and JSON Schemas (what tools/list answers), and
/// how a call's arguments become the intake API request that does the work, so an agent on MCP gets
/// exactly what the REST API gives (the same checks, token scoping, idempotency and errors).
#include <chrono>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "handlers/intake_handler.hpp"

namespace desk::bot::mcp {

inline constexpr const char* kSubmitDraft = "submit_draft";
inline constexpr const char* kCheckDraft = "check_draft";
inline constexpr const char* kGetEscalation = "get_escalation";
inline constexpr const char* kListEscalations = "list_escalations";
inline constexpr const char* kAwaitDecision = "await_decision";

inline constexpr int kMaxAwaitSeconds = 600;
inline constexpr int kDefaultAwaitSeconds = 60;

/// A workflow an agent may submit to: its id and what it is for (tools/list shows them).
struct WorkflowChoice {
  std::string id;
  std::string description;
};

/// tools/list's `tools`: every tool with its input and output schema. The submission tools name the
/// configured workflows in their schema, so a model picks a valid one.
nlohmann::json tool_list(const std::vector<WorkflowChoice>& workflows);

/// A tool's bad arguments: the REST API's {error, message, field}, answered as an isError result.
struct ToolInputError {
  std::string code;
  std::string message;
  std::string field;
};

/// What an await_decision call asks for.
struct AwaitRequest {
  std::string escalation_id;
  std::chrono::seconds timeout{kDefaultAwaitSeconds};
};

/// What a tools/call turns into: the intake API request that answers it (every tool but
/// await_decision), an await, or the error its arguments earn.
using ToolPlan = std::variant<handlers::HttpRequest, AwaitRequest, ToolInputError>;

/// `authorization` is the caller's Authorization header, passed on unchanged so the intake API
/// authenticates and scopes the call as it would a REST request. nullopt: no such tool.
std::optional<ToolPlan> plan_tool_call(const std::string& tool, const nlohmann::json& arguments,
                                       const std::string& authorization);

/// The GET of one escalation that await_decision reads, as the intake API takes it.
handlers::HttpRequest escalation_read(const std::string& escalation_id, const std::string& authorization);

/// A tools/call result from the intake API's answer: a 2xx body becomes structuredContent with a short
/// text summary; a 4xx/5xx becomes an isError result with the same {error, message, field}.
nlohmann::json tool_result(const std::string& tool, const handlers::HttpResponse& answer);

/// await_decision's result: `decided` with the escalation when it is accepted or rejected, `held`
/// with its current state when the wait ran out first.
nlohmann::json await_result(const nlohmann::json& escalation, bool decided);

/// Who owns an escalation (its API form), in words: "duty_lead (Erin Walsh)".
std::string owner_words(const nlohmann::json& escalation);

/// An isError result for bad arguments.
nlohmann::json input_error_result(const ToolInputError& error);

}  // namespace desk::bot::mcp
