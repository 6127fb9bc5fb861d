#pragma once
/// The config loader now lives in bot/config/ (config_loader.hpp there). This forwarder is kept only
/// for bot/cli.cpp, which another change is replacing; delete it once nothing includes it.
#include "bot/config/config_loader.hpp"
