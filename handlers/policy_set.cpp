#include "handlers/policy_set.hpp"

#include <malloc.h>

namespace desk::handlers {

void PolicySet::return_freed_memory() { malloc_trim(0); }

}  // namespace desk::handlers
