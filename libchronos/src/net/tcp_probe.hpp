#pragma once

// Whether a host accepts TCP connections on a port, found out within a time
// limit. CAF's middleman connects with a blocking connect() on its one
// thread: towards a host that vanished (its packets dropped, not refused) that
// call waits for the kernel's SYN retries, minutes, and every other connect of
// the process waits behind it. A client that may meet such a host (the old
// leader of a failover) probes first and asks the middleman only when the
// host answers.

#include <chrono>
#include <cstdint>
#include <string>

#include "chronos/base/outcome.hpp"

namespace chronos::detail {

/// Done when a connection to `host`:`port` was accepted (and closed again)
/// within `limit`; else why not.
status probe_tcp(const std::string& host, std::uint16_t port, std::chrono::milliseconds limit);

} // namespace chronos::detail
