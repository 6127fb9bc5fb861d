#pragma once
/// Internal to the intake handler (intake_handler.cpp, intake_commit.cpp): how its answers are made.
#include <nlohmann/json.hpp>

#include <string>

#include "handlers/intake_handler.hpp"

namespace desk::handlers::intake {

inline constexpr const char* kJson = "application/json";

/// Invalid UTF-8 cannot reach here (bodies are checked first), but a dump must never throw.
std::string dump(const nlohmann::json& j);

HttpResponse json_response(int status, const nlohmann::json& body);

/// {"error": code, "message": message, "field": field or null}
HttpResponse error(int status, const std::string& code, const std::string& message, const std::string& field = {});

/// 503 with Retry-After: the database could not be reached or refused the write.
HttpResponse unavailable();

/// 500 with no detail: an exception text could quote the request.
HttpResponse internal_error();

/// The answer for the exception being handled (call inside a catch): 503 for a StorageError, else 500.
HttpResponse failure_answer();

}  // namespace desk::handlers::intake
