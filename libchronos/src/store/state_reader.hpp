#pragma once

// Reads a state file as a stream of JSON events (nlohmann's SAX interface):
// no document tree, timeouts built as they are read. Several times faster
// than the DOM on large files and just as strict: the first problem stops it,
// named by its path ("timeouts[3].deadline_ms: out of range"). Private to
// libchronos; state_file.cpp is its user.

#include <string_view>

#include "chronos/base/outcome.hpp"
#include "chronos/store/state_file.hpp"

namespace chronos::detail {

outcome<snapshot> read_snapshot(std::string_view text);

} // namespace chronos::detail
