#pragma once

// A cache hint that the compiler keeps. GCC 12 deletes a __builtin_prefetch
// whose execution depends on a condition (`if (!empty()) prefetch(...)`, or
// an address chosen by one), since it changes nothing the program can see,
// and a batch's lookups then wait for every bucket in turn. Volatile assembly
// is never deleted. Fetching an address that is not mapped is harmless.

namespace chronos::detail {

inline void prefetch(const void* p) {
#if defined(__x86_64__)
  asm volatile("prefetcht0 (%0)" : : "r"(p));
#else
  __builtin_prefetch(p);
#endif
}

} // namespace chronos::detail
