#pragma once
// The PS_* switches read from the environment (PS_SDPA=0, PS_BLAS_SPIN=keep, …; listed in the
// CLI's man page): true when `name` is set to exactly `value`. Internal header.
#include <cstdlib>
#include <cstring>

namespace ps {

inline bool envIs(const char* name, const char* value) {
    const char* v = std::getenv(name);
    return v && std::strcmp(v, value) == 0;
}

} // namespace ps
