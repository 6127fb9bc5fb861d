#pragma once
/// The escalation-desk executable the tests run. Its path (the build directory's) is in one small file
/// generated per test executable (desk_test_runs_binary in tests/CMakeLists.txt), not in a compile
/// definition: so the test code compiles the same in the plain and the sanitized build, and the
/// sanitized build takes it from the compiler cache.
const char* desk_test_binary();
#define DESK_BINARY desk_test_binary()
