// escalation-desk: thin entry point; the command line lives in bot/cli.
#include <iostream>
#include <string>
#include <vector>

#include "bot/cli.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  return desk::bot::run_cli(std::vector<std::string>(argv + 1, argv + argc), std::cin, std::cout, std::cerr);
}
