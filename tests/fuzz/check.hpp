#pragma once

// A property that does not hold is a finding: abort, so that libFuzzer keeps
// the input (assert() would vanish in a build with NDEBUG).

#include <cstdlib>

namespace chronos::fuzz {

inline void check(bool ok) {
  if (!ok)
    std::abort();
}

} // namespace chronos::fuzz
