#pragma once
/// `escalation-desk backtest`: stored submissions replayed through another policy (core/backtest.hpp),
/// read one at a time so that a long history costs one submission of memory, and written out as text
/// for people or JSON for tools.
#include <string>

#include <nlohmann/json.hpp>

#include "core/backtest.hpp"
#include "core/policy_engine.hpp"
#include "storage/store.hpp"

namespace desk::handlers {

/// Every replayable submission received since `since` (Store::replayable_submissions), judged again by
/// `engine`; submissions of a workflow it does not know are counted apart.
core::Backtest run_backtest(storage::Store& store, const core::PolicyEngine& engine, core::TimePoint since);

nlohmann::json backtest_json(const core::Backtest& b);
std::string backtest_text(const core::Backtest& b);

}  // namespace desk::handlers
